//! bpftrace's run-time config variables: `BPFTRACE_<NAME>` in tracerun's environment,
//! else the script's config block (`Metadata::runtime_config`), else bpftrace's
//! default. The environment takes precedence, as in bpftrace; the compile-time
//! variables are `tracec`'s (its environment and the config block).

use crate::Error;
use tracec_meta::Metadata;

/// `max_cat_bytes`: the most bytes `cat()` prints of a file.
pub const DEFAULT_MAX_CAT_BYTES: u64 = 10240;
/// `log_size`: the bytes of verifier log kept when the kernel rejects a program.
pub const DEFAULT_LOG_SIZE: u64 = 1_000_000;

/// The run-time settings of one session.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Settings {
    pub max_cat_bytes: u64,
    pub log_size: u64,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            max_cat_bytes: DEFAULT_MAX_CAT_BYTES,
            log_size: DEFAULT_LOG_SIZE,
        }
    }
}

impl Settings {
    /// The settings for `meta` in this process's environment.
    pub fn from_env(meta: &Metadata) -> Result<Settings, Error> {
        Settings::resolve(meta, |k| std::env::var(k).ok())
    }

    /// The settings for `meta`, with environment variables looked up by `env`.
    pub fn resolve(
        meta: &Metadata,
        env: impl Fn(&str) -> Option<String>,
    ) -> Result<Settings, Error> {
        let get = |name: &str, default: u64| -> Result<u64, Error> {
            let var = format!("BPFTRACE_{}", name.to_ascii_uppercase());
            if let Some(v) = env(&var) {
                return positive(&v).ok_or_else(|| {
                    Error::new(format!(
                        "Env var '{var}' did not contain a valid uint64_t, or was zero-valued."
                    ))
                });
            }
            match meta.runtime_config.iter().rev().find(|s| s.name == name) {
                Some(s) => positive(&s.value).ok_or_else(|| {
                    Error::new(format!(
                        "config {name} = {}: expects a positive integer",
                        s.value
                    ))
                }),
                None => Ok(default),
            }
        };
        Ok(Settings {
            max_cat_bytes: get("max_cat_bytes", DEFAULT_MAX_CAT_BYTES)?,
            log_size: get("log_size", DEFAULT_LOG_SIZE)?,
        })
    }
}

/// `str_trunc_trailer`: what follows a truncated string (`BPFTRACE_STR_TRUNC_TRAILER`,
/// else the config block, else `..`; an empty value disables it).
pub fn trunc_trailer(meta: &Metadata, env: impl Fn(&str) -> Option<String>) -> String {
    if let Some(v) = env("BPFTRACE_STR_TRUNC_TRAILER") {
        return v;
    }
    meta.runtime_config
        .iter()
        .rev()
        .find(|s| s.name == "str_trunc_trailer")
        .map_or_else(
            || crate::value::DEFAULT_TRUNC_TRAILER.to_string(),
            |s| s.value.clone(),
        )
}

/// The `max_strlen` the object was compiled with (tracec passes it in the run-time
/// config; tracerun's environment cannot change it).
pub fn max_strlen(meta: &Metadata) -> u32 {
    meta.runtime_config
        .iter()
        .rev()
        .find(|s| s.name == "max_strlen")
        .and_then(|s| s.value.trim().parse().ok())
        .unwrap_or(crate::value::DEFAULT_MAX_STRLEN)
}

/// `show_debug_info`: whether user stacks show source locations and inlined frames
/// (`BPFTRACE_SHOW_DEBUG_INFO`, else the config block, else on, as in a bpftrace built
/// with blazesym). `0`/`false` turn it off, `1`/`true` on; anything else is the default.
pub fn show_debug_info(meta: &Metadata, env: impl Fn(&str) -> Option<String>) -> bool {
    let value = env("BPFTRACE_SHOW_DEBUG_INFO").or_else(|| {
        meta.runtime_config
            .iter()
            .rev()
            .find(|s| s.name == "show_debug_info")
            .map(|s| s.value.clone())
    });
    !matches!(value.as_deref().map(str::trim), Some("0" | "false"))
}

fn positive(v: &str) -> Option<u64> {
    v.trim().parse::<u64>().ok().filter(|n| *n > 0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use tracec_meta::ConfigSetting;

    fn meta(settings: &[(&str, &str)]) -> Metadata {
        Metadata {
            runtime_config: settings
                .iter()
                .map(|(n, v)| ConfigSetting {
                    name: n.to_string(),
                    value: v.to_string(),
                })
                .collect(),
            ..Metadata::default()
        }
    }

    #[test]
    fn defaults_config_block_then_environment() {
        let none = |_: &str| None;
        assert_eq!(
            Settings::resolve(&meta(&[]), none).unwrap(),
            Settings::default()
        );
        let m = meta(&[("max_cat_bytes", "7")]);
        assert_eq!(Settings::resolve(&m, none).unwrap().max_cat_bytes, 7);
        let env = |k: &str| (k == "BPFTRACE_MAX_CAT_BYTES").then(|| "1".to_string());
        let s = Settings::resolve(&m, env).unwrap();
        assert_eq!((s.max_cat_bytes, s.log_size), (1, DEFAULT_LOG_SIZE));
    }

    #[test]
    fn trunc_trailer_from_environment_then_config_block() {
        let none = |_: &str| None;
        assert_eq!(trunc_trailer(&meta(&[]), none), "..");
        let m = meta(&[("str_trunc_trailer", "~")]);
        assert_eq!(trunc_trailer(&m, none), "~");
        let env = |k: &str| (k == "BPFTRACE_STR_TRUNC_TRAILER").then(String::new);
        assert_eq!(trunc_trailer(&m, env), "");
        assert_eq!(max_strlen(&m), crate::value::DEFAULT_MAX_STRLEN);
        assert_eq!(max_strlen(&meta(&[("max_strlen", "8")])), 8);
    }

    #[test]
    fn show_debug_info_defaults_on() {
        let none = |_: &str| None;
        assert!(show_debug_info(&meta(&[]), none));
        assert!(!show_debug_info(&meta(&[("show_debug_info", "0")]), none));
        assert!(!show_debug_info(
            &meta(&[("show_debug_info", "false")]),
            none
        ));
        assert!(show_debug_info(&meta(&[("show_debug_info", "1")]), none));
        let env = |k: &str| (k == "BPFTRACE_SHOW_DEBUG_INFO").then(|| "1".to_string());
        assert!(show_debug_info(&meta(&[("show_debug_info", "0")]), env));
    }

    #[test]
    fn invalid_values_are_errors() {
        let env = |k: &str| (k == "BPFTRACE_LOG_SIZE").then(|| "0".to_string());
        let e = Settings::resolve(&meta(&[]), env).unwrap_err().to_string();
        assert!(e.contains("BPFTRACE_LOG_SIZE"), "{e}");
        let m = meta(&[("max_cat_bytes", "lots")]);
        assert!(Settings::resolve(&m, |_| None).is_err());
    }
}
