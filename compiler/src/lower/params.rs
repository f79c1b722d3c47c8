//! Lowering run-time parameters: one `.rodata` global per [`ParamSpec`], read in place.
//!
//! Integers and bools are 8-byte loads; strings are `char[N]` buffers read through their
//! address (the map value pointer of `.rodata`), as a [`StrVal::Mem`] or, for `str($N)`,
//! as a kernel pointer handed to `probe_read_kernel_str`.

use super::expr::{Mem, StrVal};
use super::{Lower, ModuleCx};
use crate::ir::{Base, DataType, Global, Operand, Width};
use crate::sema::params::ParamId;
use crate::sema::types::Type;
use tracec_meta::{ParamKind, ParamSpec, ParamType, ParamValue};

/// The value a parameter's global holds until the runtime sets it.
pub(crate) fn default_value(spec: &ParamSpec) -> ParamValue {
    match (&spec.kind, spec.ty) {
        (ParamKind::Named { default, .. }, _) => default.clone(),
        (_, ParamType::Str { .. }) => ParamValue::Str(String::new()),
        (_, ParamType::Bool) => ParamValue::Bool(false),
        (_, ParamType::Int) => ParamValue::Int(0),
    }
}

/// The global of a parameter, initialized with its default.
pub(crate) fn global(spec: &ParamSpec) -> Global {
    let ty = match spec.ty {
        ParamType::Int => DataType::I64,
        ParamType::Bool => DataType::U64,
        ParamType::Str { size } => DataType::Str { size },
    };
    let init = spec
        .ty
        .encode(&default_value(spec))
        .unwrap_or_else(|| vec![0; spec.ty.size() as usize]);
    Global {
        symbol: spec.symbol.clone(),
        ty,
        init,
        writable: false,
    }
}

impl ModuleCx<'_> {
    /// Add the globals of every parameter; `ParamId(i)` is then `self.params[i]`.
    pub(crate) fn add_param_globals(&mut self) {
        for spec in &self.checked.params {
            let id = crate::ir::GlobalId(self.globals.len() as u32);
            self.globals.push(global(spec));
            self.params.push(id);
        }
    }
}

impl Lower<'_, '_> {
    fn param_global(&self, p: ParamId) -> crate::ir::GlobalId {
        self.m.params[p.0 as usize]
    }

    /// A parameter as an integer, or with a pointer type the address of its text.
    pub(crate) fn param_int(&mut self, p: ParamId, ty: Type) -> Operand {
        let g = self.param_global(p);
        let addr = self.b.global_addr(g, 0);
        if matches!(ty, Type::Ptr { .. }) {
            return Operand::Reg(addr);
        }
        Operand::Reg(self.b.load(Base::Reg(addr), 0, Width::B8, false))
    }

    /// A string parameter, read in place.
    pub(crate) fn param_str(&mut self, p: ParamId) -> StrVal {
        let g = self.param_global(p);
        let size = self.m.checked.params[p.0 as usize].ty.size();
        let addr = self.b.global_addr(g, 0);
        StrVal::Mem(Mem {
            base: Base::Reg(addr),
            offset: 0,
            size,
        })
    }
}
