//! A readable BPF assembly listing in the style of `llvm-objdump -d`:
//! `r1 = r10`, `r1 += -16`, `if r0 == 0x0 goto +5 <LBB0_3>`, `r1 = map[AT_x] ll`,
//! `*(u64 *)(r10 - 8) = r1`, `lock *(u64 *)(r0 + 0) += r1`.
//!
//! [`format`] names maps and globals from the module; [`disassemble`] prints any
//! instruction stream (with kernel pseudo `ld_imm64` forms and opcodes this compiler
//! never emits), for debugging.

use super::insn::Insn;
use super::opcode as op;
use super::{CompiledFunction, Reloc, RelocTarget};
use crate::ir::{Helper, Module};
use std::collections::BTreeMap;
use std::fmt::Write;

/// The listing of a compiled function, with its name, section and source lines.
pub fn format(f: &CompiledFunction, module: &Module) -> String {
    let mut out = format!("{}:  ; section \"{}\"\n", f.name, f.section);
    let name = |r: &Reloc, imm: i64| match r.target {
        RelocTarget::Map(m) => match module.maps.get(m.0 as usize) {
            Some(d) => format!("map[{}]", d.symbol),
            None => format!("map[#{}]", m.0),
        },
        RelocTarget::Func(id) => match module.functions.get(id.0 as usize) {
            Some(d) => format!("func[{}]", d.name),
            None => format!("func[#{}]", id.0),
        },
        RelocTarget::Global(g) => {
            let sym = module
                .globals
                .get(g.0 as usize)
                .map_or_else(|| format!("#{}", g.0), |d| d.symbol.clone());
            if imm == 0 {
                format!("&{sym}")
            } else {
                format!("&{sym} + {imm}")
            }
        }
    };
    let mut lines = f.lines.iter().peekable();
    let mut core = f.core_relocs.iter().peekable();
    let mut ksyms = f.ksyms.iter().peekable();
    listing(&f.insns, &f.relocs, &name, &mut out, &mut |i, out| {
        while let Some(l) = lines.next_if(|l| l.insn <= i) {
            let _ = writeln!(out, "; line {}:{}", l.loc.line, l.loc.col);
        }
        while let Some(c) = core.next_if(|c| c.insn <= i) {
            let _ = writeln!(out, "; CO-RE {}", c.access);
        }
        while let Some(k) = ksyms.next_if(|k| k.insn <= i) {
            let what = match k.kind {
                tracec_meta::KsymKind::Var => "kernel variable",
                tracec_meta::KsymKind::Func => "kfunc",
            };
            let _ = writeln!(out, "; {what} {} (BTF id set at load)", k.name);
        }
    });
    out
}

/// The listing of any instruction stream.
pub fn disassemble(insns: &[Insn]) -> String {
    let mut out = String::new();
    listing(insns, &[], &|_, _| String::new(), &mut out, &mut |_, _| {});
    out
}

fn listing(
    insns: &[Insn],
    relocs: &[Reloc],
    name: &dyn Fn(&Reloc, i64) -> String,
    out: &mut String,
    before: &mut dyn FnMut(usize, &mut String),
) {
    // Jump targets get labels, numbered in address order.
    let mut labels = BTreeMap::new();
    let mut i = 0;
    while i < insns.len() {
        if let Some(t) = jump_target(insns, i) {
            labels.insert(t, 0);
        }
        i += width(&insns[i]);
    }
    for (k, v) in labels.values_mut().enumerate() {
        *v = k + 1;
    }
    let mut i = 0;
    while i < insns.len() {
        if let Some(l) = labels.get(&i) {
            let _ = writeln!(out, "LBB0_{l}:");
        }
        before(i, out);
        let ins = &insns[i];
        let text = if ins.code == op::LD_IMM64 {
            ld_imm64(insns, i, relocs, name)
        } else {
            let mut t = insn_text(ins);
            if let Some(target) = jump_target(insns, i) {
                match labels.get(&target) {
                    Some(l) if target < insns.len() => {
                        let _ = write!(t, " <LBB0_{l}>");
                    }
                    _ => t.push_str(" <out of range>"),
                }
            }
            t
        };
        let _ = writeln!(out, "{i:>6}: {text}");
        i += width(ins);
    }
}

fn width(i: &Insn) -> usize {
    if i.code == op::LD_IMM64 {
        2
    } else {
        1
    }
}

fn jump_target(insns: &[Insn], i: usize) -> Option<usize> {
    let ins = &insns[i];
    let class = op::class(ins.code);
    if class != op::JMP && class != op::JMP32 {
        return None;
    }
    let o = ins.code & 0xf0;
    if o == op::CALL || o == op::EXIT {
        return None;
    }
    // `gotol` (JMP32 | JA) keeps its offset in imm.
    let off = if class == op::JMP32 && o == op::JA {
        i64::from(ins.imm)
    } else {
        i64::from(ins.off)
    };
    usize::try_from(i as i64 + 1 + off).ok()
}

fn ld_imm64(
    insns: &[Insn],
    i: usize,
    relocs: &[Reloc],
    name: &dyn Fn(&Reloc, i64) -> String,
) -> String {
    let ins = &insns[i];
    let Some(hi) = insns.get(i + 1) else {
        return format!("r{} = <truncated ld_imm64>", ins.dst);
    };
    let lo = u64::from(ins.imm as u32);
    let value = (u64::from(hi.imm as u32) << 32) | lo;
    if let Some(r) = relocs.iter().find(|r| r.insn == i) {
        return format!("r{} = {} ll", ins.dst, name(r, value as i64));
    }
    match ins.src {
        op::PSEUDO_MAP_FD => format!("r{} = map[fd:{}] ll", ins.dst, ins.imm),
        op::PSEUDO_MAP_VALUE => format!("r{} = map_value[fd:{}] + {} ll", ins.dst, ins.imm, hi.imm),
        0 => format!("r{} = {:#x} ll", ins.dst, value),
        op::PSEUDO_BTF_ID => format!("r{} = btf_var[id:{}] ll", ins.dst, ins.imm),
        s => format!("r{} = pseudo{}:{:#x} ll", ins.dst, s, value),
    }
}

fn size_name(code: u8, signed: bool) -> &'static str {
    match (code & 0x18, signed) {
        (op::SIZE_B, false) => "u8",
        (op::SIZE_H, false) => "u16",
        (op::SIZE_W, false) => "u32",
        (op::SIZE_B, true) => "s8",
        (op::SIZE_H, true) => "s16",
        (op::SIZE_W, true) => "s32",
        (_, true) => "s64",
        _ => "u64",
    }
}

fn mem(base: u8, off: i16) -> String {
    if off < 0 {
        format!("(r{base} - {})", -i32::from(off))
    } else {
        format!("(r{base} + {off})")
    }
}

fn hex(v: i32) -> String {
    if v < 0 {
        format!("-{:#x}", -i64::from(v))
    } else {
        format!("{v:#x}")
    }
}

pub fn helper_name(id: i32) -> Option<&'static str> {
    const ALL: &[Helper] = &[
        Helper::MapLookupElem,
        Helper::MapUpdateElem,
        Helper::MapDeleteElem,
        Helper::KtimeGetNs,
        Helper::TracePrintk,
        Helper::GetSmpProcessorId,
        Helper::GetCurrentPidTgid,
        Helper::GetCurrentUidGid,
        Helper::GetCurrentComm,
        Helper::GetCurrentTask,
        Helper::GetStack,
        Helper::ProbeReadUser,
        Helper::ProbeReadKernel,
        Helper::ProbeReadUserStr,
        Helper::ProbeReadKernelStr,
        Helper::RingbufOutput,
        Helper::RingbufReserve,
        Helper::RingbufSubmit,
        Helper::RingbufDiscard,
        Helper::GetPrandomU32,
        Helper::GetNumaNodeId,
        Helper::GetCurrentCgroupId,
        Helper::Jiffies64,
        Helper::KtimeGetBootNs,
        Helper::KtimeGetTaiNs,
        Helper::MapLookupPercpuElem,
        Helper::ForEachMapElem,
        Helper::Loop,
        Helper::GetAttachCookie,
        Helper::GetFuncIp,
        Helper::GetNsCurrentPidTgid,
        Helper::GetSocketCookie,
        Helper::PerCpuPtr,
        Helper::ThisCpuPtr,
        Helper::SkbOutput,
    ];
    ALL.iter().find(|h| h.id() == id).map(|h| h.name())
}

/// Text of one instruction (not `ld_imm64`), without jump labels.
pub fn insn_text(i: &Insn) -> String {
    let (d, s, off, imm) = (i.dst, i.src, i.off, i.imm);
    let code = i.code;
    let bad = || format!(".insn code={code:#04x} dst=r{d} src=r{s} off={off} imm={imm}");
    match op::class(code) {
        c @ (op::ALU | op::ALU64) => {
            let p = if c == op::ALU64 { 'r' } else { 'w' };
            let src = if code & op::SRC_X != 0 {
                format!("{p}{s}")
            } else {
                imm.to_string()
            };
            let sym = match code & 0xf0 {
                op::MOV if c == op::ALU64 && matches!(off, 8 | 16 | 32) => {
                    return format!("{p}{d} = (s{off}){p}{s}");
                }
                op::MOV => return format!("{p}{d} = {src}"),
                op::NEG => return format!("{p}{d} = -{p}{d}"),
                op::END => {
                    let kind = match (c, code & op::SRC_X != 0) {
                        (op::ALU64, _) => "bswap",
                        (_, true) => "be",
                        (_, false) => "le",
                    };
                    return format!("r{d} = {kind}{imm} r{d}");
                }
                op::ADD => "+=",
                op::SUB => "-=",
                op::MUL => "*=",
                op::DIV if off == 1 => "s/=",
                op::DIV => "/=",
                op::MOD if off == 1 => "s%=",
                op::MOD => "%=",
                op::OR => "|=",
                op::AND => "&=",
                op::LSH => "<<=",
                op::RSH => ">>=",
                op::ARSH => "s>>=",
                op::XOR => "^=",
                _ => return bad(),
            };
            format!("{p}{d} {sym} {src}")
        }
        op::LDX => match code & 0xe0 {
            op::MODE_MEM => format!("r{d} = *({} *){}", size_name(code, false), mem(s, off)),
            0x80 => format!("r{d} = *({} *){}", size_name(code, true), mem(s, off)),
            _ => bad(),
        },
        op::ST if code & 0xe0 == op::MODE_MEM => {
            format!("*({} *){} = {imm}", size_name(code, false), mem(d, off))
        }
        op::STX => match code & 0xe0 {
            op::MODE_MEM => format!("*({} *){} = r{s}", size_name(code, false), mem(d, off)),
            op::MODE_ATOMIC => {
                let ty = size_name(code, false);
                let p = if code & 0x18 == op::SIZE_W { 'w' } else { 'r' };
                let at = format!("({ty} *){}", mem(d, off));
                let opname = match imm & !op::ATOMIC_FETCH {
                    0x00 => "add",
                    0x40 => "or",
                    0x50 => "and",
                    0xa0 => "xor",
                    0xe0 if imm & op::ATOMIC_FETCH != 0 => {
                        return format!("{p}{s} = xchg_{ty}({at}, {p}{s})");
                    }
                    0xf0 if imm & op::ATOMIC_FETCH != 0 => {
                        return format!("{p}0 = cmpxchg_{ty}({at}, {p}0, {p}{s})");
                    }
                    _ => return bad(),
                };
                if imm & op::ATOMIC_FETCH != 0 {
                    format!("{p}{s} = atomic_fetch_{opname}({at}, {p}{s})")
                } else {
                    let sym = match opname {
                        "add" => "+=",
                        "or" => "|=",
                        "and" => "&=",
                        _ => "^=",
                    };
                    format!("lock *{at} {sym} {p}{s}")
                }
            }
            _ => bad(),
        },
        c @ (op::JMP | op::JMP32) => {
            let p = if c == op::JMP { 'r' } else { 'w' };
            let o = code & 0xf0;
            let rel = |x: i64| {
                if x < 0 {
                    format!("{x}")
                } else {
                    format!("+{x}")
                }
            };
            let sym = match o {
                op::JA if c == op::JMP32 => return format!("gotol {}", rel(i64::from(imm))),
                op::JA => return format!("goto {}", rel(i64::from(off))),
                op::CALL => {
                    return match s {
                        0 => match helper_name(imm) {
                            Some(n) => format!("call bpf_{n}"),
                            None => format!("call {imm}"),
                        },
                        1 => format!("call pc{}", rel(i64::from(imm))),
                        2 => format!("call kfunc#{imm}"),
                        _ => bad(),
                    };
                }
                op::EXIT if c == op::JMP => return "exit".into(),
                op::JEQ => "==",
                op::JNE => "!=",
                op::JGT => ">",
                op::JGE => ">=",
                op::JLT => "<",
                op::JLE => "<=",
                op::JSGT => "s>",
                op::JSGE => "s>=",
                op::JSLT => "s<",
                op::JSLE => "s<=",
                op::JSET => "&",
                _ => return bad(),
            };
            let rhs = if code & op::SRC_X != 0 {
                format!("{p}{s}")
            } else {
                hex(imm)
            };
            format!("if {p}{d} {sym} {rhs} goto {}", rel(i64::from(off)))
        }
        _ => bad(),
    }
}
