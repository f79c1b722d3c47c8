//! Builtin variables: the one place to add one (plus its lowering in `lower::builtins`).

use super::types::{Builtin, Type, COMM_SIZE};

/// The builtin called `name` and its type, if there is one. `__builtin_pid` is
/// another spelling of `pid` (bpftrace's reserved names).
pub fn lookup(name: &str) -> Option<(Builtin, Type)> {
    let name = name.strip_prefix("__builtin_").unwrap_or(name);
    Some(match name {
        "pid" => (Builtin::Pid, Type::U64),
        "tid" => (Builtin::Tid, Type::U64),
        "uid" => (Builtin::Uid, Type::U64),
        "gid" => (Builtin::Gid, Type::U64),
        // The reference: "Defaults to `boot` if no clock is explicitly requested".
        "nsecs" => (Builtin::NsecsBoot, Type::U64),
        "jiffies" => (Builtin::Jiffies, Type::U64),
        "rand" => (Builtin::Rand, Type::U64),
        "cgroup" => (Builtin::Cgroup, Type::U64),
        "numaid" => (Builtin::NumaId, Type::U64),
        "ncpus" => (Builtin::Ncpus, Type::U64),
        "cpid" => (Builtin::Cpid, Type::U64),
        "has_cpid" => (Builtin::HasCpid, Type::Bool),
        "elapsed" => (Builtin::Elapsed, Type::U64),
        "cpu" => (Builtin::Cpu, Type::U64),
        "comm" => (Builtin::Comm, Type::Str { size: COMM_SIZE }),
        _ => return None,
    })
}

/// Builtins that are handled specially by the checker (`args`, `probe`).
pub const SPECIAL: &[&str] = &["args", "probe", "curtask", "ppid"];

/// `nsecs(clock)`: the builtin reading `clock` (an identifier: `monotonic`, `boot`,
/// `tai`, `sw_tai`).
pub fn nsecs_clock(clock: &str) -> Option<Builtin> {
    Some(match clock {
        "monotonic" => Builtin::Nsecs,
        "boot" => Builtin::NsecsBoot,
        // No vDSO sandwich in BPF: the kernel's TAI clock is what it approximates.
        "tai" | "sw_tai" => Builtin::NsecsTai,
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn types() {
        assert_eq!(lookup("pid"), Some((Builtin::Pid, Type::U64)));
        assert_eq!(
            lookup("comm"),
            Some((Builtin::Comm, Type::Str { size: 16 }))
        );
        assert_eq!(lookup("elapsed").map(|b| b.1), Some(Type::U64));
        assert_eq!(lookup("nosuch"), None);
        assert_eq!(lookup("__builtin_pid").map(|b| b.0), Some(Builtin::Pid));
        assert_eq!(lookup("nsecs").map(|b| b.0), Some(Builtin::NsecsBoot));
        assert_eq!(lookup("ncpus").map(|b| b.0), Some(Builtin::Ncpus));
        assert_eq!(nsecs_clock("monotonic"), Some(Builtin::Nsecs));
        assert_eq!(nsecs_clock("sw_tai"), Some(Builtin::NsecsTai));
        assert_eq!(nsecs_clock("utc"), None);
    }
}
