use super::*;
use crate::diag;
use std::os::unix::fs::PermissionsExt;

/// A fresh directory (mode 0755) with `files` (relative path, text) in it.
fn tree(test: &str, files: &[(&str, &str)]) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("tracec-imports-{test}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o755)).unwrap();
    for (name, text) in files {
        let path = dir.join(name);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, text).unwrap();
    }
    dir
}

/// Parse `main.bt` of `dir` with its imports.
fn resolve(dir: &Path) -> Imported {
    let main = dir.join("main.bt");
    let text = std::fs::read_to_string(&main).unwrap();
    parse_recovering(&text, main.to_str().unwrap(), &[])
}

fn messages(r: &Imported) -> Vec<String> {
    r.partial.diags.iter().map(|d| d.message.clone()).collect()
}

/// The first attach point of every probe, in order.
fn probe_names(r: &Imported) -> Vec<String> {
    let p = r.partial.program.as_ref().expect("a program");
    p.probes
        .iter()
        .map(|p| p.attach_points[0].raw.clone())
        .collect()
}

#[test]
fn nested_imports_come_first_and_each_file_once() {
    let dir = tree(
        "nested",
        &[
            (
                "main.bt",
                "import \"a.bt\";\nimport \"a.bt\";\nBEGIN { x(); }\n",
            ),
            (
                "a.bt",
                "import \"sub/b.bt\";\nmacro x() { 1 }\ninterval:s:1 { }\n",
            ),
            // Relative to sub/, and a cycle back to a.bt.
            (
                "sub/b.bt",
                "import \"../a.bt\";\nimport \"c.bt\";\nEND { }\n",
            ),
            ("sub/c.bt", "let @m = hash(10);\nprofile:hz:99 { }\n"),
        ],
    );
    let r = resolve(&dir);
    assert_eq!(messages(&r), Vec::<String>::new());
    assert_eq!(
        probe_names(&r),
        ["profile:hz:99", "END", "interval:s:1", "BEGIN"]
    );
    let p = r.partial.program.as_ref().unwrap();
    assert_eq!(p.map_decls.len(), 1);
    assert_eq!(r.map.files.len(), 3);
}

#[test]
fn a_missing_path_points_at_the_import() {
    let dir = tree("missing", &[("main.bt", "BEGIN { }\n")]);
    std::fs::write(dir.join("main.bt"), "import \"nope.bt\";\nBEGIN { }\n").unwrap();
    let r = resolve(&dir);
    let d = &r.partial.diags[0];
    assert_eq!(d.message, "Unable to find suitable path for import");
    assert_eq!(d.span, Span::new(0, 17));
    assert!(d.notes[0].contains("nope.bt"), "{:?}", d.notes);
    assert!(d.file.is_none());
}

#[test]
fn world_writable_directories_are_refused() {
    let dir = tree(
        "writable",
        &[
            ("main.bt", "import \"lib\";\nBEGIN { }\n"),
            ("lib/a.bt", "END { }\n"),
        ],
    );
    std::fs::set_permissions(dir.join("lib"), std::fs::Permissions::from_mode(0o777)).unwrap();
    let r = resolve(&dir);
    assert!(
        messages(&r)[0].starts_with(
            "cowardly refusing to import from a directory with global write permissions"
        ),
        "{:?}",
        messages(&r)
    );
    assert_eq!(probe_names(&r), ["BEGIN"]);
}

#[test]
fn a_directory_imports_its_supported_files_in_name_order() {
    let dir = tree(
        "dir",
        &[
            (
                "main.bt",
                "import \"lib\";\nBEGIN { printf(\"%d\\n\", f()); }\n",
            ),
            ("lib/b.bt", "END { }\n"),
            ("lib/a.bt", "interval:s:1 { }\n"),
            ("lib/f.bpf.c", "int f() { return 3; }\n"),
            ("lib/t.h", "struct s { int x; };\n"),
            ("lib/notes.txt", "not imported\n"),
            ("lib/deeper/c.bt", "profile:hz:1 { }\n"),
        ],
    );
    let r = resolve(&dir);
    assert_eq!(messages(&r), Vec::<String>::new());
    assert_eq!(probe_names(&r), ["interval:s:1", "END", "BEGIN"]);
    let p = r.partial.program.as_ref().unwrap();
    assert_eq!(p.c_definitions.len(), 1);
    // The call became a block expression.
    let text = format!("{:?}", p.probes[2].body);
    assert!(!text.contains("name: \"f\""), "{text}");
}

#[test]
fn config_in_an_import_is_an_error_in_that_file() {
    let dir = tree(
        "config",
        &[
            ("main.bt", "import \"a.bt\";\nBEGIN { }\n"),
            ("a.bt", "config = { max_map_keys = 10 }\nEND { }\n"),
        ],
    );
    let r = resolve(&dir);
    let d = &r.partial.diags[0];
    assert_eq!(d.message, "invalid `config` within import");
    let (name, _, span) = diag::located("main.bt", "", d);
    assert!(name.ends_with("a.bt"), "{name}");
    assert_eq!(span, Span::new(11, 28));
    let text = diag::render("main.bt", "", &r.partial.diags, false);
    assert!(text.contains("a.bt:1:12"), "{text}");
}

#[test]
fn syntax_errors_of_an_imported_file_name_it() {
    let dir = tree(
        "syntax",
        &[
            ("main.bt", "import \"a.bt\";\nBEGIN { }\n"),
            ("a.bt", "END {\n  $x = ;\n}\n"),
        ],
    );
    let r = resolve(&dir);
    let text = diag::render("main.bt", "", &r.partial.diags, false);
    assert!(text.contains("a.bt:2:8"), "{text}");
    let bt = diag::bpftrace::render("main.bt", "", &r.partial.diags);
    assert!(bt.contains("a.bt:2:8"), "{bt}");
}

#[test]
fn imports_after_probes_are_misplaced() {
    let dir = tree(
        "order",
        &[
            ("main.bt", "BEGIN { }\nimport \"a.bt\";\n"),
            ("a.bt", "END { }\n"),
        ],
    );
    let r = resolve(&dir);
    assert_eq!(
        messages(&r),
        ["root imports must appear before probes and functions"]
    );
}

#[test]
fn unknown_types_and_stdlib() {
    let dir = tree(
        "kinds",
        &[("main.bt", "import \"x.txt\";\nBEGIN { }\n"), ("x.txt", "")],
    );
    assert_eq!(messages(&resolve(&dir)), ["unknown import type: \"x.txt\""]);
    // Not on disk next to the script: the embedded module.
    let r = parse_recovering(
        "import \"stdlib/test\"; BEGIN { print(__always_true()); }",
        dir.join("main.bt").to_str().unwrap(),
        &[],
    );
    assert_eq!(messages(&r), Vec::<String>::new());
    assert_eq!(r.map.files[0].name, "stdlib/test/test.bpf.c");
}

#[test]
fn c_errors_are_located_in_the_c_file() {
    let dir = tree(
        "cerr",
        &[
            ("main.bt", "import \"f.bpf.c\";\nBEGIN { f(); }\n"),
            (
                "f.bpf.c",
                "int f() {\n  int x = 0;\n  asm volatile(\"\");\n  return x;\n}\n",
            ),
        ],
    );
    let r = resolve(&dir);
    let text = diag::render("main.bt", "", &r.partial.diags, false);
    assert!(
        text.contains("tracec does not compile this C construct: `asm` statements"),
        "{text}"
    );
    assert!(text.contains("f.bpf.c:3:3"), "{text}");
}
