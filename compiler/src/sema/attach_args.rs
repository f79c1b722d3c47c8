//! Positional parameters in attach points (`interval:ms:$1`, `BEG$1`, `$1`): bpftrace
//! reads the arguments before it parses attach points, so the attach point is the text
//! with `$N` replaced by the N-th argument (`$#` by their number). An object has its
//! attach points fixed, so `tracec` needs those arguments at compile time
//! (`tracec ... -- ARGS`); the object records the ones it bound
//! ([`tracec_meta::Metadata::bound_args`]) and `tracerun` refuses other values. Uses
//! of `$N` in probe bodies stay run-time parameters.

use crate::diag::Diagnostic;
use crate::front::ast::{AttachPoint, Program};
use tracec_meta::attach_template::params_in;
use tracec_meta::BoundArg;

/// One `$N` / `$#` in an attach point: what it names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Use {
    /// `$N` (N from 1).
    Arg(u32),
    /// `$#`.
    Count,
}

/// The parameter uses in `text`, with their byte ranges (the scan the runtime's
/// templates use too, [`tracec_meta::attach_template::params_in`]).
fn uses(text: &str) -> Vec<(std::ops::Range<usize>, Use)> {
    params_in(text)
        .into_iter()
        .map(|p| {
            let u = match p.index {
                0 => Use::Count,
                n => Use::Arg(n),
            };
            (p.start..p.end, u)
        })
        .collect()
}

/// The positional arguments among a script's arguments, as `tracerun` splits them:
/// `--name[=value]` are named options, except after a bare `--`.
pub fn positional(args: &[String]) -> Vec<String> {
    let mut out = Vec::new();
    let mut only_positional = false;
    for a in args {
        if only_positional {
            out.push(a.clone());
        } else if a == "--" {
            only_positional = true;
        } else if !a.starts_with("--") {
            out.push(a.clone());
        }
    }
    out
}

/// Whether an attach point uses positional parameters.
pub fn uses_params(ap: &AttachPoint) -> bool {
    !uses(&ap.raw).is_empty()
}

/// Replace the positional parameters of every attach point of `program` with
/// `args` (the script's arguments, `$1` first). Returns the arguments bound, each
/// once, by index; an attach point naming an argument that was not given is an error.
pub fn bind(program: &mut Program, args: &[String]) -> Result<Vec<BoundArg>, Vec<Diagnostic>> {
    let mut bound: Vec<BoundArg> = Vec::new();
    let mut errors = Vec::new();
    for probe in &mut program.probes {
        for ap in &mut probe.attach_points {
            let found = uses(&ap.raw);
            if found.is_empty() {
                continue;
            }
            let mut text = String::new();
            let mut last = 0;
            for (range, u) in found {
                text.push_str(&ap.raw[last..range.start]);
                last = range.end;
                match u {
                    Use::Count => text.push_str(&args.len().to_string()),
                    Use::Arg(n) => match args.get(n as usize - 1) {
                        Some(v) => {
                            text.push_str(v);
                            if !bound.iter().any(|b| b.index == n) {
                                bound.push(BoundArg {
                                    index: n,
                                    value: v.clone(),
                                });
                            }
                        }
                        None => {
                            errors.push(Diagnostic::error(
                                ap.span,
                                format!(
                                    "attach point '{}' uses ${n}, but {} positional argument{} given",
                                    ap.raw,
                                    args.len(),
                                    if args.len() == 1 { " was" } else { "s were" }
                                ),
                            ));
                        }
                    },
                }
            }
            text.push_str(&ap.raw[last..]);
            ap.parts = text.split(':').map(str::to_string).collect();
            ap.raw = text;
        }
    }
    bound.sort_by_key(|b| b.index);
    if errors.is_empty() {
        Ok(bound)
    } else {
        Err(errors)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn raws(src: &str, args: &[&str]) -> Result<(Vec<String>, Vec<BoundArg>), Vec<Diagnostic>> {
        let mut p = crate::front::parse(src).expect("parses");
        let args: Vec<String> = args.iter().map(|s| s.to_string()).collect();
        let bound = bind(&mut p, &args)?;
        let raws = p
            .probes
            .iter()
            .flat_map(|p| p.attach_points.iter().map(|a| a.raw.clone()))
            .collect();
        Ok((raws, bound))
    }

    #[test]
    fn replaces_parameters_in_attach_points_only() {
        let (r, b) = raws("i:ms:$1 { print($2) } BEG$2 { }", &["100", "IN"]).unwrap();
        assert_eq!(r, ["i:ms:100", "BEGIN"]);
        let idx: Vec<(u32, &str)> = b.iter().map(|b| (b.index, b.value.as_str())).collect();
        assert_eq!(idx, [(1, "100"), (2, "IN")]);
        let (r, b) = raws("$1 { }", &["interval:ms:1"]).unwrap();
        assert_eq!(r, ["interval:ms:1"]);
        assert_eq!(b.len(), 1);
        let mut p = crate::front::parse("$1 { }").unwrap();
        bind(&mut p, &["i:ms:5".into()]).unwrap();
        assert_eq!(p.probes[0].attach_points[0].parts, ["i", "ms", "5"]);
    }

    #[test]
    fn named_options_are_not_positional() {
        let args: Vec<String> = ["--x=1", "a", "--flag", "--", "--b"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        assert_eq!(positional(&args), ["a", "--b"]);
    }

    #[test]
    fn count_and_untouched_attach_points() {
        let (r, b) = raws("i:s:$# { } BEGIN { }", &["a", "b"]).unwrap();
        assert_eq!(r, ["i:s:2", "BEGIN"]);
        assert!(b.is_empty());
    }

    #[test]
    fn missing_arguments_are_errors() {
        let e = raws("i:ms:$3 { }", &["1"]).unwrap_err();
        assert_eq!(e.len(), 1);
        assert!(
            e[0].message
                .contains("uses $3, but 1 positional argument was given"),
            "{}",
            e[0].message
        );
    }
}
