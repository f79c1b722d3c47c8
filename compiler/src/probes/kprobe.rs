//! `kprobe:FN[+OFFSET]` and `kretprobe:FN` (short names `k`, `kr`): spec parsing only.
//! Wildcards, module qualifiers and bare addresses are recognised and refused.

use super::glob::has_wildcard;
use super::interval::parse_count;
use super::{canonical_name, symbol_stem, Context, ExpandedProbe};
use crate::diag::Diagnostic;
use crate::front::ast::AttachPoint;
use tracec_meta::Attach;

/// Split `name+offset` (offset decimal or hex) into its parts.
pub(super) fn split_offset(spec: &str) -> Result<(&str, u64), String> {
    match spec.split_once('+') {
        Some((name, off)) => Ok((
            name,
            parse_count(off).map_err(|e| format!("invalid offset: {e}"))?,
        )),
        None => Ok((spec, 0)),
    }
}

pub(super) fn expand(ap: &AttachPoint, ret: bool) -> Result<Vec<ExpandedProbe>, Diagnostic> {
    let kind = if ret { "kretprobe" } else { "kprobe" };
    let err = |msg: String| Diagnostic::error(ap.span, msg);
    let spec = match &ap.parts[1..] {
        [f] if !f.is_empty() => f,
        [_, _] => {
            return Err(
                err(format!("{kind} module qualifiers are not supported yet"))
                    .with_note(format!("write {kind}:FUNCTION")),
            );
        }
        _ => {
            return Err(err(format!("{kind} probe needs a kernel function"))
                .with_note(format!("e.g. {kind}:vfs_read")));
        }
    };
    if has_wildcard(spec) {
        return Err(err(format!(
            "wildcards in {kind} functions are not supported yet"
        )));
    }
    let (function, offset) = split_offset(spec).map_err(|e| err(format!("{kind}: {e}")))?;
    if function.starts_with(|c: char| c.is_ascii_digit()) {
        return Err(err(format!(
            "{kind} at a bare address is not supported yet"
        )));
    }
    if function.is_empty()
        || !function
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '.')
    {
        return Err(err(format!("invalid kernel function name '{function}'")));
    }
    if ret && offset != 0 {
        return Err(err("kretprobe does not take an offset".to_string()));
    }
    let section = if offset != 0 {
        format!("{kind}/{function}+{offset}")
    } else {
        format!("{kind}/{function}")
    };
    Ok(vec![ExpandedProbe {
        name: canonical_name(kind, ap),
        section,
        symbol_stem: symbol_stem(kind, &ap.parts[1..]),
        attach: Attach::Kprobe {
            function: function.to_string(),
            offset,
            ret,
        },
        context: Context::None,
    }])
}
