//! End to end: `uaddr("SYM")` of a position-independent executable is the address
//! where the `-c`/`-p` process loaded it (the runtime adds the load bias from
//! `/proc/PID/maps` before loading), so `*uaddr(...)` reads the variable.

use std::path::{Path, PathBuf};
use std::process::{Child, Command};
use std::time::Duration;
use tracec_tests::*;

/// A PIE with two initialised globals, calling `pie_probe` in a loop (`loops` times).
fn build(dir: &Path, loops: u32) -> Option<PathBuf> {
    build_c(
        dir,
        "pieprog",
        &format!(
            "#include <unistd.h>\n\
             volatile int PIE_A = 0x5a5a5a5a; volatile long PIE_B = 0x1234;\n\
             __attribute__((noinline)) int pie_probe(int x) {{ asm volatile(\"\"); return x + PIE_A; }}\n\
             int main(void) {{ for (int i = 0; i < {loops}; i++) {{ pie_probe(i); usleep(20000); }} return 0; }}\n"
        ),
        &["-O0", "-fpie", "-pie"],
    )
}

fn script(prog: &Path) -> String {
    format!(
        "uprobe:{p}:pie_probe {{ printf(\"0x%x 0x%x\\n\", *uaddr(\"PIE_A\"), *(int64 *)uaddr(\"PIE_B\")); exit(); }}",
        p = prog.display()
    )
}

#[test]
fn uaddr_of_a_pie_with_c() {
    let Some(_guard) = kernel_or_skip("uaddr_pie_c") else {
        return;
    };
    let dir = scratch("uaddr_pie_c");
    let Some(prog) = build(&dir, 5) else {
        return;
    };
    let obj = compile_text(&dir, "pie_c", &script(&prog));
    let run = run_object_to_exit(&obj, &["-c", prog.to_str().unwrap()]);
    assert_eq!(run.stdout_text().trim(), "0x5a5a5a5a 0x1234");
}

struct Target(Child);

impl Drop for Target {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[test]
fn uaddr_of_a_pie_with_p() {
    let Some(_guard) = kernel_or_skip("uaddr_pie_p") else {
        return;
    };
    let dir = scratch("uaddr_pie_p");
    let Some(prog) = build(&dir, 1000) else {
        return;
    };
    let target = Target(Command::new(&prog).spawn().expect("start the target"));
    // Wait until the target's executable is mapped.
    let maps = format!("/proc/{}/maps", target.0.id());
    for _ in 0..300 {
        if std::fs::read_to_string(&maps).is_ok_and(|m| m.contains("pieprog")) {
            break;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    let obj = compile_text(&dir, "pie_p", &script(&prog));
    let pid = target.0.id().to_string();
    let run = run_object_to_exit(&obj, &["-p", &pid]);
    assert_eq!(run.stdout_text().trim(), "0x5a5a5a5a 0x1234");
}
