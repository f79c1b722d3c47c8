//! `--probe-filter REGEX`: run only the probes whose name matches.
//!
//! As bpftrace: the regular expression is searched for in each probe's name as
//! bpftrace spells it (`interval:ms:200` matches `:200`); BEGIN and END always run;
//! probes that do not match are dropped from the metadata before loading, so they are
//! neither loaded into the kernel nor attached (nor counted in `Attached N probes`).
//! A filter that leaves no other probe of a program that had some is an error.

use crate::Error;
use tracec_meta::{Attach, Metadata};

/// Keep the probes of `meta` that `pattern` selects.
pub fn apply(meta: &mut Metadata, pattern: &str) -> Result<(), Error> {
    let re = crate::regex::Regex::new(pattern)
        .map_err(|e| Error::new(format!("Invalid --probe-filter regex '{pattern}': {e}")))?;
    let special = |a: &Attach| matches!(a, Attach::Begin | Attach::End);
    let had_probes = meta.probes.iter().any(|p| !special(&p.attach));
    meta.probes
        .retain(|p| special(&p.attach) || re.is_match(&p.name));
    if had_probes && meta.probes.iter().all(|p| special(&p.attach)) {
        return Err(Error::new(NO_PROBES));
    }
    Ok(())
}

/// bpftrace's error (a line of its own) for a program left without probes: by
/// `--probe-filter`, or by `missing_probes` dropping every attach point at compile time.
pub const NO_PROBES: &str = "No probes to attach";

/// The [`NO_PROBES`] error when `meta` has no probe at all.
pub fn require_probes(meta: &Metadata) -> Result<(), Error> {
    match meta.probes.is_empty() {
        true => Err(Error::new(NO_PROBES)),
        false => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tracec_meta::ProbeSpec;

    fn meta(names: &[(&str, Attach)]) -> Metadata {
        let probes = names
            .iter()
            .enumerate()
            .map(|(i, (name, attach))| ProbeSpec {
                program: format!("p{i}"),
                section: "s".into(),
                name: name.to_string(),
                attach: attach.clone(),
                cookie: None,
            })
            .collect();
        Metadata {
            probes,
            ..Metadata::default()
        }
    }

    fn interval(ms: u64) -> Attach {
        Attach::Interval {
            period_ns: ms * 1_000_000,
        }
    }

    fn names(m: &Metadata) -> Vec<&str> {
        m.probes.iter().map(|p| p.name.as_str()).collect()
    }

    #[test]
    fn keeps_matching_probes_and_begin_end() {
        let mut m = meta(&[
            ("BEGIN", Attach::Begin),
            ("interval:ms:100", interval(100)),
            ("interval:ms:200", interval(200)),
            ("interval:ms:300", interval(300)),
            ("END", Attach::End),
        ]);
        apply(&mut m, "interval:ms:(200|300)").unwrap();
        assert_eq!(
            names(&m),
            ["BEGIN", "interval:ms:200", "interval:ms:300", "END"]
        );
        apply(&mut m, ":200").unwrap();
        assert_eq!(names(&m), ["BEGIN", "interval:ms:200", "END"]);
    }

    #[test]
    fn no_match_and_bad_regex_are_errors() {
        let mut m = meta(&[("interval:ms:100", interval(100))]);
        let e = apply(&mut m, "nonexistent").unwrap_err();
        assert_eq!(e.to_string(), "No probes to attach");
        assert!(
            e.is_bpftrace(),
            "printed as bpftrace prints it, on a line of its own"
        );
        let e = apply(&mut m, "[invalid").unwrap_err().to_string();
        assert!(e.starts_with("Invalid --probe-filter regex"), "{e}");
        // Only BEGIN/END: nothing to filter, nothing to complain about.
        let mut m = meta(&[("BEGIN", Attach::Begin)]);
        apply(&mut m, "x").unwrap();
        assert_eq!(names(&m), ["BEGIN"]);
    }

    #[test]
    fn a_program_without_probes_is_an_error() {
        assert!(require_probes(&meta(&[("BEGIN", Attach::Begin)])).is_ok());
        let e = require_probes(&meta(&[])).unwrap_err();
        assert_eq!(e.to_string(), "No probes to attach");
    }
}
