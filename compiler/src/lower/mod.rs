//! Lowering of the checked tree to the IR: one [`ir::Function`] per concrete probe,
//! plus the maps, globals and metadata pieces they need.
//!
//! Values are either integers (in a virtual register or an immediate) or strings, which
//! live in memory: a stack slot, a ctx field or a map value, always zero-padded to their
//! size. Large payloads (printf strings, join) are written straight into the ringbuf
//! record. Temporaries are scoped to a statement so their slots are reused.

mod agg_read;
mod array_bits;
mod arrays;
mod buf_cmp;
mod builtins;
mod calls;
mod clock;
mod control;
mod debugf;
mod deref;
mod div;
mod dw_stack;
mod events;
mod expr;
mod find;
mod fmtvals;
mod for_map;
mod helper_checks;
mod kernel;
mod map_add;
mod map_full;
mod mapfuncs;
mod maps;
mod name_str;
mod output;
mod params;
mod percpu;
mod pid_plain;
mod scratch;
mod skb;
mod stack_len;
mod stacks;
mod stdlib;
mod stmt;
mod str_bytes;
mod str_index;
mod strlen;
mod struct_value;
mod task_comm;
mod tseries;
mod tuple;
mod usdt;

#[cfg(test)]
mod for_map_tests;
#[cfg(test)]
mod kernel_tests;
#[cfg(test)]
mod tests;

use crate::front::ast::Span;
use crate::ir::builder::FunctionBuilder;
use crate::ir::{self, Base, DataType, Global, GlobalId, Loc, MapDef, MapId, MapKind, Slot, VReg};
use crate::sema::decls::DeclaredMap;
use crate::sema::types::{align8, MapIdx, Type};
use crate::sema::{Checked, CheckedProbe, MapInfo, MapValueType};
use tracec_meta::{AggKind, JoinSpec, MapRole, MapSpec, ParamSpec, PrintfSpec, ProbeSpec, Ty};

/// Size of the events ringbuf.
pub const EVENTS_SIZE: u32 = 1 << 20;
pub const EVENTS_SYMBOL: &str = "events";
pub const LOST_SYMBOL: &str = "lost_events";

/// The IR module and the metadata that describes it.
#[derive(Debug, Clone, PartialEq)]
pub struct Lowered {
    pub module: ir::Module,
    /// One per function of `module`, in the same order (attach order).
    pub probes: Vec<ProbeSpec>,
    /// One per map of `module`, in the same order (`MapId` = index).
    pub maps: Vec<MapSpec>,
    pub printfs: Vec<PrintfSpec>,
    pub joins: Vec<JoinSpec>,
    /// The script's parameters; their globals are in `module.globals`.
    pub params: Vec<ParamSpec>,
    /// Types of the `print(value)` events, by id.
    pub print_values: Vec<Ty>,
}

/// Byte offset → line/column, by binary search over line starts.
pub(crate) struct LineIndex<'s> {
    source: &'s str,
    starts: Vec<usize>,
}

impl<'s> LineIndex<'s> {
    pub(crate) fn new(source: &'s str) -> Self {
        let mut starts = vec![0];
        starts.extend(source.match_indices('\n').map(|(i, _)| i + 1));
        LineIndex { source, starts }
    }
    /// The whole source text.
    pub(crate) fn source(&self) -> &'s str {
        self.source
    }
    pub(crate) fn loc(&self, span: Span) -> Loc {
        let off = (span.start as usize).min(self.source.len());
        let line = self.starts.partition_point(|&s| s <= off).max(1);
        let start = self.starts[line - 1];
        let col = self
            .source
            .get(start..off)
            .map_or(off - start, |t| t.chars().count());
        Loc {
            line: line as u32,
            col: col as u32 + 1,
        }
    }
}

/// Where a key part sits in a map key.
pub(crate) fn key_layout(keys: &[Type]) -> (Vec<(u32, Type)>, u32) {
    let mut off = 0;
    let mut parts = Vec::new();
    for k in keys {
        parts.push((off, *k));
        off += align8(k.storage_size());
    }
    (parts, off.max(8))
}

pub(crate) fn data_type(t: Type) -> DataType {
    match t {
        Type::Int { signed, .. } => DataType::Int { size: 8, signed },
        Type::Str { size } => DataType::Str { size },
        Type::Ptr { .. } => DataType::Ptr,
        Type::Bool => DataType::U64,
        Type::Tuple(t) => tuple::data_type(&t),
        Type::Stack(_) => pair("stack", "id", "pid"),
        Type::Fmt(f) => fmtvals::data_type(f),
        Type::Void | Type::Unknown => DataType::U64,
    }
}

fn pair(name: &str, a: &str, b: &str) -> DataType {
    DataType::Struct {
        name: name.into(),
        fields: vec![
            ir::types::StructField {
                name: a.into(),
                offset: 0,
                ty: DataType::I64,
            },
            ir::types::StructField {
                name: b.into(),
                offset: 8,
                ty: DataType::U64,
            },
        ],
        size: 16,
    }
}

/// The IR map and metadata entry of a script map; `decl` is its top-level
/// declaration, `default_size` the `max_entries` of undeclared maps.
fn user_map(m: &MapInfo, decl: Option<&DeclaredMap>, default_size: u32) -> (MapDef, MapSpec) {
    let lru = decl.is_some_and(|d| d.kind.lru());
    let (parts, key_size) = key_layout(&m.keys);
    let key_part = |t: Type| match t {
        Type::Str { size } => (
            DataType::Str { size: align8(size) },
            Ty::Str { size: align8(size) },
        ),
        other => (data_type(other), other.meta()),
    };
    let (key_dt, key_ty) = match parts.as_slice() {
        [] => (DataType::U64, None),
        [(_, t)] => {
            let (d, m) = key_part(*t);
            (d, Some(m))
        }
        many => {
            let fields = many
                .iter()
                .enumerate()
                .map(|(i, (off, t))| ir::types::StructField {
                    name: format!("k{i}"),
                    offset: *off,
                    ty: key_part(*t).0,
                })
                .collect();
            let tuple = Ty::Tuple {
                fields: many
                    .iter()
                    .map(|(off, t)| tracec_meta::Field {
                        offset: *off,
                        ty: key_part(*t).1,
                    })
                    .collect(),
            };
            (
                DataType::Struct {
                    name: format!("{}_key", m.symbol),
                    fields,
                    size: key_size,
                },
                Some(tuple),
            )
        }
    };
    let key_dt = match m.value {
        MapValueType::Agg { kind, .. } if kind.bucketed() => {
            bucket_key(&m.symbol, key_dt, key_size)
        }
        _ => key_dt,
    };
    let (kind, value_dt, value_ty, agg) = match m.value {
        MapValueType::Plain(t) => {
            let kind = if lru { MapKind::LruHash } else { MapKind::Hash };
            (kind, data_type(t), t.meta(), AggKind::Assign)
        }
        MapValueType::Agg { kind, signed } => {
            let int = Ty::Int { size: 8, signed };
            let dt = match kind {
                AggKind::Min | AggKind::Max => {
                    pair(&format!("{}_minmax", m.symbol), "value", "set")
                }
                AggKind::Avg | AggKind::Stats => {
                    pair(&format!("{}_avg", m.symbol), "total", "count")
                }
                AggKind::Hist { .. } | AggKind::Lhist { .. } => DataType::U64,
                AggKind::Tseries { .. } => tseries::value_type(&m.symbol),
                _ => DataType::Int { size: 8, signed },
            };
            let map_kind = if lru {
                MapKind::LruPerCpuHash
            } else {
                MapKind::PerCpuHash
            };
            (map_kind, dt, int, kind)
        }
    };
    (
        MapDef {
            symbol: m.symbol.clone(),
            kind,
            max_entries: decl.map_or(default_size, |d| d.max_entries),
            key: Some(key_dt),
            value: Some(value_dt),
        },
        MapSpec {
            symbol: m.symbol.clone(),
            role: MapRole::User {
                name: m.name.clone(),
                key: key_ty,
                value: value_ty,
                agg,
                additive: false,
            },
        },
    )
}

/// The key of a hist/lhist map: the script's key, then the `u64` bucket index.
fn bucket_key(symbol: &str, key: DataType, size: u32) -> DataType {
    let size = align8(size);
    let fields = vec![
        ir::types::StructField {
            name: "key".into(),
            offset: 0,
            ty: key,
        },
        ir::types::StructField {
            name: "bucket".into(),
            offset: size,
            ty: DataType::U64,
        },
    ];
    DataType::Struct {
        name: format!("{symbol}_bucket_key"),
        fields,
        size: size + 8,
    }
}

/// Module-wide state shared by all functions.
pub(crate) struct ModuleCx<'c> {
    pub checked: &'c Checked,
    pub maps: Vec<MapDef>,
    pub specs: Vec<MapSpec>,
    pub globals: Vec<Global>,
    events: Option<MapId>,
    lost: Option<GlobalId>,
    /// The global of each parameter, indexed by `ParamId`.
    pub params: Vec<GlobalId>,
    /// Subprograms (map loop callbacks), `None` while being built; their `FuncId`s
    /// follow the programs'.
    pub subprograms: Vec<Option<ir::Function>>,
    /// `FuncId` of the first subprogram: the number of programs.
    pub first_subprogram: u32,
    /// `tracec -k`: warn when a helper fails ([`helper_checks`]).
    pub helper_checks: bool,
    /// Printfs made while lowering (the `-k` and map-full warnings); their ids follow
    /// the checked script's printfs. Added through [`ModuleCx::extra_printf`].
    pub extra_printfs: Vec<PrintfSpec>,
    /// `BPFTRACE_DUMMY_TS_MAP`: the scalar map timestamps are read from ([`clock`]).
    pub dummy_ts: Option<MapIdx>,
    /// How each user map's plain values are written (indexed by `MapIdx`).
    pub map_writes: Vec<map_add::Writes>,
}

impl ModuleCx<'_> {
    /// The printf id of `spec` among the printfs lowering adds (one id per distinct
    /// spec), after the checked script's own.
    pub(crate) fn extra_printf(&mut self, spec: PrintfSpec) -> u32 {
        let index = match self.extra_printfs.iter().position(|p| *p == spec) {
            Some(i) => i,
            None => {
                self.extra_printfs.push(spec);
                self.extra_printfs.len() - 1
            }
        };
        (self.checked.printfs.len() + index) as u32
    }

    pub(crate) fn events_map(&mut self) -> MapId {
        if let Some(m) = self.events {
            return m;
        }
        let id = self.add_map(
            MapDef {
                symbol: EVENTS_SYMBOL.into(),
                kind: MapKind::RingBuf,
                max_entries: EVENTS_SIZE,
                key: None,
                value: None,
            },
            MapRole::Events,
        );
        self.events = Some(id);
        id
    }

    /// The `.bss` counter of events dropped because the ringbuf was full.
    pub(crate) fn lost_counter(&mut self) -> GlobalId {
        if let Some(g) = self.lost {
            return g;
        }
        let id = self.global_u64(LOST_SYMBOL, true);
        self.specs.push(MapSpec {
            symbol: LOST_SYMBOL.into(),
            role: MapRole::LostCounter,
        });
        self.lost = Some(id);
        id
    }

    /// The build-id stack trace map of user stacks `limit` frames deep (created on
    /// first use): 32 bytes (`struct bpf_stack_build_id`) per frame.
    pub(crate) fn build_id_stack_map(&mut self, limit: u32) -> MapId {
        let symbol = stacks::build_id_map_symbol(limit);
        if let Some(i) = self.maps.iter().position(|m| m.symbol == symbol) {
            return MapId(i as u32);
        }
        self.add_map(
            MapDef {
                symbol,
                kind: MapKind::StackTraceBuildId,
                max_entries: stacks::BUILD_ID_STACK_MAP_ENTRIES,
                key: Some(DataType::U32),
                value: Some(DataType::Array {
                    elem: Box::new(DataType::U64),
                    len: limit * 4,
                }),
            },
            MapRole::BuildIdStack { limit },
        )
    }

    pub(crate) fn start_ns(&mut self) -> GlobalId {
        self.u64_global(tracec_meta::GLOBAL_START_NS)
    }

    /// The `u64` `.rodata` global called `symbol` (created zeroed on first use); the
    /// runtime sets well-known ones (`tracec_meta::GLOBAL_NCPUS`) before loading.
    pub(crate) fn u64_global(&mut self, symbol: &str) -> GlobalId {
        self.global_u64(symbol, false)
    }

    /// The writable global of `bytes` bytes that `len(STACK)` collects stacks into
    /// (one per size, created on first use; see `stack_len.rs`).
    pub(crate) fn stack_len_buffer(&mut self, bytes: u32) -> GlobalId {
        let symbol = stack_len::buffer_symbol(bytes);
        if let Some(i) = self.globals.iter().position(|g| g.symbol == symbol) {
            return GlobalId(i as u32);
        }
        let id = GlobalId(self.globals.len() as u32);
        self.globals.push(Global {
            symbol,
            ty: DataType::Array {
                elem: Box::new(DataType::Int {
                    size: 1,
                    signed: false,
                }),
                len: bytes,
            },
            init: vec![0; bytes as usize],
            writable: true,
        });
        id
    }

    fn global_u64(&mut self, symbol: &str, writable: bool) -> GlobalId {
        if let Some(i) = self.globals.iter().position(|g| g.symbol == symbol) {
            return GlobalId(i as u32);
        }
        let id = GlobalId(self.globals.len() as u32);
        self.globals.push(Global {
            symbol: symbol.into(),
            ty: DataType::U64,
            init: vec![0; 8],
            writable,
        });
        id
    }

    fn add_map(&mut self, def: MapDef, role: MapRole) -> MapId {
        let id = MapId(self.maps.len() as u32);
        self.specs.push(MapSpec {
            symbol: def.symbol.clone(),
            role,
        });
        self.maps.push(def);
        id
    }
}

/// How a scratch variable is stored.
#[derive(Debug, Clone, Copy)]
pub(crate) enum VarLoc {
    Reg(VReg),
    Str { slot: Slot, size: u32 },
}

/// Lowering state of one function.
pub(crate) struct Lower<'a, 'c> {
    pub b: FunctionBuilder,
    pub m: &'a mut ModuleCx<'c>,
    pub lines: &'a LineIndex<'a>,
    pub vars: Vec<VarLoc>,
    /// The type of each variable (tuples are converted to it on assignment).
    pub var_tys: Vec<Type>,
    /// Enclosing loops, innermost last: where `continue` and `break` go.
    pub loops: Vec<control::LoopTargets>,
    /// The probe's variables (types of the locals of map loop bodies).
    pub probe_vars: &'a [crate::sema::VarInfo],
    /// Set while lowering a map loop body (a callback subprogram).
    pub callback: Option<for_map::Callback>,
    /// The statement being lowered (where run-time warnings point).
    pub stmt_span: Span,
    /// The stack slot holding the current task's `pid_tgid` (in the runtime's pid
    /// namespace), filled once at the program's start when plain `pid`/`tid` are used
    /// (`pid_plain.rs`).
    pub pid_tgid: Option<ir::Slot>,
}

impl Lower<'_, '_> {
    pub(crate) fn at(&mut self, span: Span) {
        let loc = self.lines.loc(span);
        self.b.set_loc(loc);
    }
    pub(crate) fn ctx(&self) -> Base {
        Base::Reg(self.b.ctx())
    }
}

/// Lower a checked script. `source` gives instruction locations.
pub fn lower(checked: &Checked, source: &str) -> Lowered {
    lower_with(checked, source, false)
}

/// [`lower`], with bpftrace's run-time helper checks (`tracec -k`) when
/// `helper_checks` is set.
pub fn lower_with(checked: &Checked, source: &str, helper_checks: bool) -> Lowered {
    lower_opts(
        checked,
        source,
        &LowerOptions {
            helper_checks,
            ..LowerOptions::default()
        },
    )
}

/// How to lower, beyond the checked script.
#[derive(Debug, Clone, Default)]
pub struct LowerOptions {
    /// `tracec -k`: bpftrace's run-time helper checks.
    pub helper_checks: bool,
    /// `BPFTRACE_DUMMY_TS_MAP`: timestamps are this scalar map's value
    /// ([`dummy_ts_map`] finds it).
    pub dummy_ts: Option<MapIdx>,
}

pub use clock::dummy_ts_map;

/// [`lower`] with `opts`.
pub fn lower_opts(checked: &Checked, source: &str, opts: &LowerOptions) -> Lowered {
    let helper_checks = opts.helper_checks;
    let lines = LineIndex::new(source);
    let mut m = ModuleCx {
        checked,
        maps: Vec::new(),
        specs: Vec::new(),
        globals: Vec::new(),
        events: None,
        lost: None,
        params: Vec::new(),
        subprograms: Vec::new(),
        first_subprogram: checked.probes.len() as u32,
        helper_checks,
        extra_printfs: Vec::new(),
        dummy_ts: opts.dummy_ts,
        map_writes: vec![map_add::Writes::None; checked.maps.len()],
    };
    m.add_param_globals();
    for (i, info) in checked.maps.iter().enumerate() {
        let decl = checked
            .declared
            .iter()
            .find(|(idx, _)| idx.0 as usize == i)
            .map(|(_, d)| d);
        let (def, spec) = user_map(info, decl, checked.config.max_map_keys);
        m.maps.push(def);
        m.specs.push(spec);
    }
    let mut functions = Vec::new();
    let mut probes = Vec::new();
    for p in &checked.probes {
        functions.push(lower_probe(&mut m, p, &lines));
        probes.push(ProbeSpec {
            program: p.program.clone(),
            section: p.probe.section.clone(),
            name: p.probe.name.clone(),
            attach: p.probe.attach.clone(),
            cookie: p.cookie,
        });
        // Attach points sharing this program (their own sections are not emitted).
        probes.extend(p.shared.iter().map(|(e, cookie)| ProbeSpec {
            program: p.program.clone(),
            section: p.probe.section.clone(),
            name: e.name.clone(),
            attach: e.attach.clone(),
            cookie: Some(*cookie),
        }));
    }
    functions.extend(m.subprograms.drain(..).flatten());
    map_add::mark_additive(&mut m.specs, &m.map_writes);
    scratch::move_big_slots(&mut functions, &mut m);
    Lowered {
        module: ir::Module {
            functions,
            maps: m.maps,
            globals: m.globals,
        },
        probes,
        maps: m.specs,
        printfs: checked
            .printfs
            .iter()
            .chain(&m.extra_printfs)
            .cloned()
            .collect(),
        joins: checked.joins.clone(),
        params: checked.params.clone(),
        print_values: checked.print_values.clone(),
    }
}

fn lower_probe<'c>(m: &mut ModuleCx<'c>, p: &'c CheckedProbe, lines: &LineIndex) -> ir::Function {
    let loc = lines.loc(p.span);
    let b = FunctionBuilder::new(p.program.clone(), p.probe.section.clone(), loc);
    let mut l = Lower {
        b,
        m,
        lines,
        vars: Vec::new(),
        var_tys: p.vars.iter().map(|v| v.ty).collect(),
        loops: Vec::new(),
        probe_vars: &p.vars,
        callback: None,
        stmt_span: p.span,
        pid_tgid: None,
    };
    // Every variable starts as 0 / "" so that no path reads an uninitialized register
    // or stack byte (the verifier rejects that).
    let mut callback_only = vec![false; p.vars.len()];
    for_map::callback_only_vars(&p.body, &mut callback_only);
    for (v, only) in p.vars.iter().zip(callback_only) {
        let vl = match v.ty {
            _ if only => VarLoc::Reg(l.b.imm(0)),
            Type::Str { .. } | Type::Tuple(_) | Type::Stack(_) | Type::Fmt(_) => {
                let size = align8(v.ty.storage_size());
                let slot = l.b.new_slot(size, 8);
                l.b.zero(slot, 0, size);
                VarLoc::Str { slot, size }
            }
            _ => VarLoc::Reg(l.b.imm(0)),
        };
        l.vars.push(vl);
    }
    // The predicate and the body start in blocks of their own, so that what they
    // turn out to need at the start (the current task's ids, `pid_plain.rs`) can be
    // put before them once they are lowered: before the predicate when it needs
    // it, else after it, so that events it filters out do not pay for it.
    let entry = l.b.current();
    let pred_start = l.b.new_block();
    l.b.switch_to(pred_start);
    let mut pred_uses_ids = false;
    if let Some(pred) = &p.predicate {
        l.at(pred.span);
        let body = l.b.new_block();
        let skip = l.b.new_block();
        let mark = l.b.scope();
        l.cond_branch(pred, body, skip);
        l.b.end_scope(mark);
        l.b.switch_to(skip);
        l.b.ret(0);
        l.b.switch_to(body);
        pred_uses_ids = l.pid_tgid.is_some();
    }
    let body_entry = l.b.current();
    let body_start = l.b.new_block();
    l.b.switch_to(body_start);
    l.stmts(&p.body);
    l.b.ret(0);
    l.at(p.span);
    l.b.switch_to(entry);
    if pred_uses_ids {
        l.pid_tgid_prelude();
    }
    l.b.jump(pred_start);
    l.b.switch_to(body_entry);
    if !pred_uses_ids {
        l.pid_tgid_prelude();
    }
    l.b.jump(body_start);
    l.b.finish()
}
