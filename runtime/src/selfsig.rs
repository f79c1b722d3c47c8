//! Signals that run `self:signal:SIG` probes: blocked for the process while the
//! session runs and read from a `signalfd` the event loop polls, like SIGINT.

use std::io;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};

/// The signals of the script's `self:signal` probes, pollable.
pub struct UserSignals {
    fd: OwnedFd,
    old: libc::sigset_t,
}

impl UserSignals {
    /// Block `numbers` and open a signalfd for them; `None` when there are none.
    pub fn new(numbers: &[i32]) -> io::Result<Option<UserSignals>> {
        if numbers.is_empty() {
            return Ok(None);
        }
        // SAFETY: sigset_t is plain data; sigemptyset/sigaddset initialise it.
        let set = unsafe {
            let mut set: libc::sigset_t = std::mem::zeroed();
            libc::sigemptyset(&mut set);
            for &n in numbers {
                libc::sigaddset(&mut set, n);
            }
            set
        };
        // SAFETY: valid sigsets.
        let mut old: libc::sigset_t = unsafe { std::mem::zeroed() };
        let r = unsafe { libc::pthread_sigmask(libc::SIG_BLOCK, &set, &mut old) };
        if r != 0 {
            return Err(io::Error::from_raw_os_error(r));
        }
        // SAFETY: set is a valid sigset; -1 asks for a new descriptor.
        let fd = unsafe { libc::signalfd(-1, &set, libc::SFD_CLOEXEC | libc::SFD_NONBLOCK) };
        if fd < 0 {
            let e = io::Error::last_os_error();
            // SAFETY: restoring the mask saved above.
            unsafe { libc::pthread_sigmask(libc::SIG_SETMASK, &old, std::ptr::null_mut()) };
            return Err(e);
        }
        // SAFETY: fd is a fresh descriptor we own.
        let fd = unsafe { OwnedFd::from_raw_fd(fd) };
        Ok(Some(UserSignals { fd, old }))
    }

    /// The signals received since the last call, in order.
    pub fn take(&self) -> Vec<i32> {
        let mut got = Vec::new();
        loop {
            let mut info = std::mem::MaybeUninit::<libc::signalfd_siginfo>::uninit();
            let size = std::mem::size_of::<libc::signalfd_siginfo>();
            // SAFETY: reading at most `size` bytes into the siginfo buffer.
            let n = unsafe { libc::read(self.fd.as_raw_fd(), info.as_mut_ptr().cast(), size) };
            if n != size as isize {
                return got;
            }
            // SAFETY: the kernel filled the whole struct.
            got.push(unsafe { info.assume_init() }.ssi_signo as i32);
        }
    }
}

impl AsRawFd for UserSignals {
    fn as_raw_fd(&self) -> RawFd {
        self.fd.as_raw_fd()
    }
}

impl Drop for UserSignals {
    fn drop(&mut self) {
        self.take();
        // SAFETY: restoring the mask saved in new().
        unsafe { libc::pthread_sigmask(libc::SIG_SETMASK, &self.old, std::ptr::null_mut()) };
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sigusr1_is_read_back() {
        assert!(UserSignals::new(&[]).unwrap().is_none());
        let s = UserSignals::new(&[libc::SIGUSR1]).unwrap().unwrap();
        assert!(s.take().is_empty());
        // SAFETY: the signal is blocked in this thread, so it stays pending for it.
        unsafe {
            libc::syscall(
                libc::SYS_tgkill,
                libc::getpid(),
                libc::gettid(),
                libc::SIGUSR1,
            );
        }
        assert_eq!(s.take(), vec![libc::SIGUSR1]);
    }
}
