//! Offline compilation: `tracec --btf` as an unprivileged user who cannot read
//! tracefs produces the same objects as root with tracefs, and `tracec -l` lists the
//! same tracepoints. Needs root (to drop privileges with `setpriv`) and kernel BTF;
//! skipped without them unless `TRACEC_REQUIRE_KERNEL=1`.

mod common;

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const TRACEC: &str = env!("CARGO_BIN_EXE_tracec");
const NOBODY: [&str; 4] = [
    "--reuid=65534",
    "--regid=65534",
    "--clear-groups",
    "--inh-caps=-all",
];

fn as_nobody(args: &[&str]) -> Output {
    Command::new("setpriv")
        .args(NOBODY)
        .arg(TRACEC)
        .args(args)
        .output()
        .expect("run setpriv")
}

fn as_root(args: &[&str]) -> Output {
    Command::new(TRACEC)
        .args(args)
        .output()
        .expect("run tracec")
}

fn ok(o: &Output) -> String {
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// A directory everyone can use, with a world-readable copy of the kernel's BTF and
/// the test scripts.
fn setup(test: &str) -> Option<PathBuf> {
    if !common::kernel_available(test) || !common::tool_available(test, "setpriv") {
        return None;
    }
    let dir = std::env::temp_dir().join(format!("tracec-offline-{}-{test}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o777)).unwrap();
    let files = [
        (
            "vmlinux",
            std::fs::read("/sys/kernel/btf/vmlinux").expect("kernel BTF"),
        ),
        (
            "opens-failed.bt",
            std::fs::read(Path::new(env!("CARGO_MANIFEST_DIR")).join("../std-probes/opens-failed.bt"))
                .unwrap(),
        ),
        (
            "switch.bt",
            b"tracepoint:sched:sched_switch { printf(\"%s %d\\n\", args->prev_comm, args->next_pid); }\n"
                .to_vec(),
        ),
    ];
    for (name, bytes) in files {
        let path = dir.join(name);
        std::fs::write(&path, bytes).unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
    }
    Some(dir)
}

#[test]
fn unprivileged_offline_objects_equal_tracefs_objects() {
    let Some(dir) = setup("offline_objects") else {
        return;
    };
    let s = |p: PathBuf| p.to_str().unwrap().to_string();
    let btf = s(dir.join("vmlinux"));
    // Confirm the premise: this user cannot read tracefs.
    let o = as_nobody(&[
        "-e",
        "tracepoint:sched:sched_switch {}",
        "-o",
        "/dev/null",
        "--btf",
        "/nonexistent",
    ]);
    assert!(!o.status.success(), "tracefs is readable by uid 65534");

    for script in ["opens-failed", "switch"] {
        let src = s(dir.join(format!("{script}.bt")));
        let offline = s(dir.join(format!("{script}.offline.o")));
        let default_tracefs = s(dir.join(format!("{script}.unreadable.o")));
        let online = s(dir.join(format!("{script}.online.o")));
        ok(&as_nobody(&[
            &src,
            "--btf",
            &btf,
            "--tracefs",
            "/nonexistent/tracefs",
            "-o",
            &offline,
        ]));
        // The real tracefs, unreadable to this user, is skipped the same way.
        ok(&as_nobody(&[&src, "--btf", &btf, "-o", &default_tracefs]));
        ok(&as_root(&[&src, "-o", &online]));
        let online = std::fs::read(&online).unwrap();
        assert!(
            std::fs::read(&offline).unwrap() == online,
            "{script}: offline object differs"
        );
        assert!(
            std::fs::read(&default_tracefs).unwrap() == online,
            "{script}: differs"
        );
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn unprivileged_list_uses_the_table() {
    let Some(dir) = setup("offline_list") else {
        return;
    };
    let btf = dir.join("vmlinux");
    let btf = btf.to_str().unwrap();
    let offline = ok(&as_nobody(&[
        "-l",
        "--btf",
        btf,
        "--tracefs",
        "/nonexistent",
    ]));
    assert!(offline
        .lines()
        .any(|l| l == "tracepoint:sched:sched_switch"));
    assert!(offline
        .lines()
        .any(|l| l == "tracepoint:syscalls:sys_enter_openat"));
    let filtered = ok(&as_nobody(&[
        "-l",
        "tracepoint:sched:sched_switch",
        "--tracefs",
        "/nonexistent",
    ]));
    assert_eq!(filtered, "tracepoint:sched:sched_switch\n");
    // On the kernel the table was generated on, the lists are the same.
    let table = include_str!("../data/tracepoints.txt");
    let release = std::fs::read_to_string("/proc/sys/kernel/osrelease").unwrap();
    if table
        .lines()
        .next()
        .is_some_and(|l| l.contains(&format!("Linux {} ", release.trim())))
    {
        // Kernel functions (kprobe, fentry...) come from the host's function list or
        // /proc/kallsyms, which a listing against another tracefs does not read.
        let functions = ["kprobe:", "kretprobe:", "fentry:", "fexit:"];
        let live: String = ok(&as_root(&["-l"]))
            .lines()
            .filter(|l| !functions.iter().any(|f| l.starts_with(f)))
            .map(|l| format!("{l}\n"))
            .collect();
        assert_eq!(offline, live);
    } else {
        eprintln!("table made on another kernel: not comparing with tracefs");
    }
    let _ = std::fs::remove_dir_all(&dir);
}
