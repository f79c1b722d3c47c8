//! The project's stand-ins for bpftrace's `tests/testprogs/` (sources in `tests/testprogs/`,
//! see its README): which ones a record names, and building them with the host's C compiler.

use std::collections::BTreeSet;
use std::ffi::OsString;
use std::path::Path;
use std::process::Command;

/// Flags of bpftrace's test program build: debug info, no optimisation, frame pointers.
const CFLAGS: &[&str] = &[
    "-g",
    "-O0",
    "-fno-omit-frame-pointer",
    "-mno-omit-leaf-frame-pointer",
];

/// Programs built with their own flags instead of [`CFLAGS`]: `uprobe_nofp` has no frame
/// pointers, for `dw_ustack` (DWARF unwinding), and keeps its calls (no tail calls);
/// `usdt_args` is optimised so that its USDT operands are constants, registers and
/// memory as the compiler picks them (at -O0 every operand is a stack slot).
const CFLAGS_OVERRIDE: &[(&str, &[&str])] = &[
    (
        "uprobe_nofp",
        &[
            "-g",
            "-O1",
            "-fomit-frame-pointer",
            "-fno-optimize-sibling-calls",
        ],
    ),
    (
        "usdt_args",
        &[
            "-g",
            "-O1",
            "-fno-omit-frame-pointer",
            "-mno-omit-leaf-frame-pointer",
        ],
    ),
];

/// Programs whose DWARF names their source as `/testprogs/NAME.c` whatever the checkout's
/// path: their records match source locations with `[\w\/]+.c`, which a checkout path
/// with `-` or `.` in it would not.
const PORTABLE_DEBUG_PATHS: &[&str] = &["usdt_inlined"];

/// The compiler flags of program `stem`.
pub fn cflags(stem: &str) -> &'static [&'static str] {
    CFLAGS_OVERRIDE
        .iter()
        .find(|(n, _)| *n == stem)
        .map_or(CFLAGS, |(_, f)| f)
}

/// The program names a command or program text refers to as `testprogs/NAME`, in order of
/// appearance, without repeats.
pub fn referenced(text: &str) -> Vec<String> {
    let mut names = Vec::new();
    for (i, _) in text.match_indices("testprogs/") {
        let name: String = text[i + "testprogs/".len()..]
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.' | '*' | '?'))
            .collect();
        if !name.is_empty() && !names.contains(&name) {
            names.push(name);
        }
    }
    names
}

/// Whether `built` provides what a record names as `testprogs/NAME`: that program, or for a
/// name with `*`/`?` wildcards (`testprogs/uprobe*`) at least one program it matches.
pub fn provides(built: &BTreeSet<String>, name: &str) -> bool {
    if !name.contains(['*', '?']) {
        return built.contains(name);
    }
    built
        .iter()
        .any(|b| glob_match(name.as_bytes(), b.as_bytes()))
}

/// Shell-style `*`/`?` matching of a whole name.
fn glob_match(pat: &[u8], name: &[u8]) -> bool {
    match pat.split_first() {
        None => name.is_empty(),
        Some((b'*', rest)) => (0..=name.len()).any(|i| glob_match(rest, &name[i..])),
        Some((b'?', rest)) => !name.is_empty() && glob_match(rest, &name[1..]),
        Some((c, rest)) => name.first() == Some(c) && glob_match(rest, &name[1..]),
    }
}

/// Programs linked against libraries of `tests/testlibs/` (`libNAME.so` for `NAME`): they
/// find them at run time in the directory they were built in (an rpath), the directory
/// records see as `./testlibs/`.
const LINKS: &[(&str, &[&str])] = &[("usdt_lib", &["usdt_tp"])];

/// The `*.c` files of `dir`, sorted.
fn c_sources(dir: &Path) -> Result<Vec<std::path::PathBuf>, String> {
    let mut sources: Vec<_> = std::fs::read_dir(dir)
        .map_err(|e| format!("{}: {e}", dir.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "c"))
        .collect();
    sources.sort();
    Ok(sources)
}

/// Build every `*.c` of `src` (bpftrace's `tests/testlibs/` stand-ins) into `out` as a shared
/// library `libNAME.so`, with the programs' flags and `-I include` (for `usdt.h`). Returns
/// the file names built.
pub fn build_libs(src: &Path, include: &Path, out: &Path) -> Result<BTreeSet<String>, String> {
    std::fs::create_dir_all(out).map_err(|e| format!("{}: {e}", out.display()))?;
    let mut built = BTreeSet::new();
    for source in c_sources(src)? {
        let Some(stem) = source.file_stem().map(|s| s.to_string_lossy().into_owned()) else {
            continue;
        };
        let name = format!("lib{stem}.so");
        let mut args: Vec<OsString> = CFLAGS.iter().map(OsString::from).collect();
        args.extend(["-shared", "-fPIC", "-I"].map(OsString::from));
        args.extend([include.into(), "-o".into(), out.join(&name).into()]);
        args.push(source.clone().into());
        tool("cc", &args, out)?;
        built.insert(name);
    }
    Ok(built)
}

/// Build every `*.c` of `src` into `out` twice, as bpftrace does: `NAME` (`-no-pie`) and
/// `NAME-pie` (`-fpie -pie`). Programs in [`LINKS`] link against libraries already built
/// into `libs`. Returns the names built; any compiler failure is an error (the programs are
/// the project's own and must build), as is a missing `cc`.
pub fn build(src: &Path, libs: &Path, out: &Path) -> Result<BTreeSet<String>, String> {
    std::fs::create_dir_all(out).map_err(|e| format!("{}: {e}", out.display()))?;
    let mut built = BTreeSet::new();
    for source in c_sources(src)? {
        let Some(stem) = source.file_stem().map(|s| s.to_string_lossy().into_owned()) else {
            continue;
        };
        for (name, flags) in [
            (stem.clone(), &["-no-pie"][..]),
            (format!("{stem}-pie"), &["-fpie", "-pie"][..]),
        ] {
            let mut args: Vec<OsString> = cflags(&stem).iter().map(OsString::from).collect();
            args.extend(flags.iter().map(OsString::from));
            if PORTABLE_DEBUG_PATHS.contains(&stem.as_str()) {
                args.push(format!("-fdebug-prefix-map={}=/testprogs", src.display()).into());
            }
            args.extend(["-I".into(), src.into(), "-o".into(), out.join(&name).into()]);
            args.push(source.clone().into());
            let linked: Vec<OsString> = LINKS
                .iter()
                .filter(|(n, _)| *n == stem)
                .flat_map(|(_, l)| l.iter().map(|l| format!("-l{l}").into()))
                .collect();
            if !linked.is_empty() {
                args.push(format!("-L{}", libs.display()).into());
                args.push(format!("-Wl,-rpath,{}", libs.display()).into());
                args.extend(linked);
            }
            args.push("-lpthread".into());
            tool("cc", &args, out)?;
            built.insert(name);
        }
        if STRIPPED.contains(&stem.as_str()) {
            strip_with_debuglink(out, &stem)?;
            built.insert(format!("{stem}-stripped"));
        }
        if stem == EXTERNAL_DEBUG {
            external_debug(out, &source)?;
            built.insert(format!("{stem}-stripped"));
            built.insert("external_debug".to_string());
        }
    }
    built.extend(super::testprog_extras::build(src, out)?);
    Ok(built)
}

/// The program of bpftrace's `--debuginfo` and split-DWARF records, built (besides the
/// usual two) as `NAME-stripped` with its debug file in `external_debug/` (found only
/// through `--debuginfo=./external_debug`, relative to the binary), and as
/// `external_debug/dwo/NAME-split` (`-gsplit-dwarf`, the `.dwo` beside it) and
/// `external_debug/dwp/NAME-split` (its `.dwo` packed into `NAME-split.dwp` by `dwp`).
const EXTERNAL_DEBUG: &str = "uprobe_test";

fn external_debug(out: &Path, source: &Path) -> Result<(), String> {
    let stem = EXTERNAL_DEBUG;
    let ext = out.join("external_debug");
    let stripped = format!("{stem}-stripped");
    let debug_name = format!("{stripped}.debug");
    std::fs::create_dir_all(&ext).map_err(|e| format!("{}: {e}", ext.display()))?;
    let full = out.join(stem);
    let debug = ext.join(&debug_name);
    let bin = out.join(&stripped);
    let link = format!("--add-gnu-debuglink={}", debug.display());
    split_debug(&full, &debug, &bin, &link, out)?;

    let split = format!("{stem}-split");
    // Built in their own directories, so that the skeleton units' DW_AT_comp_dir and
    // DW_AT_dwo_name name the `.dwo` there.
    let build_split = |dir: &Path, extra: &[&str]| -> Result<(), String> {
        std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
        let mut args: Vec<OsString> = CFLAGS.iter().map(OsString::from).collect();
        args.extend(["-no-pie", "-gsplit-dwarf"].map(OsString::from));
        args.extend(extra.iter().map(OsString::from));
        args.extend(["-o".into(), split.clone().into(), source.into()]);
        tool("cc", &args, dir)
    };
    build_split(&ext.join("dwo"), &[])?;
    // binutils' `dwp` packs the GNU split DWARF of DWARF 4 (it cannot read DWARF 5's);
    // llvm-dwp either.
    let dwp_dir = ext.join("dwp");
    build_split(&dwp_dir, &["-gdwarf-4"])?;
    let package = format!("{split}.dwp");
    let args = ["-e", split.as_str(), "-o", package.as_str()];
    tool("dwp", &args, &dwp_dir).or_else(|e| tool("llvm-dwp", &args, &dwp_dir).map_err(|_| e))?;
    // Only the package is left to read.
    for entry in std::fs::read_dir(&dwp_dir).map_err(|e| format!("{}: {e}", dwp_dir.display()))? {
        let p = entry.map_err(|e| e.to_string())?.path();
        if p.extension().is_some_and(|x| x == "dwo") {
            std::fs::remove_file(&p).map_err(|e| format!("{}: {e}", p.display()))?;
        }
    }
    Ok(())
}

/// Run `tool` with `args` in `dir`; a failure is an error with its output.
pub(super) fn tool<A: AsRef<std::ffi::OsStr> + std::fmt::Debug>(
    tool: &str,
    args: &[A],
    dir: &Path,
) -> Result<(), String> {
    let o = Command::new(tool)
        .args(args)
        .current_dir(dir)
        .output()
        .map_err(|e| format!("cannot run {tool}: {e}"))?;
    if o.status.success() {
        Ok(())
    } else {
        Err(format!(
            "{tool} {:?} failed:\n{}",
            args,
            String::from_utf8_lossy(&o.stderr)
        ))
    }
}

/// Programs also built as `NAME-stripped`: no symbols or DWARF of their own, a
/// `.gnu_debuglink` to `NAME-stripped.debug` in `.debug/` beside them (bpftrace's
/// standard separate-debug layout).
const STRIPPED: &[&str] = &["uprobe_separate_debug"];

/// `out/NAME` to `out/NAME-stripped` plus `out/.debug/NAME-stripped.debug`.
fn strip_with_debuglink(out: &Path, stem: &str) -> Result<(), String> {
    let debug_dir = out.join(".debug");
    std::fs::create_dir_all(&debug_dir).map_err(|e| format!("{}: {e}", debug_dir.display()))?;
    let full = out.join(stem);
    let stripped = out.join(format!("{stem}-stripped"));
    let debug = debug_dir.join(format!("{stem}-stripped.debug"));
    // The link names the file only; the reader looks for it in `.debug/`.
    let link = format!("--add-gnu-debuglink=.debug/{stem}-stripped.debug");
    split_debug(&full, &debug, &stripped, &link, out)
}

/// `objcopy` `full` into its debug sections (`debug`) and the rest (`stripped`: no symbols,
/// its build id kept), which `link` (an `--add-gnu-debuglink=` argument) points at the
/// debug file.
fn split_debug(
    full: &Path,
    debug: &Path,
    stripped: &Path,
    link: &str,
    dir: &Path,
) -> Result<(), String> {
    let os = |p: &Path| p.as_os_str().to_owned();
    tool(
        "objcopy",
        &["--only-keep-debug".into(), os(full), os(debug)],
        dir,
    )?;
    tool(
        "objcopy",
        &[
            "--strip-all".into(),
            "--keep-section=.note.gnu.build-id".into(),
            os(full),
            os(stripped),
        ],
        dir,
    )?;
    tool("objcopy", &[OsString::from(link), os(stripped)], dir)
}
