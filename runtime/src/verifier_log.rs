//! Reading the kernel verifier's log: where it stopped and why.
//!
//! At log level 1 the verifier prints each instruction it walks as
//! `IDX: (OPCODE) TEXT [; REGISTER STATE]`, interleaved with state lines
//! (`from 11 to 17: R0=...`), source comments (`; text @ file:line`) and, when it gives
//! up, the reason on the lines after the last instruction, then statistics
//! (`processed N insns ...`). Errors found before the walk (control-flow checks such as
//! `unreachable insn 17` or `back-edge from insn 9 to 4`) name the instruction in the
//! message instead.

/// What the log says about a rejection.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Failure {
    /// Index of the failing instruction, from the program's start.
    pub insn: Option<usize>,
    /// The verifier's rendering of that instruction, e.g. `(79) r1 = *(u64 *)(r0 +0)`.
    pub insn_text: Option<String>,
    /// The reason, one entry per log line.
    pub message: Vec<String>,
    /// `processed N insns`, when the statistics were logged.
    pub processed: Option<u64>,
}

/// Parse `IDX: (OP) TEXT` into the index and `(OP) TEXT` without the state comment.
fn insn_line(line: &str) -> Option<(usize, String)> {
    let (idx, rest) = line.split_once(": ")?;
    if idx.is_empty() || !idx.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let b = rest.as_bytes();
    let opcode = b.len() >= 5
        && b[0] == b'('
        && b[1].is_ascii_hexdigit()
        && b[2].is_ascii_hexdigit()
        && b[3] == b')'
        && b[4] == b' ';
    if !opcode {
        return None;
    }
    let text = match rest.find(" ; ") {
        Some(i) => &rest[..i],
        None => rest,
    };
    Some((idx.parse().ok()?, text.trim_end().to_owned()))
}

/// Lines that are bookkeeping rather than a reason.
fn is_noise(line: &str) -> bool {
    const PREFIXES: &[&str] = &[
        "verification time",
        "stack depth",
        "processed ",
        "func#",
        ";",
        "last_idx ",
        "regs=",
        "mark_precise",
        "Live regs",
        "-- ",
    ];
    let t = line.trim();
    if t.is_empty() || PREFIXES.iter().any(|p| t.starts_with(p)) {
        return true;
    }
    // `12: R0=...` state lines, `(0) frame 0 insn 5 +live` liveness lines.
    let digits_then = |s: &str, sep: char| {
        s.split_once(sep)
            .is_some_and(|(d, _)| !d.is_empty() && d.bytes().all(|b| b.is_ascii_digit()))
    };
    if digits_then(t, ':') {
        return true;
    }
    if let Some(rest) = t.strip_prefix('(') {
        if digits_then(rest, ')') {
            return true;
        }
    }
    // `from 11 to 17: R0=...`
    if t.starts_with("from ") && t.contains(" to ") && t.contains(':') {
        return true;
    }
    // `R0_w=scalar() R1=ctx()`: a register dump, not `R0 invalid mem access`.
    if let Some(rest) = t.strip_prefix('R') {
        let n = rest.bytes().take_while(u8::is_ascii_digit).count();
        if n > 0 && matches!(rest.as_bytes().get(n), Some(b'=' | b'_')) {
            return true;
        }
    }
    false
}

/// The first number after `insn ` in `text`.
fn insn_in_message(text: &str) -> Option<usize> {
    text.match_indices("insn ").find_map(|(i, m)| {
        let digits: String = text[i + m.len()..]
            .chars()
            .take_while(char::is_ascii_digit)
            .collect();
        digits.parse().ok()
    })
}

/// Summarise a rejection log.
pub fn parse(log: &str) -> Failure {
    let lines: Vec<&str> = log.lines().map(str::trim_end).collect();
    let processed = lines.iter().find_map(|l| {
        l.strip_prefix("processed ")?
            .split_whitespace()
            .next()?
            .parse()
            .ok()
    });
    let last = lines
        .iter()
        .enumerate()
        .rev()
        .find_map(|(k, l)| insn_line(l).map(|(idx, text)| (k, idx, text)));
    let after = last.as_ref().map_or(0, |(k, _, _)| k + 1);
    let mut message: Vec<String> = lines[after..]
        .iter()
        .filter(|l| !is_noise(l))
        .map(|l| l.trim().to_owned())
        .collect();
    if message.is_empty() {
        // Nothing after the last instruction: fall back to the last meaningful line.
        if let Some(l) = lines.iter().rev().find(|l| !is_noise(l)) {
            message.push(l.trim().to_owned());
        }
    }
    let (insn, insn_text) = match last {
        Some((_, idx, text)) => (Some(idx), Some(text)),
        None => (message.iter().find_map(|m| insn_in_message(m)), None),
    };
    Failure {
        insn,
        insn_text,
        message,
        processed,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const NULL_DEREF: &str = "\
func#0 @0
0: R1=ctx() R10=fp0
; @opens[comm] = count(); @ b.bt:5
0: (bf) r1 = r10                      ; R1_w=fp0 R10=fp0
1: (07) r1 += -16                     ; R1_w=fp-16
11: (55) if r0 != 0x0 goto pc+5       ; R0_w=0
12: (79) r1 = *(u64 *)(r0 +0)
R0 invalid mem access 'scalar'
verification time 45 usec
stack depth 24
processed 13 insns (limit 1000000) max_states_per_insn 0 total_states 1 peak_states 1 mark_read 1
";

    #[test]
    fn finds_the_last_instruction_and_the_reason() {
        let f = parse(NULL_DEREF);
        assert_eq!(f.insn, Some(12));
        assert_eq!(f.insn_text.as_deref(), Some("(79) r1 = *(u64 *)(r0 +0)"));
        assert_eq!(f.message, vec!["R0 invalid mem access 'scalar'"]);
        assert_eq!(f.processed, Some(13));
    }

    #[test]
    fn strips_register_state_from_the_instruction() {
        let (i, t) = insn_line("11: (55) if r0 != 0x0 goto pc+5       ; R0_w=0").unwrap();
        assert_eq!(i, 11);
        assert_eq!(t, "(55) if r0 != 0x0 goto pc+5");
        assert!(insn_line("11: R0=1").is_none());
        assert!(insn_line("x1: (55) a").is_none());
        assert!(insn_line("").is_none());
    }

    #[test]
    fn control_flow_errors_name_the_instruction_in_the_message() {
        let f = parse(
            "func#0 @0\nunreachable insn 17\nverification time 9 usec\nstack depth 0\n\
             processed 0 insns (limit 1000000) max_states_per_insn 0\n",
        );
        assert_eq!(f.insn, Some(17));
        assert_eq!(f.insn_text, None);
        assert_eq!(f.message, vec!["unreachable insn 17"]);
        assert_eq!(f.processed, Some(0));
        let f = parse("back-edge from insn 9 to 4\n");
        assert_eq!(f.insn, Some(9));
    }

    #[test]
    fn multi_line_reasons_are_kept() {
        let f = parse(
            "3: (85) call bpf_map_lookup_elem#1\nR2 type=scalar expected=fp, pkt, mem\n\
             from 2 to 3: R1=map_ptr\nprocessed 4 insns\n",
        );
        assert_eq!(f.insn, Some(3));
        assert_eq!(f.message, vec!["R2 type=scalar expected=fp, pkt, mem"]);
    }

    #[test]
    fn empty_or_unknown_logs_do_not_panic() {
        assert_eq!(parse(""), Failure::default());
        let f = parse("something odd\n");
        assert_eq!(f.insn, None);
        assert_eq!(f.message, vec!["something odd"]);
    }
}
