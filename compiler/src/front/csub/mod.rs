//! The C subset of imported `.bpf.c` files (there is no clang here): function
//! definitions over scalar integers and `bool`, local declarations, the C operators,
//! casts, `if`/`else`, `while`, `for`, `return`, calls between such functions,
//! integer and character literals and object-like `#define` constants.
//!
//! [`parse`] turns a file into [`CFunc`]s; [`inline`] replaces the calls of the
//! script by the functions' bodies, translated into block expressions of the script
//! language. Anything outside the subset is a diagnostic at the C file's position:
//! "tracec does not compile this C construct: ...".

mod inline;
mod lex;
mod parse;

pub use inline::inline;

use crate::diag::Diagnostic;
use crate::front::ast::{BinOp, Span, UnOp};

/// A scalar C type of the subset.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CType {
    Void,
    Bool,
    Int { bits: u8, signed: bool },
}

impl CType {
    /// The script type spelling of the type (`int32`, `uint64`, `bool`).
    pub fn script_name(self) -> Option<&'static str> {
        Some(match self {
            CType::Void => return None,
            CType::Bool => "bool",
            CType::Int { bits, signed } => match (bits, signed) {
                (8, true) => "int8",
                (16, true) => "int16",
                (32, true) => "int32",
                (64, true) => "int64",
                (8, false) => "uint8",
                (16, false) => "uint16",
                (32, false) => "uint32",
                _ => "uint64",
            },
        })
    }
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
        init: Option<CExpr>,
    },
    /// An expression evaluated for its effect (a call).
    Expr(CExpr),
    /// `name = e`, `name op= e`.
    Assign {
        name: String,
        op: Option<BinOp>,
        value: CExpr,
    },
    /// `name++`, `--name`...
    Incr {
        name: String,
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
}

#[derive(Debug, Clone, PartialEq)]
pub struct CExpr {
    pub kind: CExprKind,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub enum CExprKind {
    Int(u64),
    Var(String),
    Call {
        name: String,
        args: Vec<CExpr>,
    },
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
}

/// The message of a construct outside the subset.
pub fn unsupported(span: Span, what: &str) -> Diagnostic {
    Diagnostic::error(
        span,
        format!("tracec does not compile this C construct: {what}"),
    )
    .with_note("imported .bpf.c files may hold functions over integers and bool: declarations, operators, casts, if/else, while, for, return, calls, integer literals and #define constants")
}

/// Parse the C file `text`, placed at byte `base` of the combined source (spans are
/// `base` + offset in `text`). Returns the functions defined, or every error.
pub fn parse(text: &str, base: usize) -> Result<Vec<CFunc>, Vec<Diagnostic>> {
    let tokens = lex::lex(text, base)?;
    parse::Parser::new(tokens, base + text.len()).file()
}

#[cfg(test)]
mod tests;
