//! `probe` and `func` of attach points completed at run time (`interval:ms:$1`,
//! `probes::deferred`): printed, used as map keys or stored, they are indices the
//! runtime names after substituting its arguments. Where the compiler needs their text
//! (a string, a comparison with a literal) it is not known yet: that is an error asking
//! for the arguments at compile time.

use super::types::{FmtExpr, TExpr, TExprKind, Type};
use super::Checker;
use tracec_meta::attach_template::params_in;
use tracec_meta::FmtKind;

impl Checker {
    /// Whether `e`, a `probe` or `func` value, may name an attach point whose text the
    /// runtime completes; if so, reports that it cannot be `what` (once per use).
    pub(super) fn runtime_name(&mut self, e: &TExpr, what: &str) -> bool {
        let kind = match e.ty {
            Type::Fmt(k @ (FmtKind::ProbeName | FmtKind::FuncName)) => k,
            _ => return false,
        };
        let text = |i: usize| {
            self.attach_names.names.get(i).map(|n| match kind {
                FmtKind::ProbeName => n.probe.as_str(),
                _ => n.func.as_str(),
            })
        };
        let is_template = |t: Option<&str>| t.is_some_and(|t| !params_in(t).is_empty());
        // A constant index names one attach point; a cookie or a stored name any.
        let found = match &e.kind {
            TExprKind::FmtValue(FmtExpr::Word(i)) if matches!(i.kind, TExprKind::Int(_)) => {
                let TExprKind::Int(k) = i.kind else {
                    return false;
                };
                is_template(text(k as usize)).then(|| text(k as usize).unwrap_or_default())
            }
            _ => (0..self.attach_names.names.len())
                .map(text)
                .find(|t| is_template(*t))
                .flatten(),
        };
        let Some(template) = found.map(str::to_string) else {
            return false;
        };
        let name = if kind == FmtKind::ProbeName {
            "probe"
        } else {
            "func"
        };
        self.error(
            e.span,
            format!(
                "'{name}' is '{template}' until tracerun's arguments complete it, so it cannot be {what}: pass the arguments to tracec after `--` (`tracec ... -- ARGS`)"
            ),
        );
        true
    }
}

#[cfg(test)]
mod tests {
    use crate::{compile, Options};

    fn errors(src: &str) -> Vec<String> {
        match compile(src, &Options::default()) {
            Ok(_) => Vec::new(),
            Err(d) => d.into_iter().map(|d| d.message).collect(),
        }
    }

    #[test]
    fn the_metadata_lists_each_template_once_with_its_location() {
        let src = "BEGIN { }\ni:ms:$1 { printf(\"%s\\n\", probe); @[probe] = count(); }\ni:ms:$1 { exit(); }";
        let options = Options {
            source_name: "t.bt".into(),
            ..Options::default()
        };
        let c = compile(src, &options).unwrap_or_else(|d| panic!("{d:?}"));
        let m = &c.metadata;
        assert_eq!(m.attach_templates.len(), 1);
        let t = &m.attach_templates[0];
        assert_eq!(t.text, "interval:ms:$1");
        assert_eq!(t.location, "t.bt:2:1-8");
        assert!(t.context.ends_with("\n~~~~~~~"), "{}", t.context);
        let named: Vec<_> = m.probes.iter().filter(|p| p.name == t.text).collect();
        assert_eq!(named.len(), 2);
        assert!(m.attach_names.iter().any(|n| n.probe == t.text));
        assert!(m.bound_args.is_empty());
        // Bound at compile time instead, nothing is left to the runtime.
        let bound = Options {
            args: Some(vec!["20".into()]),
            ..Options::default()
        };
        let c = compile(src, &bound).unwrap_or_else(|d| panic!("{d:?}"));
        assert!(c.metadata.attach_templates.is_empty());
        assert!(c.metadata.probes.iter().any(|p| p.name == "interval:ms:20"));
    }

    #[test]
    fn names_whose_text_the_runtime_completes_are_no_strings() {
        let e = errors("i:ms:$1 { printf(\"%s\\n\", str(probe)); }");
        assert_eq!(e.len(), 1, "{e:?}");
        assert!(e[0].starts_with("'probe' is 'interval:ms:$1' until tracerun's arguments complete it, so it cannot be used as a string"), "{e:?}");
        let e = errors("i:ms:$1 { if (probe == \"interval:ms:5\") { exit(); } }");
        assert!(e[0].contains("cannot be compared with a string"), "{e:?}");
        // The function of `uprobe:$1:f` is known: only its binary is a parameter.
        assert!(errors("uprobe:$1:f { printf(\"%s\\n\", str(func)); }").is_empty());
        let e = errors("uprobe:$1:$2 { printf(\"%s\\n\", str(func)); }");
        assert!(e[0].starts_with("'func' is '$2'"), "{e:?}");
        // Printed, keyed and stored they are the runtime's.
        assert!(errors(
            "i:ms:$1 { $p = probe; @[probe, $p] = count(); printf(\"%s\\n\", probe); }"
        )
        .is_empty());
    }
}
