//! Attach point names as bpftrace prints them (`probe`, `@[probe]`, `-l`, JSON).
//!
//! bpftrace does not print an attach point as written: it parses it into provider,
//! target, function, offset, address, rate or count and prints those fields again.
//! Providers lose their short names (`k:` is `kprobe:`, `BEGIN` is `begin`), numbers
//! are printed in decimal (`interval:ms:0x10` is `interval:ms:16`, `kprobe:f+0x10`
//! is `kprobe:f+16`, `software:faults:1e3` is `software:faults:1000`), a zero offset
//! or count disappears, and a rate written as one duration is in microseconds
//! (`interval:100ms` is `interval:us:100000`).
//!
//! [`normalize`] applies those rules to a name whose parts are already the ones
//! the probe attaches to (the compiler resolves paths, modules and wildcards; the
//! runtime calls it again after substituting positional parameters). A part it
//! cannot read as bpftrace would (a parameter not yet substituted, a function that
//! merely contains `+`) is kept as it is.

use crate::attach_template::{duration_ns, parse_count};

/// The full provider name of `word` (`k` is `kprobe`, `BEGIN` is `begin`), or
/// `None` when it is no provider this module knows.
pub fn provider_name(word: &str) -> Option<&'static str> {
    const PROVIDERS: [(&str, &[&str]); 20] = [
        ("kprobe", &["k"]),
        ("kretprobe", &["kr"]),
        ("uprobe", &["u"]),
        ("uretprobe", &["ur"]),
        ("usdt", &["U"]),
        ("begin", &[]),
        ("end", &[]),
        ("self", &[]),
        ("test", &[]),
        ("bench", &[]),
        ("tracepoint", &["t"]),
        ("profile", &["p"]),
        ("interval", &["i"]),
        ("software", &["s"]),
        ("hardware", &["h"]),
        ("watchpoint", &["w"]),
        ("asyncwatchpoint", &["aw"]),
        ("fentry", &["f", "kfunc"]),
        ("fexit", &["fr", "kretfunc"]),
        ("iter", &["it"]),
    ];
    if word.eq_ignore_ascii_case("rawtracepoint") || word == "rt" {
        return Some("rawtracepoint");
    }
    PROVIDERS.iter().find_map(|&(name, aliases)| {
        (name.eq_ignore_ascii_case(word) || aliases.contains(&word)).then_some(name)
    })
}

/// `name` as bpftrace prints it (see the module documentation). Names holding an
/// unsubstituted positional parameter (`$1`) are returned unchanged.
pub fn normalize(name: &str) -> String {
    if name.contains('$') {
        return name.to_string();
    }
    let (first, rest) = match name.split_once(':') {
        Some((f, r)) => (f, Some(r)),
        None => (name, None),
    };
    let Some(provider) = provider_name(first) else {
        return name.to_string();
    };
    let Some(rest) = rest else {
        return provider.to_string();
    };
    let rest = match provider {
        "interval" | "profile" => rate(rest),
        "software" | "hardware" => count(rest),
        "kprobe" | "kretprobe" | "uprobe" | "uretprobe" => location(rest),
        "watchpoint" | "asyncwatchpoint" => watchpoint(rest),
        "iter" => iter(rest),
        _ => None,
    };
    match rest {
        Some(r) if r.is_empty() => provider.to_string(),
        Some(r) => format!("{provider}:{r}"),
        None => format!("{provider}:{}", &name[first.len() + 1..]),
    }
}

/// `UNIT:COUNT` with the count in decimal, or `N[SUFFIX]` as `us:MICROSECONDS`.
fn rate(rest: &str) -> Option<String> {
    match rest.split_once(':') {
        Some((unit, n)) if !n.contains(':') => Some(format!("{unit}:{}", parse_count(n).ok()?)),
        Some(_) => None,
        None => {
            let ns = duration_ns(rest)?;
            // bpftrace refuses less than a microsecond; keep such a name as written.
            (ns >= 1_000).then(|| format!("us:{}", ns / 1_000))
        }
    }
}

/// `EVENT[:COUNT]` with the count in decimal, dropped when 0.
fn count(rest: &str) -> Option<String> {
    let (event, n) = rest.split_once(':')?;
    if n.contains(':') || n == "*" {
        return None;
    }
    match parse_count(n).ok()? {
        0 => Some(event.to_string()),
        n => Some(format!("{event}:{n}")),
    }
}

/// `[TARGET:]FUNCTION[+OFFSET]` or `[TARGET:]ADDRESS` with the numbers in decimal
/// (an offset of 0 dropped).
fn location(rest: &str) -> Option<String> {
    let (target, last) = match rest.rsplit_once(':') {
        Some((t, l)) => (Some(t), l),
        None => (None, rest),
    };
    let last = match last.split_once('+') {
        Some((func, off)) if !func.is_empty() && !off.contains('+') => {
            match parse_count(off).ok()? {
                0 => func.to_string(),
                off => format!("{func}+{off}"),
            }
        }
        Some(_) => return None,
        None if last.starts_with(|c: char| c.is_ascii_digit()) => {
            parse_count(last).ok()?.to_string()
        }
        None => return None,
    };
    Some(match target {
        Some(t) => format!("{t}:{last}"),
        None => last,
    })
}

/// `ADDRESS:LENGTH:MODE` with the address and length in decimal.
fn watchpoint(rest: &str) -> Option<String> {
    let mut parts = rest.rsplitn(3, ':');
    let mode = parts.next()?;
    let len = parse_count(parts.next()?).ok()?;
    let addr = parse_count(parts.next()?).ok()?;
    Some(format!("{addr}:{len}:{mode}"))
}

/// `TARGET[:PIN]`: the pin file is not part of the name.
fn iter(rest: &str) -> Option<String> {
    Some(rest.split_once(':').map_or(rest, |(t, _)| t).to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalizes_like_bpftrace() {
        let table = [
            ("BEGIN", "begin"),
            ("begin", "begin"),
            ("END", "end"),
            (
                "t:syscalls:sys_enter_openat",
                "tracepoint:syscalls:sys_enter_openat",
            ),
            (
                "tracepoint:sched:sched_switch",
                "tracepoint:sched:sched_switch",
            ),
            ("i:ms:100", "interval:ms:100"),
            ("interval:100ms", "interval:us:100000"),
            ("interval:1s", "interval:us:1000000"),
            ("interval:1000000", "interval:us:1000"),
            ("interval:ms:0x10", "interval:ms:16"),
            ("interval:s:1e1", "interval:s:10"),
            ("interval:us:1_000", "interval:us:1000"),
            ("interval:hz:99", "interval:hz:99"),
            ("p:hz:99", "profile:hz:99"),
            ("profile:1us", "profile:us:1"),
            ("profile:hz:1e2", "profile:hz:100"),
            ("k:vfs_read", "kprobe:vfs_read"),
            ("kprobe:vfs_read+0x10", "kprobe:vfs_read+16"),
            ("kprobe:vfs_read+0", "kprobe:vfs_read"),
            ("kprobe:vmlinux:vfs_read+0x8", "kprobe:vmlinux:vfs_read+8"),
            ("kprobe:0xffffffff81000000", "kprobe:18446744071578845184"),
            ("kr:vfs_read", "kretprobe:vfs_read"),
            ("s:faults:100", "software:faults:100"),
            ("software:faults:1e3", "software:faults:1000"),
            ("software:page-faults", "software:page-faults"),
            ("software:cpu:100000", "software:cpu:100000"),
            ("software:cpu-clock:0", "software:cpu-clock"),
            ("h:cache-misses:0x10", "hardware:cache-misses:16"),
            ("u:/bin/bash:readline", "uprobe:/bin/bash:readline"),
            ("uprobe:./prog:f+0x4", "uprobe:./prog:f+4"),
            ("uprobe:./prog:0x1000", "uprobe:./prog:4096"),
            ("uprobe:./prog:cpp:ns::f", "uprobe:./prog:cpp:ns::f"),
            ("uprobe:./prog:operator+", "uprobe:./prog:operator+"),
            ("ur:./prog:f", "uretprobe:./prog:f"),
            ("U:./prog:p:n", "usdt:./prog:p:n"),
            ("w:0x10000000:8:w", "watchpoint:268435456:8:w"),
            ("watchpoint:0x10:1:rw", "watchpoint:16:1:rw"),
            ("rt:sched_switch", "rawtracepoint:sched_switch"),
            ("f:vmlinux:vfs_read", "fentry:vmlinux:vfs_read"),
            ("kfunc:vfs_read", "fentry:vfs_read"),
            ("kretfunc:vfs_read", "fexit:vfs_read"),
            ("it:task", "iter:task"),
            ("iter:task:/sys/fs/bpf/pin", "iter:task"),
            ("self:signal:SIGUSR1", "self:signal:SIGUSR1"),
            ("test:name", "test:name"),
            ("interval:ms:$1", "interval:ms:$1"),
            ("nonsense:x", "nonsense:x"),
        ];
        for (written, printed) in table {
            assert_eq!(normalize(written), printed, "{written}");
        }
    }

    #[test]
    fn keeps_what_it_cannot_read() {
        // Not numbers: kept as written rather than guessed at.
        assert_eq!(normalize("interval:ms:abc"), "interval:ms:abc");
        assert_eq!(normalize("interval:500ns"), "interval:500ns");
        assert_eq!(normalize("kprobe:f+x"), "kprobe:f+x");
        assert_eq!(normalize("kprobe:f+1+2"), "kprobe:f+1+2");
        assert_eq!(normalize("watchpoint:x:8:w"), "watchpoint:x:8:w");
        // Idempotent.
        for n in ["interval:us:100000", "kprobe:f+16", "watchpoint:16:1:rw"] {
            assert_eq!(normalize(&normalize(n)), normalize(n));
        }
    }
}
