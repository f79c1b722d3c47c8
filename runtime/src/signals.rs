//! SIGINT and SIGTERM as a file descriptor the event loop can poll.
//!
//! The signals are blocked for the process and delivered through a `signalfd`, so the
//! loop sleeps in `poll(2)` on the ringbuf and the signals together and never spins.

use std::io;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};

/// Holds SIGINT/SIGTERM blocked while alive; restores the old mask on drop.
pub struct Signals {
    fd: OwnedFd,
    old: libc::sigset_t,
}

fn mask() -> libc::sigset_t {
    // SAFETY: sigset_t is plain data; sigemptyset/sigaddset initialise it.
    unsafe {
        let mut set: libc::sigset_t = std::mem::zeroed();
        libc::sigemptyset(&mut set);
        libc::sigaddset(&mut set, libc::SIGINT);
        libc::sigaddset(&mut set, libc::SIGTERM);
        set
    }
}

impl Signals {
    /// Block SIGINT/SIGTERM and open a non-blocking signalfd for them.
    pub fn new() -> io::Result<Signals> {
        let set = mask();
        // SAFETY: set and old are valid sigsets.
        let mut old: libc::sigset_t = unsafe { std::mem::zeroed() };
        let r = unsafe { libc::pthread_sigmask(libc::SIG_BLOCK, &set, &mut old) };
        if r != 0 {
            return Err(io::Error::from_raw_os_error(r));
        }
        // SAFETY: set is a valid sigset; -1 asks for a new descriptor.
        let fd = unsafe { libc::signalfd(-1, &set, libc::SFD_CLOEXEC | libc::SFD_NONBLOCK) };
        if fd < 0 {
            let e = io::Error::last_os_error();
            // SAFETY: restoring the mask we saved.
            unsafe { libc::pthread_sigmask(libc::SIG_SETMASK, &old, std::ptr::null_mut()) };
            return Err(e);
        }
        // SAFETY: fd is a fresh descriptor we own.
        let fd = unsafe { OwnedFd::from_raw_fd(fd) };
        Ok(Signals { fd, old })
    }

    /// Consume pending signals; returns whether SIGINT or SIGTERM arrived.
    pub fn take(&self) -> bool {
        let mut got = false;
        loop {
            let mut info = std::mem::MaybeUninit::<libc::signalfd_siginfo>::uninit();
            let size = std::mem::size_of::<libc::signalfd_siginfo>();
            // SAFETY: reading at most `size` bytes into the siginfo buffer.
            let n = unsafe { libc::read(self.fd.as_raw_fd(), info.as_mut_ptr().cast(), size) };
            if n != size as isize {
                return got;
            }
            got = true;
        }
    }
}

impl AsRawFd for Signals {
    fn as_raw_fd(&self) -> RawFd {
        self.fd.as_raw_fd()
    }
}

impl Drop for Signals {
    fn drop(&mut self) {
        // Anything still pending is consumed so it is not delivered on unblocking.
        self.take();
        // SAFETY: restoring the mask saved in new().
        unsafe { libc::pthread_sigmask(libc::SIG_SETMASK, &self.old, std::ptr::null_mut()) };
    }
}

/// Wait until one of `fds` is readable (no timeout). Returns which are readable.
/// EINTR is retried.
pub fn wait_readable(fds: &[RawFd]) -> io::Result<Vec<bool>> {
    let mut pfds: Vec<libc::pollfd> = fds
        .iter()
        .map(|&fd| libc::pollfd {
            fd,
            events: libc::POLLIN,
            revents: 0,
        })
        .collect();
    loop {
        // SAFETY: pfds is a valid array of pollfd of the given length.
        let r = unsafe { libc::poll(pfds.as_mut_ptr(), pfds.len() as libc::nfds_t, -1) };
        if r >= 0 {
            return Ok(pfds.iter().map(|p| p.revents != 0).collect());
        }
        let e = io::Error::last_os_error();
        if e.kind() != io::ErrorKind::Interrupted {
            return Err(e);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sigterm_becomes_readable() {
        let s = Signals::new().unwrap();
        assert!(!s.take());
        // SAFETY: raising a signal that is blocked in this thread: it stays pending for
        // this thread (tgkill to ourselves), which the signalfd reports.
        unsafe {
            libc::syscall(
                libc::SYS_tgkill,
                libc::getpid(),
                libc::gettid(),
                libc::SIGTERM,
            );
        }
        let ready = wait_readable(&[s.as_raw_fd()]).unwrap();
        assert_eq!(ready, vec![true]);
        assert!(s.take());
        assert!(!s.take());
    }
}
