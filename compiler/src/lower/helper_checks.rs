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
use crate::ir::{Base, Cond, Helper, Operand, UnOp, Width};
use crate::sema::calls::LOCATION_MARK;
use tracec_meta::{EventKind, Field, FmtKind, PrintfSpec, Ty, EVENT_HEADER_SIZE};

const HDR: i32 = EVENT_HEADER_SIZE as i32;

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

    /// Call `helper` (a probe read) with `args`; with `-k`, a negative result sends
    /// bpftrace's located helper error for the read at `span`.
    pub(crate) fn checked_read(&mut self, helper: Helper, args: Vec<Operand>, span: Span) {
        if !self.m.helper_checks {
            self.b.call_void(helper, args);
            return;
        }
        let ret = self.b.call(helper, args);
        let spec = PrintfSpec {
            format: helper_failed_format(
                self.lines.source(),
                without_parens(self.lines.source(), span),
                helper.name(),
            ),
            args: vec![
                Field {
                    offset: 0,
                    ty: Ty::Fmt {
                        fmt: FmtKind::Strerror,
                    },
                },
                Field {
                    offset: 8,
                    ty: Ty::Int {
                        size: 8,
                        signed: true,
                    },
                },
            ],
        };
        let id = self.m.extra_printf(spec);
        let failed = self.b.new_block();
        let done = self.b.new_block();
        self.b.branch(Cond::Slt, ret, Operand::Imm(0), failed, done);
        self.b.switch_to(failed);
        let errno = self.b.unary(UnOp::Neg, ret);
        self.event(EventKind::HelperError, id, 16, |l, rec| {
            l.b.store(Base::Reg(rec), HDR, Width::B8, Operand::Reg(errno));
            l.b.store(Base::Reg(rec), HDR + 8, Width::B8, Operand::Reg(ret));
        });
        self.b.jump(done);
        self.b.switch_to(done);
    }

    /// Send warning `id` (from [`Lower::lookup_warning`]).
    pub(crate) fn warn_lookup_failed(&mut self, id: u32) {
        self.event(EventKind::Warn, id, 0, |_, _| {});
    }
}

/// The located format of the warning for a failed helper `helper` at `span`: the
/// errno's text (`%s`), the helper and its return code (`%d`), the source line and
/// `~` under the span.
fn helper_failed_format(source: &str, span: Span, helper: &str) -> String {
    let (line, marks) = source_context(source, span);
    let body = format!(
        "%s\nAdditional Info - helper: {helper}, retcode: %d\n{}\n{}\n",
        line.replace('%', "%%"),
        marks
    );
    format!("{LOCATION_MARK}{}:{}:WARNING\0{body}", span.start, span.end)
}

/// `span` without the grouping parentheses around it (`((struct foo *)p)` is located
/// at the cast, as bpftrace's nodes are).
fn without_parens(source: &str, mut span: Span) -> Span {
    loop {
        let Some(text) = source.get(span.start as usize..span.end as usize) else {
            return span;
        };
        let Some(inner) = text.strip_prefix('(').and_then(|t| t.strip_suffix(')')) else {
            return span;
        };
        // The outer pair must enclose everything: `(a) + (b)` is no group.
        let mut depth = 0i32;
        for c in inner.chars() {
            match c {
                '(' => depth += 1,
                ')' => depth -= 1,
                _ => {}
            }
            if depth < 0 {
                return span;
            }
        }
        let trimmed = inner.trim();
        let lead = inner.len() - inner.trim_start().len();
        span = Span::new(
            span.start as usize + 1 + lead,
            span.start as usize + 1 + lead + trimmed.len(),
        );
    }
}

/// The source line holding `span` and the `~` marks under it.
fn source_context(source: &str, span: Span) -> (&str, String) {
    let start = (span.start as usize).min(source.len());
    let end = (span.end as usize).clamp(start, source.len());
    let line_start = source[..start].rfind('\n').map_or(0, |i| i + 1);
    let line_end = source[start..]
        .find('\n')
        .map_or(source.len(), |i| start + i);
    let col = source[line_start..start].chars().count();
    let width = source[start..end.min(line_end)].chars().count().max(1);
    (
        &source[line_start..line_end],
        format!("{}{}", " ".repeat(col), "~".repeat(width)),
    )
}

/// The located format of the warning for a failed lookup at `span`: the message, the
/// helper and its return code, the source line and `~` under the span (all `%`
/// doubled: it is a printf format).
fn lookup_failed_format(source: &str, span: Span) -> String {
    let (line, marks) = source_context(source, span);
    let body = format!(
        "{LOOKUP_FAILED}\nAdditional Info - helper: map_lookup_elem, retcode: 0\n{line}\n{marks}\n"
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
    fn helper_errors_are_located_without_grouping_parens() {
        let src = "x { $t = ((struct foo*) arg0).a; }";
        let start = src.find("((").unwrap();
        let end = src.find(").a").unwrap() + 1;
        let inner = without_parens(src, Span::new(start, end));
        assert_eq!(
            &src[inner.start as usize..inner.end as usize],
            "(struct foo*) arg0"
        );
        let s = src.find("(struct").unwrap();
        let e = src.find("arg0").unwrap() + 4;
        let cast = Span::new(s, e);
        assert_eq!(without_parens(src, cast), cast);
        let f = helper_failed_format(src, inner, "probe_read_user");
        let text = resolve_location(&f, "stdin", |o| (1, o + 1)).unwrap();
        assert_eq!(
            text,
            "stdin:1:11-29: WARNING: %s\nAdditional Info - helper: probe_read_user, \
             retcode: %d\nx { $t = ((struct foo*) arg0).a; }\n\
             \x20         ~~~~~~~~~~~~~~~~~~\n"
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
