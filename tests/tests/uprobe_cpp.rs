//! End to end: `uprobe:PATH:cpp:NAME`, C++ functions by their demangled names.

use std::process::Command;
use std::time::Duration;
use tracec_tests::*;

#[test]
fn cpp_names_select_and_attach() {
    let Some(_g) = kernel_or_skip("cpp_names_select_and_attach") else {
        return;
    };
    let dir = scratch("uprobe_cpp");
    let src = dir.join("cppnames.cpp");
    std::fs::write(
        &src,
        "#include <unistd.h>\n\
         namespace MyApp { struct Server {\n\
         __attribute__((noinline)) int handle_request(int fd) { asm volatile(\"\"); return fd + 1; }\n\
         __attribute__((noinline)) int handle_request(long fd) { asm volatile(\"\"); return fd + 2; }\n\
         }; }\n\
         int main() { MyApp::Server s; int r = s.handle_request(2) + s.handle_request(3L); usleep(300000); return r == 8 ? 0 : 1; }\n",
    )
    .unwrap();
    let prog = dir.join("cppnames");
    let built = Command::new("g++")
        .args(["-O1", "-o"])
        .arg(&prog)
        .arg(&src)
        .status()
        .is_ok_and(|s| s.success());
    if !built {
        eprintln!("skipped: no g++");
        return;
    }
    let p = prog.display();
    // Without parameters the name selects both overloads; with them, one.
    let obj = compile_text(
        &dir,
        "both",
        &format!(
            "uprobe:{p}:cpp:\"MyApp::Server::handle_request\" {{ @[probe, func] = count(); }} \
             uprobe:{p}:cpp:\"MyApp::Server::*(long)\" {{ @long[func] = count(); }}"
        ),
    );
    let mut run = Run::start(&obj, &[]);
    run.wait_attached();
    assert!(run
        .err_lines
        .iter()
        .any(|l| l.starts_with("Attached 3 probes")));
    assert!(Command::new(&prog).status().unwrap().success());
    run.signal(libc::SIGINT);
    assert_eq!(
        run.finish(Duration::from_secs(10)),
        Some(0),
        "{:?}",
        run.err_lines
    );
    let out = run.out_lines.join("\n");
    assert!(
        out.contains(&format!(
            "@[uprobe:{p}:cpp:_ZN5MyApp6Server14handle_requestEi, MyApp::Server::handle_request(int)]: 1"
        )),
        "{out}"
    );
    assert!(
        out.contains(&format!(
            "@[uprobe:{p}:cpp:_ZN5MyApp6Server14handle_requestEl, MyApp::Server::handle_request(long)]: 1"
        )),
        "{out}"
    );
    assert!(
        out.contains("@long[MyApp::Server::handle_request(long)]: 1"),
        "{out}"
    );
}

#[test]
fn cpp_name_without_match_is_an_error() {
    let err = compile_error(
        "cpp_nomatch",
        "uprobe:/bin/sh:cpp:\"NoSuch::thing\" { exit(); }",
    );
    assert!(err.contains("No matches for uprobe"), "{err}");
}
