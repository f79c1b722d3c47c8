//! `tracec -k`: bpftrace's run-time checks of helper results. A map read whose
//! `map_lookup_elem` finds no element (the value reads as 0) also sends a located
//! warning, as bpftrace prints it:
//!
//! ```text
//! stdin:1:37-41: WARNING: Can't lookup map element because it does not exist.
//! Additional Info - helper: map_lookup_elem, retcode: 0
//! i:ms:100 { @[1] = 1; printf("%d\n", @[2]); exit(); }
//!                                     ~~~~
//! ```
//!
//! The text is a [`EventKind::Warn`] printf without arguments, appended to the
//! script's printfs ([`super::ModuleCx::extra_printfs`]) and located like `warnf`'s
//! (`crate::sema::calls::LOCATION_MARK`).

use super::Lower;
use crate::front::ast::Span;
use crate::sema::calls::LOCATION_MARK;
use tracec_meta::{EventKind, PrintfSpec};

/// bpftrace's message for a failed map lookup.
const LOOKUP_FAILED: &str = "Can't lookup map element because it does not exist.";

impl Lower<'_, '_> {
    /// With `-k`: the printf id of the "lookup failed" warning for the map read at
    /// `span`; `None` without `-k`.
    pub(crate) fn lookup_warning(&mut self, span: Span) -> Option<u32> {
        if !self.m.helper_checks {
            return None;
        }
        let spec = PrintfSpec {
            format: lookup_failed_format(self.lines.source(), span),
            args: Vec::new(),
        };
        Some(self.m.extra_printf(spec))
    }

    /// Send warning `id` (from [`Lower::lookup_warning`]).
    pub(crate) fn warn_lookup_failed(&mut self, id: u32) {
        self.event(EventKind::Warn, id, 0, |_, _| {});
    }
}

/// The located format of the warning for a failed lookup at `span`: the message, the
/// helper and its return code, the source line and `~` under the span (all `%`
/// doubled: it is a printf format).
fn lookup_failed_format(source: &str, span: Span) -> String {
    let start = (span.start as usize).min(source.len());
    let end = (span.end as usize).clamp(start, source.len());
    let line_start = source[..start].rfind('\n').map_or(0, |i| i + 1);
    let line_end = source[start..]
        .find('\n')
        .map_or(source.len(), |i| start + i);
    let line = &source[line_start..line_end];
    let col = source[line_start..start].chars().count();
    let width = source[start..end.min(line_end)].chars().count().max(1);
    let body = format!(
        "{LOOKUP_FAILED}\nAdditional Info - helper: map_lookup_elem, retcode: 0\n{line}\n{}{}\n",
        " ".repeat(col),
        "~".repeat(width)
    );
    format!(
        "{LOCATION_MARK}{}:{}:WARNING\0{}",
        span.start,
        span.end,
        body.replace('%', "%%")
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sema::calls::resolve_location;

    #[test]
    fn the_warning_shows_the_line_and_marks_the_read() {
        let src = "i:ms:100 { @[1] = 1; printf(\"%d\\n\", @[2]); exit(); }";
        let start = src.find("@[2]").unwrap();
        let f = lookup_failed_format(src, Span::new(start, start + 4));
        let text = resolve_location(&f, "stdin", |o| (1, o + 1)).unwrap();
        assert_eq!(
            text,
            "stdin:1:37-41: WARNING: Can't lookup map element because it does not exist.\n\
             Additional Info - helper: map_lookup_elem, retcode: 0\n\
             i:ms:100 { @[1] = 1; printf(\"%%d\\n\", @[2]); exit(); }\n\
             \x20                                   ~~~~\n"
        );
    }

    #[test]
    fn a_read_on_a_later_line_shows_that_line() {
        let src = "BEGIN {\n  $x = @m[1];\n}";
        let start = src.find("@m[1]").unwrap();
        let f = lookup_failed_format(src, Span::new(start, start + 5));
        assert!(
            f.ends_with("retcode: 0\n  $x = @m[1];\n       ~~~~~\n"),
            "{f:?}"
        );
    }
}
