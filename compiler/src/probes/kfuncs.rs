//! The kernel's traceable functions, for kprobe wildcards: tracefs's
//! `available_filter_functions`, else the text symbols of `/proc/kallsyms` (120k lines,
//! 5 MB). The file is read through one buffer, line by line without allocating per
//! line, and only `(module, name)` of text symbols are kept, packed into one string.
//! Read once per process: a script with several wildcard attach points (`vfsstat.bt`
//! has five) would otherwise read it once for each. Functions of modules loaded later
//! are not seen by the same process.

use std::io::{BufRead, BufReader, Read};
use std::sync::OnceLock;

/// What ftrace lists in place of a function it could not resolve
/// (`__ftrace_invalid_address___123`).
const FTRACE_INVALID: &str = "__ftrace_invalid_address__";

/// Traceable functions, packed: one line per function, `name` or `name\tmodule`.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct KernelFunctions {
    packed: String,
}

impl KernelFunctions {
    /// Every function as `(module, name)`, in the order the kernel listed them.
    pub fn iter(&self) -> impl Iterator<Item = (Option<&str>, &str)> + '_ {
        let mut rest = self.packed.as_str();
        std::iter::from_fn(move || {
            let bytes = rest.as_bytes();
            let end = memchr::memchr2(b'\t', b'\n', bytes)?;
            let name = &rest[..end];
            if bytes[end] == b'\n' {
                rest = &rest[end + 1..];
                return Some((None, name));
            }
            let line_end = memchr::memchr(b'\n', &bytes[end..]).map_or(bytes.len(), |e| end + e);
            let module = &rest[end + 1..line_end];
            rest = rest.get(line_end + 1..).unwrap_or("");
            Some((Some(module), name))
        })
    }

    /// Parse `available_filter_functions` (`name [module]` per line) when `kallsyms`
    /// is false, else `/proc/kallsyms` (`address kind name [module]`, keeping kinds
    /// `t` and `T`).
    pub fn parse(input: impl Read, kallsyms: bool) -> std::io::Result<KernelFunctions> {
        let mut reader = BufReader::with_capacity(1 << 16, input);
        let mut line = Vec::with_capacity(256);
        let mut packed = String::new();
        loop {
            line.clear();
            if reader.read_until(b'\n', &mut line)? == 0 {
                break;
            }
            // Names are ASCII in practice; a line that is not UTF-8 is skipped.
            let Ok(text) = std::str::from_utf8(&line) else {
                continue;
            };
            let mut words = text.split_ascii_whitespace();
            if kallsyms {
                let (Some(_), Some(kind)) = (words.next(), words.next()) else {
                    continue;
                };
                if kind != "t" && kind != "T" {
                    continue;
                }
            }
            let Some(name) = words.next() else {
                continue;
            };
            let module = words
                .next()
                .and_then(|m| m.strip_prefix('[')?.strip_suffix(']'));
            // Not functions kprobes can trace: in kallsyms, ftrace's padding before each
            // function (`__pfx_`, `__cfi_`) and the loaded BPF programs (module `[bpf]`);
            // in ftrace's list, its placeholders for functions it could not resolve.
            let untraceable = excluded(name)
                || if kallsyms {
                    name.starts_with("__pfx_")
                        || name.starts_with("__cfi_")
                        || module == Some("bpf")
                } else {
                    name.starts_with(FTRACE_INVALID)
                };
            if untraceable {
                continue;
            }
            packed.push_str(name);
            if let Some(m) = module {
                packed.push('\t');
                packed.push_str(m);
            }
            packed.push('\n');
        }
        packed.shrink_to_fit();
        Ok(KernelFunctions { packed })
    }
}

/// Functions bpftrace never probes although the kernel lists them (probing them
/// causes suspicious RCU usage reports, or recursion): the idle loop, the XDP
/// dispatcher, and every `rcu_*` function.
pub fn excluded(name: &str) -> bool {
    matches!(
        name,
        "arch_cpu_idle" | "default_idle" | "bpf_dispatcher_xdp_func"
    ) || name.starts_with("rcu_")
}

/// [`read`], once per process.
pub fn cached() -> Result<&'static KernelFunctions, String> {
    static LIST: OnceLock<Result<KernelFunctions, String>> = OnceLock::new();
    LIST.get_or_init(read).as_ref().map_err(Clone::clone)
}

/// Traceable kernel functions: `available_filter_functions` in tracefs, else the
/// text symbols of `/proc/kallsyms`.
fn read() -> Result<KernelFunctions, String> {
    for p in [
        "/sys/kernel/tracing/available_filter_functions",
        "/sys/kernel/debug/tracing/available_filter_functions",
    ] {
        if let Ok(f) = std::fs::File::open(p) {
            if let Ok(list) = KernelFunctions::parse(f, false) {
                return Ok(list);
            }
        }
    }
    let f = std::fs::File::open("/proc/kallsyms")
        .map_err(|e| format!("cannot read /proc/kallsyms: {e}"))?;
    KernelFunctions::parse(f, true).map_err(|e| format!("cannot read /proc/kallsyms: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_text_symbols_of_kallsyms() {
        let text = "ffffffff81000000 T _stext\n\
                    ffffffff81000010 t vfs_read\n\
                    ffffffff81000020 D some_data\n\
                    ffffffff81000030 t xfs_file_read\t[xfs]\n\
                    ffffffff81000034 t __pfx_vfs_write\n\
                    ffffffff81000038 t __cfi_vfs_write\n\
                    ffffffffa0000000 t bpf_prog_6deef7357e7b4530_sys_enter\t[bpf]\n\
                    garbage\n\
                    ffffffff81000040 T\n\
                    \n\
                    ffffffff81000050 T last_no_newline";
        let list = KernelFunctions::parse(text.as_bytes(), true).unwrap();
        let all: Vec<_> = list.iter().collect();
        assert_eq!(
            all,
            [
                (None, "_stext"),
                (None, "vfs_read"),
                (Some("xfs"), "xfs_file_read"),
                (None, "last_no_newline"),
            ]
        );
    }

    #[test]
    fn functions_bpftrace_never_probes_are_left_out() {
        let text = "rcu_note_context_switch\nvfs_read\ndefault_idle\narch_cpu_idle\n\
                    bpf_dispatcher_xdp_func\nsrcu_read_lock\n";
        let list = KernelFunctions::parse(text.as_bytes(), false).unwrap();
        let all: Vec<_> = list.iter().map(|(_, f)| f).collect();
        assert_eq!(all, ["vfs_read", "srcu_read_lock"]);
    }

    #[test]
    fn reads_ftrace_function_lists() {
        let text =
            "vfs_read\n__ftrace_invalid_address___123\nxfs_file_read [xfs]\n\nbad_module [x\n";
        let list = KernelFunctions::parse(text.as_bytes(), false).unwrap();
        let all: Vec<_> = list.iter().collect();
        assert_eq!(
            all,
            [
                (None, "vfs_read"),
                (Some("xfs"), "xfs_file_read"),
                (None, "bad_module"),
            ]
        );
    }

    #[test]
    fn lines_longer_than_the_buffer_and_invalid_utf8() {
        let long = "f".repeat(100_000);
        let mut text = format!("ffffffff81000000 T {long}\n").into_bytes();
        text.extend_from_slice(b"ffffffff81000000 T bad\xff\nffffffff81000000 T ok\n");
        let list = KernelFunctions::parse(&text[..], true).unwrap();
        let names: Vec<_> = list.iter().map(|(_, n)| n.len()).collect();
        assert_eq!(names, [100_000, 2]);
    }

    #[test]
    fn the_running_kernel_lists_functions() {
        let Ok(list) = cached() else {
            eprintln!("skipping: no function list readable");
            return;
        };
        assert!(list.iter().any(|(m, f)| m.is_none() && f == "vfs_read"));
    }
}
