//! Recursive descent over the subset's tokens (precedence climbing for binary
//! operators, as C orders them).

use super::lex::{Tok, Token};
use super::{unsupported, CExpr, CExprKind, CFunc, CParam, CStmt, CStmtKind, CType};
use crate::diag::Diagnostic;
use crate::front::ast::{BinOp, Span, UnOp};

/// How deep statements and expressions may nest.
const MAX_DEPTH: usize = 100;

pub struct Parser {
    toks: Vec<Token>,
    pos: usize,
    /// Where the file ends (for "unexpected end of file").
    end: usize,
    depth: usize,
}

type PResult<T> = Result<T, Diagnostic>;

/// Words that only qualify a declaration.
const QUALIFIERS: &[&str] = &[
    "static",
    "inline",
    "__inline",
    "__inline__",
    "__always_inline",
    "const",
    "volatile",
    "register",
    "__noinline",
];

impl Parser {
    pub fn new(toks: Vec<Token>, end: usize) -> Parser {
        Parser {
            toks,
            pos: 0,
            end,
            depth: 0,
        }
    }

    pub fn file(mut self) -> Result<Vec<CFunc>, Vec<Diagnostic>> {
        let mut funcs = Vec::new();
        let mut diags = Vec::new();
        while self.pos < self.toks.len() {
            match self.function() {
                Ok(Some(f)) => funcs.push(f),
                Ok(None) => {}
                Err(d) => {
                    diags.push(d);
                    break;
                }
            }
        }
        if diags.is_empty() {
            Ok(funcs)
        } else {
            Err(diags)
        }
    }

    fn peek(&self) -> Option<&Tok> {
        self.toks.get(self.pos).map(|t| &t.tok)
    }

    fn peek_at(&self, n: usize) -> Option<&Tok> {
        self.toks.get(self.pos + n).map(|t| &t.tok)
    }

    fn here(&self) -> Span {
        self.toks
            .get(self.pos)
            .map_or(Span::new(self.end, self.end), |t| t.span)
    }

    fn prev_end(&self) -> usize {
        self.pos
            .checked_sub(1)
            .and_then(|i| self.toks.get(i))
            .map_or(self.end, |t| t.span.end as usize)
    }

    fn is(&self, p: &str) -> bool {
        matches!(self.peek(), Some(Tok::Punct(q)) if *q == p)
    }

    fn eat(&mut self, p: &str) -> bool {
        if self.is(p) {
            self.pos += 1;
            true
        } else {
            false
        }
    }

    fn expect(&mut self, p: &str) -> PResult<()> {
        if self.eat(p) {
            Ok(())
        } else {
            Err(self.unexpected(&format!("`{p}`")))
        }
    }

    fn unexpected(&self, expected: &str) -> Diagnostic {
        match self.toks.get(self.pos) {
            Some(t) => {
                let text = match &t.tok {
                    Tok::Ident(s) => s.clone(),
                    Tok::Int(v) => v.to_string(),
                    Tok::Punct(p) => (*p).to_string(),
                };
                Diagnostic::error(
                    t.span,
                    format!("syntax error in C: unexpected `{text}`, expected {expected}"),
                )
            }
            None => Diagnostic::error(
                Span::new(self.end, self.end),
                format!("syntax error in C: unexpected end of file, expected {expected}"),
            ),
        }
    }

    fn ident(&mut self) -> PResult<(String, Span)> {
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

    fn skip_qualifiers(&mut self) -> PResult<()> {
        loop {
            match self.peek() {
                Some(Tok::Ident(w)) if QUALIFIERS.contains(&w.as_str()) => self.pos += 1,
                Some(Tok::Ident(w)) if w == "__attribute__" => {
                    self.pos += 1;
                    self.expect("(")?;
                    let mut level = 1;
                    while level > 0 {
                        match self.peek() {
                            None => return Err(self.unexpected("`)`")),
                            Some(Tok::Punct("(")) => level += 1,
                            Some(Tok::Punct(")")) => level -= 1,
                            _ => {}
                        }
                        self.pos += 1;
                    }
                }
                _ => return Ok(()),
            }
        }
    }

    /// Whether a type starts here (after qualifiers).
    fn at_type(&self) -> bool {
        let mut i = 0;
        while let Some(Tok::Ident(w)) = self.peek_at(i) {
            if QUALIFIERS.contains(&w.as_str()) {
                i += 1;
                continue;
            }
            return type_word(w) || typedef_name(w).is_some() || is_aggregate(w);
        }
        false
    }

    /// A scalar type: C type words or a fixed-width name.
    fn ctype(&mut self) -> PResult<CType> {
        self.skip_qualifiers()?;
        let start = self.here();
        if let Some(Tok::Ident(w)) = self.peek() {
            if is_aggregate(w) {
                return Err(unsupported(start, &format!("`{w}` types")));
            }
            if let Some(t) = typedef_name(w) {
                self.pos += 1;
                return self.no_pointer(t);
            }
        }
        let mut words = Vec::new();
        while let Some(Tok::Ident(w)) = self.peek() {
            if type_word(w) {
                words.push(w.clone());
                self.pos += 1;
            } else if QUALIFIERS.contains(&w.as_str()) {
                self.pos += 1;
            } else {
                break;
            }
        }
        if words.is_empty() {
            return Err(self.unexpected("a type"));
        }
        let span = start.to(Span::new(self.prev_end(), self.prev_end()));
        let t = words_type(&words)
            .ok_or_else(|| unsupported(span, &format!("the type `{}`", words.join(" "))))?;
        self.no_pointer(t)
    }

    fn no_pointer(&mut self, t: CType) -> PResult<CType> {
        self.skip_qualifiers()?;
        if self.is("*") {
            return Err(unsupported(self.here(), "pointers"));
        }
        Ok(t)
    }

    /// A function definition; `None` for a prototype.
    fn function(&mut self) -> PResult<Option<CFunc>> {
        let start = self.here();
        if let Some(Tok::Ident(w)) = self.peek() {
            if w == "extern" || w == "typedef" {
                return Err(unsupported(start, &format!("`{w}` declarations")));
            }
        }
        let ret = self.ctype()?;
        let (name, _) = self.ident()?;
        if !self.is("(") {
            return Err(unsupported(
                start.to(self.here()),
                "global variables (only function definitions)",
            ));
        }
        self.pos += 1;
        let mut params = Vec::new();
        let void_list = matches!(self.peek(), Some(Tok::Ident(w)) if w == "void")
            && matches!(self.peek_at(1), Some(Tok::Punct(")")));
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
            let ty = self.ctype()?;
            if ty == CType::Void {
                return Err(unsupported(self.here(), "a `void` parameter"));
            }
            let (pname, span) = self.ident()?;
            if self.is("[") {
                return Err(unsupported(self.here(), "arrays"));
            }
            params.push(CParam {
                name: pname,
                ty,
                span,
            });
        }
        self.pos += 1;
        let span = start.to(Span::new(self.prev_end(), self.prev_end()));
        self.skip_qualifiers()?;
        if self.eat(";") {
            return Ok(None);
        }
        if !self.is("{") {
            return Err(self.unexpected("`{` or `;`"));
        }
        let body = self.block()?;
        Ok(Some(CFunc {
            name,
            ret,
            params,
            body,
            span,
        }))
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

    fn enter(&mut self) -> PResult<()> {
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
                let els = if matches!(self.peek(), Some(Tok::Ident(w)) if w == "else") {
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
            "do" | "switch" | "goto" | "case" | "default" | "asm" | "__asm__" => {
                Err(unsupported(start, &format!("`{word}` statements")))
            }
            _ => {
                let s = self.simple_list()?;
                self.expect(";")?;
                Ok(s)
            }
        }
    }

    /// `T a = 1, b;`
    fn declaration(&mut self) -> PResult<Vec<CStmt>> {
        let ty = self.ctype()?;
        if ty == CType::Void {
            return Err(unsupported(self.here(), "`void` variables"));
        }
        let mut out = Vec::new();
        loop {
            let (name, span) = self.ident()?;
            if self.is("[") {
                return Err(unsupported(self.here(), "arrays"));
            }
            let init = if self.eat("=") {
                Some(self.expr()?)
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
            self.skip_qualifiers()?;
            if self.is("*") {
                return Err(unsupported(self.here(), "pointers"));
            }
        }
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
            span: start.to(Span::new(p.prev_end(), p.prev_end())),
        };
        for (op, delta) in [("++", 1), ("--", -1)] {
            if self.eat(op) {
                let (name, _) = self.ident()?;
                return Ok(stmt(CStmtKind::Incr { name, delta }, self));
            }
        }
        if let (Some(Tok::Ident(name)), Some(Tok::Punct(p))) = (self.peek(), self.peek_at(1)) {
            let name = name.clone();
            let p = *p;
            if p == "++" || p == "--" {
                self.pos += 2;
                let delta = if p == "++" { 1 } else { -1 };
                return Ok(stmt(CStmtKind::Incr { name, delta }, self));
            }
            if let Some(op) = assign_op(p) {
                self.pos += 2;
                let value = self.expr()?;
                return Ok(stmt(CStmtKind::Assign { name, op, value }, self));
            }
        }
        let e = self.expr()?;
        if self.is("=")
            || self
                .peek()
                .and_then(|t| match t {
                    Tok::Punct(p) => assign_op(p),
                    _ => None,
                })
                .is_some()
        {
            return Err(unsupported(e.span, "assigning to anything but a variable"));
        }
        if !matches!(e.kind, CExprKind::Call { .. }) {
            // A value computed for nothing is harmless; keep it (C allows it).
        }
        Ok(stmt(CStmtKind::Expr(e), self))
    }

    pub fn expr(&mut self) -> PResult<CExpr> {
        self.enter()?;
        let r = self.ternary();
        self.depth -= 1;
        r
    }

    fn ternary(&mut self) -> PResult<CExpr> {
        let cond = self.binary(1)?;
        if !self.eat("?") {
            return Ok(cond);
        }
        let then = self.expr()?;
        self.expect(":")?;
        let els = self.expr()?;
        let span = cond.span.to(els.span);
        Ok(CExpr {
            kind: CExprKind::Ternary {
                cond: Box::new(cond),
                then: Box::new(then),
                els: Box::new(els),
            },
            span,
        })
    }

    fn binary(&mut self, min: u8) -> PResult<CExpr> {
        let mut lhs = self.unary()?;
        loop {
            let Some((op, prec)) = self.peek().and_then(binop) else {
                return Ok(lhs);
            };
            if prec < min {
                return Ok(lhs);
            }
            self.pos += 1;
            let rhs = self.binary(prec + 1)?;
            let span = lhs.span.to(rhs.span);
            lhs = CExpr {
                kind: CExprKind::Binary {
                    op,
                    lhs: Box::new(lhs),
                    rhs: Box::new(rhs),
                },
                span,
            };
        }
    }

    fn unary(&mut self) -> PResult<CExpr> {
        self.enter()?;
        let r = self.unary_inner();
        self.depth -= 1;
        r
    }

    fn unary_inner(&mut self) -> PResult<CExpr> {
        let start = self.here();
        let op = match self.peek() {
            Some(Tok::Punct("-")) => Some(UnOp::Neg),
            Some(Tok::Punct("!")) => Some(UnOp::Not),
            Some(Tok::Punct("~")) => Some(UnOp::BitNot),
            Some(Tok::Punct("+")) => {
                self.pos += 1;
                return self.unary();
            }
            Some(Tok::Punct(p @ ("*" | "&"))) => {
                let what = if *p == "*" {
                    "pointer dereferences"
                } else {
                    "taking addresses"
                };
                return Err(unsupported(start, what));
            }
            Some(Tok::Punct("++" | "--")) => {
                return Err(unsupported(
                    start,
                    "`++`/`--` inside an expression (only as statements)",
                ))
            }
            Some(Tok::Ident(w)) if w == "sizeof" => {
                return Err(unsupported(start, "`sizeof`"));
            }
            _ => None,
        };
        if let Some(op) = op {
            self.pos += 1;
            let e = self.unary()?;
            let span = start.to(e.span);
            return Ok(CExpr {
                kind: CExprKind::Unary {
                    op,
                    expr: Box::new(e),
                },
                span,
            });
        }
        if self.is("(") {
            let save = self.pos;
            self.pos += 1;
            if self.at_type() {
                let ty = self.ctype()?;
                self.expect(")")?;
                let e = self.unary()?;
                let span = start.to(e.span);
                return Ok(CExpr {
                    kind: CExprKind::Cast {
                        ty,
                        expr: Box::new(e),
                    },
                    span,
                });
            }
            self.pos = save;
        }
        self.postfix()
    }

    fn postfix(&mut self) -> PResult<CExpr> {
        let e = self.primary()?;
        match self.peek() {
            Some(Tok::Punct(p @ ("[" | "." | "->"))) => {
                let what = match *p {
                    "[" => "array subscripts",
                    _ => "member accesses",
                };
                Err(unsupported(self.here(), what))
            }
            Some(Tok::Punct("++" | "--")) => Err(unsupported(
                self.here(),
                "`++`/`--` inside an expression (only as statements)",
            )),
            _ => Ok(e),
        }
    }

    fn primary(&mut self) -> PResult<CExpr> {
        let start = self.here();
        match self.peek().cloned() {
            Some(Tok::Int(v)) => {
                self.pos += 1;
                Ok(CExpr {
                    kind: CExprKind::Int(v),
                    span: start,
                })
            }
            Some(Tok::Ident(w)) if w == "true" || w == "false" => {
                self.pos += 1;
                Ok(CExpr {
                    kind: CExprKind::Int(u64::from(w == "true")),
                    span: start,
                })
            }
            Some(Tok::Ident(name)) => {
                self.pos += 1;
                if !self.eat("(") {
                    return Ok(CExpr {
                        kind: CExprKind::Var(name),
                        span: start,
                    });
                }
                let mut args = Vec::new();
                while !self.eat(")") {
                    if !args.is_empty() {
                        self.expect(",")?;
                    }
                    args.push(self.expr()?);
                }
                Ok(CExpr {
                    kind: CExprKind::Call { name, args },
                    span: start.to(Span::new(self.prev_end(), self.prev_end())),
                })
            }
            Some(Tok::Punct("(")) => {
                self.pos += 1;
                let e = self.expr()?;
                self.expect(")")?;
                Ok(e)
            }
            _ => Err(self.unexpected("an expression")),
        }
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

/// A binary operator and its C precedence (higher binds tighter).
fn binop(t: &Tok) -> Option<(BinOp, u8)> {
    let Tok::Punct(p) = t else { return None };
    Some(match *p {
        "||" => (BinOp::LogOr, 1),
        "&&" => (BinOp::LogAnd, 2),
        "|" => (BinOp::BitOr, 3),
        "^" => (BinOp::BitXor, 4),
        "&" => (BinOp::BitAnd, 5),
        "==" => (BinOp::Eq, 6),
        "!=" => (BinOp::Ne, 6),
        "<" => (BinOp::Lt, 7),
        "<=" => (BinOp::Le, 7),
        ">" => (BinOp::Gt, 7),
        ">=" => (BinOp::Ge, 7),
        "<<" => (BinOp::Shl, 8),
        ">>" => (BinOp::Shr, 8),
        "+" => (BinOp::Add, 9),
        "-" => (BinOp::Sub, 9),
        "*" => (BinOp::Mul, 10),
        "/" => (BinOp::Div, 10),
        "%" => (BinOp::Mod, 10),
        _ => return None,
    })
}

fn type_word(w: &str) -> bool {
    matches!(
        w,
        "void" | "_Bool" | "bool" | "char" | "short" | "int" | "long" | "signed" | "unsigned"
    )
}

fn is_aggregate(w: &str) -> bool {
    matches!(w, "struct" | "union" | "enum" | "float" | "double")
}

/// Fixed-width type names of the kernel, libc and bpftrace.
fn typedef_name(w: &str) -> Option<CType> {
    let int = |bits, signed| Some(CType::Int { bits, signed });
    match w {
        "u8" | "__u8" | "uint8_t" | "uint8" => int(8, false),
        "u16" | "__u16" | "uint16_t" | "uint16" => int(16, false),
        "u32" | "__u32" | "uint32_t" | "uint32" => int(32, false),
        "u64" | "__u64" | "uint64_t" | "uint64" | "size_t" | "uintptr_t" => int(64, false),
        "s8" | "__s8" | "int8_t" | "int8" => int(8, true),
        "s16" | "__s16" | "int16_t" | "int16" => int(16, true),
        "s32" | "__s32" | "int32_t" | "int32" => int(32, true),
        "s64" | "__s64" | "int64_t" | "int64" | "ssize_t" | "intptr_t" => int(64, true),
        _ => None,
    }
}

/// The type of a list of C type words (`unsigned long long`).
fn words_type(words: &[String]) -> Option<CType> {
    let count = |w: &str| words.iter().filter(|x| *x == w).count();
    let unsigned = count("unsigned");
    let signed = count("signed");
    if unsigned + signed > 1 {
        return None;
    }
    let others: Vec<&str> = words
        .iter()
        .map(String::as_str)
        .filter(|w| *w != "unsigned" && *w != "signed")
        .collect();
    let is_signed = unsigned == 0;
    let int = |bits| {
        Some(CType::Int {
            bits,
            signed: is_signed,
        })
    };
    match others.as_slice() {
        ["void"] if unsigned + signed == 0 => Some(CType::Void),
        ["_Bool"] | ["bool"] if unsigned + signed == 0 => Some(CType::Bool),
        ["char"] => int(8),
        ["short"] | ["short", "int"] => int(16),
        [] | ["int"] => int(32),
        ["long"] | ["long", "int"] | ["long", "long"] | ["long", "long", "int"] => int(64),
        _ => None,
    }
}
