//! End to end: uprobe symbols beyond the binary's own symbol tables: functions only
//! a separate debug file names (libc6-dbg's build-ID file of libc), attached to and
//! named in `usym`/`ustack`.

use std::process::Command;
use std::time::Duration;
use tracec_tests::*;

const LIBC: &str = "/lib/x86_64-linux-gnu/libc.so.6";

/// Whether libc's separate debug file is installed (libc6-dbg): the static function
/// `__libc_start_call_main` is in no symbol table of libc itself.
fn libc_debug_file() -> bool {
    let o = tracec(&["-l", "uprobe:libc:__libc_start_call_main"]);
    o.status.success() && String::from_utf8_lossy(&o.stdout).contains("__libc_start_call_main")
}

#[test]
fn lists_symbols_of_debug_file() {
    if !std::path::Path::new(LIBC).exists() || !libc_debug_file() {
        eprintln!("skipped: no libc debug file (apt install libc6-dbg)");
        return;
    }
    let o = tracec(&["-l", "uprobe:libc:_IO_fgets*"]);
    assert!(o.status.success());
    let text = String::from_utf8_lossy(&o.stdout);
    // `_IO_fgets` is exported; `_IO_fgets.cold` is only in the debug file.
    assert_eq!(
        text,
        format!("uprobe:{LIBC}:_IO_fgets\nuprobe:{LIBC}:_IO_fgets.cold\n")
    );
    // Compiler-split fragments are no probes (bpftrace lists none).
    let o = tracec(&["-l", "uprobe:libc:*.part.*"]);
    assert_eq!(String::from_utf8_lossy(&o.stdout), "");
}

#[test]
fn attaches_to_debug_file_symbol_and_names_it() {
    let Some(_g) = kernel_or_skip("attaches_to_debug_file_symbol_and_names_it") else {
        return;
    };
    if !std::path::Path::new(LIBC).exists() || !libc_debug_file() {
        eprintln!("skipped: no libc debug file (apt install libc6-dbg)");
        return;
    }
    let dir = scratch("usyms_debug_attach");
    // A copy of sleep: its comm is the file name, and it lives long enough for its
    // addresses to be symbolized.
    let prog = dir.join("tracec_usyms");
    std::fs::copy("/bin/sleep", &prog).expect("copy /bin/sleep");
    // A bare library name and a wildcard (attach cookies) both resolve the symbol.
    for (i, ap) in [
        "uprobe:libc:__libc_start_call_main",
        "uprobe:libc:__libc_start_call_mai*",
    ]
    .iter()
    .enumerate()
    {
        let obj = compile_text(
            &dir,
            &format!("p{i}"),
            &format!(
                "{ap} /comm == \"tracec_usyms\"/ {{ printf(\"%s|%s\\n\", usym(reg(\"ip\")), func); exit(); }}"
            ),
        );
        let mut run = Run::start(&obj, &[]);
        run.wait_attached();
        let status = Command::new(&prog)
            .arg("0.5")
            .status()
            .expect("run the copy");
        assert!(status.success());
        assert_eq!(
            run.finish(Duration::from_secs(10)),
            Some(0),
            "{:?}",
            run.err_lines
        );
        assert_eq!(
            run.out_lines
                .iter()
                .filter(|l| !l.is_empty())
                .collect::<Vec<_>>(),
            ["__libc_start_call_main|__libc_start_call_main"],
            "{ap}"
        );
    }
}

/// A C++ program built with g++ (skipped without it): `func` and `usym` name its
/// functions demangled, as bpftrace does (it sleeps so that its maps can be read).
#[test]
fn cpp_functions_are_demangled() {
    let Some(_g) = kernel_or_skip("cpp_functions_are_demangled") else {
        return;
    };
    let dir = scratch("usyms_cpp");
    let src = dir.join("cppprog.cpp");
    std::fs::write(
        &src,
        "#include <unistd.h>\n\
         namespace MyApp { struct Server {\n\
         __attribute__((noinline)) int handle_request(int fd) { asm volatile(\"\"); return fd + 1; }\n\
         }; }\n\
         int main() { MyApp::Server s; int r = s.handle_request(2); usleep(300000); return r == 3 ? 0 : 1; }\n",
    )
    .unwrap();
    let prog = dir.join("cppprog");
    match Command::new("g++")
        .args(["-O1", "-fno-omit-frame-pointer", "-o"])
        .arg(&prog)
        .arg(&src)
        .status()
    {
        Ok(s) if s.success() => {}
        _ => {
            eprintln!("skipped: no g++ (apt install g++)");
            return;
        }
    }
    let obj = compile_text(
        &dir,
        "cpp",
        &format!(
            "uprobe:{}:_ZN5MyApp6Server14handle_requestEi {{ printf(\"%s|%s|%d\\n\", func, usym(reg(\"ip\")), arg1); exit(); }}",
            prog.display()
        ),
    );
    let mut run = Run::start(&obj, &[]);
    run.wait_attached();
    assert!(Command::new(&prog).status().unwrap().success());
    assert_eq!(
        run.finish(Duration::from_secs(10)),
        Some(0),
        "{:?}",
        run.err_lines
    );
    assert_eq!(
        run.out_lines
            .iter()
            .filter(|l| !l.is_empty())
            .collect::<Vec<_>>(),
        ["MyApp::Server::handle_request(int)|MyApp::Server::handle_request(int)|2"]
    );
}
