//! The front end: [`lexer`] (logos) and the lalrpop grammar produce the [`ast`].

pub mod ast;

use crate::diag::Diagnostic;

/// Parse a whole script.
pub fn parse(_source: &str) -> Result<ast::Program, Vec<Diagnostic>> {
    todo!("front end")
}
