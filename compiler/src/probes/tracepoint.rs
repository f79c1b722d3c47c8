//! `tracepoint:CATEGORY:NAME` (short name `t`): kernel static tracepoints. `*` and `?`
//! in CATEGORY and NAME expand to every matching tracepoint. `args` is the record
//! described by the tracepoint's format.

use super::glob::{closest, has_wildcard, matches};
use super::tracefs::{SourceError, TracepointSource};
use super::{sanitize, Context, ExpandedProbe};
use crate::diag::Diagnostic;
use crate::front::ast::AttachPoint;
use tracec_meta::Attach;

fn source_error(ap: &AttachPoint, e: &SourceError) -> Diagnostic {
    let d = Diagnostic::error(ap.span, e.to_string()).with_label("needed for this probe");
    match e.hint() {
        Some(h) => d.with_note(h),
        None => d,
    }
}

fn probe(category: &str, name: &str, context: Context) -> ExpandedProbe {
    ExpandedProbe {
        name: format!("tracepoint:{category}:{name}"),
        section: format!("tracepoint/{category}/{name}"),
        symbol_stem: sanitize(&format!("tracepoint_{category}_{name}")),
        attach: Attach::Tracepoint {
            category: category.to_string(),
            name: name.to_string(),
        },
        context,
    }
}

fn context_of(
    src: &dyn TracepointSource,
    ap: &AttachPoint,
    category: &str,
    name: &str,
) -> Result<Option<Context>, Diagnostic> {
    let fields = src
        .fields(category, name)
        .map_err(|e| source_error(ap, &e))?;
    Ok(fields.map(|fields| Context::Tracepoint {
        fields: fields.into_iter().map(|f| f.field).collect(),
    }))
}

/// bpftrace's "No matches for tracepoint C:N.", with a suggestion when a close name
/// exists.
fn not_found(
    src: &dyn TracepointSource,
    ap: &AttachPoint,
    category: &str,
    name: &str,
) -> Diagnostic {
    let wanted = format!("{category}:{name}");
    let mut d = Diagnostic::error(ap.span, format!("No matches for tracepoint {wanted}."))
        .with_label("no such tracepoint");
    let Ok(events) = src.events() else {
        return d;
    };
    if !has_wildcard(category) && !events.iter().any(|(c, _)| c == category) {
        d = d.with_note(format!("there is no tracepoint category '{category}'"));
    }
    if !has_wildcard(&wanted) {
        let all: Vec<String> = events.iter().map(|(c, n)| format!("{c}:{n}")).collect();
        if let Some(best) = closest(&wanted, all.iter().map(String::as_str)) {
            d = d.with_note(format!("did you mean 'tracepoint:{best}'?"));
        }
    }
    d
}

pub(super) fn expand(
    ap: &AttachPoint,
    src: &dyn TracepointSource,
) -> Result<Vec<ExpandedProbe>, Diagnostic> {
    let (category, name) = match &ap.parts[1..] {
        [c, n] if !c.is_empty() && !n.is_empty() => (c.as_str(), n.as_str()),
        // `tracepoint:sched_*` searches every category, as bpftrace does.
        [n] if has_wildcard(n) => ("*", n.as_str()),
        [n] if !n.is_empty() => {
            let mut d = Diagnostic::error(
                ap.span,
                "tracepoint probe needs a category and a name: tracepoint:CATEGORY:NAME",
            );
            if let Ok(events) = src.events() {
                if let Some((c, _)) = events.iter().find(|(_, e)| e == n) {
                    d = d.with_note(format!("did you mean 'tracepoint:{c}:{n}'?"));
                }
            }
            return Err(d);
        }
        _ => {
            return Err(Diagnostic::error(
                ap.span,
                "tracepoint probe needs a category and a name: tracepoint:CATEGORY:NAME",
            )
            .with_note("e.g. tracepoint:syscalls:sys_enter_openat"));
        }
    };

    if !has_wildcard(category) && !has_wildcard(name) {
        return match context_of(src, ap, category, name)? {
            Some(ctx) => Ok(vec![probe(category, name, ctx)]),
            None => Err(not_found(src, ap, category, name)),
        };
    }

    let events = src.events().map_err(|e| source_error(ap, &e))?;
    let mut out = Vec::new();
    for (c, n) in events
        .iter()
        .filter(|(c, n)| matches(category, c) && matches(name, n))
    {
        // Listed but without a format (e.g. removed meanwhile): not attachable.
        if let Some(ctx) = context_of(src, ap, c, n)? {
            out.push(probe(c, n, ctx));
        }
    }
    if out.is_empty() {
        return Err(not_found(src, ap, category, name));
    }
    Ok(out)
}
