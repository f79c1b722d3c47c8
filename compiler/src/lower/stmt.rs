//! Lowering statements.

use super::expr::Mem;
use super::{Lower, VarLoc};
use crate::ir::Base;
use crate::sema::types::*;

impl Lower<'_, '_> {
    pub(crate) fn stmts(&mut self, stmts: &[TStmt]) {
        for s in stmts {
            // Code after `exit()` is unreachable; the builder drops it.
            let mark = self.b.scope();
            self.at(s.span);
            self.stmt_span = s.span;
            self.stmt(s);
            self.b.end_scope(mark);
        }
    }

    fn stmt(&mut self, s: &TStmt) {
        match &s.kind {
            TStmtKind::Expr(e) => {
                if e.ty.is_mem() {
                    self.str_val(e);
                } else {
                    self.int(e);
                }
            }
            TStmtKind::AssignVar { var, value } => match self.vars.get(var.0 as usize).copied() {
                Some(VarLoc::Reg(r)) => {
                    let v = self.int(value);
                    self.b.mov(r, v);
                }
                Some(VarLoc::Str { slot, size }) => {
                    let dst = Mem {
                        base: Base::Slot(slot),
                        offset: 0,
                        size,
                    };
                    let var_ty = self.var_tys.get(var.0 as usize).copied();
                    if let Some(Type::Tuple(t)) = var_ty {
                        // Through a temporary: the value may read the variable itself.
                        let tmp = self.b.temp_slot(t.size);
                        let m = Mem {
                            base: Base::Slot(tmp),
                            offset: 0,
                            size: align8(t.size),
                        };
                        self.tuple_into(value, m, t);
                        self.b.copy(Base::Slot(slot), 0, Base::Slot(tmp), 0, t.size);
                    } else if matches!(value.kind, TExprKind::Var(_)) || builds_in_place(value) {
                        // `$s = $s`, or a string built in place from its parts, which may
                        // be the variable itself (`$s = str_concat("/", $s)`): through a
                        // temporary.
                        let v = self.str_val(value);
                        self.write_str(&v, dst);
                    } else {
                        self.str_into(value, dst, true);
                    }
                }
                None => {}
            },
            TStmtKind::AssignMap { map, keys, value } => self.map_assign(*map, keys, value),
            TStmtKind::Printf { id, args } => self.printf(*id, args),
            TStmtKind::Debugf { format, args } => self.debugf(format, args),
            TStmtKind::Join { id, array, user } => self.join(*id, array, *user),
            TStmtKind::Delete { map, keys } => self.map_delete(*map, keys),
            TStmtKind::Clear { map } => self.clear(*map),
            TStmtKind::Zero { map } => self.zero(*map),
            TStmtKind::PrintMap { map, top, div } => self.print_map(*map, top, div),
            TStmtKind::PrintValue { id, value } => self.print_value(*id, value),
            TStmtKind::Exit => self.exit(),
            TStmtKind::ExitCode(code) => self.exit_code(code),
            TStmtKind::Async { kind, id, args } => self.formatted(*kind, *id, args),
            TStmtKind::If { cond, then, els } => {
                let t = self.b.new_block();
                let f = self.b.new_block();
                let done = self.b.new_block();
                self.cond_branch(cond, t, if els.is_empty() { done } else { f });
                self.b.switch_to(t);
                self.stmts(then);
                self.b.jump(done);
                if !els.is_empty() {
                    self.b.switch_to(f);
                    self.stmts(els);
                    self.b.jump(done);
                }
                self.b.switch_to(done);
            }
            TStmtKind::ZeroVar { var } => self.zero_var(*var),
            TStmtKind::While { cond, body } => self.while_loop(cond, body),
            TStmtKind::Unroll { count, body } => {
                for _ in 0..*count {
                    self.stmts(body);
                }
            }
            TStmtKind::ForRange {
                var,
                start,
                end,
                body,
            } => self.for_range(*var, start, end, body),
            TStmtKind::ForMap {
                map,
                keys,
                value,
                shared,
                locals,
                body,
            } => self.for_map(*map, keys, *value, shared, locals, body),
            TStmtKind::ForRangeCallback {
                var,
                start,
                end,
                shared,
                locals,
                body,
            } => self.for_range_callback(*var, start, end, shared, locals, body),
            TStmtKind::Break => self.break_loop(),
            TStmtKind::Continue => self.continue_loop(),
            TStmtKind::Return(value) => {
                let v = match value {
                    Some(v) if matches!(v.ty, Type::Int { .. } | Type::Ptr { .. } | Type::Bool) => {
                        self.int(v)
                    }
                    _ => crate::ir::Operand::Imm(0),
                };
                self.leave_probe(v)
            }
        }
    }
}

/// Whether string `e` is written into its destination piece by piece while its parts
/// are still being read (`str_concat`, also as a branch or a block's value), so that
/// the destination must not be one of the parts.
fn builds_in_place(e: &TExpr) -> bool {
    match &e.kind {
        TExprKind::Stdlib(x) => matches!(**x, crate::sema::stdlib::StdlibExpr::StrConcat { .. }),
        TExprKind::Ternary { then, els, .. } => builds_in_place(then) || builds_in_place(els),
        TExprKind::Block { value, .. } => builds_in_place(value),
        _ => false,
    }
}
