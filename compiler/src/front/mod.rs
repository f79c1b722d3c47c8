//! The front end: [`lexer`] (logos plus a hand-written top-level scanner for attach
//! points) and the lalrpop grammar produce the [`ast`].
//!
//! Entry point: [`parse`]. It never panics; every problem is a [`Diagnostic`].

pub mod ast;
mod cast_typeof;
pub mod cpp;
pub mod cpp_expr;
pub mod csub;
pub mod ctypes;
mod depth;
pub mod headers;
pub mod imports;
pub mod kconsts;
pub mod lexer;
mod lexer_top;
pub mod literal;
pub mod macros;
pub mod preprocess;
mod sugar;
mod syntax_error;
pub mod typenames;

lalrpop_util::lalrpop_mod!(
    #[allow(clippy::all, clippy::pedantic, unused_qualifications, unused_parens)]
    grammar,
    "/front/grammar.rs"
);

use crate::diag::Diagnostic;
use ast::{Expr, ExprKind, Span};
use sugar::{expr_stmt, if_expr, incr_expr, incr_expr_prefix};

pub use depth::MAX_NESTING;
use typenames::type_words;

/// Parse a whole script. On failure, returns every error found (lexical errors,
/// the syntax errors the parser recovered from, the first one it could not recover
/// from, nesting limits), sorted by position.
pub fn parse(source: &str) -> Result<ast::Program, Vec<Diagnostic>> {
    let partial = parse_recovering(source);
    match partial.program {
        Some(program) if partial.diags.is_empty() => Ok(program),
        _ => Err(partial.diags),
    }
}

/// What [`parse_recovering`] found: the diagnostics, and the tree when the parser
/// reached the end of the script.
#[derive(Debug)]
pub struct Partial {
    /// The tree. With diagnostics present, statements and probe headers that did not
    /// parse are replaced by placeholders (see [`Partial::damaged`]).
    pub program: Option<ast::Program>,
    /// Every error, sorted by position; empty when the script parsed cleanly.
    pub diags: Vec<Diagnostic>,
}

impl Partial {
    /// Whether `probe` contains an error (its placeholders would mislead later passes).
    pub fn damaged(&self, probe: &ast::Probe) -> bool {
        self.diags.iter().any(|d| {
            d.span.start >= probe.span.start
                && d.span.start < probe.span.end.max(probe.span.start + 1)
        })
    }
}

/// Parse a whole script, keeping the tree the parser built while recovering from
/// syntax errors (at statement and probe level), so that a checker can still look at
/// the probes that parsed. No tree is returned when the parser gave up before the end
/// or when nesting is too deep.
pub fn parse_recovering(source: &str) -> Partial {
    let (program, diags) = parse_raw(source, 0);
    complete(program, diags)
}

/// Parse `source[start..]` into a tree without expanding macros or parsing C
/// definitions (see [`complete`]); offsets are those of `source`. Imported files sit
/// at `start > 0` of the combined text (`front::imports`).
pub(crate) fn parse_raw(source: &str, start: usize) -> (Option<ast::Program>, Vec<Diagnostic>) {
    if u32::try_from(source.len()).is_err() {
        return (
            None,
            vec![Diagnostic::error(
                Span::default(),
                "script is too large (more than 4 GiB)",
            )],
        );
    }
    let mut lexer = lexer::Lexer::starting_at(source, start);
    let mut recovered = Vec::new();
    let result = grammar::ProgramParser::new().parse(&mut recovered, &mut lexer);
    let mut diags = std::mem::take(&mut lexer.diags);
    diags.extend(
        recovered
            .into_iter()
            .map(|r| syntax_error::translate(source, r.error)),
    );
    match result {
        Ok(program) => (Some(program), diags),
        Err(e) => {
            diags.push(syntax_error::translate(source, e));
            (None, diags)
        }
    }
}

/// The passes after parsing: nesting limits, the C definitions, macro expansion.
pub(crate) fn complete(program: Option<ast::Program>, mut diags: Vec<Diagnostic>) -> Partial {
    let program = program.and_then(|mut program| {
        match depth::check(&program).and_then(|()| {
            for def in &mut program.c_definitions {
                match ctypes::parse(&def.text, def.span.start as usize) {
                    Ok(decls) => def.decls = decls,
                    Err(d) => diags.push(d.from_clang()),
                }
            }
            diags.extend(macros::expand(&mut program));
            // Expansion nests macro bodies into the probes; check again.
            depth::check(&program)
        }) {
            Ok(()) => Some(program),
            Err(d) => {
                diags.push(d);
                depth::dismantle(program);
                None
            }
        }
    });
    diags.sort_by_key(|d| (d.span.start, d.span.end));
    diags.dedup();
    Partial { program, diags }
}

/// Parse a single expression (used by tests and tools).
pub fn parse_expr(source: &str) -> Result<Expr, Vec<Diagnostic>> {
    let wrapped = format!("BEGIN {{ {source} }}");
    let shift = |mut d: Diagnostic| {
        let off = 8u32;
        d.span.start = d.span.start.saturating_sub(off);
        d.span.end = d.span.end.saturating_sub(off);
        d
    };
    let mut program =
        parse(&wrapped).map_err(|ds| ds.into_iter().map(shift).collect::<Vec<_>>())?;
    let probe = program.probes.pop();
    let stmt = probe.and_then(|mut p| p.body.stmts.pop());
    match stmt.map(|s| s.kind) {
        Some(ast::StmtKind::Expr(mut e)) => {
            shift_spans(&mut e, 8);
            Ok(e)
        }
        _ => Err(vec![Diagnostic::error(
            Span::new(0, source.len()),
            "not a single expression",
        )]),
    }
}

fn shift_spans(e: &mut Expr, off: u32) {
    e.span.start -= off;
    e.span.end -= off;
    match &mut e.kind {
        ExprKind::Map { keys: list, .. }
        | ExprKind::Call { args: list, .. }
        | ExprKind::Tuple(list)
        | ExprKind::Record { values: list, .. } => {
            list.iter_mut().for_each(|k| shift_spans(k, off))
        }
        ExprKind::Cast { ty, expr } => {
            ty.span.start -= off;
            ty.span.end -= off;
            shift_spans(expr, off);
        }
        ExprKind::Field { base, .. } | ExprKind::Unary { expr: base, .. } => shift_spans(base, off),
        ExprKind::Index { base: a, index: b } | ExprKind::Binary { lhs: a, rhs: b, .. } => {
            shift_spans(a, off);
            shift_spans(b, off);
        }
        ExprKind::Ternary { cond, then, els } => {
            shift_spans(cond, off);
            shift_spans(then, off);
            shift_spans(els, off);
        }
        ExprKind::Block { value, .. } => shift_spans(value, off),
        ExprKind::Int(_) | ExprKind::Str(_) | ExprKind::Ident(_) | ExprKind::Var(_) => {}
    }
}

/// `base.field` / `base->field` ending at byte `end` (grammar helper).
fn field_expr(base: Expr, field: String, arrow: bool, end: usize) -> Expr {
    let span = Span::new(base.span.start as usize, end);
    Expr {
        kind: ExprKind::Field {
            base: Box::new(base),
            field,
            arrow,
        },
        span,
    }
}

#[cfg(test)]
mod tests;

/// A top-level item as the grammar sees it (grammar helper).
enum TopItem {
    Probe(ast::Probe),
    Config(Vec<ast::ConfigItem>),
    MapDecl(ast::MapDecl),
    Macro(ast::Macro),
    CDefinition(ast::CDefinition),
    Import(ast::Import),
}

impl TopItem {
    fn collect(items: Vec<TopItem>) -> ast::Program {
        let mut p = ast::Program::default();
        for item in items {
            match item {
                TopItem::Probe(x) => p.probes.push(x),
                TopItem::Config(x) => p.config.extend(x),
                TopItem::MapDecl(x) => p.map_decls.push(x),
                TopItem::Macro(x) => p.macros.push(x),
                TopItem::CDefinition(x) => p.c_definitions.push(x),
                TopItem::Import(x) => p.imports.push(x),
            }
        }
        p
    }
}

/// Whether `$name` is a positional parameter (`$1`) or `$#`, which macros do not rename.
fn params_special(name: &str) -> bool {
    name == "#" || (!name.is_empty() && name.bytes().all(|b| b.is_ascii_digit()))
}
#[cfg(test)]
mod tests_synt;
