//! Unstable features (language.md, "unstable features"): `tseries` and `dw_ustack`
//! work, but a script that uses one gets a warning unless its config block says
//! `unstable_<feature>=enable`, and an error with `=error`.
//!
//! Also the config variables older bpftrace releases had and the current one accepts
//! without effect (`unstable_map_decl`, once map declarations became stable) or under a
//! new name (`strlen` is `max_strlen`), so scripts written for those releases compile.

use super::Checker;
use crate::diag::Diagnostic;
use crate::front::ast::{ConfigValue, Span};

/// What the config block says about one unstable feature.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Level {
    Enable,
    #[default]
    Warn,
    Error,
}

impl Level {
    /// `enable` / `warn` / `error`, or a boolean (`true`/`1` enable, `false`/`0` error).
    pub fn parse(v: &ConfigValue) -> Option<Level> {
        match v {
            ConfigValue::Int(1) => Some(Level::Enable),
            ConfigValue::Int(0) => Some(Level::Error),
            ConfigValue::Int(_) => None,
            ConfigValue::Ident(s) | ConfigValue::Str(s) => match s.to_ascii_lowercase().as_str() {
                "enable" | "true" => Some(Level::Enable),
                "warn" => Some(Level::Warn),
                "error" | "false" => Some(Level::Error),
                _ => None,
            },
        }
    }
}

/// An unstable feature a script can use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Feature {
    Tseries,
    DwUstack,
}

impl Feature {
    /// Its config variable.
    pub fn key(self) -> &'static str {
        match self {
            Feature::Tseries => "unstable_tseries",
            Feature::DwUstack => "unstable_dw_ustack",
        }
    }

    fn name(self) -> &'static str {
        match self {
            Feature::Tseries => "tseries",
            Feature::DwUstack => "dw_ustack",
        }
    }
}

/// The config block's level of each unstable feature.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Flags {
    pub tseries: Level,
    pub dw_ustack: Level,
}

impl Flags {
    pub fn level(&self, f: Feature) -> Level {
        match f {
            Feature::Tseries => self.tseries,
            Feature::DwUstack => self.dw_ustack,
        }
    }

    /// Set the level of the feature whose config variable is `key`, if `key` names one.
    pub fn set(&mut self, key: &str, level: Level) {
        match key {
            "unstable_tseries" => self.tseries = level,
            "unstable_dw_ustack" => self.dw_ustack = level,
            _ => {}
        }
    }
}

/// Config variables bpftrace accepts and ignores: settings of releases before the
/// current one.
pub const DEPRECATED: &[&str] = &[
    "max_type_res_iterations",
    "symbol_source",
    "unstable_macro",
    "unstable_map_decl",
];

/// Config variables bpftrace renamed: old name, new name.
pub const RENAMED: &[(&str, &str)] = &[
    ("cat_bytes_max", "max_cat_bytes"),
    ("map_keys_max", "max_map_keys"),
    ("no_cpp_demangle", "cpp_demangle"),
    ("strlen", "max_strlen"),
];

/// What a deprecated or renamed config variable `key` (canonical spelling) gets, if it
/// is one.
pub fn old_variable(key: &str, span: Span) -> Option<Diagnostic> {
    if DEPRECATED.contains(&key) {
        return Some(Diagnostic::warning(
            span,
            format!("{key}: this config variable is deprecated and has no effect"),
        ));
    }
    RENAMED.iter().find(|(old, _)| *old == key).map(|(_, new)| {
        Diagnostic::error(
            span,
            format!("{key}: this config variable has been renamed to {new}"),
        )
    })
}

impl Checker {
    /// A use of `feature` at `span`: an error if the config block forbids it, else
    /// (unless it enables it) one warning per feature. The use is checked on either
    /// way, so that an error here does not bring others about.
    pub(super) fn unstable_use(&mut self, feature: Feature, span: Span) {
        match self.unstable.level(feature) {
            Level::Enable => {}
            Level::Error => {
                self.error(
                    span,
                    format!(
                        "{} feature is not enabled by default. To enable this unstable feature, set the config flag to enable. {}=enable",
                        feature.name(),
                        feature.key()
                    ),
                );
            }
            Level::Warn => {
                if self.final_pass && !self.unstable_warned.contains(&feature) {
                    self.unstable_warned.push(feature);
                    // bpftrace shows no excerpt: the feature is the script's choice.
                    let d = Diagnostic::warning(
                        span,
                        format!(
                            "Script is using an unstable feature. To prevent this warning you must explicitly enable the unstable feature in the config e.g. {}=enable",
                            feature.key()
                        ),
                    );
                    self.warning(d.about_whole_script());
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn levels_parse_names_and_booleans() {
        let s = |v: &str| Level::parse(&ConfigValue::Ident(v.into()));
        assert_eq!(s("enable"), Some(Level::Enable));
        assert_eq!(s("WARN"), Some(Level::Warn));
        assert_eq!(s("error"), Some(Level::Error));
        assert_eq!(s("false"), Some(Level::Error));
        assert_eq!(s("maybe"), None);
        assert_eq!(Level::parse(&ConfigValue::Int(1)), Some(Level::Enable));
        assert_eq!(Level::parse(&ConfigValue::Int(2)), None);
    }

    #[test]
    fn old_variables_warn_or_name_the_new_one() {
        let d = old_variable("unstable_map_decl", Span::default()).expect("deprecated");
        assert!(!d.is_error());
        let d = old_variable("strlen", Span::default()).expect("renamed");
        assert!(
            d.is_error() && d.message.contains("max_strlen"),
            "{}",
            d.message
        );
        assert!(old_variable("max_strlen", Span::default()).is_none());
    }
}
