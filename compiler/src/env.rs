//! bpftrace's `BPFTRACE_*` environment settings, as far as the compiler applies them.
//!
//! bpftrace reads every config variable from `BPFTRACE_<NAME>` as well as from the
//! script's config block, and the environment wins (language.md, "Config Variables").
//! In the ahead-of-time split, `tracec` applies the settings that shape the object
//! (`max_map_keys`, `stack_mode`, `missing_probes`, ...) from its own environment, and
//! `tracerun` the ones that only matter while running (`max_cat_bytes`, `log_size`,
//! ...) from its environment: [`RUNTIME_ONLY`] lists the latter, which `tracec` leaves
//! alone.
//!
//! `BPFTRACE_DUMMY_TS_MAP=@name` is bpftrace's testing hook for time series: every
//! timestamp the program takes (`nsecs`, `elapsed`, `tseries` buckets...) is read from
//! the scalar map `@name` instead of a clock helper, so a test can step time itself.

use crate::diag::Diagnostic;
use crate::front::ast::{ConfigItem, ConfigValue, Program, Span};
use crate::sema::config;

/// Config variables only `tracerun` applies (it reads their `BPFTRACE_*` variables).
pub const RUNTIME_ONLY: &[&str] = &[
    "cache_user_symbols",
    "cpp_demangle",
    "lazy_symbolication",
    "log_size",
    "max_cat_bytes",
    "perf_rb_pages",
    "show_debug_info",
    "str_trunc_trailer",
];

/// The environment variable of bpftrace's time series test hook.
pub const DUMMY_TS_MAP: &str = "BPFTRACE_DUMMY_TS_MAP";

/// The `BPFTRACE_*` settings the compiler applies.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EnvSettings {
    /// Compile-time config variables: (`BPFTRACE_NAME`, value), in a stable order.
    pub config: Vec<(String, String)>,
    /// `BPFTRACE_DUMMY_TS_MAP`: the scalar map (with its `@`) timestamps are read from.
    pub dummy_ts_map: Option<String>,
}

impl EnvSettings {
    /// The settings of this process's environment.
    pub fn from_env() -> EnvSettings {
        EnvSettings::from_vars(
            std::env::vars_os()
                .filter_map(|(k, v)| Some((k.into_string().ok()?, v.into_string().ok()?))),
        )
    }

    /// The settings among `vars` (environment variables as name/value pairs); other
    /// variables, bpftrace's run-time settings and unknown `BPFTRACE_*` names are
    /// ignored.
    pub fn from_vars(vars: impl IntoIterator<Item = (String, String)>) -> EnvSettings {
        let mut out = EnvSettings::default();
        for (k, v) in vars {
            if k == DUMMY_TS_MAP {
                out.dummy_ts_map = Some(v);
                continue;
            }
            let Some(name) = k.strip_prefix("BPFTRACE_") else {
                continue;
            };
            // Only the upper-case spelling is an environment variable.
            if name.is_empty() || name.bytes().any(|b| b.is_ascii_lowercase()) {
                continue;
            }
            let key = config::canonical(&k);
            if config::is_known(&key) && !RUNTIME_ONLY.contains(&key.as_str()) {
                out.config.push((k, v));
            }
        }
        out.config.sort();
        out
    }

    /// The config items these settings stand for (no location in the script).
    fn items(&self) -> Vec<ConfigItem> {
        self.config
            .iter()
            .map(|(k, v)| ConfigItem {
                key: k.clone(),
                value: match v.parse::<u64>() {
                    Ok(n) => ConfigValue::Int(n),
                    Err(_) => ConfigValue::Str(v.clone()),
                },
                span: Span::default(),
            })
            .collect()
    }

    /// Invalid settings, as messages (`BPFTRACE_MAX_MAP_KEYS: expects ...`).
    pub fn errors(&self) -> Vec<String> {
        let mut diags: Vec<Diagnostic> = Vec::new();
        config::check(&self.items(), &mut diags);
        diags
            .into_iter()
            .filter(|d| d.severity == crate::diag::Severity::Error)
            .map(|d| d.message)
            .collect()
    }

    /// Put the settings into `program`'s config block: each replaces the block's
    /// items of the same variable (the environment takes precedence).
    pub fn apply(&self, program: &mut Program) {
        for item in self.items() {
            let key = config::canonical(&item.key);
            program.config.retain(|c| config::canonical(&c.key) != key);
            program.config.push(item);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vars(v: &[(&str, &str)]) -> EnvSettings {
        EnvSettings::from_vars(v.iter().map(|(a, b)| (a.to_string(), b.to_string())))
    }

    #[test]
    fn reads_compile_time_settings_and_the_ts_map() {
        let s = vars(&[
            ("PATH", "/bin"),
            ("BPFTRACE_STACK_MODE", "raw"),
            ("BPFTRACE_MAX_CAT_BYTES", "1"),
            ("BPFTRACE_KERNEL_SOURCE", "/src"),
            ("BPFTRACE_max_map_keys", "5"),
            ("BPFTRACE_MAX_MAP_KEYS", "7"),
            ("BPFTRACE_DUMMY_TS_MAP", "@ts"),
        ]);
        assert_eq!(
            s.config,
            vec![
                ("BPFTRACE_MAX_MAP_KEYS".to_string(), "7".to_string()),
                ("BPFTRACE_STACK_MODE".to_string(), "raw".to_string()),
            ]
        );
        assert_eq!(s.dummy_ts_map.as_deref(), Some("@ts"));
        assert!(s.errors().is_empty());
    }

    #[test]
    fn environment_replaces_the_config_block() {
        let mut p =
            crate::front::parse("config = { stack_mode = perf; max_map_keys = 3 } begin { }")
                .expect("parses");
        vars(&[("BPFTRACE_STACK_MODE", "raw")]).apply(&mut p);
        let mut diags = Vec::new();
        let cfg = config::check(&p.config, &mut diags);
        assert!(diags.is_empty(), "{diags:?}");
        assert_eq!(cfg.stack_mode, Some(tracec_meta::StackMode::Raw));
        assert_eq!(cfg.max_map_keys, 3);
    }

    #[test]
    fn bad_values_are_reported_by_name() {
        let e = vars(&[("BPFTRACE_MAX_MAP_KEYS", "lots")]).errors();
        assert_eq!(e.len(), 1);
        assert!(e[0].starts_with("BPFTRACE_MAX_MAP_KEYS: "), "{e:?}");
    }
}
