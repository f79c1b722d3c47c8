//! Naming the kernel struct field behind a failed CO-RE relocation.
//!
//! When the running kernel lacks a field a program reads, the loader (aya, like
//! libbpf) cannot relocate the instruction holding the field's offset and replaces it
//! with a call to the nonexistent helper `0xbad2310`; the verifier then rejects the
//! program with `N: (85) call unknown#195896080`. The object's metadata lists every
//! relocation by program and instruction index, so the failing instruction names the
//! type and the field.

use tracec_meta::{CoreRelocSpec, Metadata, ProbeSpec};

/// The helper id loaders put in place of an unrelocatable instruction.
pub const POISON_HELPER: u32 = 0xbad2310;

/// Instruction indices of poisoned calls in a verifier log.
pub fn poisoned_insns(log: &str) -> Vec<u32> {
    let marker = format!("call unknown#{POISON_HELPER}");
    let mut out: Vec<u32> = log
        .lines()
        .filter(|l| l.contains(&marker))
        .filter_map(|l| l.split(':').next()?.trim().parse().ok())
        .collect();
    out.dedup();
    out
}

/// If `error` (a load failure with its verifier log) comes from a relocation that the
/// running kernel cannot satisfy, a message naming the probe, the type and the field.
pub fn explain(meta: &Metadata, probe: &ProbeSpec, error: &str) -> Option<String> {
    if !error.contains(&POISON_HELPER.to_string()) {
        return None;
    }
    let ours: Vec<&CoreRelocSpec> = meta
        .core_relocs
        .iter()
        .filter(|r| r.program == probe.program)
        .collect();
    let insns = poisoned_insns(error);
    let mut hit: Vec<&CoreRelocSpec> = ours
        .iter()
        .copied()
        .filter(|r| insns.contains(&r.insn))
        .collect();
    if hit.is_empty() {
        // The log did not say where: every relocation of the program is a suspect.
        hit = ours;
    }
    let mut fields: Vec<String> = hit
        .iter()
        .map(|r| format!("`{}` of `{}`", r.field, r.type_name))
        .collect();
    fields.dedup();
    if fields.is_empty() {
        return Some(format!(
            "{}: a kernel struct field that program {} reads does not exist on the running kernel",
            probe.name, probe.program
        ));
    }
    Some(format!(
        "{}: the running kernel has no field {} (the script was compiled against kernel type \
         information that has it; program {} cannot be relocated for this kernel)",
        probe.name,
        fields.join(", "),
        probe.program
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use tracec_meta::Attach;

    fn meta() -> (Metadata, ProbeSpec) {
        let probe = ProbeSpec {
            program: "BEGIN_0".into(),
            section: "raw_tp".into(),
            name: "BEGIN".into(),
            attach: Attach::Begin,
            cookie: None,
        };
        let reloc = |insn, field: &str| CoreRelocSpec {
            program: "BEGIN_0".into(),
            insn,
            type_name: "struct task_struct".into(),
            field: field.into(),
        };
        let meta = Metadata {
            core_relocs: vec![reloc(10, "pid"), reloc(22, "no_such")],
            probes: vec![probe.clone()],
            ..Default::default()
        };
        (meta, probe)
    }

    #[test]
    fn names_the_field_at_the_poisoned_instruction() {
        let (meta, probe) = meta();
        let log =
            "21: (bf) r3 = r0\n22: (85) call unknown#195896080\ninvalid func unknown#195896080\n";
        assert_eq!(poisoned_insns(log), [22]);
        let msg = explain(&meta, &probe, log).unwrap();
        assert!(
            msg.starts_with(
                "BEGIN: the running kernel has no field `no_such` of `struct task_struct`"
            ),
            "{msg}"
        );
        assert!(!msg.contains("`pid`"), "{msg}");
    }

    #[test]
    fn other_failures_are_not_explained() {
        let (meta, probe) = meta();
        assert_eq!(
            explain(&meta, &probe, "R1 invalid mem access 'scalar'"),
            None
        );
    }

    #[test]
    fn without_an_index_every_relocation_is_named() {
        let (meta, probe) = meta();
        let msg = explain(&meta, &probe, "invalid func unknown#195896080").unwrap();
        assert!(msg.contains("`pid`") && msg.contains("`no_such`"), "{msg}");
    }
}
