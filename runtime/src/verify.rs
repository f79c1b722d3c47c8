//! `tracerun --verify OBJECT`: load every program into the kernel verifier without
//! attaching anything, report per program whether it loaded and how many instructions
//! the verifier processed, and map a rejection back to the script line through the
//! object's line info.
//!
//! Instruction numbers: aya loads each program as its symbol's bytes, unchanged in
//! length (map relocations rewrite `ld_imm64` in place), so the verifier's index `i`
//! is the instruction at byte `symbol offset + 8 * i` of the program's section, which
//! is how `.BTF.ext` line info is keyed. Everything is closed (nothing stays loaded)
//! when this returns.

use crate::elfview::{ElfView, LineTable};
use crate::load;
use crate::object::{self, Object};
use crate::sys;
use crate::verifier_log::{self, Failure};
use crate::Error;
use aya::programs::ProgramError;
use aya::Ebpf;
use std::fmt::Write as _;
use std::io::Write;
use std::path::Path;
use tracec_meta::ProbeSpec;

/// The verifier's answer for one program.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// Loaded; `insns` is `bpf_prog_info.verified_insns` (kernels before 5.16: `None`).
    Loaded { insns: Option<u32> },
    /// Rejected: the system call's error and the verifier log.
    Rejected { error: String, log: String },
}

/// One program of the object and what became of it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outcome {
    pub program: String,
    /// The probes (attach points) that run this program.
    pub probes: Vec<String>,
    pub verdict: Verdict,
}

/// Verify `path` as `tracerun path ARGS` would load it, writing the report to `out`.
/// `Ok(true)` when every program loaded.
pub fn run(path: &Path, args: &[String], out: &mut dyn Write) -> Result<bool, Error> {
    run_filtered(path, args, None, out)
}

/// [`run`] for `tracerun --probe-filter REGEX`: only the probes a run would load.
pub fn run_filtered(
    path: &Path,
    args: &[String],
    probe_filter: Option<&str>,
    out: &mut dyn Write,
) -> Result<bool, Error> {
    let obj = object::read(path).map_err(|e| Error::new(format!("{}: {e}", path.display())))?;
    // Without arguments, attach points that take them keep their placeholders: the
    // programs are the same whatever the values.
    let mut obj = match args.is_empty() {
        true => std::borrow::Cow::Borrowed(&obj),
        false => crate::attach_params::with_args(&obj, args)?,
    };
    if let Some(pattern) = probe_filter {
        crate::probe_filter::apply(&mut obj.to_mut().meta, pattern)?;
    }
    if !sys::has_privileges() {
        return Err(Error::new(
            "loading programs needs root (or CAP_BPF and CAP_PERFMON); run tracerun --verify with sudo",
        ));
    }
    if let Err(e) = sys::bpf_available() {
        return Err(Error::new(format!("BPF is not available here: {e}")));
    }
    crate::probe_filter::require_probes(&obj.meta)?;
    let params = crate::params::resolve(&obj.meta.params, args)?;
    let outcomes = verify_with(&obj, &params)?;
    let view = ElfView::parse(&obj.bytes).map_err(Error::new)?;
    let io = |e: std::io::Error| Error::new(format!("cannot write the report: {e}"));
    let mut rejected = 0;
    for o in &outcomes {
        let who = format!("{} ({})", o.program, o.probes.join(", "));
        match &o.verdict {
            Verdict::Loaded { insns: Some(n) } => {
                writeln!(out, "{who}: loaded, {n} instructions processed").map_err(io)?
            }
            Verdict::Loaded { insns: None } => writeln!(
                out,
                "{who}: loaded (this kernel does not report processed instructions)"
            )
            .map_err(io)?,
            Verdict::Rejected { error, log } => {
                rejected += 1;
                writeln!(out, "{who}: rejected ({error})").map_err(io)?;
                let lines = view.line_table(&o.program);
                let report = render_rejection(&obj, o, &verifier_log::parse(log), lines);
                out.write_all(report.as_bytes()).map_err(io)?;
            }
        }
    }
    let n = outcomes.len();
    writeln!(
        out,
        "{n} program{}: {} loaded, {rejected} rejected",
        if n == 1 { "" } else { "s" },
        n - rejected
    )
    .map_err(io)?;
    Ok(rejected == 0)
}

/// Load every program named by the metadata (each once) and collect the verdicts.
/// Nothing is attached; everything is closed when the returned value is built.
pub fn verify(obj: &Object) -> Result<Vec<Outcome>, Error> {
    verify_with(obj, &[])
}

/// [`verify`] with the parameters' values written to `.rodata` first, as a run does: the
/// verifier sees them as constants (a `while` bounded by `$1` is checked with its value).
pub fn verify_with(
    obj: &Object,
    params: &[crate::params::GlobalValue],
) -> Result<Vec<Outcome>, Error> {
    let mut ebpf = load::open(obj, sys::monotonic_ns(), 0, params)?;
    let mut outcomes: Vec<Outcome> = Vec::new();
    for probe in &obj.meta.probes {
        if let Some(o) = outcomes.iter_mut().find(|o| o.program == probe.program) {
            o.probes.push(probe.name.clone());
            continue;
        }
        let verdict = match crate::btf_target::load(&ebpf, obj, probe) {
            // Module functions and BPF programs: loaded (and closed) here.
            Some(r) => {
                crate::btf_target::detach(&probe.program);
                r?;
                Verdict::Loaded { insns: None }
            }
            None => verdict(&mut ebpf, probe)?,
        };
        outcomes.push(Outcome {
            program: probe.program.clone(),
            probes: vec![probe.name.clone()],
            verdict,
        });
    }
    drop(ebpf);
    Ok(outcomes)
}

fn verdict(ebpf: &mut Ebpf, probe: &ProbeSpec) -> Result<Verdict, Error> {
    match load::load_program(ebpf, probe)? {
        Ok(()) => {
            let insns = ebpf
                .program(&probe.program)
                .and_then(|p| p.info().ok())
                .and_then(|info| info.verified_instruction_count());
            Ok(Verdict::Loaded { insns })
        }
        Err(ProgramError::LoadError {
            io_error,
            verifier_log,
        }) => Ok(Verdict::Rejected {
            error: io_error.to_string(),
            log: verifier_log.to_string(),
        }),
        Err(e) => Err(Error::new(format!(
            "{}: cannot load program {}: {}",
            probe.name,
            probe.program,
            load::chain(&e)
        ))),
    }
}

/// The diagnostic for a rejected program: the reason, the script position with the
/// source line and a caret, the failing instruction, and the log's tail when the
/// instruction cannot be placed in the script.
pub fn render_rejection(
    obj: &Object,
    outcome: &Outcome,
    failure: &Failure,
    lines: Result<LineTable, String>,
) -> String {
    let mut s = String::new();
    let refused = matches!(&outcome.verdict, Verdict::Rejected { error, log }
        if log.trim().is_empty() && error.contains("os error 1)"));
    let reason = match failure.message.first() {
        Some(m) => m.as_str(),
        // EPERM with an empty log: the kernel turned the program down before the
        // verifier looked at it.
        None if refused => {
            "the kernel refused this program before verifying it (EPERM, no verifier log): \
             it does not allow this program type here (some kernels refuse every \
             fentry/fexit/tracing program, e.g. under lockdown or without BPF trampolines)"
        }
        None => "the verifier gave no reason",
    };
    let _ = writeln!(s, "error: {reason}");
    let record = match (&lines, failure.insn) {
        (Ok(table), Some(i)) => table.at(i),
        _ => None,
    };
    let at_insn = match (failure.insn, &failure.insn_text) {
        (Some(i), Some(t)) => format!("instruction {i}: {t}"),
        (Some(i), None) => format!("instruction {i}"),
        (None, _) => String::new(),
    };
    match record {
        Some(r) => {
            let text = obj
                .meta
                .source
                .as_deref()
                .and_then(|src| src.lines().nth((r.line as usize).checked_sub(1)?))
                .unwrap_or(&r.text);
            let number = r.line.to_string();
            let pad = " ".repeat(number.len());
            let _ = writeln!(s, "{pad}--> {}:{}:{}", r.file, r.line, r.col);
            let _ = writeln!(s, "{pad} |");
            let _ = writeln!(s, "{number} | {}", text.trim_end());
            let _ = write!(s, "{pad} | {}^", caret_indent(text, r.col));
            if !at_insn.is_empty() {
                let _ = write!(s, " {at_insn}");
            }
            s.push('\n');
        }
        // Nothing was verified, so there is nothing to place.
        None if refused => {}
        None => {
            if !at_insn.is_empty() {
                let _ = writeln!(s, "  at {at_insn}");
            }
            let why = match (&lines, failure.insn) {
                (Err(e), _) => e.clone(),
                (Ok(_), Some(_)) => "no line info covers that instruction".into(),
                (Ok(_), None) => "the log names no instruction".into(),
            };
            let _ = writeln!(s, "  (cannot place it in the script: {why})");
        }
    }
    for extra in failure.message.iter().skip(1) {
        let _ = writeln!(s, "  = {extra}");
    }
    if let Some(n) = failure.processed {
        let _ = writeln!(
            s,
            "  = the verifier processed {n} instructions of {} before it stopped",
            outcome.program
        );
    }
    if record.is_none() {
        let log = match &outcome.verdict {
            Verdict::Rejected { log, .. } => log.as_str(),
            Verdict::Loaded { .. } => "",
        };
        let tail: Vec<&str> = log.lines().rev().take(20).collect();
        if !tail.is_empty() {
            s.push_str("  verifier log (last lines):\n");
            for l in tail.iter().rev() {
                let _ = writeln!(s, "    {l}");
            }
        }
    }
    s
}

/// Whitespace that puts a caret under 1-based column `col` of `text` (tabs kept, so the
/// caret lines up however the terminal expands them).
fn caret_indent(text: &str, col: u32) -> String {
    text.chars()
        .take((col as usize).saturating_sub(1))
        .map(|c| if c == '\t' { '\t' } else { ' ' })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::btf::LineRecord;

    fn object(source: Option<&str>) -> Object {
        Object {
            path: "x.o".into(),
            bytes: Vec::new(),
            meta: tracec_meta::Metadata {
                source_name: "x.bt".into(),
                source: source.map(str::to_owned),
                ..Default::default()
            },
        }
    }

    fn rejected(log: &str) -> Outcome {
        Outcome {
            program: "prog_1".into(),
            probes: vec!["BEGIN".into()],
            verdict: Verdict::Rejected {
                error: "Permission denied".into(),
                log: log.into(),
            },
        }
    }

    fn table() -> LineTable {
        let rec = |line: u32, col: u32, text: &str| LineRecord {
            insn_off: 0,
            file: "x.bt".into(),
            text: text.into(),
            line,
            col,
        };
        LineTable::from_rows(vec![
            (5, rec(3, 5, "\t$x = @m[1];")),
            (0, rec(2, 1, "BEGIN {")),
        ])
    }

    const LOG: &str = "6: (79) r1 = *(u64 *)(r0 +0)\nR0 invalid mem access 'map_value_or_null'\nprocessed 7 insns\n";

    #[test]
    fn rejection_shows_the_script_line_and_a_caret() {
        let o = rejected(LOG);
        let f = verifier_log::parse(LOG);
        let src = "// x\nBEGIN {\n\t$x = @m[1]; // src\n}\n";
        let text = render_rejection(&object(Some(src)), &o, &f, Ok(table()));
        assert_eq!(
            text,
            "error: R0 invalid mem access 'map_value_or_null'\n \
             --> x.bt:3:5\n  |\n3 | \t$x = @m[1]; // src\n  | \t   ^ instruction 6: (79) r1 = *(u64 *)(r0 +0)\n  \
             = the verifier processed 7 instructions of prog_1 before it stopped\n"
        );
    }

    #[test]
    fn without_embedded_source_the_line_info_text_is_used() {
        let o = rejected(LOG);
        let f = verifier_log::parse(LOG);
        let text = render_rejection(&object(None), &o, &f, Ok(table()));
        assert!(text.contains("3 | \t$x = @m[1];\n"), "{text}");
    }

    #[test]
    fn unplaceable_failures_show_the_log_tail() {
        let o = rejected(LOG);
        let f = verifier_log::parse(LOG);
        let text = render_rejection(&object(None), &o, &f, Err("no .BTF".into()));
        assert!(text.contains("  at instruction 6: (79)"), "{text}");
        assert!(
            text.contains("cannot place it in the script: no .BTF"),
            "{text}"
        );
        assert!(
            text.contains("verifier log (last lines):\n    6: (79)"),
            "{text}"
        );
        let empty = LineTable::default();
        let text = render_rejection(&object(None), &o, &f, Ok(empty));
        assert!(
            text.contains("no line info covers that instruction"),
            "{text}"
        );
    }

    #[test]
    fn a_program_refused_before_verification_says_so() {
        let mut o = rejected("");
        o.verdict = Verdict::Rejected {
            error: "Operation not permitted (os error 1)".into(),
            log: String::new(),
        };
        let text = render_rejection(&object(None), &o, &verifier_log::parse(""), Ok(table()));
        assert!(
            text.starts_with("error: the kernel refused this program before verifying it (EPERM"),
            "{text}"
        );
        assert!(!text.contains("cannot place"), "{text}");
        // Any other empty-log failure keeps the plain wording.
        let o = rejected("");
        let text = render_rejection(&object(None), &o, &verifier_log::parse(""), Ok(table()));
        assert!(
            text.starts_with("error: the verifier gave no reason"),
            "{text}"
        );
    }

    #[test]
    fn caret_under_the_column() {
        assert_eq!(caret_indent("  @x = 1;", 3), "  ");
        assert_eq!(caret_indent("\t@x = 1;", 2), "\t");
        assert_eq!(caret_indent("ab", 1), "");
        assert_eq!(caret_indent("ab", 0), "");
        assert_eq!(caret_indent("ab", 10), "  ");
    }
}
