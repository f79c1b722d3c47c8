//! Recursive descent over the subset's tokens: the file's top-level items and the
//! statements of function bodies (expressions in `parse_expr.rs`, types and
//! declarators in `parse_type.rs`).

use super::lex::{Tok, Token};
use super::parse_type::const_value;
use super::types::add_typedefs;
use super::{
    unsupported, CExprKind, CFile, CFunc, CInit, CParam, CSection, CStmt, CStmtKind, CType,
    Designator,
};
use super::{CConst, CInitItem};
use crate::diag::Diagnostic;
use crate::front::ast::{BinOp, CDefinition, Span};
use std::collections::HashMap;

/// How deep statements and expressions may nest.
const MAX_DEPTH: usize = 100;

pub struct Parser {
    pub(super) toks: Vec<Token>,
    pub(super) pos: usize,
    /// Where the file ends (for "unexpected end of file").
    pub(super) end: usize,
    pub(super) depth: usize,
    /// Typedef names known here (imported headers, then the file's own).
    pub(super) typedefs: HashMap<String, CType>,
    pub(super) defs: Vec<CDefinition>,
    pub(super) consts: Vec<CConst>,
    /// Global struct, union and array variables, as declarations (`globals.rs`).
    pub(super) aggregates: Vec<CStmt>,
    pub(super) maps: Vec<super::CMap>,
}

pub type PResult<T> = Result<T, Diagnostic>;

impl Parser {
    pub fn new(toks: Vec<Token>, end: usize, known: &[CDefinition]) -> Parser {
        let mut typedefs = HashMap::new();
        for d in known {
            add_typedefs(&mut typedefs, &d.decls);
        }
        Parser {
            toks,
            pos: 0,
            end,
            depth: 0,
            typedefs,
            defs: Vec::new(),
            consts: Vec::new(),
            aggregates: Vec::new(),
            maps: Vec::new(),
        }
    }

    pub fn file(mut self) -> Result<CFile, Vec<Diagnostic>> {
        let mut funcs = Vec::new();
        while self.pos < self.toks.len() {
            if self.map_definition().is_some() {
                match self.map_decl() {
                    Ok(m) => self.maps.push(m),
                    Err(d) => return Err(vec![d]),
                }
                continue;
            }
            let item = if self.at_definition() {
                self.definition().map(|()| None)
            } else {
                self.function()
            };
            match item {
                Ok(Some(f)) => funcs.push(f),
                Ok(None) => {}
                Err(d) => return Err(vec![d]),
            }
        }
        super::globals::prepend(&mut funcs, &self.aggregates).map_err(|d| vec![d])?;
        Ok(CFile {
            funcs,
            defs: self.defs,
            consts: self.consts,
            maps: self.maps,
        })
    }

    /// The span of the top-level declaration starting here when it defines a BPF
    /// map (it names the section `.maps`).
    fn map_definition(&self) -> Option<Span> {
        let mut depth = 0usize;
        let mut body = false;
        let toks = &self.toks[self.pos..];
        for (i, t) in toks.iter().enumerate() {
            match &t.tok {
                Tok::Punct("{") => {
                    // A function's body (after its parameters) ends the declaration.
                    if depth == 0 && i > 0 && toks[i - 1].tok == Tok::Punct(")") {
                        body = true;
                    }
                    depth += 1;
                }
                Tok::Punct("(") => depth += 1,
                Tok::Punct("}") if depth == 1 && body => return None,
                Tok::Punct("}" | ")") => depth = depth.saturating_sub(1),
                Tok::Punct(";") if depth == 0 => return None,
                Tok::Str(s) if s.starts_with(".maps") => return Some(self.here().to(t.span)),
                _ => {}
            }
        }
        None
    }

    pub(super) fn peek(&self) -> Option<&Tok> {
        self.toks.get(self.pos).map(|t| &t.tok)
    }

    pub(super) fn peek_at(&self, n: usize) -> Option<&Tok> {
        self.toks.get(self.pos + n).map(|t| &t.tok)
    }

    pub(super) fn here(&self) -> Span {
        self.toks
            .get(self.pos)
            .map_or(Span::new(self.end, self.end), |t| t.span)
    }

    pub(super) fn prev_end(&self) -> usize {
        self.pos
            .checked_sub(1)
            .and_then(|i| self.toks.get(i))
            .map_or(self.end, |t| t.span.end as usize)
    }

    /// From `start` to the end of the last token taken.
    pub(super) fn since(&self, start: Span) -> Span {
        start.to(Span::new(self.prev_end(), self.prev_end()))
    }

    pub(super) fn is(&self, p: &str) -> bool {
        matches!(self.peek(), Some(Tok::Punct(q)) if *q == p)
    }

    pub(super) fn is_word(&self, w: &str) -> bool {
        matches!(self.peek(), Some(Tok::Ident(x)) if x == w)
    }

    pub(super) fn eat(&mut self, p: &str) -> bool {
        if self.is(p) {
            self.pos += 1;
            true
        } else {
            false
        }
    }

    pub(super) fn expect(&mut self, p: &str) -> PResult<()> {
        if self.eat(p) {
            Ok(())
        } else {
            Err(self.unexpected(&format!("`{p}`")))
        }
    }

    pub(super) fn unexpected(&self, expected: &str) -> Diagnostic {
        match self.toks.get(self.pos) {
            Some(t) if matches!(t.tok, Tok::Punct("++" | "--")) => unsupported(
                t.span,
                "`++`/`--` inside an expression (only as statements)",
            ),
            Some(t) => Diagnostic::error(
                t.span,
                format!(
                    "syntax error in C: unexpected `{}`, expected {expected}",
                    t.tok.text()
                ),
            ),
            None => Diagnostic::error(
                Span::new(self.end, self.end),
                format!("syntax error in C: unexpected end of file, expected {expected}"),
            ),
        }
    }

    pub(super) fn ident(&mut self) -> PResult<(String, Span)> {
        match self.peek() {
            Some(Tok::Ident(s)) => {
                let s = s.clone();
                let sp = self.here();
                self.pos += 1;
                Ok((s, sp))
            }
            _ => Err(self.unexpected("a name")),
        }
    }

    /// A function definition; `None` for a prototype.
    fn function(&mut self) -> PResult<Option<CFunc>> {
        let start = self.here();
        if let Some(Tok::Ident(w)) = self.peek() {
            if w == "extern" {
                return Err(unsupported(start, "`extern` declarations"));
            }
        }
        let base = self.base_type()?;
        let ret = self.pointers(base)?;
        let (name, _) = self.ident()?;
        if !self.is("(") {
            self.global(start, name, ret)?;
            return Ok(None);
        }
        self.pos += 1;
        let mut params = Vec::new();
        let void_list = self.is_word("void") && matches!(self.peek_at(1), Some(Tok::Punct(")")));
        if void_list {
            self.pos += 1;
        }
        while !self.is(")") {
            if !params.is_empty() {
                self.expect(",")?;
            }
            if self.is("...") {
                return Err(unsupported(self.here(), "variadic functions"));
            }
            let at = self.here();
            let base = self.base_type()?;
            let (ty, pname, span) = self.declarator(base, true)?;
            let ty = match ty {
                CType::Array(t, _) => CType::Ptr(t),
                CType::Void => return Err(unsupported(at, "a `void` parameter")),
                t => t,
            };
            params.push(CParam {
                name: pname,
                ty,
                span,
            });
        }
        self.pos += 1;
        let span = self.since(start);
        self.skip_qualifiers()?;
        if self.eat(";") {
            return Ok(None);
        }
        if !self.is("{") {
            return Err(self.unexpected("`{` or `;`"));
        }
        if matches!(ret, CType::Array(..)) {
            return Err(unsupported(span, "functions returning arrays"));
        }
        let body = super::goto::lower(self.block()?)?;
        Ok(Some(CFunc {
            name,
            ret,
            params,
            body,
            span,
            zero_globals: Vec::new(),
        }))
    }

    /// A global variable after its name: a scalar with a constant initial value,
    /// or a struct, union or array (`globals.rs`).
    fn global(&mut self, start: Span, name: String, ty: CType) -> PResult<()> {
        if matches!(ty, CType::Record { .. }) || self.is("[") {
            let ty = self.array_dims(ty)?;
            let init = if self.eat("=") {
                Some(self.initializer()?)
            } else {
                None
            };
            self.skip_qualifiers()?;
            if !self.eat(";") {
                return Err(unsupported(
                    start.to(self.here()),
                    "global variables declared together (one per declaration)",
                ));
            }
            self.aggregates.push(CStmt {
                kind: CStmtKind::Decl { name, ty, init },
                span: self.since(start),
            });
            return Ok(());
        }
        if !ty.is_scalar() {
            return Err(unsupported(
                start.to(self.here()),
                "global variables that are no integers, bools, pointers, structs or arrays",
            ));
        }
        let value = if self.eat("=") {
            let e = self.expr()?;
            const_value(&e).ok_or_else(|| {
                unsupported(e.span, "a global's initial value that is not a constant")
            })?
        } else {
            0
        };
        self.skip_qualifiers()?;
        if !self.eat(";") {
            return Err(unsupported(
                start.to(self.here()),
                "global variables declared together (one per declaration)",
            ));
        }
        self.consts.push(CConst {
            name,
            ty,
            value,
            span: self.since(start),
        });
        Ok(())
    }

    fn block(&mut self) -> PResult<Vec<CStmt>> {
        self.expect("{")?;
        let mut stmts = Vec::new();
        while !self.eat("}") {
            if self.peek().is_none() {
                return Err(self.unexpected("`}`"));
            }
            stmts.extend(self.statement()?);
        }
        Ok(stmts)
    }

    pub(super) fn enter(&mut self) -> PResult<()> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(unsupported(self.here(), "nesting this deep"));
        }
        Ok(())
    }

    /// One statement (a declaration of several names gives several).
    fn statement(&mut self) -> PResult<Vec<CStmt>> {
        self.enter()?;
        let r = self.statement_inner();
        self.depth -= 1;
        r
    }

    fn body(&mut self) -> PResult<Vec<CStmt>> {
        if self.is("{") {
            self.block()
        } else {
            self.statement()
        }
    }

    fn statement_inner(&mut self) -> PResult<Vec<CStmt>> {
        let start = self.here();
        let one = |kind, end: usize| {
            vec![CStmt {
                kind,
                span: start.to(Span::new(end, end)),
            }]
        };
        if self.is("{") {
            let b = self.block()?;
            return Ok(one(CStmtKind::Block(b), self.prev_end()));
        }
        if self.eat(";") {
            return Ok(Vec::new());
        }
        if self.at_type() {
            let d = self.declaration()?;
            self.expect(";")?;
            return Ok(d);
        }
        if self.at_unknown_type() {
            if let Some(Tok::Ident(w)) = self.peek() {
                return Err(self.unknown_type(w));
            }
        }
        let word = match self.peek() {
            Some(Tok::Ident(w)) => w.clone(),
            _ => String::new(),
        };
        match word.as_str() {
            "if" => {
                self.pos += 1;
                self.expect("(")?;
                let cond = self.expr()?;
                self.expect(")")?;
                let then = self.body()?;
                let els = if self.is_word("else") {
                    self.pos += 1;
                    Some(self.body()?)
                } else {
                    None
                };
                Ok(one(CStmtKind::If { cond, then, els }, self.prev_end()))
            }
            "while" => {
                self.pos += 1;
                self.expect("(")?;
                let cond = self.expr()?;
                self.expect(")")?;
                let body = self.body()?;
                Ok(one(CStmtKind::While { cond, body }, self.prev_end()))
            }
            "for" => {
                self.pos += 1;
                self.expect("(")?;
                let init = if self.is(";") {
                    Vec::new()
                } else if self.at_type() {
                    self.declaration()?
                } else {
                    self.simple_list()?
                };
                self.expect(";")?;
                let cond = if self.is(";") {
                    None
                } else {
                    Some(self.expr()?)
                };
                self.expect(";")?;
                let step = if self.is(")") {
                    Vec::new()
                } else {
                    self.simple_list()?
                };
                self.expect(")")?;
                let body = self.body()?;
                Ok(one(
                    CStmtKind::For {
                        init,
                        cond,
                        step,
                        body,
                    },
                    self.prev_end(),
                ))
            }
            "return" => {
                self.pos += 1;
                let value = if self.is(";") {
                    None
                } else {
                    Some(self.expr()?)
                };
                self.expect(";")?;
                Ok(one(CStmtKind::Return(value), self.prev_end()))
            }
            "break" | "continue" => {
                self.pos += 1;
                self.expect(";")?;
                let kind = if word == "break" {
                    CStmtKind::Break
                } else {
                    CStmtKind::Continue
                };
                Ok(one(kind, self.prev_end()))
            }
            "do" => {
                self.pos += 1;
                let body = self.body()?;
                if !self.is_word("while") {
                    return Err(self.unexpected("`while`"));
                }
                self.pos += 1;
                self.expect("(")?;
                let cond = self.expr()?;
                self.expect(")")?;
                self.expect(";")?;
                Ok(one(CStmtKind::DoWhile { body, cond }, self.prev_end()))
            }
            "switch" => {
                self.pos += 1;
                self.expect("(")?;
                let value = self.expr()?;
                self.expect(")")?;
                let sections = self.switch_body()?;
                Ok(one(CStmtKind::Switch { value, sections }, self.prev_end()))
            }
            "case" | "default" => Err(Diagnostic::error(
                start,
                format!("'{word}' statement not in switch statement"),
            )),
            "goto" => {
                self.pos += 1;
                let (label, _) = self.ident()?;
                self.expect(";")?;
                Ok(one(CStmtKind::Goto(label), self.prev_end()))
            }
            "asm" | "__asm__" => Err(unsupported(start, &format!("`{word}` statements"))),
            _ if !word.is_empty() && matches!(self.peek_at(1), Some(Tok::Punct(":"))) => {
                // `label:` (the statement it labels follows as the next one).
                self.pos += 2;
                Ok(one(CStmtKind::Label(word), self.prev_end()))
            }
            _ => {
                let s = self.simple_list()?;
                self.expect(";")?;
                Ok(s)
            }
        }
    }

    /// The braces of a `switch`: every label opens a section; statements before
    /// the first label are never run (C jumps past them).
    fn switch_body(&mut self) -> PResult<Vec<CSection>> {
        self.expect("{")?;
        let mut sections: Vec<CSection> = Vec::new();
        while !self.eat("}") {
            let at = self.here();
            if self.is_word("case") {
                self.pos += 1;
                let e = self.expr()?;
                if !is_label(&e) {
                    return Err(unsupported(e.span, "a `case` label that is not a constant"));
                }
                self.expect(":")?;
                let k = const_value(&e);
                let dup = sections
                    .iter()
                    .filter_map(|s| s.label.as_ref())
                    .any(|l| match k {
                        Some(k) => const_value(l) == Some(k),
                        None => l.kind == e.kind,
                    });
                if dup {
                    return Err(Diagnostic::error(e.span, "duplicate case value"));
                }
                sections.push(CSection {
                    label: Some(e),
                    body: Vec::new(),
                    span: self.since(at),
                });
            } else if self.is_word("default") {
                self.pos += 1;
                self.expect(":")?;
                if sections.iter().any(|s| s.label.is_none()) {
                    return Err(Diagnostic::error(
                        at,
                        "multiple default labels in one switch",
                    ));
                }
                sections.push(CSection {
                    label: None,
                    body: Vec::new(),
                    span: self.since(at),
                });
            } else if self.peek().is_none() {
                return Err(self.unexpected("`}`"));
            } else {
                let stmts = self.statement()?;
                if let Some(last) = sections.last_mut() {
                    last.body.extend(stmts);
                }
            }
        }
        Ok(sections)
    }

    /// `T a = 1, *b, c[4] = {0};`
    fn declaration(&mut self) -> PResult<Vec<CStmt>> {
        let at = self.here();
        let base = self.base_type()?;
        let mut out = Vec::new();
        loop {
            let (ty, name, span) = self.declarator(base.clone(), false)?;
            if ty == CType::Void {
                return Err(unsupported(at, "`void` variables"));
            }
            let init = if self.eat("=") {
                Some(self.initializer()?)
            } else {
                None
            };
            out.push(CStmt {
                kind: CStmtKind::Decl { name, ty, init },
                span: span.to(Span::new(self.prev_end(), self.prev_end())),
            });
            if !self.eat(",") {
                return Ok(out);
            }
        }
    }

    /// An expression or a braced list.
    fn initializer(&mut self) -> PResult<CInit> {
        if !self.is("{") {
            return Ok(CInit::Expr(self.expr()?));
        }
        self.enter()?;
        self.pos += 1;
        let mut items = Vec::new();
        while !self.eat("}") {
            let start = self.here();
            let designator = if self.eat(".") {
                let (n, _) = self.ident()?;
                self.expect("=")?;
                Some(Designator::Field(n))
            } else if self.eat("[") {
                let e = self.expr()?;
                let CExprKind::Int(i) = e.kind else {
                    return Err(unsupported(e.span, "a designator that is not a number"));
                };
                self.expect("]")?;
                self.expect("=")?;
                Some(Designator::Index(u32::try_from(i).unwrap_or(u32::MAX)))
            } else {
                None
            };
            let init = self.initializer()?;
            items.push(CInitItem {
                designator,
                init,
                span: self.since(start),
            });
            if !self.eat(",") {
                self.expect("}")?;
                break;
            }
        }
        self.depth -= 1;
        Ok(CInit::List(items))
    }

    /// Comma-separated simple statements (for `for` headers and expression
    /// statements): assignments, increments, calls.
    fn simple_list(&mut self) -> PResult<Vec<CStmt>> {
        let mut out = vec![self.simple()?];
        while self.eat(",") {
            out.push(self.simple()?);
        }
        Ok(out)
    }

    fn simple(&mut self) -> PResult<CStmt> {
        let start = self.here();
        let stmt = |kind, p: &Parser| CStmt {
            kind,
            span: p.since(start),
        };
        for (op, delta) in [("++", 1), ("--", -1)] {
            if self.eat(op) {
                let target = self.unary()?;
                return Ok(stmt(CStmtKind::Incr { target, delta }, self));
            }
        }
        let e = self.expr()?;
        for (op, delta) in [("++", 1), ("--", -1)] {
            if self.eat(op) {
                return Ok(stmt(CStmtKind::Incr { target: e, delta }, self));
            }
        }
        if let Some(Tok::Punct(p)) = self.peek() {
            if let Some(op) = assign_op(p) {
                self.pos += 1;
                let value = self.expr()?;
                return Ok(stmt(
                    CStmtKind::Assign {
                        target: e,
                        op,
                        value,
                    },
                    self,
                ));
            }
        }
        Ok(stmt(CStmtKind::Expr(e), self))
    }
}

/// Whether `e` may be a `case` label: a constant, an enumerator (a name), or
/// arithmetic over those.
fn is_label(e: &super::CExpr) -> bool {
    match &e.kind {
        CExprKind::Int(_) | CExprKind::Var(_) => true,
        CExprKind::Binary { lhs, rhs, .. } => is_label(lhs) && is_label(rhs),
        CExprKind::Unary { op, expr } => {
            matches!(
                op,
                crate::front::ast::UnOp::Neg | crate::front::ast::UnOp::BitNot
            ) && is_label(expr)
        }
        CExprKind::Cast { ty, expr } => !ty.is_ptr() && is_label(expr),
        _ => false,
    }
}

fn assign_op(p: &str) -> Option<Option<BinOp>> {
    Some(match p {
        "=" => None,
        "+=" => Some(BinOp::Add),
        "-=" => Some(BinOp::Sub),
        "*=" => Some(BinOp::Mul),
        "/=" => Some(BinOp::Div),
        "%=" => Some(BinOp::Mod),
        "&=" => Some(BinOp::BitAnd),
        "|=" => Some(BinOp::BitOr),
        "^=" => Some(BinOp::BitXor),
        "<<=" => Some(BinOp::Shl),
        ">>=" => Some(BinOp::Shr),
        _ => return None,
    })
}
