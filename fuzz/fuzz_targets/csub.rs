//! The C subset of imported `.bpf.c` files (`tracec::front::csub`): any text is
//! lexed and parsed to functions and definitions or gives located diagnostics; the
//! functions it defines are then called from a script and the whole program
//! compiled (inlining, the script's checks and code generation), which ends in an
//! object or diagnostics, never a panic or a hang.
//!
//! Input: `C FILE \0 SCRIPT STATEMENTS` (lossy UTF-8). Without statements, every
//! function is called once with constant arguments (`curtask` for pointers).
#![no_main]

use libfuzzer_sys::fuzz_target;
use std::fmt::Write;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use tracec::front::csub;

/// A directory of this process's own for the imported file.
fn dir() -> &'static Path {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let d = std::env::temp_dir().join(format!("tracec-fuzz-csub-{}", std::process::id()));
        std::fs::create_dir_all(&d).expect("temporary directory");
        d
    })
}

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let (c, stmts) = text.split_once('\0').unwrap_or((&text, ""));
    let file = match csub::parse(c, 0, &[]) {
        Ok(file) => file,
        Err(diags) => {
            assert!(!diags.is_empty());
            for d in &diags {
                assert!(d.span.start <= d.span.end, "{d:?}");
                assert!(d.span.end as usize <= c.len(), "{d:?}");
            }
            return;
        }
    };
    let mut body = String::new();
    if stmts.trim().is_empty() {
        for f in file.funcs.iter().take(8) {
            let args: Vec<String> = f
                .params
                .iter()
                .enumerate()
                .map(|(i, p)| {
                    if p.ty.is_ptr() {
                        "curtask".to_string()
                    } else {
                        (i * 7 + 3).to_string()
                    }
                })
                .collect();
            let _ = write!(body, "print({}({})); ", f.name, args.join(", "));
        }
    } else {
        body.push_str(stmts);
    }
    if body.is_empty() {
        return;
    }
    let path = dir().join("fuzz.bpf.c");
    if std::fs::write(&path, c.as_bytes()).is_err() {
        return;
    }
    let script = format!("import \"fuzz.bpf.c\";\nBEGIN {{ {body} }}\n");
    let options = tracec::Options {
        source_name: dir().join("fuzz.bt").to_string_lossy().into_owned(),
        tracefs: "/nonexistent".into(),
        ..Default::default()
    };
    if let Err(diags) = tracec::compile(&script, &options) {
        assert!(diags.iter().any(|d| d.is_error()), "{diags:?}");
    }
});
