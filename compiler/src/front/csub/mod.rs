//! The C subset of imported `.bpf.c` files (there is no clang here): function
//! definitions over integers, `bool`, pointers (to integers, to kernel types and to
//! the file's own structs and unions), structs and arrays held in locals, local
//! declarations with initializer lists, the C operators, `->`, `.`, `[]`, unary `*`
//! and `&`, casts, `sizeof`, `if`/`else`, `while`, `do`/`while`, `for`, `switch`
//! (cases, `default`, fallthrough), `return`, `goto` (`goto.rs`: forward to a label
//! of an enclosing block or of an `if` or block in one, or back as a loop), calls between
//! such functions, the common BPF helpers (`bpf_probe_read_kernel`, `BPF_CORE_READ`,
//! `bpf_get_current_pid_tgid`..., user-memory reads, libbpf's CO-RE questions
//! `bpf_core_field_exists`... in `helpers_core.rs`), integer and character literals, `#define`
//! macros (with `#` and `##`, `lex_paste.rs`) and `#if` conditionals, scalar global variables (constants: their initial
//! values), struct, union and array globals (read-only, `globals.rs`), and top-level `struct`/`union`/`enum`/`typedef` definitions (which the
//! script then knows too).
//!
//! Structs are passed and returned by value between the file's functions (a
//! returned struct initializes or is assigned to a local, or reaches the script as
//! a record); the script may pass a record or `*ptr` for a struct parameter.
//!
//! Unions are held by value too (`unions.rs`: a union local is its bytes, each
//! member a view of them).
//!
//! Not in the subset (each a located diagnostic): a returned
//! struct used otherwise (`f().x`), writes through pointers other than to a
//! caller's local or a map element, maps other than hash and array maps of
//! integers or of structs of integers and integer arrays (those are script maps:
//! `parse_map.rs`, `helpers_map.rs`, `helpers_map_record.rs`, `helpers_map_array.rs`), floats,
//! other `goto`s, string literals other than
//! `bpf_printk` formats and `memcmp` operands. `#include`
//! lines are ignored: types come from kernel BTF, the file, and the script's
//! imported headers.
//!
//! [`parse`] turns a file into a [`CFile`]; [`inline`] replaces the calls of the
//! script by the functions' bodies, translated into block expressions of the script
//! language (pointer walks become the script's CO-RE field reads). Anything outside
//! the subset is a diagnostic at the C file's position: "tracec does not compile
//! this C construct: ...".

mod globals;
mod goto;
mod helpers;
mod helpers_core;
mod helpers_map;
mod helpers_map_array;
mod helpers_map_record;
mod helpers_str;
mod init;
mod inline;
mod inline_ctl;
mod inline_expr;
mod inline_record;
mod lex;
mod lex_paste;
mod parse;
mod parse_expr;
mod parse_map;
mod parse_type;
mod places;
mod places_assign;
mod types;
mod unions;

pub use inline::inline;

use crate::diag::Diagnostic;
use crate::front::ast::{BinOp, CDefinition, Span, TypeBase, TypeName, UnOp};

/// A C type of the subset.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CType {
    Void,
    Bool,
    Int {
        bits: u8,
        signed: bool,
    },
    /// `T *`.
    Ptr(Box<CType>),
    /// `struct name` / `union name` (of the kernel, the file or an imported header).
    Record {
        name: String,
        union: bool,
    },
    /// `T name[len]`.
    Array(Box<CType>, u32),
}

impl CType {
    pub const U64: CType = CType::Int {
        bits: 64,
        signed: false,
    };
    pub const S64: CType = CType::Int {
        bits: 64,
        signed: true,
    };
    pub const S32: CType = CType::Int {
        bits: 32,
        signed: true,
    };

    /// A value one script variable holds: an integer, `bool` or a pointer.
    pub fn is_scalar(&self) -> bool {
        matches!(self, CType::Bool | CType::Int { .. } | CType::Ptr(_))
    }

    pub fn is_ptr(&self) -> bool {
        matches!(self, CType::Ptr(_))
    }

    /// What a pointer points to (or an array holds).
    pub fn pointee(&self) -> Option<&CType> {
        match self {
            CType::Ptr(t) | CType::Array(t, _) => Some(t),
            _ => None,
        }
    }

    /// The script type naming this type in a cast (`None` for arrays and pointers
    /// to arrays, which the script cannot spell).
    pub fn script_type(&self, span: Span) -> Option<TypeName> {
        let mut pointers = 0;
        let mut t = self;
        while let CType::Ptr(inner) = t {
            pointers += 1;
            t = inner;
        }
        let base = match t {
            CType::Void => TypeBase::Void,
            CType::Bool => TypeBase::Bool,
            CType::Int { bits, signed } => TypeBase::Int {
                bits: *bits,
                signed: *signed,
            },
            CType::Record { name, union } => TypeBase::Record {
                name: name.clone(),
                union: *union,
            },
            CType::Ptr(_) | CType::Array(..) => return None,
        };
        Some(TypeName {
            base,
            pointers,
            span,
        })
    }

    /// The C spelling, for messages: `unsigned int`, `struct task_struct *`.
    pub fn spelling(&self) -> String {
        match self {
            CType::Void => "void".into(),
            CType::Bool => "_Bool".into(),
            CType::Int { bits, signed } => {
                let base = match bits {
                    8 => "char",
                    16 => "short",
                    32 => "int",
                    _ => "long",
                };
                if *signed {
                    base.into()
                } else {
                    format!("unsigned {base}")
                }
            }
            CType::Record { name, union } => {
                format!("{} {name}", if *union { "union" } else { "struct" })
            }
            CType::Ptr(t) => match &**t {
                CType::Ptr(_) => format!("{}*", t.spelling()),
                t => format!("{} *", t.spelling()),
            },
            CType::Array(t, n) => format!("{}[{n}]", t.spelling()),
        }
    }
}

/// What a `.bpf.c` file defines.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CFile {
    pub funcs: Vec<CFunc>,
    /// Its `struct`, `union`, `enum` and `typedef` definitions, as the script's own
    /// top-level C definitions (so script casts and field reads know them too).
    pub defs: Vec<CDefinition>,
    /// Its global variables of scalar types, which the functions may read: their
    /// initial values, as a program reads them that nothing configured (libbpf's
    /// `const volatile` settings keep their defaults).
    pub consts: Vec<CConst>,
    /// Its BPF maps (the script maps of the same names).
    pub maps: Vec<CMap>,
}

/// A BPF map of the file: a hash (or array) map of integers, the script map
/// `@name` (`parse_map.rs`).
#[derive(Debug, Clone, PartialEq)]
pub struct CMap {
    pub name: String,
    /// `BPF_MAP_TYPE_ARRAY`: every key below `max_entries` is present.
    pub array: bool,
    /// `BPF_MAP_TYPE_LRU_HASH` / `LRU_PERCPU_HASH`: the script's `lruhash(N)`.
    pub lru: bool,
    pub key: CType,
    pub value: CType,
    pub max_entries: u64,
    pub span: Span,
}

/// A global variable: `[const volatile] T name [= constant];`.
#[derive(Debug, Clone, PartialEq)]
pub struct CConst {
    pub name: String,
    pub ty: CType,
    pub value: u64,
    pub span: Span,
}

/// `ret name(params) { body }`.
#[derive(Debug, Clone, PartialEq)]
pub struct CFunc {
    pub name: String,
    pub ret: CType,
    pub params: Vec<CParam>,
    pub body: Vec<CStmt>,
    /// The function's header.
    pub span: Span,
    /// The global aggregates copied at the start of `body` whose value is all
    /// zeros (no initializer, or `{}`): an update's value naming one is a record
    /// of zeros, not of the copy's variables (`globals.rs`).
    pub zero_globals: Vec<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct CParam {
    pub name: String,
    pub ty: CType,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub struct CStmt {
    pub kind: CStmtKind,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub enum CStmtKind {
    /// `T name [= init];`
    Decl {
        name: String,
        ty: CType,
        init: Option<CInit>,
    },
    /// An expression evaluated for its effect (a call).
    Expr(CExpr),
    /// `target = e`, `target op= e` (a variable, a member or element of a local).
    Assign {
        target: CExpr,
        op: Option<BinOp>,
        value: CExpr,
    },
    /// `target++`, `--target`...
    Incr {
        target: CExpr,
        delta: i64,
    },
    If {
        cond: CExpr,
        then: Vec<CStmt>,
        els: Option<Vec<CStmt>>,
    },
    While {
        cond: CExpr,
        body: Vec<CStmt>,
    },
    /// `do body while (cond);`
    DoWhile {
        body: Vec<CStmt>,
        cond: CExpr,
    },
    /// `switch (value) { case K: ... default: ... }`: the sections in source order,
    /// each entered by its labels and falling through into the next.
    Switch {
        value: CExpr,
        sections: Vec<CSection>,
    },
    /// `for (init; cond; step) body` (`init` may declare variables).
    For {
        init: Vec<CStmt>,
        cond: Option<CExpr>,
        step: Vec<CStmt>,
        body: Vec<CStmt>,
    },
    Return(Option<CExpr>),
    Break,
    Continue,
    Block(Vec<CStmt>),
    /// `goto label;` (rewritten by `goto.rs` into flags, `break`s and loops before
    /// inlining; the inliner never sees it).
    Goto(String),
    /// `label:` (placed before the statement it labels).
    Label(String),
}

/// The statements after one `case K:` or `default:` label of a `switch`.
#[derive(Debug, Clone, PartialEq)]
pub struct CSection {
    /// The label's constant expression (a number or an enumerator), `None` for
    /// `default`.
    pub label: Option<CExpr>,
    pub body: Vec<CStmt>,
    /// The label.
    pub span: Span,
}

/// A declaration's initializer.
#[derive(Debug, Clone, PartialEq)]
pub enum CInit {
    Expr(CExpr),
    /// `{ a, .name = b, [2] = c, { ... } }`.
    List(Vec<CInitItem>),
}

#[derive(Debug, Clone, PartialEq)]
pub struct CInitItem {
    /// `.name =` or `[index] =`.
    pub designator: Option<Designator>,
    pub init: CInit,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Designator {
    Field(String),
    Index(u32),
}

#[derive(Debug, Clone, PartialEq)]
pub struct CExpr {
    pub kind: CExprKind,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub enum CExprKind {
    Int(u64),
    /// A string literal (only as `bpf_printk`'s format or a `memcmp` operand).
    Str(String),
    Var(String),
    Call {
        name: String,
        args: Vec<CExpr>,
    },
    /// `-e`, `!e`, `~e`, `*e`, `&e`.
    Unary {
        op: UnOp,
        expr: Box<CExpr>,
    },
    Binary {
        op: BinOp,
        lhs: Box<CExpr>,
        rhs: Box<CExpr>,
    },
    Ternary {
        cond: Box<CExpr>,
        then: Box<CExpr>,
        els: Box<CExpr>,
    },
    Cast {
        ty: CType,
        expr: Box<CExpr>,
    },
    /// `e.field`, `e->field`.
    Member {
        base: Box<CExpr>,
        field: String,
        arrow: bool,
    },
    /// `e[i]`.
    Index {
        base: Box<CExpr>,
        index: Box<CExpr>,
    },
    /// `sizeof(T)`.
    SizeofType(CType),
    /// `sizeof e`, `sizeof(e)`.
    SizeofExpr(Box<CExpr>),
}

/// The message of a construct outside the subset.
pub fn unsupported(span: Span, what: &str) -> Diagnostic {
    Diagnostic::error(
        span,
        format!("tracec does not compile this C construct: {what}"),
    )
    .with_note("imported .bpf.c files may hold type definitions and functions over integers, bool, pointers, and structs, unions and arrays in locals: declarations, operators, member and element accesses, casts, sizeof, if/else, while, do/while, for, switch, return, goto, calls (structs by value too), BPF read helpers (kernel and user memory), CO-RE questions (bpf_core_field_exists...), hash and array maps (plain, LRU, per-CPU) of integers or structs of integers and integer or char arrays (script maps), bpf_printk, memcmp, integer, character and string literals, #define macros and #if conditionals")
}

/// A call of `name` with `got` arguments where it takes `want`: C's arity error.
pub fn arity(span: Span, name: &str, want: usize, got: usize) -> Diagnostic {
    let s = if want == 1 { "" } else { "s" };
    Diagnostic::error(
        span,
        format!("{name}() takes {want} argument{s}, not {got}"),
    )
}

/// Parse the C file `text`, placed at byte `base` of the combined source (spans are
/// `base` + offset in `text`); `known` are the C definitions imported before it
/// (their typedef names are types here). Returns what the file defines, or every
/// error.
pub fn parse(text: &str, base: usize, known: &[CDefinition]) -> Result<CFile, Vec<Diagnostic>> {
    let tokens = lex::lex(text, base)?;
    parse::Parser::new(tokens, base + text.len(), known).file()
}

#[cfg(test)]
mod tests;
#[cfg(test)]
mod tests_core;
#[cfg(test)]
mod tests_ctl;
#[cfg(test)]
mod tests_goto;
#[cfg(test)]
mod tests_ptr;
