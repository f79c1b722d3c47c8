//! Test mode (`tracerun --test`, bpftrace's `--test`): every `test:NAME` probe runs
//! once through `BPF_PROG_TEST_RUN`, in metadata order, after BEGIN. A test passes
//! when its program returns 0, it calls no `exit` with a non-zero code and it reports
//! no error (`errorf`); the output of a passing test is dropped, a failing test's is
//! shown under its name. The report is bpftrace's (ANSI colours included): a
//! `[ RUN      ]` line per test, `[       OK ]` or `[  FAILED  ]` with its time, and a
//! summary after the last one.

use crate::print::json;
use std::fmt::Write as _;

/// One test's outcome.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TestResult {
    /// `NAME` of `test:NAME`.
    pub name: String,
    pub passed: bool,
    /// Wall time of the run, in nanoseconds.
    pub duration_ns: u64,
    /// What it printed (stdout and stderr, in order).
    pub output: String,
}

const GREEN: &str = "\x1b[32m";
const RED: &str = "\x1b[31m";
const RESET: &str = "\x1b[0m";

fn tag(colour: &str, text: &str) -> String {
    format!("{colour}{text}{RESET}")
}

fn tests(n: usize) -> &'static str {
    if n == 1 {
        "test"
    } else {
        "tests"
    }
}

/// A duration in the largest unit it reaches (ns, us, ms, s), as an integer.
pub fn duration(ns: u64) -> String {
    let (scale, unit) = match ns {
        1_000_000_000.. => (1_000_000_000, "s"),
        1_000_000.. => (1_000_000, "ms"),
        1_000.. => (1_000, "us"),
        _ => (1, "ns"),
    };
    format!("{} {unit}", ns / scale)
}

/// The text report of test `index` of `total`, given every result so far (the last
/// one is this test's); the summary follows the last test.
pub fn text(results: &[TestResult], total: usize) -> String {
    let Some(r) = results.last() else {
        return String::new();
    };
    let index = results.len() - 1;
    let mut out = String::new();
    if index == 0 {
        let _ = writeln!(
            out,
            "{} Running {total} {}.",
            tag(GREEN, "[==========]"),
            tests(total)
        );
    }
    let _ = writeln!(out, "{} {}", tag(GREEN, "[ RUN      ]"), r.name);
    if r.passed {
        let _ = write!(out, "{} {}", tag(GREEN, "[       OK ]"), r.name);
    } else {
        for line in r.output.lines().filter(|l| !l.is_empty()) {
            out.push_str(line);
            out.push('\n');
        }
        let _ = write!(out, "{} {}", tag(RED, "[  FAILED  ]"), r.name);
    }
    let _ = writeln!(out, " ({})", duration(r.duration_ns));
    if results.len() == total {
        let failed: Vec<&TestResult> = results.iter().filter(|r| !r.passed).collect();
        let passed = total - failed.len();
        let _ = writeln!(
            out,
            "{} {total} {} ran.",
            tag(GREEN, "[==========]"),
            tests(total)
        );
        let _ = writeln!(
            out,
            "{} {passed} {}.",
            tag(GREEN, "[  PASSED  ]"),
            tests(passed)
        );
        if !failed.is_empty() {
            let _ = writeln!(
                out,
                "{} {} {}, listed below:",
                tag(RED, "[  FAILED  ]"),
                failed.len(),
                tests(failed.len())
            );
            for f in failed {
                let _ = writeln!(out, "{} {}", tag(RED, "[  FAILED  ]"), f.name);
            }
        }
    }
    out
}

/// bpftrace's JSON line for one test.
pub fn json_line(r: &TestResult) -> String {
    format!(
        "{{\"type\": \"test_result\", \"data\": {{{}: {{\"duration\": {}, \"passed\": {}, \"output\": {}}}}}}}\n",
        json::string(r.name.as_bytes()),
        r.duration_ns,
        r.passed,
        json::string(r.output.as_bytes())
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn result(name: &str, passed: bool, output: &str) -> TestResult {
        TestResult {
            name: name.into(),
            passed,
            duration_ns: 2_500,
            output: output.into(),
        }
    }

    #[test]
    fn durations_use_the_largest_unit() {
        assert_eq!(duration(999), "999 ns");
        assert_eq!(duration(2_500), "2 us");
        assert_eq!(duration(3_000_000), "3 ms");
        assert_eq!(duration(4_200_000_000), "4 s");
    }

    #[test]
    fn report_of_a_pass_and_a_failure() {
        let ok = result("okay", true, "hidden\n");
        let bad = result("failure", false, "shown\n\nERROR: no\n");
        let first = text(std::slice::from_ref(&ok), 2);
        assert_eq!(
            first,
            "\x1b[32m[==========]\x1b[0m Running 2 tests.\n\
             \x1b[32m[ RUN      ]\x1b[0m okay\n\
             \x1b[32m[       OK ]\x1b[0m okay (2 us)\n"
        );
        let second = text(&[ok, bad], 2);
        assert_eq!(
            second,
            "\x1b[32m[ RUN      ]\x1b[0m failure\n\
             shown\nERROR: no\n\
             \x1b[31m[  FAILED  ]\x1b[0m failure (2 us)\n\
             \x1b[32m[==========]\x1b[0m 2 tests ran.\n\
             \x1b[32m[  PASSED  ]\x1b[0m 1 test.\n\
             \x1b[31m[  FAILED  ]\x1b[0m 1 test, listed below:\n\
             \x1b[31m[  FAILED  ]\x1b[0m failure\n"
        );
    }

    #[test]
    fn json_result() {
        assert_eq!(
            json_line(&result("a", false, "x\n")),
            "{\"type\": \"test_result\", \"data\": {\"a\": {\"duration\": 2500, \"passed\": false, \"output\": \"x\\n\"}}}\n"
        );
    }
}
