//! `percpu_kaddr` against a synthetic kernel BTF: checking, lowering, metadata.

use std::sync::Arc;

use crate::back::insn::Insn;
use crate::diag::Diagnostic;
use crate::ir::{Helper, Inst};
use crate::kbtf;
use crate::obj::btf::{Btf, BtfType, Member, VarLinkage};

/// `struct rq { int cpu; int nr_running; }`, the percpu variables `runqueues`
/// (a `struct rq`) and `process_counts` (an `unsigned long`), and a type `not_a_var`.
fn kernel() -> Arc<kbtf::Btf> {
    let mut b = Btf::new();
    let int = b.int();
    let ulong = b.add(BtfType::Int {
        name: "unsigned long".into(),
        size: 8,
        encoding: 0,
    });
    let rq = b.add(BtfType::Struct {
        name: "rq".into(),
        size: 8,
        members: vec![
            Member {
                name: "cpu".into(),
                ty: int,
                bit_offset: 0,
            },
            Member {
                name: "nr_running".into(),
                ty: int,
                bit_offset: 32,
            },
        ],
    });
    b.add(BtfType::Var {
        name: "runqueues".into(),
        ty: rq,
        linkage: VarLinkage::GlobalAllocated,
    });
    b.add(BtfType::Var {
        name: "process_counts".into(),
        ty: ulong,
        linkage: VarLinkage::GlobalAllocated,
    });
    b.add(BtfType::Struct {
        name: "not_a_var".into(),
        size: 0,
        members: vec![],
    });
    Arc::new(kbtf::Btf::from_bytes(b.encode()).expect("synthetic BTF parses"))
}

fn compile(src: &str) -> Result<crate::Compiled, Vec<Diagnostic>> {
    super::kernel_tests::compile_with(src, kernel())
}

fn errors(src: &str) -> Vec<String> {
    match compile(src) {
        Ok(_) => vec![],
        Err(d) => d.into_iter().map(|d| d.message).collect(),
    }
}

fn helpers(c: &crate::Compiled) -> Vec<Helper> {
    c.ir.functions[0]
        .blocks
        .iter()
        .flat_map(|b| &b.insts)
        .filter_map(|i| match i {
            Inst::Call { helper, .. } => Some(*helper),
            _ => None,
        })
        .collect()
}

#[test]
fn this_cpu_and_a_given_cpu() {
    let c = compile(
        r#"BEGIN { $p = percpu_kaddr("process_counts"); $q = (struct rq *)percpu_kaddr("runqueues", 1);
        if ($q != 0) { printf("%d %d\n", *$p, $q->nr_running); } }"#,
    )
    .unwrap();
    let h = helpers(&c);
    assert!(
        h.contains(&Helper::ThisCpuPtr) && h.contains(&Helper::PerCpuPtr),
        "{h:?}"
    );
    let names: Vec<&str> = c.metadata.ksyms.iter().map(|k| k.name.as_str()).collect();
    assert_eq!(names, ["process_counts", "runqueues"]);
    let f = &c.functions[0];
    for k in &c.metadata.ksyms {
        assert_eq!(k.program, f.name);
        let i: &Insn = &f.insns[k.insn as usize];
        assert_eq!((i.code, i.src, i.imm), (0x18, 3, 0), "{k:?}");
        assert_eq!(f.insns[k.insn as usize + 1].imm, 0);
    }
    assert_eq!(c.metadata.ksyms.len(), f.ksyms.len());
}

#[test]
fn bad_calls_are_refused() {
    assert_eq!(
        errors(r#"BEGIN { $p = percpu_kaddr("no_such"); }"#),
        ["Could not resolve variable \"no_such\" from BTF"]
    );
    // A type of that name is no variable.
    assert_eq!(
        errors(r#"BEGIN { $p = percpu_kaddr("not_a_var"); }"#),
        ["Could not resolve variable \"not_a_var\" from BTF"]
    );
    assert_eq!(
        errors("BEGIN { $p = percpu_kaddr(); }"),
        ["percpu_kaddr() requires 1 or 2 arguments (0 provided)"]
    );
    assert_eq!(
        errors(r#"BEGIN { $p = percpu_kaddr("runqueues", 1, 2); }"#),
        ["percpu_kaddr() requires 1 or 2 arguments (3 provided)"]
    );
    assert_eq!(
        errors(r#"BEGIN { $s = "runqueues"; $p = percpu_kaddr($s); }"#),
        ["percpu_kaddr() expects a string literal as its first argument"]
    );
    assert_eq!(
        errors(r#"BEGIN { $p = percpu_kaddr("runqueues", "0"); }"#),
        ["percpu_kaddr() needs an integer cpu, not a string[2]"]
    );
}
