use super::*;
use crate::ir::Loc;

fn func(slots: &[u32], insts: Vec<Inst>) -> Function {
    Function {
        name: "f".into(),
        section: "raw_tp".into(),
        slots: slots
            .iter()
            .map(|&size| SlotDef { size, align: 8 })
            .collect(),
        blocks: vec![Block {
            locs: vec![Loc::default(); insts.len()],
            insts,
            term: Terminator::Jump(BlockId(0)),
            term_loc: Loc::default(),
        }],
        vreg_count: 1,
        loc: Loc::default(),
    }
}

#[test]
fn small_frames_are_untouched() {
    let f = func(&[200, 200, 64], vec![]);
    assert!(plan(&f).is_none());
}

#[test]
fn many_small_slots_move_when_the_big_ones_are_not_enough() {
    // 64 slots of 16 bytes and one of 128: moving the big one leaves 1024 bytes.
    let mut sizes = vec![16; 64];
    sizes.push(128);
    let f = func(&sizes, vec![]);
    let (moved, groups) = plan(&f).unwrap();
    assert!(moved[64].is_some());
    let kept: u32 = moved[..64].iter().filter(|m| m.is_none()).count() as u32 * 16;
    assert_eq!(
        kept, 128,
        "small slots move until the frame is down to 128 bytes"
    );
    assert_eq!(groups, vec![128 + 56 * 16]);
    // When the big slots suffice, the small ones stay.
    let f = func(&[16, 16, 16, 400, 200], vec![]);
    let (moved, _) = plan(&f).unwrap();
    assert!(moved[..3].iter().all(Option::is_none));
}

#[test]
fn big_slots_move_into_groups_of_at_most_32k() {
    let f = func(&[10000, 10000, 10000, 10000, 16], vec![]);
    let (moved, sizes) = plan(&f).unwrap();
    assert_eq!(sizes, vec![30000, 10000]);
    assert!(moved[..4].iter().all(Option::is_some));
    assert!(moved[4].is_none());
    assert_eq!(moved[1].unwrap().offset, 10000);
    assert_eq!(moved[3].unwrap().group, 1);
}

#[test]
fn accesses_go_through_the_looked_up_pointer() {
    let mut f = func(
        &[16, 1000],
        vec![
            Inst::Store {
                base: Base::Slot(Slot(1)),
                offset: 8,
                width: Width::B8,
                value: Operand::Imm(7),
            },
            Inst::Store {
                base: Base::Slot(Slot(0)),
                offset: 0,
                width: Width::B8,
                value: Operand::Imm(1),
            },
            Inst::Zero {
                slot: Slot(1),
                offset: 0,
                len: 1000,
            },
            Inst::SlotAddr {
                dst: VReg(0),
                slot: Slot(1),
                offset: 4,
            },
        ],
    );
    let (moved, _) = plan(&f).unwrap();
    rewrite(&mut f, &moved, &[MapId(3)]);
    let p = VReg(1);
    // Entry: key, lookup, branch to the failure return or the old entry.
    let entry = &f.blocks[0];
    assert!(entry.insts.iter().any(|i| matches!(
        i,
        Inst::Call {
            dst: Some(d),
            helper: Helper::MapLookupElem,
            ..
        } if *d == p
    )));
    assert_eq!(
        entry.term,
        Terminator::Branch {
            cond: Cond::Eq,
            lhs: p,
            rhs: Operand::Imm(0),
            then: BlockId(2),
            els: BlockId(1),
        }
    );
    assert_eq!(f.slots[1].size, 0);
    assert_eq!(f.blocks[2].term, Terminator::Return(Operand::Imm(0)));
    // The old entry jumped to itself: it still does, at its new place.
    let body = &f.blocks[1];
    assert_eq!(body.term, Terminator::Jump(BlockId(1)));
    assert_eq!(
        body.insts[0],
        Inst::Store {
            base: Base::Reg(p),
            offset: 8,
            width: Width::B8,
            value: Operand::Imm(7),
        }
    );
    assert!(matches!(
        body.insts[1],
        Inst::Store {
            base: Base::Slot(Slot(0)),
            ..
        }
    ));
    assert!(body.insts.iter().any(|i| matches!(
        i,
        Inst::Call {
            helper: Helper::ProbeReadKernel,
            args,
            ..
        } if args[1] == Operand::Imm(1000) && args[2] == Operand::Imm(0)
    )));
    assert_eq!(
        body.insts.last(),
        Some(&Inst::Binary {
            dst: VReg(0),
            op: crate::ir::BinOp::Add,
            lhs: p,
            rhs: Operand::Imm(4),
        })
    );
    assert!(f.blocks.iter().all(|b| b.locs.len() == b.insts.len()));
}

#[test]
fn small_zeroing_of_moved_slots_is_stores() {
    let s = zero_stores(Base::Reg(VReg(0)), 4, 12);
    assert_eq!(s.len(), 2);
    assert!(matches!(
        s[0],
        Inst::Store {
            offset: 4,
            width: Width::B4,
            ..
        }
    ));
    assert!(matches!(
        s[1],
        Inst::Store {
            offset: 8,
            width: Width::B8,
            ..
        }
    ));
}
