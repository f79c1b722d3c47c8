//! Map loops and aggregation reads, from source text to IR and object.

use crate::ir::{Helper, Inst, Terminator, SUBPROGRAM_SECTION};

fn compile(src: &str) -> Result<crate::Compiled, Vec<String>> {
    crate::compile(src, &crate::Options::default())
        .map_err(|ds| ds.into_iter().map(|d| d.message).collect())
}

fn calls(f: &crate::ir::Function, h: Helper) -> usize {
    f.blocks
        .iter()
        .flat_map(|b| &b.insts)
        .filter(|i| matches!(i, Inst::Call { helper, .. } if *helper == h))
        .count()
}

#[test]
fn map_loop_body_is_a_subprogram_after_the_programs() {
    let c = compile(
        "BEGIN { @m[1] = 2; $x = 0; for ($kv : @m) { $x += $kv.1; for ($j : @m) { break; } } }",
    )
    .unwrap();
    let f = &c.ir.functions;
    assert_eq!(f.len(), 3);
    assert_eq!(f[0].name, "BEGIN_0");
    assert_eq!(f[1].section, SUBPROGRAM_SECTION);
    assert_eq!(f[2].section, SUBPROGRAM_SECTION);
    assert_eq!(calls(&f[0], Helper::ForEachMapElem), 1);
    // The nested loop is called from the outer callback.
    assert_eq!(
        calls(&f[1], Helper::ForEachMapElem) + calls(&f[2], Helper::ForEachMapElem),
        1
    );
    // A callback returns 0 (next element) or 1 (stop), from a register.
    for sub in &f[1..] {
        let args: Vec<u8> = sub
            .blocks
            .iter()
            .flat_map(|b| &b.insts)
            .filter_map(|i| match i {
                Inst::Arg { n, .. } => Some(*n),
                _ => None,
            })
            .collect();
        assert_eq!(args, [1, 2, 3], "key, value and context arguments");
        assert!(sub
            .blocks
            .iter()
            .any(|b| matches!(b.term, Terminator::Return(crate::ir::Operand::Reg(_)))));
    }
    // The caller references the callback through a function relocation.
    let caller = &c.functions[0];
    assert!(caller
        .relocs
        .iter()
        .any(|r| matches!(r.target, crate::back::RelocTarget::Func(id) if id.0 == 1)));
}

#[test]
fn aggregation_reads_sum_over_cpus() {
    let c =
        compile("BEGIN { @c = count(); @a = avg(3); if (@c > 0 && @a < 9) { exit(); } }").unwrap();
    assert_eq!(calls(&c.ir.functions[0], Helper::MapLookupPercpuElem), 2);
    assert!(c
        .ir
        .globals
        .iter()
        .any(|g| g.symbol == tracec_meta::GLOBAL_NCPUS));
}

#[test]
fn map_loop_errors() {
    let e = compile("BEGIN { @h = hist(1); for ($kv : @h) { } }").unwrap_err();
    assert!(e[0].starts_with("cannot iterate over @h"), "{e:?}");
    let e = compile("BEGIN { @m[1] = 1; for ($kv : @m) { print($kv.2); } }").unwrap_err();
    assert!(!e.is_empty(), "{e:?}");
    let e = compile("BEGIN { @m[1] = 1; $kv = 1; for ($kv : @m) { } }").unwrap_err();
    assert!(e[0].contains("shadowing"), "{e:?}");
    let e = compile("BEGIN { @h = hist(1); print(@h + 1); }").unwrap_err();
    assert!(e[0].contains("cannot be read as a value"), "{e:?}");
}

#[test]
fn whole_loop_variables_are_tuples() {
    compile("BEGIN { @m[1, 2] = 1; for ($kv : @m) { print($kv.0); print($kv); $t = $kv; } }")
        .unwrap();
    let e = compile("BEGIN { @m[1] = 1; for ($kv : @m) { } print($kv); }").unwrap_err();
    assert!(e[0].contains("used before it is assigned"), "{e:?}");
}

#[test]
fn object_has_static_text_function_and_pseudo_func_load() {
    let c = compile("BEGIN { @m[1] = 2; for ($kv : @m) { printf(\"%d\\n\", $kv.0); } }").unwrap();
    let elf = goblin::elf::Elf::parse(&c.object).unwrap();
    let text = elf
        .section_headers
        .iter()
        .position(|s| elf.shdr_strtab.get_at(s.sh_name) == Some(".text"))
        .expect(".text section");
    let sym = elf
        .syms
        .iter()
        .find(|s| elf.strtab.get_at(s.st_name) == Some("tracec_loop_0"))
        .expect("callback symbol");
    assert_eq!(sym.st_shndx, text);
    assert_eq!(sym.st_bind(), goblin::elf::sym::STB_LOCAL);
    assert_eq!(sym.st_type(), goblin::elf::sym::STT_FUNC);
    // The caller's `ld_imm64` of the callback: src = BPF_PSEUDO_FUNC, imm = offset 0.
    let f = &c.functions[0];
    let r = f
        .relocs
        .iter()
        .find(|r| matches!(r.target, crate::back::RelocTarget::Func(_)))
        .unwrap();
    assert_eq!((f.insns[r.insn].src, f.insns[r.insn].imm), (4, 0));
}

#[test]
fn range_loops_inline_small_constant_bounds_only() {
    let c = compile("BEGIN { for ($i : 0..10) { printf(\"%d\\n\", $i); } }").unwrap();
    assert_eq!(c.ir.functions.len(), 1);
    assert_eq!(calls(&c.ir.functions[0], Helper::Loop), 0);
    for src in [
        "BEGIN { $n = 10; for ($i : 0..$n) { printf(\"%d\\n\", $i); } }",
        "BEGIN { for ($i : 0..100000) { printf(\"%d\\n\", $i); } }",
    ] {
        let c = compile(src).unwrap();
        assert_eq!(c.ir.functions.len(), 2, "{src}");
        assert_eq!(calls(&c.ir.functions[0], Helper::Loop), 1, "{src}");
        assert_eq!(c.ir.functions[1].section, SUBPROGRAM_SECTION);
    }
}

#[test]
fn callback_locals_take_no_stack_in_the_program() {
    let c = compile(
        &format!(
            "BEGIN {{ @m[\"{k}\"] = \"{k}\"; for ($kv : @m) {{ $s = $kv.1; printf(\"%s %s\\n\", $s, $kv.0); }} }}",
            k = "k".repeat(100)
        ),
    )
    .unwrap();
    let stack = |f: &crate::ir::Function| f.slots.iter().map(|s| s.size).sum::<u32>();
    let (main, cb) = (&c.ir.functions[0], &c.ir.functions[1]);
    // The key, the value and $s (three 101-byte strings) live in the callback only;
    // the program has the key and value it stores and the callback context.
    assert!(stack(cb) >= 3 * 101, "{}", stack(cb));
    assert!(stack(main) < 3 * 101, "{}", stack(main));
}
