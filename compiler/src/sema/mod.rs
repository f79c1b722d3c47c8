//! Semantic analysis: names, types, map key/value inference, probe contexts.
//!
//! [`check`] expands every attach point into concrete probes and checks each probe's
//! body once per concrete probe (what `args` means differs between them). The result
//! is a typed tree ([`types::TStmt`], [`types::TExpr`]) per program plus the script's
//! maps, printf formats and join specs.
//!
//! Map types come from all uses in the script, in any probe, so the check runs twice:
//! the first pass only learns map and variable types, the second reports errors and
//! builds the output with everything known.

mod agg_read;
mod args_record;
mod array;
mod array_bits;
pub mod array_build;
mod array_cmp;
mod array_index;
pub mod attach_args;
mod attach_names;
pub mod builtins;
pub mod calls;
mod cast;
pub mod config;
mod control;
mod core_query;
pub mod debugf;
pub mod decls;
mod deref;
mod dw_stack;
pub mod enums;
mod expansion;
mod expr;
mod field;
pub mod fmtvals;
mod for_map;
mod func_sym;
mod functions;
mod int_assign;
mod int_decl;
mod int_ops;
mod int_promo;
mod int_width;
mod introspect;
pub mod kernel;
pub mod kernel_enum;
#[cfg(test)]
mod kernel_tests;
mod kernel_walk;
mod legacy_scope;
mod lhist_param;
mod literal_fold;
mod mapfuncs;
pub mod maps;
pub mod name_str;
mod name_templates;
mod name_tuple;
mod output;
pub mod params;
mod percpu;
mod pid_ns;
mod pointer;
mod print_text;
pub mod printf;
mod probe_ctx;
pub mod ptr_to;
pub mod script_types;
mod self_ref;
pub mod skb;
mod socket;
pub mod stack_args;
mod stack_len;
pub mod stacks;
pub mod stdlib;
pub mod stdlib_host;
pub mod stdlib_more;
mod stdlib_str;
pub mod stdlib_unsafe;
mod stmt;
mod str_decl;
mod str_index;
pub mod strlen;
pub mod struct_value;
pub mod symbols;
pub mod syscall_name;
pub mod task_comm;
mod tp_array_addr;
mod tseries;
pub mod tuple;
mod tuple_cmp;
mod typename;
pub mod types;
mod uaddr_type;
mod unroll_param;
pub mod unstable;
mod unwatch;
mod uprobe_args;
pub mod value_layout;

#[cfg(test)]
mod fmtvals_tests;
#[cfg(test)]
mod int_assign_tests;
#[cfg(test)]
mod int_decl_tests;
#[cfg(test)]
mod int_ops_tests;
#[cfg(test)]
mod int_promo_tests;
#[cfg(test)]
mod int_width_tests;
#[cfg(test)]
mod params_tests;
#[cfg(test)]
mod percpu_tests;
#[cfg(test)]
mod skb_tests;
#[cfg(test)]
mod str_decl_tests;
#[cfg(test)]
pub(crate) mod tests;
#[cfg(test)]
mod typeof_tests;

use crate::diag::Diagnostic;
use crate::front::ast;
use crate::probes::{self, ExpandedProbe};
use tracec_meta::{Attach, JoinSpec, ParamSpec, PrintfSpec};
use types::{TExpr, TStmt, Type, VarId};

pub use maps::{MapInfo, MapValueType};

/// A scratch variable of one program.
#[derive(Debug, Clone, PartialEq)]
pub struct VarInfo {
    /// Without the `$`.
    pub name: String,
    pub ty: Type,
}

/// One program: a concrete probe with its checked predicate and body.
#[derive(Debug, Clone, PartialEq)]
pub struct CheckedProbe {
    pub probe: ExpandedProbe,
    /// ELF symbol: the probe's `symbol_stem`, `_`, a unique index.
    pub program: String,
    /// The AST probe's span.
    pub span: ast::Span,
    pub predicate: Option<TExpr>,
    pub body: Vec<TStmt>,
    /// Indexed by [`VarId`].
    pub vars: Vec<VarInfo>,
    /// The attach cookie the runtime must set (an index into
    /// [`Checked::attach_names`]), when `probe`/`func` read it.
    pub cookie: Option<u64>,
    /// Further attach points that run this program, with their cookies (a probe's
    /// attach points whose programs would be the same, see `attach_names::share`).
    pub shared: Vec<(ExpandedProbe, u64)>,
}

/// The checked script.
#[derive(Debug, Clone, PartialEq)]
pub struct Checked {
    /// In attach order: BEGIN programs first, END programs last.
    pub probes: Vec<CheckedProbe>,
    /// Indexed by [`types::MapIdx`].
    pub maps: Vec<MapInfo>,
    pub printfs: Vec<PrintfSpec>,
    pub joins: Vec<JoinSpec>,
    /// Types of the values given to `print(value)`.
    pub print_values: Vec<tracec_meta::Ty>,
    /// Run-time parameters (`$1`, `$#`, `getopt`), indexed by [`params::ParamId`].
    pub params: Vec<ParamSpec>,
    pub warnings: Vec<Diagnostic>,
    /// Calls of functions that need `--unsafe` (`system`): name and span.
    pub unsafe_calls: Vec<(String, ast::Span)>,
    /// The config block's settings.
    pub config: config::ScriptConfig,
    /// Maps declared at top level (`let @m = lruhash(100);`): kind and size, by
    /// index into `maps`.
    pub declared: Vec<(types::MapIdx, decls::DeclaredMap)>,
    /// Structs and unions the script defines (name, is a union): not kernel types,
    /// so their fields are read without CO-RE relocations.
    pub local_records: Vec<(String, bool)>,
    /// The enumerators of the enums used (id, enumerators), for
    /// [`enums::fill_variants`].
    pub enums: Vec<(u32, Vec<tracec_meta::EnumVariant>)>,
    /// `strftime()` formats, indexed by `FmtExpr::Timestamp::format`.
    pub strftime_formats: Vec<String>,
    /// Symbols whose addresses the runtime resolves (`kaddr`, `uaddr`), indexed by
    /// `TExprKind::SymbolAddr`.
    pub symbol_globals: Vec<fmtvals::SymbolUse>,
    /// What `probe` and `func` print, indexed by their values and the cookies.
    pub attach_names: Vec<tracec_meta::AttachName>,
    /// The script calls `syscall_name()`: the object carries the names
    /// (`syscall_name::names`).
    pub syscall_names: bool,
    /// Maps some `print(@m)` prints while the script runs (the runtime reads them when the
    /// event arrives, so a `clear` after the print must reach them in order, as an event).
    pub printed_maps: std::collections::BTreeSet<u32>,
    /// The `skboutput` calls, indexed by `StdlibExpr::SkbOutput::id`.
    pub skb_outputs: Vec<tracec_meta::SkbOutputSpec>,
    /// The config block's run-time settings, for `tracerun` ([`config::runtime_settings`]).
    pub runtime_config: Vec<tracec_meta::ConfigSetting>,
    /// Attach points whose positional parameters the runtime fills in: the template
    /// text the probes are named by and the attach point's span, each text once
    /// (`probes::deferred`).
    pub attach_templates: Vec<(String, ast::Span)>,
}

/// Check a script, expanding attach points with the probe providers. Kernel types
/// come from the running kernel's BTF.
pub fn check(program: &ast::Program, env: &probes::Env) -> Result<Checked, Vec<Diagnostic>> {
    check_with_kernel(
        program,
        &mut |ap| expand_checked(ap, env),
        kernel::KernelBtf::new(env.btf.clone()),
    )
}

/// [`probes::expand`], with kprobe functions checked against the traceable ones
/// ([`probes::traceable`]) when compiling for the running kernel (another kernel's BTF,
/// `--btf FILE`, comes without its list of traceable functions).
fn expand_checked(
    ap: &ast::AttachPoint,
    env: &probes::Env,
) -> Result<Vec<ExpandedProbe>, Diagnostic> {
    let list = probes::expand(ap, env)?;
    let this_kernel = env
        .btf
        .as_deref()
        .is_none_or(|b| b == std::path::Path::new(crate::kbtf::VMLINUX_BTF));
    match probes::canonical_provider(ap.parts.first().map_or("", String::as_str)) {
        Some(probes::Provider::Supported("kprobe" | "kretprobe")) if this_kernel => {
            probes::traceable::check(ap, list)
        }
        _ => Ok(list),
    }
}

/// [`check`] with a custom attach point expander (tests use a fake one).
pub fn check_with(
    program: &ast::Program,
    expand: &mut dyn FnMut(&ast::AttachPoint) -> Result<Vec<ExpandedProbe>, Diagnostic>,
) -> Result<Checked, Vec<Diagnostic>> {
    check_with_kernel(program, expand, kernel::KernelBtf::default())
}

/// [`check_with`], with kernel types (`curtask`, `struct` casts) from `kernel`.
pub fn check_with_kernel(
    program: &ast::Program,
    expand: &mut dyn FnMut(&ast::AttachPoint) -> Result<Vec<ExpandedProbe>, Diagnostic>,
    kernel: kernel::KernelBtf,
) -> Result<Checked, Vec<Diagnostic>> {
    let (checked, errors) = analyze(program, expand, kernel);
    if errors.is_empty() {
        Ok(checked)
    } else {
        // An untraceable kprobe function's warning explains the error it leads to.
        let explained = checked
            .warnings
            .into_iter()
            .filter(probes::traceable::is_untraceable_warning);
        Err(explained.chain(errors).collect())
    }
}

/// Check a script and keep everything: the checked script (with its warnings) and
/// the errors. The script is only fit for lowering when there are no errors; this
/// is for tools that want the warnings too (`tracec --check`).
pub fn check_all(program: &ast::Program, env: &probes::Env) -> (Checked, Vec<Diagnostic>) {
    analyze(
        program,
        &mut |ap| expand_checked(ap, env),
        kernel::KernelBtf::new(env.btf.clone()),
    )
}

fn analyze(
    program: &ast::Program,
    expand: &mut dyn FnMut(&ast::AttachPoint) -> Result<Vec<ExpandedProbe>, Diagnostic>,
    kernel: kernel::KernelBtf,
) -> (Checked, Vec<Diagnostic>) {
    let mut diags = Vec::new();
    let hoisted = legacy_scope::hoist(program);
    let program = match &hoisted {
        Some((p, warnings)) => {
            diags.extend(warnings.iter().cloned());
            p
        }
        None => program,
    };
    let config = config::check(&program.config, &mut diags);
    let decls = decls::check(&program.map_decls, &mut diags);
    diags.extend(literal_fold::check(program));
    // Expand every attach point; one entry per concrete probe.
    let mut concrete: Vec<(usize, ExpandedProbe)> = Vec::new();
    let mut attach_templates: Vec<(String, ast::Span)> = Vec::new();
    for (pi, p) in program.probes.iter().enumerate() {
        let before = concrete.len();
        let mut reported = false;
        for ap in &p.attach_points {
            let expanded = if probes::deferred::has_params(ap) {
                // Positional parameters the runtime fills in (`interval:ms:$1`).
                let list = probes::deferred::expand_deferred(ap, expand);
                for e in list.iter().flatten() {
                    if !attach_templates.iter().any(|(t, _)| *t == e.name) {
                        attach_templates.push((e.name.clone(), ap.span));
                    }
                }
                list
            } else {
                expand(ap)
            };
            diags.extend(probes::traceable::take_warnings());
            match expanded {
                Ok(list) => concrete.extend(list.into_iter().map(|e| (pi, e))),
                Err(d) => {
                    if let Some(d) = config::missing_probe(&config, d) {
                        reported |= d.is_error();
                        diags.push(d);
                    }
                }
            }
        }
        if concrete.len() == before && !reported {
            diags.extend(config::no_attach_points(&config, p));
        }
    }
    let mut ck = Checker {
        kernel,
        stack_mode: config.stack_mode,
        max_strlen: config.max_strlen,
        unstable: config.unstable,
        config_items: program
            .config
            .iter()
            .map(|c| (c.key.clone(), c.value.clone()))
            .collect(),
        abi_constants: !program.includes.is_empty(),
        ..Checker::default()
    };
    diags.extend(
        ck.kernel
            .add_script_types(&program.c_definitions, !program.includes.is_empty()),
    );
    diags.extend(ck.add_dwarf_types(&concrete));
    let plans = attach_names::plan(&concrete, &mut ck.attach_names);
    let name_ranges = name_str::cookie_ranges(&concrete, &plans);
    let mut vars: Vec<VarTable> = vec![VarTable::default(); concrete.len()];
    let mut out: Vec<CheckedProbe> = Vec::new();
    for pass in 0..2 {
        ck.final_pass = pass == 1;
        ck.diags.clear();
        ck.printfs.clear();
        ck.joins.clear();
        ck.print_values.clear();
        ck.unsafe_calls.clear();
        out.clear();
        for (ci, (pi, ep)) in concrete.iter().enumerate() {
            let p = &program.probes[*pi];
            let table = &mut vars[ci];
            table.begin_pass();
            let mut cx = ProbeCx {
                probe: ep,
                vars: table,
                user_default: matches!(&ep.attach, Attach::Tracepoint { category, .. } if category == "syscalls")
                    || matches!(&ep.attach, Attach::Usdt { .. } | Attach::Uprobe { .. }),
                loops: 0,
                names: plans[ci],
                name_range: name_ranges[ci],
            };
            let predicate = p.predicate.as_ref().map(|e| ck.condition(&mut cx, e));
            let predicate = ck.probe_guard(&cx, predicate, p.span);
            let body = ck.block(&mut cx, &p.body);
            out.push(CheckedProbe {
                probe: ep.clone(),
                program: format!("{}_{}", ep.symbol_stem, ci),
                span: p.span,
                predicate,
                body,
                vars: cx.vars.infos(),
                cookie: plans[ci].cookie.then_some(plans[ci].index),
                shared: Vec::new(),
            });
        }
    }
    diags.append(&mut ck.diags);
    let maps = match ck.maps.finish() {
        Ok(m) => m,
        Err(errs) => {
            diags.extend(errs.into_iter().map(|(s, m)| Diagnostic::error(s, m)));
            Vec::new()
        }
    };
    let declared = decls::resolve(&decls, &maps, &mut diags);
    // Deduplicate (a wildcard probe checks the same body several times).
    let mut seen = std::collections::HashSet::new();
    diags.retain(|d| seen.insert((d.span, d.message.clone())));
    let (errors, warnings): (Vec<_>, Vec<_>) = diags.into_iter().partition(|d| d.is_error());
    let mut out = attach_names::share(out);
    out.sort_by_key(|p| match p.probe.attach {
        Attach::Begin => 0,
        Attach::End => 2,
        _ => 1,
    });
    let enums = ck.enum_table();
    let checked = Checked {
        probes: out,
        maps,
        printfs: ck.printfs,
        joins: ck.joins,
        print_values: ck.print_values,
        params: ck.params.specs,
        warnings,
        unsafe_calls: ck.unsafe_calls,
        declared,
        local_records: std::mem::take(&mut ck.kernel.local_records),
        enums,
        strftime_formats: ck.strftime_formats,
        symbol_globals: ck.symbol_globals,
        attach_names: std::mem::take(&mut ck.attach_names.names),
        syscall_names: ck.syscall_names,
        printed_maps: std::mem::take(&mut ck.printed_maps),
        config,
        skb_outputs: ck
            .skb_calls
            .into_iter()
            .map(|c| tracec_meta::SkbOutputSpec {
                perf_rb_pages: config.perf_rb_pages,
                ..c.spec
            })
            .collect(),
        runtime_config: config::runtime_settings(&program.config),
        attach_templates,
    };
    (checked, errors)
}

/// Scratch variables of one program; kept across passes so that the second pass knows
/// each variable's final type (strings merge to the largest size assigned).
///
/// Variables are block scoped: a name is looked up from the innermost block outwards,
/// and an assignment to a name not visible declares it in the innermost block. Both
/// passes walk the same tree in the same order, so the `n`-th declaration of a pass is
/// always variable `n`.
#[derive(Debug, Clone, Default)]
struct VarTable {
    vars: Vec<(String, Type)>,
    /// Declarations so far in this pass.
    next: usize,
    /// Visible names, innermost block last.
    scopes: Vec<Vec<(String, VarId)>>,
    /// Assigned so far in this pass, in program order.
    assigned: Vec<bool>,
    /// bpftrace's integer type of each variable, all the values assigned to it in any
    /// pass promoted together (`None`: none yet; see `int_width.rs`).
    widths: Vec<Option<int_promo::IntTy>>,
    /// The capacity of each variable declared `string[N]` (`str_decl.rs`).
    str_caps: std::collections::HashMap<u32, u32>,
    /// The type of each variable declared with an integer type (`int_decl.rs`).
    int_decls: std::collections::HashMap<u32, int_promo::IntTy>,
}

impl VarTable {
    fn begin_pass(&mut self) {
        self.next = 0;
        self.scopes = vec![Vec::new()];
        self.assigned = vec![false; self.vars.len()];
    }
    fn lookup(&self, name: &str) -> Option<VarId> {
        self.scopes
            .iter()
            .rev()
            .flat_map(|s| s.iter().rev())
            .find(|(n, _)| n == name)
            .map(|(_, v)| *v)
    }
    /// The variable `name` refers to, declared in the innermost block if not visible.
    fn declare(&mut self, name: &str) -> VarId {
        match self.lookup(name) {
            Some(v) => v,
            None => self.declare_new(name),
        }
    }
    /// A new variable `name` in the innermost block.
    fn declare_new(&mut self, name: &str) -> VarId {
        let idx = self.next;
        self.next += 1;
        if idx == self.vars.len() {
            self.vars.push((name.to_string(), Type::Unknown));
            self.assigned.push(false);
            self.widths.push(None);
        } else if self.vars[idx].0 != name {
            self.vars[idx] = (name.to_string(), Type::Unknown);
            self.str_caps.remove(&(idx as u32));
            self.int_decls.remove(&(idx as u32));
            if let Some(w) = self.widths.get_mut(idx) {
                *w = None;
            }
        }
        let id = VarId(idx as u32);
        if let Some(s) = self.scopes.last_mut() {
            s.push((name.to_string(), id));
        }
        id
    }
    /// Whether `name` is declared in the innermost block.
    fn in_innermost(&self, name: &str) -> bool {
        self.scopes
            .last()
            .is_some_and(|s| s.iter().any(|(n, _)| n == name))
    }
    fn push_scope(&mut self) {
        self.scopes.push(Vec::new());
    }
    fn pop_scope(&mut self) {
        if self.scopes.len() > 1 {
            self.scopes.pop();
        }
    }
    fn ty(&self, v: VarId) -> Type {
        self.vars[v.0 as usize].1
    }
    fn infos(&self) -> Vec<VarInfo> {
        self.vars
            .iter()
            .map(|(name, ty)| VarInfo {
                name: name.clone(),
                ty: *ty,
            })
            .collect()
    }
}

struct ProbeCx<'a> {
    probe: &'a ExpandedProbe,
    vars: &'a mut VarTable,
    /// Whether plain integers passed to `str()` are user addresses (syscall
    /// tracepoints, uprobes, usdt).
    user_default: bool,
    /// How many loops enclose the statement being checked (for `break`/`continue`).
    loops: u32,
    /// Where `probe` and `func` come from.
    names: attach_names::NamePlan,
    /// The attach-name indices the cookie can take (see `name_str`).
    name_range: (u64, u64),
}

#[derive(Default)]
struct Checker {
    /// What `probe` and `func` print, per attach point (see `attach_names`).
    attach_names: attach_names::NameTable,
    maps: maps::MapTable,
    diags: Vec<Diagnostic>,
    final_pass: bool,
    printfs: Vec<PrintfSpec>,
    joins: Vec<JoinSpec>,
    print_values: Vec<tracec_meta::Ty>,
    params: params::ParamTable,
    kernel: kernel::KernelBtf,
    /// See [`Checked::unsafe_calls`].
    unsafe_calls: Vec<(String, ast::Span)>,
    /// The config block's `stack_mode` (bpftrace's default when unset).
    stack_mode: Option<tracec_meta::StackMode>,
    /// `max_strlen`: the size of `str()` values (and string `$N` parameters).
    max_strlen: u32,
    /// Enums whose values may reach the runtime (see `enums.rs`).
    used_enums: Vec<u32>,
    /// The config block as written (key, value), for the `config` builtin.
    config_items: Vec<(String, ast::ConfigValue)>,
    /// See [`Checked::strftime_formats`].
    strftime_formats: Vec<String>,
    /// See [`Checked::syscall_names`].
    syscall_names: bool,
    /// See [`Checked::printed_maps`].
    printed_maps: std::collections::BTreeSet<u32>,
    /// See [`Checked::skb_outputs`].
    skb_calls: Vec<skb::SkbCall>,
    /// See [`Checked::symbol_globals`].
    symbol_globals: Vec<fmtvals::SymbolUse>,
    /// The call sites of the macro expansions being checked, outermost first (see
    /// `expansion.rs`).
    expansions: Vec<ast::Span>,
    /// Whether the script has `#include` lines: names that are still unknown are
    /// then looked up among the Linux ABI constants (`front::kconsts`).
    abi_constants: bool,
    /// bpftrace's integer type of each integer expression checked, by span and
    /// shape (`int_width::fact_key`: nodes nested on one span stay apart).
    int_tys: std::collections::HashMap<(ast::Span, u64), int_promo::IntTy>,
    /// The integer type of each cast whose type name had to be resolved
    /// (`(typeof($x))e`, `(uint16_t)e`), by the type name's span.
    cast_ints: std::collections::HashMap<ast::Span, int_promo::IntTy>,
    /// bpftrace's integer type of each map's plain integer values, by name.
    map_ints: std::collections::HashMap<String, int_promo::IntTy>,
    /// bpftrace's integer type of each map's integer keys, by name and position.
    map_key_ints: std::collections::HashMap<(String, usize), int_promo::IntTy>,
    /// The DWARF parameters of probed user functions (see `uprobe_args.rs`).
    uprobe_args: uprobe_args::UprobeArgs,
    /// The config block's levels of the unstable features.
    unstable: unstable::Flags,
    /// The unstable features already warned about.
    unstable_warned: Vec<unstable::Feature>,
}

impl Checker {
    /// Report an error (only in the final pass; the first pass only learns types).
    fn error(&mut self, span: ast::Span, msg: impl Into<String>) {
        if self.final_pass {
            self.diags.push(Diagnostic::error(span, msg));
        }
    }

    /// Report a warning (final pass only, like [`Checker::error`]).
    fn warning(&mut self, d: Diagnostic) {
        if self.final_pass {
            self.diags.push(d);
        }
    }
}

/// An expression standing for an error already reported.
fn poisoned(span: ast::Span) -> TExpr {
    TExpr {
        kind: types::TExprKind::Int(0),
        ty: Type::Unknown,
        span,
    }
}
