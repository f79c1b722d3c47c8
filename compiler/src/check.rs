//! [`check`]: every diagnostic of a script without producing an object
//! (`tracec --check`).

use crate::diag::Diagnostic;
use crate::front::{self, ast::Span};
use crate::sema::{self, maps::NEVER_ASSIGNED};
use crate::{finish, Options};

/// Check a script and return all its diagnostics (errors and warnings), sorted by
/// position. Nothing is written; no privileges are needed, and tracefs is only read
/// for tracepoint probes.
///
/// As much as possible is reported at once:
/// * every syntax error the parser recovers from (it resumes at the next statement
///   or probe), and lexical errors;
/// * then the semantic errors and warnings of the script. After syntax errors the
///   probes that parsed are still checked; diagnostics inside the body of a probe
///   with a syntax error are left out (its broken statements were dropped, so they
///   would mostly be consequences), as are "map used but never assigned" errors
///   (the assignment may be in the broken part);
/// * when the script is free of errors so far, the rest of the pipeline runs too
///   (lowering, the back end, the object writer), so limits such as the 512-byte
///   stack are reported as well.
pub fn check(source: &str, options: &Options) -> Vec<Diagnostic> {
    crate::probes::debugdirs::with_dirs(&options.debuginfo, || {
        let list = options
            .traceable_functions
            .as_deref()
            .and_then(|p| crate::probes::traceable::read_list(p).ok());
        crate::probes::traceable::with_settings(options.allow_unsafe, list, || {
            check_in(source, options)
        })
    })
}

fn check_in(source: &str, options: &Options) -> Vec<Diagnostic> {
    let (pp, pp_errors, includes) =
        front::preprocess::run_with_includes(source, &options.include_dirs);
    if !pp_errors.is_empty() {
        return pp_errors;
    }
    let imported =
        front::imports::parse_recovering(&pp, &options.source_name, &options.include_dirs);
    let map = imported.map;
    let source = imported.source.as_str();
    let mut partial = imported.partial;
    if let Some(p) = &mut partial.program {
        p.includes = includes;
        options.env.apply(p);
        if let Some(args) = &options.args {
            if let Err(errors) = sema::attach_args::bind(p, args) {
                return errors;
            }
            if let Err(errors) = sema::stack_args::bind(p, args) {
                return errors;
            }
        }
    }
    let Some(program) = &partial.program else {
        return partial.diags;
    };
    let (checked, errors) = sema::check_all(program, &options.probe_env());
    let mut diags = partial.diags.clone();
    if diags.is_empty() {
        if errors.is_empty() {
            match finish(source, options, &checked) {
                Ok(compiled) => diags.extend(compiled.warnings),
                Err(errs) => diags.extend(errs),
            }
        } else {
            diags.extend(errors);
            diags.extend(checked.warnings);
        }
    } else {
        let damaged: Vec<Span> = program
            .probes
            .iter()
            .filter(|p| partial.damaged(p))
            .map(|p| p.body.span)
            .collect();
        let inside = |d: &Diagnostic| {
            damaged
                .iter()
                .any(|b| d.span.start >= b.start && d.span.start < b.end)
        };
        let trusted = |d: &Diagnostic| !inside(d) && !d.message.ends_with(NEVER_ASSIGNED);
        diags.extend(errors.into_iter().filter(trusted));
        diags.extend(checked.warnings.into_iter().filter(trusted));
    }
    diags.sort_by_key(|d| (d.span.start, d.span.end));
    map.attached(diags)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn messages(source: &str) -> Vec<String> {
        check(source, &Options::new("t.bt").with_tracefs("/nonexistent"))
            .into_iter()
            .map(|d| d.message)
            .collect()
    }

    #[test]
    fn after_a_syntax_error_the_other_probes_are_still_checked() {
        let msgs = messages("BEGIN { $x = ; nosuchfn(); } END { nosuchfn2(); }");
        // The damaged probe's semantic errors are left out; the other probe's are not.
        assert_eq!(msgs.len(), 2, "{msgs:?}");
        assert!(msgs[0].starts_with("syntax error"), "{msgs:?}");
        assert_eq!(msgs[1], "unknown function 'nosuchfn2'");
    }

    #[test]
    fn maps_assigned_in_the_broken_part_are_not_reported() {
        let msgs = messages("BEGIN { @m = (1 + ; } END { printf(\"%d\\n\", @m); }");
        assert_eq!(msgs.len(), 1, "{msgs:?}");
        // Without the syntax error, the same read is an error.
        let msgs = messages("END { printf(\"%d\\n\", @m); }");
        assert!(msgs[0].ends_with(NEVER_ASSIGNED), "{msgs:?}");
    }

    #[test]
    fn errors_and_warnings_together_sorted() {
        let diags = check("BEGIN { 1; nosuchfn(); }", &Options::default());
        let kinds: Vec<bool> = diags.iter().map(|d| d.is_error()).collect();
        assert_eq!(kinds, [false, true], "{diags:?}");
    }

    #[test]
    fn a_clean_script_has_no_diagnostics() {
        assert!(messages("BEGIN { printf(\"x\\n\"); exit(); }").is_empty());
    }
}
