//! bpftrace's `cache_user_symbols` (`BPFTRACE_CACHE_USER_SYMBOLS`, else the config
//! block): how user addresses find their symbols.
//!
//! * `PER_PID`: each process's mappings are read once and kept, so a process that was
//!   running when the probes attached is still named after it exits. The session reads
//!   them at attach time for the `-p` process, or else for every process running a
//!   probed binary.
//! * `PER_PROGRAM`: an address is first looked up directly in the symbol table of the
//!   process's executable, or, once the process is gone, of the binary the object's
//!   uprobes name (when they all name one), which is right for programs without address
//!   randomization; otherwise as `PER_PID`.
//! * `NONE`: nothing kept; every address reads the process's mappings again.
//!
//! The default is `PER_PROGRAM` with `-c` or when the system disables address space
//! randomization (`/proc/sys/kernel/randomize_va_space` is 0), else `PER_PID`.

use crate::Error;
use std::path::PathBuf;
use tracec_meta::{Attach, Metadata};

/// A `cache_user_symbols` mode.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum UserSymCache {
    #[default]
    PerPid,
    PerProgram,
    None,
}

/// The environment variable bpftrace reads.
pub const ENV: &str = "BPFTRACE_CACHE_USER_SYMBOLS";

/// The mode for `meta` with environment variables looked up by `env`; `has_cmd` is
/// `-c`, `aslr` whether the system randomizes address spaces.
pub fn resolve(
    meta: &Metadata,
    env: impl Fn(&str) -> Option<String>,
    has_cmd: bool,
    aslr: bool,
) -> Result<UserSymCache, Error> {
    let default = if has_cmd || !aslr {
        UserSymCache::PerProgram
    } else {
        UserSymCache::PerPid
    };
    let value = env(ENV).or_else(|| {
        meta.runtime_config
            .iter()
            .rev()
            .find(|s| s.name == "cache_user_symbols")
            .map(|s| s.value.clone())
    });
    let Some(v) = value else {
        return Ok(default);
    };
    match v.trim().to_ascii_lowercase().as_str() {
        "1" => Ok(default),
        "per_pid" => Ok(UserSymCache::PerPid),
        "per_program" => Ok(UserSymCache::PerProgram),
        "none" | "0" => Ok(UserSymCache::None),
        _ => Err(Error::bpftrace(
            "Invalid value for cache_user_symbols: valid values are PER_PID, PER_PROGRAM, and NONE.",
        )),
    }
}

/// Whether the system randomizes address spaces (`randomize_va_space` not 0; an
/// unreadable file counts as enabled).
pub fn aslr_enabled() -> bool {
    std::fs::read_to_string("/proc/sys/kernel/randomize_va_space")
        .ok()
        .and_then(|s| s.trim().parse::<i64>().ok())
        .is_none_or(|v| v >= 1)
}

/// The binary the object's user probes name when they all name one (uprobes and USDT
/// probes; a bare library name through the library cache), as bpftrace takes the
/// program of a probe whose process is gone.
pub fn program_of(meta: &Metadata) -> Option<PathBuf> {
    let mut paths = meta.probes.iter().filter_map(|p| match &p.attach {
        Attach::Uprobe { path, .. } | Attach::Usdt { path, .. } => Some(path.as_str()),
        _ => None,
    });
    let first = paths.next().filter(|p| !p.is_empty() && *p != "*")?;
    if !paths.all(|p| p == first) {
        return None;
    }
    if first.contains('/') {
        Some(PathBuf::from(first))
    } else {
        tracec_meta::ldcache::library(first)
    }
}

/// The processes whose mappings `PER_PID` reads at attach time: the `-p` process, or
/// every process whose executable is one of the object's user-probe binaries.
pub fn preload_pids(meta: &Metadata, pid: Option<u32>) -> Vec<u32> {
    if let Some(p) = pid {
        return vec![p];
    }
    let binaries: Vec<PathBuf> = meta
        .probes
        .iter()
        .filter_map(|p| match &p.attach {
            Attach::Uprobe { path, .. } | Attach::Usdt { path, .. } if path.contains('/') => {
                std::fs::canonicalize(path).ok()
            }
            _ => None,
        })
        .collect();
    if binaries.is_empty() {
        return Vec::new();
    }
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    entries
        .filter_map(Result::ok)
        .filter_map(|e| e.file_name().to_str()?.parse::<u32>().ok())
        .filter(|pid| {
            std::fs::read_link(format!("/proc/{pid}/exe")).is_ok_and(|exe| binaries.contains(&exe))
        })
        .collect()
}

/// Give the session's symbolizer `mode`, and with `PER_PID` read the mappings of the
/// processes [`preload_pids`] names now (the `-p` process, else those running a probed
/// binary). Only objects with user probes or user stacks and symbols need it, but it is
/// cheap for the others: no probes, no processes.
pub fn install(meta: &Metadata, mode: UserSymCache) {
    let program = (mode == UserSymCache::PerProgram)
        .then(|| program_of(meta))
        .flatten();
    let pids = if mode == UserSymCache::PerPid {
        preload_pids(meta, crate::load_more::target_pid().map(|p| p.get()))
    } else {
        Vec::new()
    };
    crate::stacks::with_symbolizer(|s| {
        s.set_user_cache(mode, program);
        for pid in pids {
            s.preload(pid);
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use tracec_meta::{ConfigSetting, ProbeSpec};

    fn meta(config: Option<&str>, paths: &[&str]) -> Metadata {
        Metadata {
            runtime_config: config
                .map(|v| ConfigSetting {
                    name: "cache_user_symbols".into(),
                    value: v.into(),
                })
                .into_iter()
                .collect(),
            probes: paths
                .iter()
                .map(|p| ProbeSpec {
                    program: "u".into(),
                    section: "uprobe".into(),
                    name: format!("uprobe:{p}:f"),
                    attach: Attach::Uprobe {
                        path: p.to_string(),
                        symbol: "f".into(),
                        offset: 0,
                        ret: false,
                    },
                    cookie: None,
                })
                .collect(),
            ..Metadata::default()
        }
    }

    #[test]
    fn environment_then_config_then_default() {
        let none = |_: &str| None;
        let m = meta(None, &[]);
        assert_eq!(
            resolve(&m, none, false, true).unwrap(),
            UserSymCache::PerPid
        );
        assert_eq!(
            resolve(&m, none, true, true).unwrap(),
            UserSymCache::PerProgram
        );
        assert_eq!(
            resolve(&m, none, false, false).unwrap(),
            UserSymCache::PerProgram
        );
        let m = meta(Some("NONE"), &[]);
        assert_eq!(resolve(&m, none, false, true).unwrap(), UserSymCache::None);
        let env = |k: &str| (k == ENV).then(|| "per_program".to_string());
        assert_eq!(
            resolve(&m, env, false, true).unwrap(),
            UserSymCache::PerProgram
        );
        let one = |k: &str| (k == ENV).then(|| "1".to_string());
        assert_eq!(resolve(&m, one, false, true).unwrap(), UserSymCache::PerPid);
        let bad = |k: &str| (k == ENV).then(|| "ALL".to_string());
        let e = resolve(&m, bad, false, true).unwrap_err().to_string();
        assert!(
            e.contains("valid values are PER_PID, PER_PROGRAM, and NONE"),
            "{e}"
        );
    }

    #[test]
    fn the_one_program_of_the_probes() {
        assert_eq!(
            program_of(&meta(None, &["./a", "./a"])),
            Some(PathBuf::from("./a"))
        );
        assert_eq!(program_of(&meta(None, &["./a", "./b"])), None);
        assert_eq!(program_of(&meta(None, &[])), None);
        assert_eq!(preload_pids(&meta(None, &[]), Some(7)), [7]);
        // A probed binary that this process runs: found among the running processes.
        let me = std::fs::read_link("/proc/self/exe").unwrap();
        let pids = preload_pids(&meta(None, &[me.to_str().unwrap()]), None);
        assert!(pids.contains(&std::process::id()), "{pids:?}");
    }
}
