//! Generated straight-line arithmetic with a reference evaluation.

use super::{sdiv, smod, Fb, Lcg};
use tracec::ir::*;

pub const OPS: [BinOp; 13] = [
    BinOp::Add,
    BinOp::Sub,
    BinOp::Mul,
    BinOp::UDiv,
    BinOp::SDiv,
    BinOp::UMod,
    BinOp::SMod,
    BinOp::And,
    BinOp::Or,
    BinOp::Xor,
    BinOp::Shl,
    BinOp::LShr,
    BinOp::AShr,
];

pub const CONDS: [Cond; 11] = [
    Cond::Eq,
    Cond::Ne,
    Cond::Ugt,
    Cond::Uge,
    Cond::Ult,
    Cond::Ule,
    Cond::Sgt,
    Cond::Sge,
    Cond::Slt,
    Cond::Sle,
    Cond::Set,
];

pub fn binop(op: BinOp, l: u64, r: u64) -> u64 {
    match op {
        BinOp::Add => l.wrapping_add(r),
        BinOp::Sub => l.wrapping_sub(r),
        BinOp::Mul => l.wrapping_mul(r),
        BinOp::UDiv => l.checked_div(r).unwrap_or(0),
        BinOp::UMod => l.checked_rem(r).unwrap_or(l),
        BinOp::SDiv => sdiv(l as i64, r as i64) as u64,
        BinOp::SMod => smod(l as i64, r as i64) as u64,
        BinOp::And => l & r,
        BinOp::Or => l | r,
        BinOp::Xor => l ^ r,
        BinOp::Shl => l << (r & 63),
        BinOp::LShr => l >> (r & 63),
        BinOp::AShr => ((l as i64) >> (r & 63)) as u64,
    }
}

pub fn cond(c: Cond, l: u64, r: u64) -> bool {
    match c {
        Cond::Eq => l == r,
        Cond::Ne => l != r,
        Cond::Ugt => l > r,
        Cond::Uge => l >= r,
        Cond::Ult => l < r,
        Cond::Ule => l <= r,
        Cond::Sgt => (l as i64) > r as i64,
        Cond::Sge => (l as i64) >= r as i64,
        Cond::Slt => (l as i64) < (r as i64),
        Cond::Sle => (l as i64) <= r as i64,
        Cond::Set => l & r != 0,
    }
}

pub const INTERESTING: [u64; 11] = [
    0,
    1,
    2,
    3,
    7,
    63,
    64,
    u64::MAX,
    i64::MIN as u64,
    0x8000_0000,
    1 << 40,
];

/// A generated program.
pub struct Generated {
    pub f: Function,
    /// Context arguments.
    pub args: Vec<u64>,
    /// The values stored at `8*i` of the results map's entry 0 (30 of them).
    pub expected: Vec<u64>,
}

/// 40 random operations (binary ops, comparisons, `get_current_pid_tgid` calls whose
/// result is `pid_tgid`) over 4 context arguments; the last 30 values are stored in
/// map 0 and the program returns 1.
pub fn arith(seed: u64, pid_tgid: u64) -> Generated {
    let mut rng = Lcg(seed);
    let mut b = Fb::new("gen");
    let c = b.ctx();
    let args: Vec<u64> = (0..4)
        .map(|_| {
            if rng.below(2) == 0 {
                INTERESTING[rng.below(INTERESTING.len() as u64) as usize]
            } else {
                rng.next()
            }
        })
        .collect();
    let mut vals: Vec<(VReg, u64)> = (0..4).map(|i| (b.arg(c, i), args[i as usize])).collect();
    for _ in 0..40 {
        let pick = |rng: &mut Lcg, n: usize| rng.below(n as u64) as usize;
        let (l, lv) = vals[pick(&mut rng, vals.len())];
        let (rhs, rv) = if rng.below(3) == 0 {
            let k = INTERESTING[pick(&mut rng, INTERESTING.len())] as i64;
            (Operand::Imm(k), k as u64)
        } else {
            let (r, rv) = vals[pick(&mut rng, vals.len())];
            (Operand::Reg(r), rv)
        };
        let choice = rng.below(20);
        let v = if choice < 13 {
            let op = OPS[choice as usize];
            (b.bin(op, l, rhs), binop(op, lv, rv))
        } else if choice < 18 {
            let cd = CONDS[pick(&mut rng, CONDS.len())];
            (b.cmp(cd, l, rhs), u64::from(cond(cd, lv, rv)))
        } else {
            (b.call(Helper::GetCurrentPidTgid, vec![]), pid_tgid)
        };
        vals.push(v);
    }
    let tail = &vals[vals.len() - 30..];
    let regs: Vec<VReg> = tail.iter().map(|t| t.0).collect();
    b.store_results(MapId(0), &regs, Operand::Imm(1));
    Generated {
        f: b.finish(),
        args,
        expected: tail.iter().map(|t| t.1).collect(),
    }
}
