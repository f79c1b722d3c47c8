//! End to end: uprobes of a running process (`-p PID`): `tracec -l -p PID` lists the
//! uprobes of every file it maps, and `uprobe:*:PATTERN` compiled with `-p PID`
//! expands against those files.

use std::path::{Path, PathBuf};
use std::process::{Child, Command};
use std::time::Duration;
use tracec_tests::*;

/// A C program calling `tracec_pid_target` in a loop, built in `dir`; `None` without gcc.
fn build_target(dir: &Path) -> Option<PathBuf> {
    build_c(
        dir,
        "pidprog",
        "#include <unistd.h>\n\
         __attribute__((noinline)) int tracec_pid_target(int x) { asm volatile(\"\"); return x + 1; }\n\
         int main(void) { for (int i = 0; i < 400; i++) { tracec_pid_target(i); usleep(50000); } return 0; }\n",
        &["-O1"],
    )
}

/// Kills the target process when the test ends, however it ends.
struct Target(Child);

impl Drop for Target {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn start(prog: &Path) -> Target {
    let child = Command::new(prog).spawn().expect("start the target");
    let maps = format!("/proc/{}/maps", child.id());
    // Wait until the loader has mapped libc (the process is fully set up).
    for _ in 0..300 {
        if std::fs::read_to_string(&maps).is_ok_and(|m| m.contains("libc")) {
            break;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    Target(child)
}

fn stdout(args: &[&str]) -> String {
    let o = tracec(args);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    String::from_utf8(o.stdout).unwrap()
}

#[test]
fn lists_the_uprobes_of_a_process() {
    let dir = scratch("uprobe_pid_list");
    let Some(prog) = build_target(&dir) else {
        return;
    };
    let target = start(&prog);
    let pid = target.0.id().to_string();
    let file = std::fs::canonicalize(&prog).unwrap();
    let f = file.display();

    let all = stdout(&["-l", "-p", &pid]);
    let lines: Vec<&str> = all.lines().collect();
    assert!(lines.contains(&format!("uprobe:{f}:tracec_pid_target").as_str()));
    assert!(lines.contains(&format!("uretprobe:{f}:tracec_pid_target").as_str()));
    assert!(
        lines
            .iter()
            .any(|l| l.starts_with("uprobe:/") && l.contains("libc") && l.ends_with(":malloc")),
        "the libraries it maps are listed too"
    );

    // `uprobe:*`: uprobes only, of the process's files only.
    let up = stdout(&["-l", "uprobe:*", "-p", &pid]);
    assert!(up.lines().all(|l| l.starts_with("uprobe:/")), "{up}");
    assert!(up.contains(&format!("uprobe:{f}:tracec_pid_target\n")));

    // A function pattern over every file, and a bare pattern over every type.
    assert_eq!(
        stdout(&["-l", "uprobe:*:tracec_pid_*", "-p", &pid]),
        format!("uprobe:{f}:tracec_pid_target\n")
    );
    assert_eq!(
        stdout(&["-l", "tracec_pid_*", "-p", &pid]),
        format!("uprobe:{f}:tracec_pid_target\nuretprobe:{f}:tracec_pid_target\n")
    );
    // Without the process, `uprobe:*` names no file.
    assert_eq!(stdout(&["-l", "uprobe:*:tracec_pid_*"]), "");
}

#[test]
fn star_target_attaches_to_the_files_of_the_process() {
    let Some(_g) = kernel_or_skip("star_target_attaches_to_the_files_of_the_process") else {
        return;
    };
    let dir = scratch("uprobe_pid_attach");
    let Some(prog) = build_target(&dir) else {
        return;
    };
    let target = start(&prog);
    let pid = target.0.id().to_string();
    let file = std::fs::canonicalize(&prog).unwrap();
    let obj = dir.join("star.o");
    let o = tracec(&[
        "-e",
        "uprobe:*:tracec_pid_tar* { printf(\"%s|%s|%d\\n\", probe, func, arg0 >= 0); exit(); }",
        "-p",
        &pid,
        "-o",
        obj.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let mut run = Run::start(&obj, &["-p", &pid]);
    run.wait_attached();
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
        [&format!(
            "uprobe:{}:tracec_pid_target|tracec_pid_target|1",
            file.display()
        )]
    );
}

#[test]
fn star_target_of_a_gone_process_is_an_error() {
    let dir = scratch("uprobe_pid_gone");
    let out = dir.join("gone.o");
    let o = tracec(&[
        "-e",
        "uprobe:*:f* { exit(); }",
        "-p",
        "4000000",
        "-o",
        out.to_str().unwrap(),
    ]);
    assert!(!o.status.success());
    let text = String::from_utf8_lossy(&o.stderr);
    assert!(
        text.contains("error finding uprobe target: cannot read the mappings of process 4000000"),
        "{text}"
    );
}
