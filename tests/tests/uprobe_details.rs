//! uprobe details bpftrace checks, end to end: a function the binary lacks ("No
//! matches for uprobe"), a size-0 symbol (`_init`) refused without `--unsafe`, a probe
//! at a virtual address, and `args` of a DWARF uprobe as a whole record.

use std::path::{Path, PathBuf};
use std::time::Duration;
use tracec_tests::*;

const PROG: &str = r#"
__attribute__((noinline)) int fn1(int *n, char c) { return *n + c; }
volatile int sink;
int main(void) {
  int n = 13;
  sink = fn1(&n, 'x');
  return 0;
}
"#;

/// The program compiled with `cc -g -O0 -no-pie` into `dir`; `None` without a C compiler.
fn test_program(dir: &Path) -> Option<PathBuf> {
    build(dir, "-g")
}

/// The program compiled with `cc FLAG -O0 -no-pie`.
fn build(dir: &Path, flag: &str) -> Option<PathBuf> {
    build_c(dir, "details_prog", PROG, &[flag, "-O0", "-no-pie"])
}

/// The address of the function symbol `name` of the ELF file `bin`.
fn symbol_address(bin: &Path, name: &str) -> u64 {
    let bytes = std::fs::read(bin).expect("read the test program");
    let elf = goblin::elf::Elf::parse(&bytes).expect("an ELF file");
    elf.syms
        .iter()
        .find(|s| elf.strtab.get_at(s.st_name) == Some(name))
        .map(|s| s.st_value)
        .expect("the symbol is in .symtab")
}

#[test]
fn missing_function_is_no_match() {
    let dir = scratch("uprobe_details_missing");
    let Some(bin) = test_program(&dir) else {
        eprintln!("skipping: no C compiler");
        return;
    };
    let p = bin.display();
    let err = compile_error(
        "uprobe_missing_fn",
        &format!("uprobe:{p}:fn1, uprobe:{p}:nope {{ exit(); }}"),
    );
    assert!(
        err.contains(&format!("No matches for uprobe {p}:nope.")),
        "{err}"
    );
    // Under missing_probes = "warn" the probe is dropped with a warning.
    let script = format!(
        "config = {{ missing_probes = \"warn\" }} uprobe:{p}:fn1, uprobe:{p}:nope {{ exit(); }}"
    );
    let out = tracec(&["-e", &script, "-o", dir.join("warn.o").to_str().unwrap()]);
    let text = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{text}");
    assert!(
        text.contains(&format!("No matches for uprobe {p}:nope. Skipping.")),
        "{text}"
    );
}

#[test]
fn size_zero_symbol_needs_unsafe() {
    let Some(_k) = kernel_or_skip("uprobe_size_zero") else {
        return;
    };
    let dir = scratch("uprobe_details_zero");
    let Some(bin) = test_program(&dir) else {
        return;
    };
    let p = bin.to_str().unwrap();
    let obj = compile_text(&dir, "zero", &format!("uprobe:{p}:_init {{ exit(); }}"));
    let mut run = Run::start(&obj, &[]);
    let code = run.finish(Duration::from_secs(20));
    assert_eq!(code, Some(1), "{:?}", run.err_lines);
    assert_eq!(
        run.err_lines,
        [
            "ERROR: Could not determine boundary for _init (symbol has size 0).",
            "Use --unsafe to force attachment. WARNING: This option could lead to data corruption in the target process.",
        ]
    );
    // --unsafe attaches (the program's start runs _init).
    let out = run_object_to_exit(&obj, &["--unsafe", "-c", p]);
    assert!(
        out.err_lines.iter().any(|l| l == "Attached 1 probe"),
        "{:?}",
        out.err_lines
    );
}

#[test]
fn probe_at_a_virtual_address() {
    let Some(_k) = kernel_or_skip("uprobe_address") else {
        return;
    };
    let dir = scratch("uprobe_details_addr");
    let Some(bin) = test_program(&dir) else {
        return;
    };
    let p = bin.to_str().unwrap();
    let addr = symbol_address(&bin, "fn1");
    assert!(addr >= 0x400000, "a -no-pie address: {addr:#x}");
    let script = format!("uprobe:{p}:{addr:#x} {{ printf(\"hit %d\\n\", arg1); exit(); }}");
    let out = run_to_exit("uprobe_address", &script, &["-c", p]).stdout_text();
    assert!(out.contains("hit 120\n"), "{out}");
}

#[test]
fn args_as_a_record() {
    let Some(_k) = kernel_or_skip("uprobe_args_record") else {
        return;
    };
    let dir = scratch("uprobe_details_args");
    let Some(bin) = test_program(&dir) else {
        return;
    };
    let p = bin.to_str().unwrap();
    let script = format!(
        "uprobe:{p}:fn1 {{ print(args); $a = args; @[args] = $a.c; @t = (1, (m = args, k = 2)); exit(); }}"
    );
    let out = run_to_exit("uprobe_args_record", &script, &["-c", p]).stdout_text();
    let re = regex::Regex::new(
        r"(?m)^\{ \.n = 0x[0-9a-f]+, \.c = 120 \}$[\s\S]*^@\[\{ \.n = 0x[0-9a-f]+, \.c = 120 \}\]: 120$",
    )
    .unwrap();
    assert!(re.is_match(&out), "{out}");
    let t =
        regex::Regex::new(r"@t: \(1, \{ \.m = \{ \.n = 0x[0-9a-f]+, \.c = 120 \}, \.k = 2 \}\)")
            .unwrap();
    assert!(t.is_match(&out), "{out}");
}

#[test]
fn args_without_dwarf_needs_a_field() {
    let dir = scratch("uprobe_details_nodwarf");
    let Some(bin) = build(&dir, "-g0") else {
        return;
    };
    let script = format!("uprobe:{}:fn1 {{ print(args); }}", bin.display());
    let err = compile_error("uprobe_args_nodwarf", &script);
    assert!(err.contains("'args' must be followed by a field"), "{err}");
}

#[test]
fn stack_length_and_positional_limit() {
    let Some(_k) = kernel_or_skip("uprobe_stack_len") else {
        return;
    };
    let dir = scratch("uprobe_details_stack");
    let Some(bin) = test_program(&dir) else {
        return;
    };
    let p = bin.to_str().unwrap();
    let script = format!(
        "uprobe:{p}:fn1 {{ $s = ustack(2); @two = len($s); @all = len(ustack); printf(\"<%s>\\n\", ustack($1)); exit(); }}"
    );
    let obj = dir.join("stack.o");
    let out = tracec(&["-e", &script, "-o", obj.to_str().unwrap(), "--", "1"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mut run = Run::start_with_params(&obj, &["-c", p], &["1"]);
    assert_eq!(
        run.finish(Duration::from_secs(20)),
        Some(0),
        "{:?}",
        run.err_lines
    );
    let text = run.stdout_text();
    assert!(text.contains("@two: 2\n"), "{text}");
    let all: u64 = regex::Regex::new(r"@all: (\d+)")
        .unwrap()
        .captures(&text)
        .and_then(|c| c[1].parse().ok())
        .expect("@all printed");
    assert!(all >= 2, "{text}");
    // ustack($1) with $1 = 1: one frame, the probed function (an address when the
    // short-lived process is gone by the time it is printed), with its source line
    // (`show_debug_info`, on by default) when the program's DWARF is read.
    let one = regex::Regex::new(r"<\n\s+(fn1\+\d+(@\S+:\d+)?|0x[0-9a-f]+)\n>").unwrap();
    assert!(one.is_match(&text), "{text}");
    // The object is bound to the argument it was compiled with.
    let mut other = Run::start_with_params(&obj, &["-c", p], &["2"]);
    assert_ne!(other.finish(Duration::from_secs(20)), Some(0));
}

#[test]
fn len_of_other_values_is_refused() {
    let err = compile_error("len_of_int", "BEGIN { @ = len(5); }");
    assert!(
        err.contains("len() expects a map or a stack (kstack, ustack), got"),
        "{err}"
    );
    let err = compile_error("len_of_ustack_param", "BEGIN { print(ustack($1)); }");
    assert!(
        err.contains("needs the script's arguments at compile time"),
        "{err}"
    );
}
