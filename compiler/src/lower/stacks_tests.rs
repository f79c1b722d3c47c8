use super::*;
use crate::ir::{Inst, Terminator};
use tracec_meta::MapSpec;

#[test]
fn symbols_name_kind_and_depth() {
    assert_eq!(map_symbol(false, 127), "stack_k127");
    assert_eq!(map_symbol(true, 3), "stack_u3");
    assert_eq!(scratch_symbol(3), "stack_buf3");
}

fn compile(script: &str) -> crate::Compiled {
    crate::compile(script, &crate::Options::default()).expect("compiles")
}

/// The helpers the first program of `c` calls, in block order.
fn calls(c: &crate::Compiled) -> Vec<Helper> {
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

fn map<'a>(c: &'a crate::Compiled, symbol: &str) -> (&'a MapDef, &'a MapSpec) {
    let i =
        c.ir.maps
            .iter()
            .position(|m| m.symbol == symbol)
            .unwrap_or_else(|| panic!("no map {symbol}"));
    let spec = c
        .metadata
        .maps
        .iter()
        .find(|m| m.symbol == symbol)
        .unwrap_or_else(|| panic!("no metadata for {symbol}"));
    (&c.ir.maps[i], spec)
}

#[test]
fn stacks_are_stored_by_hash_in_maps_that_grow() {
    let c = compile("interval:s:1 { @[kstack, ustack(7)] = count(); }");
    let (k, spec) = map(&c, "stack_k127");
    assert_eq!(k.kind, MapKind::HashNoPrealloc);
    assert_eq!((k.kind.bpf_type(), k.kind.map_flags()), (1, 1));
    assert_eq!(k.key, Some(DataType::U64));
    assert_eq!(k.value.as_ref().map(DataType::size), Some(127 * 8));
    assert_eq!(
        spec.role,
        MapRole::StackFrames {
            user: false,
            limit: 127
        }
    );
    let (u, spec) = map(&c, "stack_u7");
    assert_eq!(u.value.as_ref().map(DataType::size), Some(7 * 8));
    assert_eq!(
        spec.role,
        MapRole::StackFrames {
            user: true,
            limit: 7
        }
    );
    // Each depth has its per-CPU buffer, big enough for its frames.
    for (symbol, limit) in [("stack_buf127", 127), ("stack_buf7", 7)] {
        let (s, spec) = map(&c, symbol);
        assert_eq!((s.kind, s.max_entries), (MapKind::PerCpuArray, 1));
        assert_eq!(s.value.as_ref().map(DataType::size), Some(limit * 8));
        assert_eq!(spec.role, MapRole::Scratch);
    }
    // No stack trace map, no stack id.
    assert!(
        c.ir.maps.iter().all(|m| m.kind != MapKind::StackTrace),
        "{:?}",
        c.ir.maps
    );
    let helpers = calls(&c);
    assert!(!helpers.contains(&Helper::GetStackid), "{helpers:?}");
    assert_eq!(
        helpers.iter().filter(|h| **h == Helper::GetStack).count(),
        2,
        "{helpers:?}"
    );
}

#[test]
fn kernel_and_user_stacks_of_one_depth_share_the_buffer_not_the_map() {
    let c = compile("interval:s:1 { @a[kstack(5)] = 1; @b[ustack(5)] = 1; @c[kstack(5)] = 2; }");
    let symbols: Vec<&str> = c.ir.maps.iter().map(|m| m.symbol.as_str()).collect();
    let count = |s: &str| symbols.iter().filter(|m| **m == s).count();
    assert_eq!(count("stack_k5"), 1, "{symbols:?}");
    assert_eq!(count("stack_u5"), 1, "{symbols:?}");
    assert_eq!(count("stack_buf5"), 1, "{symbols:?}");
}

/// The helper call sequence of one stack: the buffer's lookup, the stack into it,
/// the frames into the map under their hash.
#[test]
fn a_stack_is_collected_hashed_and_inserted_without_replacing() {
    let c = compile("interval:s:1 { @[kstack(4)] = count(); }");
    let f = &c.ir.functions[0];
    let insts: Vec<&Inst> = f.blocks.iter().flat_map(|b| &b.insts).collect();
    let pos = |h: Helper| {
        insts
            .iter()
            .position(|i| matches!(i, Inst::Call { helper, .. } if *helper == h))
            .unwrap_or_else(|| panic!("no {h:?}"))
    };
    let get = pos(Helper::GetStack);
    assert!(pos(Helper::MapLookupElem) < get);
    let Inst::Call { args, .. } = insts[get] else {
        unreachable!()
    };
    // ctx, buffer, 4 frames of 8 bytes, kernel stack.
    assert_eq!(args[2..], [Operand::Imm(32), Operand::Imm(0)]);
    let update = insts
        .iter()
        .position(|i| {
            matches!(i, Inst::Call { helper: Helper::MapUpdateElem, args, .. }
                if args.last() == Some(&Operand::Imm(BPF_NOEXIST)))
        })
        .expect("an update with BPF_NOEXIST");
    assert!(get < update);
    // The buffer the stack went into is the value inserted.
    let Inst::Call { args: up, .. } = insts[update] else {
        unreachable!()
    };
    assert_eq!(up[2], args[1]);
    // The hash: a multiply by the 64-bit odd constant inside a loop bounded by the
    // depth.
    assert!(
        insts.iter().any(|i| matches!(i,
            Inst::Mov { src: Operand::Imm(v), .. } if *v == HASH_MULTIPLIER as i64)),
        "no multiplier"
    );
    let loops = f.blocks.iter().enumerate().any(|(n, b)| {
        matches!(b.term, Terminator::Branch { then, rhs: Operand::Imm(4), .. }
            if (then.0 as usize) <= n)
    });
    assert!(loops, "no loop back edge bounded by the depth");
}

#[test]
fn user_stacks_keep_the_pid_and_build_id_stacks_their_stack_trace_map() {
    let c = compile("interval:s:1 { @a[ustack(build_id, 3)] = 1; }");
    let (m, spec) = map(&c, "stack_b3");
    assert_eq!(m.kind, MapKind::StackTraceBuildId);
    assert_eq!(spec.role, MapRole::BuildIdStack { limit: 3 });
    let helpers = calls(&c);
    assert!(helpers.contains(&Helper::GetStackid), "{helpers:?}");
    assert!(!helpers.contains(&Helper::GetStack), "{helpers:?}");
    assert!(c.ir.maps.iter().all(|m| m.kind != MapKind::HashNoPrealloc));
}
