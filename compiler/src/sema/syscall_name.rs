//! `syscall_name(n)`: a `FmtKind::SyscallName` value (the number, checked in
//! `fmtvals.rs`) that the runtime prints as the name. The names of the compiler's
//! architecture go into the object's metadata (`Metadata::syscall_names`) only
//! when the script calls `syscall_name`; the tables are generated from the kernel
//! UAPI headers by `scripts/gen-syscall-names`.

/// "NUMBER NAME" lines, by number.
#[cfg(target_arch = "aarch64")]
const TABLE: &str = include_str!("../../data/syscalls-aarch64.txt");
#[cfg(not(target_arch = "aarch64"))]
const TABLE: &str = include_str!("../../data/syscalls-x86_64.txt");

/// bpftrace's largest system call number plus one (its table's index mask,
/// `0x3ff`): larger numbers print as unknown.
pub const MAX_SYSCALLS: usize = 0x3ff;

/// The names of `table` ("NUMBER NAME" lines) indexed by number, empty where no
/// call has the number.
pub fn parse(table: &str) -> Vec<String> {
    let mut names: Vec<String> = Vec::new();
    for line in table.lines() {
        let mut parts = line.split_whitespace();
        let (Some(nr), Some(name)) = (parts.next(), parts.next()) else {
            continue;
        };
        let Ok(nr) = nr.parse::<usize>() else {
            continue;
        };
        if nr >= MAX_SYSCALLS {
            continue;
        }
        if names.len() <= nr {
            names.resize(nr + 1, String::new());
        }
        names[nr] = name.to_string();
    }
    names
}

/// The system call names of the architecture the compiler runs on.
pub fn names() -> Vec<String> {
    parse(TABLE)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tables_are_indexed_by_number() {
        let names = parse("0 read\n1 write\n4 stat\nbad line\n5000 huge\n");
        assert_eq!(names, vec!["read", "write", "", "", "stat"]);
    }

    #[test]
    fn the_host_table_names_common_calls() {
        let names = names();
        assert!(names.len() > 200, "{}", names.len());
        #[cfg(target_arch = "x86_64")]
        {
            assert_eq!(names[0], "read");
            assert_eq!(names[59], "execve");
            assert_eq!(names[231], "exit_group");
        }
        assert!(names.iter().any(|n| n == "openat"));
        assert!(names.iter().all(|n| !n.contains(' ')));
    }
}
