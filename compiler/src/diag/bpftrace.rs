//! Diagnostics the way bpftrace prints them, for users and tools that expect its
//! text: `stdin:1:25-28: ERROR: message`, then the source line and `~` under the
//! span. `-e` programs and standard input are called `stdin`, as in bpftrace.
//! Errors that clang reports in bpftrace (on the script's C definitions and
//! preprocessor lines) are printed as clang prints them:
//! `definitions.h:2:41: error: field has incomplete type 'struct thread_info'`;
//! bpftrace stops at them, so the script's other errors are then not shown.

use super::{clang, floor_char_boundary, line_col, Diagnostic, Reporter, Severity};

/// The name bpftrace gives a script: `stdin` for `-e` programs and standard input.
pub fn script_name(name: &str) -> &str {
    match name {
        "<-e>" | "-" => "stdin",
        other => other,
    }
}

/// Render `diags` in bpftrace's style.
pub fn render(name: &str, source: &str, diags: &[Diagnostic]) -> String {
    let name = script_name(name);
    let mut out = String::new();
    let clang_failed = diags
        .iter()
        .any(|d| d.is_error() && d.reporter != Reporter::Bpftrace);
    let script = (name, source);
    for d in diags {
        let (name, source, span) = super::located(script.0, script.1, d);
        if d.reporter != Reporter::Bpftrace {
            if let Some((line, col)) = clang::definitions_position(source, span.start as usize) {
                let level = match (d.reporter, d.severity) {
                    (Reporter::ClangFatal, _) => "fatal error",
                    (_, Severity::Error) => "error",
                    (_, Severity::Warning) => "warning",
                };
                out += &format!("definitions.h:{line}:{col}: {level}: {}\n", d.message);
                continue;
            }
        } else if clang_failed && d.is_error() {
            continue;
        }
        let level = match d.severity {
            Severity::Error => "ERROR",
            Severity::Warning => "WARNING",
        };
        if d.whole_script {
            out += &format!("{level}: {}\n", d.message);
            continue;
        }
        let (l1, c1) = line_col(source, span.start);
        let (l2, c2) = line_col(source, span.end.max(span.start));
        let at = if l1 == l2 {
            format!("{l1}:{c1}-{}", c2.max(c1 + 1))
        } else {
            format!("{l1}-{l2}")
        };
        out += &format!("{name}:{at}: {level}: {}\n", d.message);
        if l1 == l2 {
            let line = source_line(source, span.start);
            out += line;
            out.push('\n');
            let width = (c2.max(c1 + 1) - c1) as usize;
            out += &" ".repeat(c1 as usize - 1);
            out += &"~".repeat(width);
            out.push('\n');
        }
        for note in &d.notes {
            out += &format!("HINT: {note}\n");
        }
    }
    out
}

/// The whole line holding byte `offset`, without its newline.
fn source_line(source: &str, offset: u32) -> &str {
    let at = floor_char_boundary(source, (offset as usize).min(source.len()));
    let start = source[..at].rfind('\n').map_or(0, |i| i + 1);
    let end = source[at..].find('\n').map_or(source.len(), |i| at + i);
    &source[start..end]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::front::ast::Span;

    #[test]
    fn location_range_and_underline() {
        let src = "config = { bad_config=raw } begin {}";
        let d = Diagnostic::error(
            Span::new(11, 25),
            "bad_config: not a known configuration option",
        );
        assert_eq!(
            render("<-e>", src, &[d]),
            "stdin:1:12-26: ERROR: bad_config: not a known configuration option\n\
             config = { bad_config=raw } begin {}\n           ~~~~~~~~~~~~~~\n"
        );
    }

    #[test]
    fn whole_script_diagnostics_have_no_location() {
        let d = Diagnostic::warning(Span::new(2, 5), "unstable").about_whole_script();
        assert_eq!(render("<-e>", "begin {}", &[d]), "WARNING: unstable\n");
    }

    #[test]
    fn warnings_second_lines_and_files() {
        let src = "BEGIN {\n  exit(); @a = 1;\n}";
        let d = Diagnostic::warning(Span::new(18, 25), "Unreachable statement").with_note("n");
        assert_eq!(
            render("x.bt", src, &[d]),
            "x.bt:2:11-18: WARNING: Unreachable statement\n  exit(); @a = 1;\n          ~~~~~~~\nHINT: n\n"
        );
        let multi = Diagnostic::error(Span::new(0, 20), "m");
        assert!(render("-", src, &[multi]).starts_with("stdin:1-2: ERROR: m\n"));
    }

    #[test]
    fn clang_errors_in_c_definitions() {
        let src = "#include <lol/no.h>\nstruct s { struct t x; } begin { @ = 1 }";
        let fatal =
            Diagnostic::error(Span::new(9, 19), "'lol/no.h' file not found").from_clang_fatal();
        let field = Diagnostic::error(Span::new(40, 41), "field has incomplete type 'struct t'")
            .from_clang();
        let later = Diagnostic::error(Span::new(50, 51), "not shown");
        assert_eq!(
            render("<-e>", src, &[fatal, field.clone(), later.clone()]),
            "definitions.h:2:10: fatal error: 'lol/no.h' file not found\n\
             definitions.h:3:21: error: field has incomplete type 'struct t'\n"
        );
        // Without a clang error, bpftrace's own are shown; a clang warning does not
        // hide them.
        let warn = Diagnostic::warning(Span::new(40, 41), "w").from_clang();
        assert_eq!(
            render("<-e>", src, &[warn, later]),
            "definitions.h:3:21: warning: w\nstdin:2:31-32: ERROR: not shown\n\
             struct s { struct t x; } begin { @ = 1 }\n                              ~\n"
        );
    }
}
