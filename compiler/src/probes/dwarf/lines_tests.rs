//! Source locations through the line table of a program compiled here with `cc -g`
//! (skipped without `cc`).

use super::lines::{address, LineError, SourceLoc};

// Line 2 opens `add`, line 3 is its statement, line 5 is blank.
const SOURCE: &str = "int total;\nint add(int a, int b) {\n    total = a + b;\n    return total;\n\n}\nint main(void) { return add(1, 2); }\n";

fn build() -> Option<(std::path::PathBuf, std::path::PathBuf)> {
    let dir = std::env::temp_dir().join(format!("tracec-lines-{}", std::process::id()));
    std::fs::create_dir_all(&dir).ok()?;
    let src = dir.join("lines_prog.c");
    let bin = dir.join("lines_prog");
    std::fs::write(&src, SOURCE).ok()?;
    let ok = std::process::Command::new("cc")
        .args(["-g", "-O0", "-no-pie", "-o"])
        .arg(&bin)
        .arg(&src)
        .status()
        .ok()?
        .success();
    ok.then_some((src, bin))
}

fn loc(file: &str, rest: &[&str]) -> SourceLoc {
    SourceLoc::parse(file, rest).unwrap()
}

fn symbol(bin: &std::path::Path, name: &str) -> u64 {
    let bytes = std::fs::read(bin).unwrap();
    let elf = goblin::elf::Elf::parse(&bytes).unwrap();
    elf.syms
        .iter()
        .find(|s| elf.strtab.get_at(s.st_name) == Some(name))
        .map(|s| s.st_value)
        .unwrap()
}

#[test]
fn parses_line_and_column() {
    assert_eq!(loc("a.c", &["12"]).line, 12);
    assert_eq!(loc("a.c", &["12", "5"]).column, Some(5));
    assert!(SourceLoc::parse("a.c", &["x"]).is_err());
    assert!(SourceLoc::parse("a.c", &["0"]).is_err());
    assert!(SourceLoc::parse("a.c", &[]).is_err());
    assert!(SourceLoc::parse("", &["3"]).is_err());
    assert!(SourceLoc::parse("a.c", &["1", "2", "3"]).is_err());
}

#[test]
fn function_line_is_the_function_address() {
    let Some((src, bin)) = build() else {
        eprintln!("skipped: no cc");
        return;
    };
    let entry = symbol(&bin, "add");
    assert_eq!(address(&bin, &loc("lines_prog.c", &["2"])), Ok(entry));
    // The same file by absolute path and by a path suffix.
    let abs = src.to_string_lossy().into_owned();
    assert_eq!(address(&bin, &loc(&abs, &["2"])), Ok(entry));
    let dir = src.parent().unwrap().file_name().unwrap().to_string_lossy();
    assert_eq!(
        address(&bin, &loc(&format!("{dir}/lines_prog.c"), &["2"])),
        Ok(entry)
    );
    // The body's statement is past the prologue, inside the function.
    let body = address(&bin, &loc("lines_prog.c", &["3"])).unwrap();
    assert!(body > entry && body < symbol(&bin, "main"), "{body:#x}");
    // A column that no row of the line has.
    assert_eq!(
        address(&bin, &loc("lines_prog.c", &["3", "77"])),
        Err(LineError::NoStatement)
    );
    assert_eq!(
        address(&bin, &loc("lines_prog.c", &["5"])),
        Err(LineError::NoStatement)
    );
    assert_eq!(
        address(&bin, &loc("other.c", &["2"])),
        Err(LineError::NoFile)
    );
    assert_eq!(
        address(&bin, &loc("ines_prog.c", &["2"])),
        Err(LineError::NoFile)
    );
    assert!(matches!(
        address(std::path::Path::new("/no/such/file"), &loc("a.c", &["1"])),
        Err(LineError::Read(_))
    ));
    let _ = std::fs::remove_dir_all(src.parent().unwrap());
}
