//! The runtime's pid namespace, as `pid(curr_ns)` / `tid(curr_ns)` look it up with
//! `bpf_get_ns_current_pid_tgid`: the device and inode of `/proc/self/ns/pid`.

use std::os::unix::fs::MetadataExt;

/// A device number as `stat` reports it, in the kernel's internal `dev_t` encoding
/// (major in the high 12 bits of 32, minor in the low 20), which the helper compares.
pub fn kernel_dev(dev: u64) -> u64 {
    let major = libc::major(dev) as u64;
    let minor = libc::minor(dev) as u64;
    (major << 20) | (minor & 0xf_ffff)
}

/// `(dev, ino)` of the runtime's pid namespace; `(0, 0)` when `/proc` cannot tell
/// (then `pid(curr_ns)` reads 0).
pub fn current() -> (u64, u64) {
    match std::fs::metadata("/proc/self/ns/pid") {
        Ok(m) => (kernel_dev(m.dev()), m.ino()),
        Err(_) => (0, 0),
    }
}

/// The inode of the initial pid namespace (the kernel's `PROC_PID_INIT_INO`).
pub const INIT_PIDNS_INO: u64 = 0xEFFF_FFFC;

/// Whether the namespace with inode `ino` (from [`current`]) is not the initial one,
/// so that plain `pid`/`tid` must be looked up there. Unknown (`0`): the initial one.
pub fn is_child(ino: u64) -> bool {
    ino != 0 && ino != INIT_PIDNS_INO
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn devices_are_reencoded_for_the_kernel() {
        // major 0, minor 4 (nsfs): the same in both encodings.
        assert_eq!(kernel_dev(libc::makedev(0, 4)), 4);
        assert_eq!(kernel_dev(libc::makedev(8, 1)), (8 << 20) | 1);
        assert_eq!(kernel_dev(libc::makedev(1, 300)), (1 << 20) | 300);
    }

    #[test]
    fn only_other_namespaces_are_children() {
        assert!(!is_child(INIT_PIDNS_INO));
        assert!(!is_child(0));
        assert!(is_child(0xF000_0123));
    }

    #[test]
    fn the_namespace_of_this_process_is_known() {
        let (dev, ino) = current();
        assert_ne!(ino, 0);
        let m = std::fs::metadata("/proc/self/ns/pid").unwrap();
        assert_eq!(ino, m.ino());
        assert_eq!(dev, kernel_dev(m.dev()));
    }
}
