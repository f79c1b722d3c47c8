//! Builtin variables: the one place to add one (plus its lowering in `lower::builtins`).

use super::types::{Builtin, Type, COMM_SIZE};

/// The builtin called `name` and its type, if there is one.
pub fn lookup(name: &str) -> Option<(Builtin, Type)> {
    Some(match name {
        "pid" => (Builtin::Pid, Type::U64),
        "tid" => (Builtin::Tid, Type::U64),
        "uid" => (Builtin::Uid, Type::U64),
        "gid" => (Builtin::Gid, Type::U64),
        "nsecs" => (Builtin::Nsecs, Type::U64),
        "elapsed" => (Builtin::Elapsed, Type::U64),
        "cpu" => (Builtin::Cpu, Type::U64),
        "comm" => (Builtin::Comm, Type::Str { size: COMM_SIZE }),
        _ => return None,
    })
}

/// Builtins that are handled specially by the checker (`args`, `probe`).
pub const SPECIAL: &[&str] = &["args", "probe", "curtask"];

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
    }
}
