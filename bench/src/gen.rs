//! Generated scripts for the scaling checks.

use std::fmt::Write;

/// The tracepoints the generated probes cycle through (all present on any kernel
/// with syscall tracepoints).
const TRACEPOINTS: [&str; 4] = [
    "syscalls:sys_enter_getpid",
    "syscalls:sys_enter_getppid",
    "syscalls:sys_enter_gettid",
    "syscalls:sys_enter_getuid",
];

/// A script with `n` probes, each updating its own map (`n` maps in all), cycling
/// through a few kinds of body so that more than one code path is exercised.
pub fn many_probes(n: usize) -> String {
    let mut s = String::with_capacity(n * 80);
    for i in 0..n {
        let tp = TRACEPOINTS[i % TRACEPOINTS.len()];
        let body = match i % 3 {
            0 => format!("@m{i}[pid] = count();"),
            1 => format!("@m{i}[comm] = sum(pid);"),
            _ => format!("@m{i} = max(tid);"),
        };
        let _ = writeln!(s, "tracepoint:{tp} {{ {body} }}");
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_line_and_one_map_per_probe() {
        let s = many_probes(7);
        assert_eq!(s.lines().count(), 7);
        assert!(s.contains("@m0[pid] = count();"));
        assert!(s.contains("@m6[pid] = count();"));
        assert!(s
            .lines()
            .nth(5)
            .unwrap()
            .starts_with("tracepoint:syscalls:sys_enter_getppid"));
    }
}
