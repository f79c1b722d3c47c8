//! Expressions: precedence climbing for binary operators, as C orders them; unary
//! operators, casts and `sizeof`; postfix `[]`, `.`, `->`; primaries.

use super::lex::Tok;
use super::parse::{PResult, Parser};
use super::{CExpr, CExprKind, CType};
use crate::front::ast::{BinOp, UnOp};

impl Parser {
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

    pub(super) fn unary(&mut self) -> PResult<CExpr> {
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
            Some(Tok::Punct("*")) => Some(UnOp::Deref),
            Some(Tok::Punct("&")) => Some(UnOp::AddrOf),
            Some(Tok::Punct("+")) => {
                self.pos += 1;
                return self.unary();
            }
            Some(Tok::Punct("++" | "--")) => return Err(self.unexpected("an expression")),
            Some(Tok::Ident(w)) if w == "sizeof" => {
                self.pos += 1;
                let save = self.pos;
                if self.eat("(") && self.at_type() {
                    let ty = self.abstract_type()?;
                    self.expect(")")?;
                    return Ok(CExpr {
                        kind: CExprKind::SizeofType(ty),
                        span: self.since(start),
                    });
                }
                self.pos = save;
                let e = self.unary()?;
                return Ok(CExpr {
                    span: start.to(e.span),
                    kind: CExprKind::SizeofExpr(Box::new(e)),
                });
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
                let ty = self.abstract_type()?;
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

    /// A type as an argument of a CO-RE question: `enum NAME` as the stand-in
    /// `Var("enum NAME")`, another type as `sizeof(T)`; `None` if no type starts here.
    fn type_arg(&mut self) -> PResult<Option<CExpr>> {
        let start = self.here();
        if self.is_word("enum") {
            if let Some(Tok::Ident(n)) = self.peek_at(1) {
                let n = n.clone();
                self.pos += 2;
                return Ok(Some(CExpr {
                    kind: CExprKind::Var(format!("{}{n}", super::helpers_core::ENUM_ARG)),
                    span: self.since(start),
                }));
            }
        }
        if !self.at_type() {
            return Ok(None);
        }
        let ty = self.abstract_type()?;
        Ok(Some(CExpr {
            kind: CExprKind::SizeofType(ty),
            span: self.since(start),
        }))
    }

    fn postfix(&mut self) -> PResult<CExpr> {
        let mut e = self.primary()?;
        loop {
            if self.eat("[") {
                let index = self.expr()?;
                self.expect("]")?;
                e = CExpr {
                    span: e.span.to(self.since(index.span)),
                    kind: CExprKind::Index {
                        base: Box::new(e),
                        index: Box::new(index),
                    },
                };
            } else if self.is(".") || self.is("->") {
                let arrow = self.is("->");
                self.pos += 1;
                let (field, fspan) = self.ident()?;
                e = CExpr {
                    span: e.span.to(fspan),
                    kind: CExprKind::Member {
                        base: Box::new(e),
                        field,
                        arrow,
                    },
                };
            } else {
                return Ok(e);
            }
        }
    }

    fn primary(&mut self) -> PResult<CExpr> {
        let start = self.here();
        match self.peek().cloned() {
            Some(Tok::Str(mut s)) => {
                // Adjacent literals are one string.
                self.pos += 1;
                while let Some(Tok::Str(more)) = self.peek() {
                    s.push_str(more);
                    self.pos += 1;
                }
                Ok(CExpr {
                    kind: CExprKind::Str(s),
                    span: self.since(start),
                })
            }
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
            Some(Tok::Ident(w)) if w == "NULL" => {
                self.pos += 1;
                let zero = CExpr {
                    kind: CExprKind::Int(0),
                    span: start,
                };
                Ok(CExpr {
                    kind: CExprKind::Cast {
                        ty: CType::Ptr(Box::new(CType::Void)),
                        expr: Box::new(zero),
                    },
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
                    // libbpf's CO-RE questions take types.
                    if super::helpers_core::query(&name).is_some() {
                        if let Some(t) = self.type_arg()? {
                            args.push(t);
                            continue;
                        }
                    }
                    args.push(self.expr()?);
                }
                Ok(CExpr {
                    kind: CExprKind::Call { name, args },
                    span: self.since(start),
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
