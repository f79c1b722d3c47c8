//! The text form of the IR (`tracec --emit ir`, snapshot tests):
//!
//! ```text
//! map AT_x: percpu_hash key=u64 value=u64 max_entries=4096
//! global tracec_start_ns: u64
//! fn tracepoint_syscalls_sys_enter_openat_1 section "tracepoint/syscalls/sys_enter_openat"
//!   slot s0: 8 align 8
//! bb0:
//!   v0 = ctx
//!   v1 = call get_current_pid_tgid()
//!   v2 = and v1, 4294967295
//!   store.8 [s0+0], v2
//!   br ne v3, 0, bb1, bb2
//! ```
//!
//! A [`Function`] printed on its own names maps and globals by index (`map#0`); inside
//! a [`Module`] by symbol.

use super::*;
use std::fmt::{self, Display, Formatter};

impl Display for DataType {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        match self {
            DataType::Int { size, signed } => {
                write!(
                    f,
                    "{}{}",
                    if *signed { 'i' } else { 'u' },
                    u32::from(*size) * 8
                )
            }
            DataType::Str { size } => write!(f, "str[{size}]"),
            DataType::Ptr => f.write_str("ptr"),
            DataType::Array { elem, len } => write!(f, "{elem}[{len}]"),
            DataType::Struct { name, fields, size } => {
                write!(f, "struct {name} {{")?;
                for (i, fl) in fields.iter().enumerate() {
                    let sep = if i == 0 { " " } else { ", " };
                    write!(f, "{sep}{}@{}: {}", fl.name, fl.offset, fl.ty)?;
                }
                write!(f, " }} size {size}")
            }
        }
    }
}

impl Display for Module {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        for m in &self.maps {
            write!(f, "map {}: {}", m.symbol, m.kind.name())?;
            if let Some(k) = &m.key {
                write!(f, " key={k}")?;
            }
            if let Some(v) = &m.value {
                write!(f, " value={v}")?;
            }
            writeln!(f, " max_entries={}", m.max_entries)?;
        }
        for g in &self.globals {
            write!(f, "global {}: {}", g.symbol, g.ty)?;
            if g.init.iter().any(|&b| b != 0) {
                f.write_str(" =")?;
                for b in &g.init {
                    write!(f, " {b:02x}")?;
                }
            }
            writeln!(f)?;
        }
        for func in &self.functions {
            writeln!(f)?;
            write_function(f, func, Some(self))?;
        }
        Ok(())
    }
}

impl Display for Function {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        write_function(f, self, None)
    }
}

struct Names<'a>(Option<&'a Module>);

impl Names<'_> {
    fn map(&self, m: MapId) -> String {
        match self.0.and_then(|md| md.maps.get(m.0 as usize)) {
            Some(d) => d.symbol.clone(),
            None => format!("map#{}", m.0),
        }
    }
    fn global(&self, g: GlobalId) -> String {
        match self.0.and_then(|md| md.globals.get(g.0 as usize)) {
            Some(d) => d.symbol.clone(),
            None => format!("global#{}", g.0),
        }
    }
}

impl Display for VReg {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        write!(f, "v{}", self.0)
    }
}

impl Display for Operand {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        match self {
            Operand::Reg(r) => write!(f, "{r}"),
            Operand::Imm(i) => write!(f, "{i}"),
        }
    }
}

impl Display for Cond {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Cond::Eq => "eq",
            Cond::Ne => "ne",
            Cond::Ugt => "ugt",
            Cond::Uge => "uge",
            Cond::Ult => "ult",
            Cond::Ule => "ule",
            Cond::Sgt => "sgt",
            Cond::Sge => "sge",
            Cond::Slt => "slt",
            Cond::Sle => "sle",
            Cond::Set => "set",
        })
    }
}

impl Display for BinOp {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            BinOp::Add => "add",
            BinOp::Sub => "sub",
            BinOp::Mul => "mul",
            BinOp::UDiv => "udiv",
            BinOp::SDiv => "sdiv",
            BinOp::UMod => "umod",
            BinOp::SMod => "smod",
            BinOp::And => "and",
            BinOp::Or => "or",
            BinOp::Xor => "xor",
            BinOp::Shl => "shl",
            BinOp::LShr => "lshr",
            BinOp::AShr => "ashr",
        })
    }
}

/// `[s0+8]`, `[v3-4]`.
fn addr(base: &Base, offset: i32) -> String {
    let b = match base {
        Base::Reg(r) => r.to_string(),
        Base::Slot(s) => format!("s{}", s.0),
    };
    if offset < 0 {
        format!("[{b}{offset}]")
    } else {
        format!("[{b}+{offset}]")
    }
}

/// `[dst = ]call name(args)`.
fn write_call(
    f: &mut Formatter<'_>,
    dst: Option<VReg>,
    name: &str,
    args: &[Operand],
) -> fmt::Result {
    if let Some(d) = dst {
        write!(f, "{d} = ")?;
    }
    write!(f, "call {name}(")?;
    for (i, a) in args.iter().enumerate() {
        if i > 0 {
            f.write_str(", ")?;
        }
        write!(f, "{a}")?;
    }
    f.write_str(")")
}

fn write_inst(f: &mut Formatter<'_>, i: &Inst, names: &Names<'_>) -> fmt::Result {
    match i {
        Inst::Ctx { dst } => write!(f, "{dst} = ctx"),
        Inst::Arg { dst, n } => write!(f, "{dst} = arg{n}"),
        Inst::FuncAddr { dst, func } => write!(f, "{dst} = func #{}", func.0),
        Inst::KsymAddr { dst, name } => write!(f, "{dst} = ksym {name}"),
        Inst::Mov { dst, src } => write!(f, "{dst} = {src}"),
        Inst::Unary { dst, op, src } => {
            let op = match op {
                UnOp::Neg => "neg",
                UnOp::Not => "not",
            };
            write!(f, "{dst} = {op} {src}")
        }
        Inst::Binary { dst, op, lhs, rhs } => write!(f, "{dst} = {op} {lhs}, {rhs}"),
        Inst::Cmp {
            dst,
            cond,
            lhs,
            rhs,
        } => write!(f, "{dst} = cmp {cond} {lhs}, {rhs}"),
        Inst::Load {
            dst,
            base,
            offset,
            width,
            signed,
        } => {
            let s = if *signed { "s" } else { "" };
            write!(
                f,
                "{dst} = load.{s}{} {}",
                width.bytes(),
                addr(base, *offset)
            )
        }
        Inst::Store {
            base,
            offset,
            width,
            value,
        } => write!(
            f,
            "store.{} {}, {value}",
            width.bytes(),
            addr(base, *offset)
        ),
        Inst::Zero { slot, offset, len } => {
            write!(f, "zero {}, {len}", addr(&Base::Slot(*slot), *offset))
        }
        Inst::Copy {
            dst,
            dst_offset,
            src,
            src_offset,
            len,
        } => write!(
            f,
            "copy {}, {}, {len}",
            addr(dst, *dst_offset),
            addr(src, *src_offset)
        ),
        Inst::SlotAddr { dst, slot, offset } => {
            write!(f, "{dst} = addr {}", addr(&Base::Slot(*slot), *offset))
        }
        Inst::MapAddr { dst, map } => write!(f, "{dst} = map {}", names.map(*map)),
        Inst::GlobalAddr {
            dst,
            global,
            offset,
        } => write!(f, "{dst} = global {}+{offset}", names.global(*global)),
        Inst::AtomicAdd {
            base,
            offset,
            width,
            value,
        } => write!(
            f,
            "atomic_add.{} {}, {value}",
            width.bytes(),
            addr(base, *offset)
        ),
        Inst::CoreLoad {
            dst,
            base,
            width,
            signed,
            access,
        } => {
            let s = if *signed { "s" } else { "" };
            write!(
                f,
                "{dst} = load.{s}{} [{base}+core {access} = {}]",
                width.bytes(),
                access.local_value()
            )
        }
        Inst::CoreConst { dst, access } => {
            write!(f, "{dst} = core {access} = {}", access.local_value())
        }
        Inst::Call { dst, helper, args } => write_call(f, *dst, helper.name(), args),
        Inst::CallKfunc { dst, func, args } => {
            write_call(f, *dst, &format!("kfunc {}", func.name()), args)
        }
    }
}

fn write_term(f: &mut Formatter<'_>, t: &Terminator) -> fmt::Result {
    match t {
        Terminator::Jump(b) => write!(f, "jmp bb{}", b.0),
        Terminator::Branch {
            cond,
            lhs,
            rhs,
            then,
            els,
        } => write!(f, "br {cond} {lhs}, {rhs}, bb{}, bb{}", then.0, els.0),
        Terminator::Return(v) => write!(f, "ret {v}"),
    }
}

fn write_function(f: &mut Formatter<'_>, func: &Function, module: Option<&Module>) -> fmt::Result {
    let names = Names(module);
    writeln!(
        f,
        "fn {} section \"{}\" at {}:{}",
        func.name, func.section, func.loc.line, func.loc.col
    )?;
    for (i, s) in func.slots.iter().enumerate() {
        writeln!(f, "  slot s{i}: {} align {}", s.size, s.align)?;
    }
    for (i, b) in func.blocks.iter().enumerate() {
        writeln!(f, "bb{i}:")?;
        for inst in &b.insts {
            f.write_str("  ")?;
            write_inst(f, inst, &names)?;
            writeln!(f)?;
        }
        f.write_str("  ")?;
        write_term(f, &b.term)?;
        writeln!(f)?;
    }
    Ok(())
}
