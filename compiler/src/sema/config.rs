//! The `config = { ... }` block (language.md, "Config Block" and "Config Variables").
//!
//! Names may be spelled as environment variables (`BPFTRACE_MAX_MAP_KEYS`), without the
//! prefix (`MAX_MAP_KEYS`) or in lower case (`max_map_keys`). The settings that change
//! the compiled object are applied; the ones that only matter to bpftrace's own
//! runtime (symbolication, log sizes...) are accepted and have no effect.

use crate::diag::Diagnostic;
use crate::front::ast::{self, ConfigItem, ConfigValue};
use crate::sema::types::{DEFAULT_MAX_ENTRIES, MAX_STRING_SIZE};

/// The settings of a script's config block that tracec applies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ScriptConfig {
    /// `max_map_keys`: `max_entries` of maps that are not declared with a size.
    pub max_map_keys: u32,
    /// `print_maps_on_exit`: whether the runtime prints the maps at exit.
    pub print_maps_on_exit: bool,
    /// `stack_mode`: how `kstack`/`ustack` print unless the call names a mode.
    pub stack_mode: Option<tracec_meta::StackMode>,
    /// `missing_probes`: what an attach point that matches nothing is.
    pub missing_probes: MissingProbes,
    /// `perf_rb_pages`: the pages of `skboutput`'s perf buffers (0: the runtime's
    /// default, from the host's memory).
    pub perf_rb_pages: u64,
    /// `max_strlen`: the size of the strings `str()` reads (tracec's default is
    /// [`MAX_STRING_SIZE`], bpftrace 0.17's; see `sema/strlen.rs`).
    pub max_strlen: u32,
    /// `unstable_<feature>`: whether using each unstable feature is fine, warned
    /// about or an error (`sema/unstable.rs`).
    pub unstable: super::unstable::Flags,
}

pub use tracec_meta::MissingProbes;

impl Default for ScriptConfig {
    fn default() -> Self {
        ScriptConfig {
            max_map_keys: DEFAULT_MAX_ENTRIES,
            print_maps_on_exit: true,
            stack_mode: None,
            missing_probes: MissingProbes::Error,
            perf_rb_pages: 0,
            max_strlen: MAX_STRING_SIZE,
            unstable: super::unstable::Flags::default(),
        }
    }
}

/// Every config variable bpftrace knows, in canonical (lower-case) spelling.
const KNOWN: &[&str] = &[
    "cache_user_symbols",
    "cpp_demangle",
    "lazy_symbolication",
    "license",
    "log_size",
    "max_bpf_progs",
    "max_cat_bytes",
    "max_map_keys",
    "max_probes",
    "max_strlen",
    "missing_probes",
    "on_stack_limit",
    "perf_rb_pages",
    "print_maps_on_exit",
    "show_debug_info",
    "stack_mode",
    "str_trunc_trailer",
    "unstable_dw_ustack",
    "unstable_import_statement",
    "unstable_tseries",
    "unstable_typeinfo",
    "use_blazesym",
];

/// Whether `key` (canonical spelling) is a config variable bpftrace knows.
pub fn is_known(key: &str) -> bool {
    KNOWN.contains(&key)
}

/// `BPFTRACE_STACK_MODE` / `STACK_MODE` / `stack_mode` → `stack_mode`.
pub fn canonical(key: &str) -> String {
    let lower = key.to_ascii_lowercase();
    lower
        .strip_prefix("bpftrace_")
        .map_or(lower.clone(), str::to_string)
}

fn boolean(v: &ConfigValue) -> Option<bool> {
    match v {
        ConfigValue::Int(0) => Some(false),
        ConfigValue::Int(1) => Some(true),
        ConfigValue::Ident(s) | ConfigValue::Str(s) => match s.as_str() {
            "true" => Some(true),
            "false" => Some(false),
            _ => None,
        },
        ConfigValue::Int(_) => None,
    }
}

/// Check a config block and collect the settings tracec applies.
pub fn check(items: &[ConfigItem], diags: &mut Vec<Diagnostic>) -> ScriptConfig {
    let mut cfg = ScriptConfig::default();
    for item in items {
        let key = canonical(&item.key);
        if let Some(d) = super::unstable::old_variable(&key, item.span) {
            diags.push(d);
            continue;
        }
        if !KNOWN.contains(&key.as_str()) {
            diags.push(Diagnostic::error(
                item.span,
                format!("{}: not a known configuration option", item.key),
            ));
            continue;
        }
        match key.as_str() {
            "max_cat_bytes" | "log_size" if !matches!(item.value, ConfigValue::Int(1..)) => {
                diags.push(Diagnostic::error(
                    item.span,
                    format!("{}: expects a positive integer", item.key),
                ));
            }
            "max_map_keys" => match item.value {
                ConfigValue::Int(n) if (1..=u32::MAX as u64).contains(&n) => {
                    cfg.max_map_keys = n as u32
                }
                _ => diags.push(Diagnostic::error(
                    item.span,
                    format!("{}: expects a positive integer", item.key),
                )),
            },
            "print_maps_on_exit" => match boolean(&item.value) {
                Some(b) => cfg.print_maps_on_exit = b,
                None => diags.push(Diagnostic::error(
                    item.span,
                    format!("{}: expects true or false (or 1 or 0)", item.key),
                )),
            },
            "stack_mode" => match &item.value {
                ConfigValue::Ident(s) | ConfigValue::Str(s) => match super::stacks::stack_mode(s) {
                    Some(m) => cfg.stack_mode = Some(m),
                    None => diags.push(Diagnostic::error(
                        item.span,
                        format!("{}: expects bpftrace, perf or raw", item.key),
                    )),
                },
                ConfigValue::Int(_) => diags.push(Diagnostic::error(
                    item.span,
                    format!("{}: expects bpftrace, perf or raw", item.key),
                )),
            },
            "cache_user_symbols" => {
                let ok = match &item.value {
                    ConfigValue::Ident(s) | ConfigValue::Str(s) => {
                        let v = s.to_ascii_lowercase();
                        matches!(v.as_str(), "per_pid" | "per_program" | "none" | "0" | "1")
                    }
                    ConfigValue::Int(n) => *n <= 1,
                };
                if !ok {
                    diags.push(Diagnostic::error(
                        item.span,
                        "Invalid value for cache_user_symbols: valid values are PER_PID, PER_PROGRAM, and NONE.",
                    ));
                }
            }
            "license" => check_license(item, diags),
            k if k.starts_with("unstable_") => match super::unstable::Level::parse(&item.value) {
                Some(level) => cfg.unstable.set(k, level),
                None => diags.push(Diagnostic::error(
                    item.span,
                    format!("{}: expects enable, warn or error", item.key),
                )),
            },
            "max_strlen" => match super::strlen::config_value(&item.value) {
                Ok((n, warning)) => {
                    cfg.max_strlen = n;
                    if let Some(w) = warning {
                        diags.push(Diagnostic::warning(item.span, format!("{}: {w}", item.key)));
                    }
                }
                Err(m) => diags.push(Diagnostic::error(item.span, format!("{}: {m}", item.key))),
            },
            "perf_rb_pages" => match item.value {
                ConfigValue::Int(n) if n > 0 => cfg.perf_rb_pages = n,
                _ => diags.push(Diagnostic::error(
                    item.span,
                    format!("{}: expects a positive integer", item.key),
                )),
            },
            "missing_probes" => {
                let v = match &item.value {
                    ConfigValue::Ident(s) | ConfigValue::Str(s) => s.as_str(),
                    ConfigValue::Int(_) => "",
                };
                cfg.missing_probes = match v {
                    "error" => MissingProbes::Error,
                    "warn" => MissingProbes::Warn,
                    "ignore" => MissingProbes::Ignore,
                    _ => {
                        diags.push(Diagnostic::error(
                            item.span,
                            format!("{}: expects error, warn or ignore", item.key),
                        ));
                        continue;
                    }
                };
            }
            _ => {}
        }
    }
    cfg
}

/// The settings of `items` that only the runtime applies ([`crate::env::RUNTIME_ONLY`]),
/// in canonical spelling, the last of each name winning.
pub fn runtime_settings(items: &[ConfigItem]) -> Vec<tracec_meta::ConfigSetting> {
    let mut out: Vec<tracec_meta::ConfigSetting> = Vec::new();
    for item in items {
        let name = canonical(&item.key);
        // `max_strlen` shapes the object; the runtime learns it to know which strings
        // are `str()` values that may carry the truncation trailer.
        if !crate::env::RUNTIME_ONLY.contains(&name.as_str()) && name != "max_strlen" {
            continue;
        }
        let value = match &item.value {
            ConfigValue::Int(n) => n.to_string(),
            ConfigValue::Str(s) | ConfigValue::Ident(s) => s.clone(),
        };
        out.retain(|s| s.name != name);
        out.push(tracec_meta::ConfigSetting { name, value });
    }
    out
}

/// An attach point's expansion error under `missing_probes`: an attach point that
/// matches nothing ("No matches for ...") is an error, a warning (`... Skipping.`) or
/// nothing; other errors stay errors.
pub fn missing_probe(cfg: &ScriptConfig, d: Diagnostic) -> Option<Diagnostic> {
    if !d.message.starts_with("No matches for ") {
        return Some(d);
    }
    match cfg.missing_probes {
        MissingProbes::Error => Some(d),
        MissingProbes::Warn => Some(Diagnostic {
            severity: crate::diag::Severity::Warning,
            message: format!("{} Skipping.", d.message),
            ..d
        }),
        MissingProbes::Ignore => None,
    }
}

/// A probe none of whose attach points matched anything (a wildcard that matched
/// nothing, or attach points skipped under `missing_probes`): bpftrace's error, or
/// under `missing_probes = warn` its warning that the probe is removed.
pub fn no_attach_points(cfg: &ScriptConfig, probe: &ast::Probe) -> Option<Diagnostic> {
    let span = probe.attach_points.first().map_or(probe.span, |ap| ap.span);
    match cfg.missing_probes {
        MissingProbes::Error => Some(Diagnostic::error(span, "Probe has no valid attach points.")),
        MissingProbes::Warn => Some(Diagnostic::warning(
            span,
            "Probe has no valid attach points. It is being removed which may cause issues \
             with program behavior.",
        )),
        MissingProbes::Ignore => None,
    }
}

/// The licenses bpftrace accepts (the GPL-compatible ones the kernel knows). The
/// object's `license` section says `GPL` whichever is chosen: the kernel treats them
/// all alike.
const LICENSES: &[&str] = &[
    "Dual MIT/GPL",
    "Dual BSD/GPL",
    "Dual MPL/GPL",
    "GPL and additional rights",
    "GPL v2",
    "GPL",
];

fn check_license(item: &ConfigItem, diags: &mut Vec<Diagnostic>) {
    let found = match &item.value {
        ConfigValue::Str(s) | ConfigValue::Ident(s) => s.clone(),
        ConfigValue::Int(n) => n.to_string(),
    };
    if !LICENSES.contains(&found.as_str()) {
        diags.push(Diagnostic::error(
            item.span,
            format!(
                "Invalid value for license. Found: {found}. Valid values: {}",
                LICENSES.join(", ")
            ),
        ));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::front::ast::Span;

    fn item(key: &str, value: ConfigValue) -> ConfigItem {
        ConfigItem {
            key: key.into(),
            value,
            span: Span::new(11, 25),
        }
    }

    #[test]
    fn spellings_are_equivalent() {
        assert_eq!(canonical("BPFTRACE_STACK_MODE"), "stack_mode");
        assert_eq!(canonical("STACK_MODE"), "stack_mode");
        assert_eq!(canonical("stack_mode"), "stack_mode");
    }

    #[test]
    fn unknown_keys_are_errors() {
        let mut d = Vec::new();
        check(
            &[item("bad_config", ConfigValue::Ident("raw".into()))],
            &mut d,
        );
        assert_eq!(d.len(), 1);
        assert_eq!(d[0].message, "bad_config: not a known configuration option");
        assert_eq!(d[0].span, Span::new(11, 25));
    }

    #[test]
    fn perf_rb_pages_is_a_positive_integer() {
        let mut d = Vec::new();
        let c = check(
            &[item("BPFTRACE_PERF_RB_PAGES", ConfigValue::Int(1024))],
            &mut d,
        );
        assert_eq!(c.perf_rb_pages, 1024);
        assert!(d.is_empty());
        assert_eq!(ScriptConfig::default().perf_rb_pages, 0);
        check(&[item("perf_rb_pages", ConfigValue::Int(0))], &mut d);
        check(
            &[item("perf_rb_pages", ConfigValue::Ident("x".into()))],
            &mut d,
        );
        assert_eq!(d.len(), 2);
        assert!(d[0].message.contains("positive integer"));
    }

    #[test]
    fn missing_probes_policy() {
        let mut d = Vec::new();
        let missing = Diagnostic::error(Span::new(0, 3), "No matches for tracepoint a:b.");
        let other = Diagnostic::error(Span::new(0, 3), "tracepoint probe needs a name");
        let warn = check(
            &[item("missing_probes", ConfigValue::Ident("warn".into()))],
            &mut d,
        );
        let w = missing_probe(&warn, missing.clone()).unwrap();
        assert!(!w.is_error());
        assert_eq!(w.message, "No matches for tracepoint a:b. Skipping.");
        assert!(missing_probe(&warn, other.clone()).unwrap().is_error());
        let ignore = check(
            &[item("missing_probes", ConfigValue::Ident("ignore".into()))],
            &mut d,
        );
        assert_eq!(missing_probe(&ignore, missing.clone()), None);
        assert!(missing_probe(&ScriptConfig::default(), missing)
            .unwrap()
            .is_error());
        check(
            &[item("missing_probes", ConfigValue::Ident("maybe".into()))],
            &mut d,
        );
        assert_eq!(d.len(), 1);
    }

    #[test]
    fn licenses_are_checked() {
        let mut d = Vec::new();
        check(
            &[item("license", ConfigValue::Str("Dual BSD/GPL".into()))],
            &mut d,
        );
        assert!(d.is_empty(), "{d:?}");
        check(
            &[item("license", ConfigValue::Str("Potato".into()))],
            &mut d,
        );
        assert_eq!(
            d[0].message,
            "Invalid value for license. Found: Potato. Valid values: Dual MIT/GPL, \
             Dual BSD/GPL, Dual MPL/GPL, GPL and additional rights, GPL v2, GPL"
        );
    }

    #[test]
    fn applied_settings() {
        let mut d = Vec::new();
        let cfg = check(
            &[
                item("print_maps_on_exit", ConfigValue::Int(0)),
                item("BPFTRACE_MAX_MAP_KEYS", ConfigValue::Int(2)),
                item("stack_mode", ConfigValue::Ident("raw".into())),
            ],
            &mut d,
        );
        assert!(d.is_empty());
        assert!(!cfg.print_maps_on_exit);
        assert_eq!(cfg.max_map_keys, 2);
        let cfg = check(
            &[item(
                "print_maps_on_exit",
                ConfigValue::Ident("maybe".into()),
            )],
            &mut d,
        );
        assert!(cfg.print_maps_on_exit);
        assert_eq!(d.len(), 1);
    }
}
