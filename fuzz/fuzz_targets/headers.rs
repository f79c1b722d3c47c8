//! The C preprocessor: arbitrary text read as a header into the macro table, then
//! arbitrary `#if` expressions evaluated against it, and the same header included
//! from a script by the script preprocessor. Nothing may panic or hang; every
//! diagnostic span must lie inside the script.
//!
//! Input: `HEADER \0 EXPR \0 SCRIPT` (missing parts are empty).
#![no_main]

use libfuzzer_sys::fuzz_target;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use tracec::front::cpp::Macros;
use tracec::front::cpp_expr;
use tracec::front::headers::Headers;
use tracec::front::preprocess;

/// A directory of this process's own for the header file.
fn dir() -> &'static Path {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let d = std::env::temp_dir().join(format!("tracec-fuzz-headers-{}", std::process::id()));
        std::fs::create_dir_all(&d).expect("temporary directory");
        d
    })
}

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let mut parts = text.splitn(3, '\0');
    let header = parts.next().unwrap_or("");
    let expr = parts.next().unwrap_or("");
    let script = parts.next().unwrap_or("");

    // The header as text, then expressions against what it defined.
    let mut macros = Macros::predefined(false);
    Headers::new(&[], &mut macros).include_text(header, &dir().join("fuzz.h"));
    let _ = cpp_expr::eval_if(expr, &macros);
    let _ = cpp_expr::eval_strict(expr, &macros);
    for line in expr.lines() {
        let _ = cpp_expr::eval_if(line, &macros);
    }
    for name in ["A", "B", "X", "FOO"] {
        let _ = macros.substitution(name);
    }

    // The header on disk, included by a script that tests the expression.
    let path = dir().join("fuzz.h");
    if std::fs::write(&path, header.as_bytes()).is_err() {
        return;
    }
    let src = format!(
        "#include \"fuzz.h\"\n#if {}\nBEGIN {{}}\n#endif\n{script}",
        expr.replace('\n', " ")
    );
    let (out, diags) = preprocess::run(&src, &[dir().to_path_buf()]);
    let _ = out;
    for d in &diags {
        assert!(d.span.start <= d.span.end, "{d:?}");
        assert!(d.span.end as usize <= src.len(), "{d:?}");
    }
    let _ = tracec::diag::render("fuzz.bt", &src, &diags, false);
});
