//! Stable Linux ABI constants, for scripts whose `#include`d headers are absent.
//!
//! Scripts from the wild include kernel-internal headers (`<net/sock.h>`,
//! `<linux/fs.h>`, `<linux/sched.h>`) for macros such as `AF_INET`, `EPERM`,
//! `DT_REG` or `TASK_RUNNING`. bpftrace reads them from the kernel headers with
//! clang; a host without kernel headers (most CI machines, many containers) has
//! none, and the macros are not in the kernel's BTF. When a script has active
//! `#include` lines and a name is still unknown after bpftrace's own names, the
//! script's `#define`s, the headers found (`super::headers`) and the kernel's
//! enumerators, the checker looks it up here; a name that is not here keeps the
//! "unknown builtin" error.
//!
//! Where the values come from: the Linux UAPI and kernel headers, where these
//! values are part of the user-visible ABI and do not change between releases:
//! `include/linux/socket.h` (address families `AF_*`, and `PF_*` with the same
//! values), `include/uapi/asm-generic/errno-base.h` and `errno.h` (errno) and
//! `include/linux/errno.h` (kernel-internal errno above 511),
//! `include/linux/fs_types.h` / `include/uapi/linux/stat.h` (`DT_*`, `S_IF*`),
//! `include/uapi/linux/icmp.h` and `icmpv6.h` (message types),
//! `include/linux/net.h` (`SOCK_*`), `include/uapi/linux/in.h` and `in6.h`
//! (`IPPROTO_*`), `include/uapi/asm-generic/fcntl.h` with the x86 and arm64
//! overrides (`O_*`, the only group where x86_64 and aarch64 differ; the table of
//! the target architecture is used), and `include/linux/sched.h` as of Linux 6.x
//! (task states, which are kernel-internal: `TASK_TRACED` lost `TASK_WAKEKILL` in
//! 6.0). x86_64 and aarch64 share every other value.

/// Address families (`PF_X` has the value of `AF_X`).
const ADDRESS_FAMILIES: &[(&str, i64)] = &[
    ("AF_UNSPEC", 0),
    ("AF_UNIX", 1),
    ("AF_LOCAL", 1),
    ("AF_INET", 2),
    ("AF_AX25", 3),
    ("AF_IPX", 4),
    ("AF_APPLETALK", 5),
    ("AF_NETROM", 6),
    ("AF_BRIDGE", 7),
    ("AF_ATMPVC", 8),
    ("AF_X25", 9),
    ("AF_INET6", 10),
    ("AF_ROSE", 11),
    ("AF_DECnet", 12),
    ("AF_NETBEUI", 13),
    ("AF_SECURITY", 14),
    ("AF_KEY", 15),
    ("AF_NETLINK", 16),
    ("AF_ROUTE", 16),
    ("AF_PACKET", 17),
    ("AF_ASH", 18),
    ("AF_ECONET", 19),
    ("AF_ATMSVC", 20),
    ("AF_RDS", 21),
    ("AF_SNA", 22),
    ("AF_IRDA", 23),
    ("AF_PPPOX", 24),
    ("AF_WANPIPE", 25),
    ("AF_LLC", 26),
    ("AF_IB", 27),
    ("AF_MPLS", 28),
    ("AF_CAN", 29),
    ("AF_TIPC", 30),
    ("AF_BLUETOOTH", 31),
    ("AF_IUCV", 32),
    ("AF_RXRPC", 33),
    ("AF_ISDN", 34),
    ("AF_PHONET", 35),
    ("AF_IEEE802154", 36),
    ("AF_CAIF", 37),
    ("AF_ALG", 38),
    ("AF_NFC", 39),
    ("AF_VSOCK", 40),
    ("AF_KCM", 41),
    ("AF_QIPCRTR", 42),
    ("AF_SMC", 43),
    ("AF_XDP", 44),
    ("AF_MCTP", 45),
    ("AF_MAX", 46),
];

/// errno values: the user-visible ones, then the kernel-internal ones.
const ERRNO: &[(&str, i64)] = &[
    ("EPERM", 1),
    ("ENOENT", 2),
    ("ESRCH", 3),
    ("EINTR", 4),
    ("EIO", 5),
    ("ENXIO", 6),
    ("E2BIG", 7),
    ("ENOEXEC", 8),
    ("EBADF", 9),
    ("ECHILD", 10),
    ("EAGAIN", 11),
    ("EWOULDBLOCK", 11),
    ("ENOMEM", 12),
    ("EACCES", 13),
    ("EFAULT", 14),
    ("ENOTBLK", 15),
    ("EBUSY", 16),
    ("EEXIST", 17),
    ("EXDEV", 18),
    ("ENODEV", 19),
    ("ENOTDIR", 20),
    ("EISDIR", 21),
    ("EINVAL", 22),
    ("ENFILE", 23),
    ("EMFILE", 24),
    ("ENOTTY", 25),
    ("ETXTBSY", 26),
    ("EFBIG", 27),
    ("ENOSPC", 28),
    ("ESPIPE", 29),
    ("EROFS", 30),
    ("EMLINK", 31),
    ("EPIPE", 32),
    ("EDOM", 33),
    ("ERANGE", 34),
    ("EDEADLK", 35),
    ("EDEADLOCK", 35),
    ("ENAMETOOLONG", 36),
    ("ENOLCK", 37),
    ("ENOSYS", 38),
    ("ENOTEMPTY", 39),
    ("ELOOP", 40),
    ("ENOMSG", 42),
    ("EIDRM", 43),
    ("ECHRNG", 44),
    ("EL2NSYNC", 45),
    ("EL3HLT", 46),
    ("EL3RST", 47),
    ("ELNRNG", 48),
    ("EUNATCH", 49),
    ("ENOCSI", 50),
    ("EL2HLT", 51),
    ("EBADE", 52),
    ("EBADR", 53),
    ("EXFULL", 54),
    ("ENOANO", 55),
    ("EBADRQC", 56),
    ("EBADSLT", 57),
    ("EBFONT", 59),
    ("ENOSTR", 60),
    ("ENODATA", 61),
    ("ETIME", 62),
    ("ENOSR", 63),
    ("ENONET", 64),
    ("ENOPKG", 65),
    ("EREMOTE", 66),
    ("ENOLINK", 67),
    ("EADV", 68),
    ("ESRMNT", 69),
    ("ECOMM", 70),
    ("EPROTO", 71),
    ("EMULTIHOP", 72),
    ("EDOTDOT", 73),
    ("EBADMSG", 74),
    ("EOVERFLOW", 75),
    ("ENOTUNIQ", 76),
    ("EBADFD", 77),
    ("EREMCHG", 78),
    ("ELIBACC", 79),
    ("ELIBBAD", 80),
    ("ELIBSCN", 81),
    ("ELIBMAX", 82),
    ("ELIBEXEC", 83),
    ("EILSEQ", 84),
    ("ERESTART", 85),
    ("ESTRPIPE", 86),
    ("EUSERS", 87),
    ("ENOTSOCK", 88),
    ("EDESTADDRREQ", 89),
    ("EMSGSIZE", 90),
    ("EPROTOTYPE", 91),
    ("ENOPROTOOPT", 92),
    ("EPROTONOSUPPORT", 93),
    ("ESOCKTNOSUPPORT", 94),
    ("EOPNOTSUPP", 95),
    ("ENOTSUP", 95),
    ("EPFNOSUPPORT", 96),
    ("EAFNOSUPPORT", 97),
    ("EADDRINUSE", 98),
    ("EADDRNOTAVAIL", 99),
    ("ENETDOWN", 100),
    ("ENETUNREACH", 101),
    ("ENETRESET", 102),
    ("ECONNABORTED", 103),
    ("ECONNRESET", 104),
    ("ENOBUFS", 105),
    ("EISCONN", 106),
    ("ENOTCONN", 107),
    ("ESHUTDOWN", 108),
    ("ETOOMANYREFS", 109),
    ("ETIMEDOUT", 110),
    ("ECONNREFUSED", 111),
    ("EHOSTDOWN", 112),
    ("EHOSTUNREACH", 113),
    ("EALREADY", 114),
    ("EINPROGRESS", 115),
    ("ESTALE", 116),
    ("EUCLEAN", 117),
    ("ENOTNAM", 118),
    ("ENAVAIL", 119),
    ("EISNAM", 120),
    ("EREMOTEIO", 121),
    ("EDQUOT", 122),
    ("ENOMEDIUM", 123),
    ("EMEDIUMTYPE", 124),
    ("ECANCELED", 125),
    ("ENOKEY", 126),
    ("EKEYEXPIRED", 127),
    ("EKEYREVOKED", 128),
    ("EKEYREJECTED", 129),
    ("EOWNERDEAD", 130),
    ("ENOTRECOVERABLE", 131),
    ("ERFKILL", 132),
    ("EHWPOISON", 133),
    ("ERESTARTSYS", 512),
    ("ERESTARTNOINTR", 513),
    ("ERESTARTNOHAND", 514),
    ("ENOIOCTLCMD", 515),
    ("ERESTART_RESTARTBLOCK", 516),
    ("EPROBE_DEFER", 517),
    ("EOPENSTALE", 518),
    ("ENOPARAM", 519),
    ("EBADHANDLE", 521),
    ("ENOTSYNC", 522),
    ("EBADCOOKIE", 523),
    ("ENOTSUPP", 524),
    ("ETOOSMALL", 525),
    ("ESERVERFAULT", 526),
    ("EBADTYPE", 527),
    ("EJUKEBOX", 528),
    ("EIOCBQUEUED", 529),
    ("ERECALLCONFLICT", 530),
    ("ENOGRACE", 531),
];

/// Directory entry types and file mode bits.
const FILE_TYPES: &[(&str, i64)] = &[
    ("DT_UNKNOWN", 0),
    ("DT_FIFO", 1),
    ("DT_CHR", 2),
    ("DT_DIR", 4),
    ("DT_BLK", 6),
    ("DT_REG", 8),
    ("DT_LNK", 10),
    ("DT_SOCK", 12),
    ("DT_WHT", 14),
    ("S_IFMT", 0o170000),
    ("S_IFSOCK", 0o140000),
    ("S_IFLNK", 0o120000),
    ("S_IFREG", 0o100000),
    ("S_IFBLK", 0o60000),
    ("S_IFDIR", 0o40000),
    ("S_IFCHR", 0o20000),
    ("S_IFIFO", 0o10000),
    ("S_ISUID", 0o4000),
    ("S_ISGID", 0o2000),
    ("S_ISVTX", 0o1000),
];

/// Task states (`task_struct.__state`) and exit states, as of Linux 6.x.
const TASK_STATES: &[(&str, i64)] = &[
    ("TASK_RUNNING", 0x0),
    ("TASK_INTERRUPTIBLE", 0x1),
    ("TASK_UNINTERRUPTIBLE", 0x2),
    ("__TASK_STOPPED", 0x4),
    ("__TASK_TRACED", 0x8),
    ("EXIT_DEAD", 0x10),
    ("EXIT_ZOMBIE", 0x20),
    ("EXIT_TRACE", 0x30),
    ("TASK_PARKED", 0x40),
    ("TASK_DEAD", 0x80),
    ("TASK_WAKEKILL", 0x100),
    ("TASK_WAKING", 0x200),
    ("TASK_NOLOAD", 0x400),
    ("TASK_NEW", 0x800),
    ("TASK_RTLOCK_WAIT", 0x1000),
    ("TASK_FREEZABLE", 0x2000),
    ("TASK_FROZEN", 0x8000),
    ("TASK_STATE_MAX", 0x10000),
    ("TASK_KILLABLE", 0x102),
    ("TASK_STOPPED", 0x104),
    ("TASK_TRACED", 0x8),
    ("TASK_IDLE", 0x402),
    ("TASK_NORMAL", 0x3),
];

/// ICMP and ICMPv6 message types.
const ICMP_TYPES: &[(&str, i64)] = &[
    ("ICMP_ECHOREPLY", 0),
    ("ICMP_DEST_UNREACH", 3),
    ("ICMP_SOURCE_QUENCH", 4),
    ("ICMP_REDIRECT", 5),
    ("ICMP_ECHO", 8),
    ("ICMP_TIME_EXCEEDED", 11),
    ("ICMP_PARAMETERPROB", 12),
    ("ICMP_TIMESTAMP", 13),
    ("ICMP_TIMESTAMPREPLY", 14),
    ("ICMP_INFO_REQUEST", 15),
    ("ICMP_INFO_REPLY", 16),
    ("ICMP_ADDRESS", 17),
    ("ICMP_ADDRESSREPLY", 18),
    ("ICMP_EXT_ECHO", 42),
    ("ICMP_EXT_ECHOREPLY", 43),
    ("ICMPV6_DEST_UNREACH", 1),
    ("ICMPV6_PKT_TOOBIG", 2),
    ("ICMPV6_TIME_EXCEED", 3),
    ("ICMPV6_PARAMPROB", 4),
    ("ICMPV6_ECHO_REQUEST", 128),
    ("ICMPV6_ECHO_REPLY", 129),
    ("ICMPV6_MGM_QUERY", 130),
    ("ICMPV6_MGM_REPORT", 131),
    ("ICMPV6_MGM_REDUCTION", 132),
    ("ICMPV6_NI_QUERY", 139),
    ("ICMPV6_NI_REPLY", 140),
    ("ICMPV6_MLD2_REPORT", 143),
    ("ICMPV6_DHAAD_REQUEST", 144),
    ("ICMPV6_DHAAD_REPLY", 145),
    ("ICMPV6_MOBILE_PREFIX_SOL", 146),
    ("ICMPV6_MOBILE_PREFIX_ADV", 147),
    ("ICMPV6_MRDISC_ADV", 151),
    ("ICMPV6_MRDISC_SOL", 152),
    ("ICMPV6_EXT_ECHO_REQUEST", 160),
    ("ICMPV6_EXT_ECHO_REPLY", 161),
];

/// Socket types and IP protocol numbers.
const SOCKETS: &[(&str, i64)] = &[
    ("SOCK_STREAM", 1),
    ("SOCK_DGRAM", 2),
    ("SOCK_RAW", 3),
    ("SOCK_RDM", 4),
    ("SOCK_SEQPACKET", 5),
    ("SOCK_DCCP", 6),
    ("SOCK_PACKET", 10),
    ("SOCK_NONBLOCK", 0o4000),
    ("SOCK_CLOEXEC", 0o2000000),
    ("IPPROTO_IP", 0),
    ("IPPROTO_HOPOPTS", 0),
    ("IPPROTO_ICMP", 1),
    ("IPPROTO_IGMP", 2),
    ("IPPROTO_IPIP", 4),
    ("IPPROTO_TCP", 6),
    ("IPPROTO_EGP", 8),
    ("IPPROTO_PUP", 12),
    ("IPPROTO_UDP", 17),
    ("IPPROTO_IDP", 22),
    ("IPPROTO_TP", 29),
    ("IPPROTO_DCCP", 33),
    ("IPPROTO_IPV6", 41),
    ("IPPROTO_ROUTING", 43),
    ("IPPROTO_FRAGMENT", 44),
    ("IPPROTO_RSVP", 46),
    ("IPPROTO_GRE", 47),
    ("IPPROTO_ESP", 50),
    ("IPPROTO_AH", 51),
    ("IPPROTO_ICMPV6", 58),
    ("IPPROTO_NONE", 59),
    ("IPPROTO_DSTOPTS", 60),
    ("IPPROTO_MTP", 92),
    ("IPPROTO_BEETPH", 94),
    ("IPPROTO_ENCAP", 98),
    ("IPPROTO_PIM", 103),
    ("IPPROTO_COMP", 108),
    ("IPPROTO_L2TP", 115),
    ("IPPROTO_SCTP", 132),
    ("IPPROTO_MH", 135),
    ("IPPROTO_UDPLITE", 136),
    ("IPPROTO_MPLS", 137),
    ("IPPROTO_ETHERNET", 143),
    ("IPPROTO_RAW", 255),
    ("IPPROTO_SMC", 256),
    ("IPPROTO_MPTCP", 262),
];

/// `open(2)` flags shared by x86_64 and aarch64.
const OPEN_FLAGS: &[(&str, i64)] = &[
    ("O_ACCMODE", 0o3),
    ("O_RDONLY", 0o0),
    ("O_WRONLY", 0o1),
    ("O_RDWR", 0o2),
    ("O_CREAT", 0o100),
    ("O_EXCL", 0o200),
    ("O_NOCTTY", 0o400),
    ("O_TRUNC", 0o1000),
    ("O_APPEND", 0o2000),
    ("O_NONBLOCK", 0o4000),
    ("O_NDELAY", 0o4000),
    ("O_DSYNC", 0o10000),
    ("FASYNC", 0o20000),
    ("O_NOATIME", 0o1000000),
    ("O_CLOEXEC", 0o2000000),
    ("__O_SYNC", 0o4000000),
    ("O_SYNC", 0o4010000),
    ("O_PATH", 0o10000000),
    ("__O_TMPFILE", 0o20000000),
];

/// `open(2)` flags of x86_64 (asm-generic).
const OPEN_FLAGS_X86_64: &[(&str, i64)] = &[
    ("O_DIRECT", 0o40000),
    ("O_LARGEFILE", 0o100000),
    ("O_DIRECTORY", 0o200000),
    ("O_NOFOLLOW", 0o400000),
    ("O_TMPFILE", 0o20200000),
];

/// `open(2)` flags of aarch64 (arch/arm64/include/uapi/asm/fcntl.h).
const OPEN_FLAGS_AARCH64: &[(&str, i64)] = &[
    ("O_DIRECTORY", 0o40000),
    ("O_NOFOLLOW", 0o100000),
    ("O_DIRECT", 0o200000),
    ("O_LARGEFILE", 0o400000),
    ("O_TMPFILE", 0o20040000),
];

/// Which architecture's values to use where they differ.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Arch {
    X86_64,
    Aarch64,
}

impl Arch {
    /// The architecture tracec targets (the one it is built for).
    pub const fn target() -> Arch {
        if cfg!(target_arch = "aarch64") {
            Arch::Aarch64
        } else {
            Arch::X86_64
        }
    }
}

/// The value of the Linux ABI constant `name` on `arch`, if the table has it.
pub fn lookup_for(name: &str, arch: Arch) -> Option<i64> {
    let name = match name.strip_prefix("PF_") {
        Some(rest) => format!("AF_{rest}"),
        None => name.to_string(),
    };
    tables(arch)
        .iter()
        .flat_map(|t| t.iter())
        .find(|(n, _)| *n == name)
        .map(|&(_, v)| v)
}

/// Every table that applies to `arch`.
fn tables(arch: Arch) -> [&'static [(&'static str, i64)]; 8] {
    let arch_flags = match arch {
        Arch::X86_64 => OPEN_FLAGS_X86_64,
        Arch::Aarch64 => OPEN_FLAGS_AARCH64,
    };
    [
        ADDRESS_FAMILIES,
        ERRNO,
        FILE_TYPES,
        TASK_STATES,
        ICMP_TYPES,
        SOCKETS,
        OPEN_FLAGS,
        arch_flags,
    ]
}

/// [`lookup_for`] the target architecture.
pub fn lookup(name: &str) -> Option<i64> {
    lookup_for(name, Arch::target())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn common_constants() {
        assert_eq!(lookup("AF_INET"), Some(2));
        assert_eq!(lookup("AF_INET6"), Some(10));
        assert_eq!(lookup("PF_INET6"), Some(10));
        assert_eq!(lookup("AF_UNSPEC"), Some(0));
        assert_eq!(lookup("EPERM"), Some(1));
        assert_eq!(lookup("EACCES"), Some(13));
        assert_eq!(lookup("ENOTSUPP"), Some(524));
        assert_eq!(lookup("DT_REG"), Some(8));
        assert_eq!(lookup("DT_FIFO"), Some(1));
        assert_eq!(lookup("TASK_RUNNING"), Some(0));
        assert_eq!(lookup("ICMPV6_ECHO_REQUEST"), Some(128));
        assert_eq!(lookup("ICMP_ECHO"), Some(8));
        assert_eq!(lookup("SOCK_STREAM"), Some(1));
        assert_eq!(lookup("IPPROTO_TCP"), Some(6));
        assert_eq!(lookup("O_CREAT"), Some(0o100));
    }

    #[test]
    fn unknown_names_are_not_invented() {
        assert_eq!(lookup("AF_NOPE"), None);
        assert_eq!(lookup("PF_"), None);
        assert_eq!(lookup("af_inet"), None);
        assert_eq!(lookup("TCP_ESTABLISHED"), None);
    }

    #[test]
    fn open_flags_follow_the_architecture() {
        assert_eq!(lookup_for("O_DIRECTORY", Arch::X86_64), Some(0o200000));
        assert_eq!(lookup_for("O_DIRECTORY", Arch::Aarch64), Some(0o40000));
        assert_eq!(lookup_for("O_TMPFILE", Arch::X86_64), Some(0o20200000));
        assert_eq!(lookup_for("O_TMPFILE", Arch::Aarch64), Some(0o20040000));
        assert_eq!(lookup_for("O_RDWR", Arch::Aarch64), Some(2));
    }

    #[test]
    fn each_name_once_per_architecture() {
        for arch in [Arch::X86_64, Arch::Aarch64] {
            let mut names: Vec<&str> = tables(arch)
                .iter()
                .flat_map(|t| t.iter().map(|(n, _)| *n))
                .collect();
            let n = names.len();
            names.sort_unstable();
            names.dedup();
            assert_eq!(names.len(), n, "a name is listed twice");
        }
    }
}
