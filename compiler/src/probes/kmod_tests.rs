//! Module probes compiled against a synthetic kernel module: its split BTF is built
//! with [`Btf::split_blob`] on top of the running kernel's BTF and written beside a
//! link to it, and `Options::btf` names that link (the compiler reads module BTF
//! from beside the kernel's).

use crate::kbtf::{Btf, Kind, LocalType};
use crate::{compile, Options};
use std::path::PathBuf;
use tracec_meta::Attach;

/// A directory with `vmlinux` (a link to the running kernel's BTF) and the module
/// `mymod`; `None` (the test is skipped) when the kernel's BTF is unreadable.
struct KernelDir(PathBuf);

impl Drop for KernelDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn kernel_dir(test: &str) -> Option<KernelDir> {
    let vmlinux = crate::kbtf::default_btf()?;
    let base = Btf::load(&vmlinux).ok()?;
    let dir = std::env::temp_dir().join(format!("tracec-kmod-{}-{test}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).ok()?;
    std::os::unix::fs::symlink(&vmlinux, dir.join("vmlinux")).ok()?;
    std::fs::write(dir.join("mymod"), base.split_blob(&module(&base)).ok()?).ok()?;
    Some(KernelDir(dir))
}

/// `struct mydev { int id; struct task_struct *task; }`, `int mydev_open(struct
/// mydev *dev, int flags)`, `long mydev_close(struct mydev *dev)` and the raw
/// tracepoint `mydev_event(struct mydev *dev, int len)`.
fn module(base: &Btf) -> Vec<LocalType> {
    let first = base.len();
    let int = base.find("int", Kind::Int).unwrap();
    let long = base.find("long int", Kind::Int).unwrap();
    let task = base.find_struct("task_struct").unwrap();
    let void_ptr = first + 9;
    vec![
        // first: struct mydev
        LocalType::Record {
            name: "mydev".into(),
            union: false,
            size: 16,
            members: vec![("id".into(), int, 0, 0), ("task".into(), first + 2, 64, 0)],
        },
        // +1: struct mydev *
        LocalType::Ptr { target: first },
        // +2: struct task_struct *
        LocalType::Ptr { target: task },
        // +3, +4: mydev_open
        LocalType::Proto {
            ret: int,
            params: vec![("dev".into(), first + 1), ("flags".into(), int)],
        },
        LocalType::Func {
            name: "mydev_open".into(),
            proto: first + 3,
        },
        // +5, +6: mydev_close
        LocalType::Proto {
            ret: long,
            params: vec![("dev".into(), first + 1)],
        },
        LocalType::Func {
            name: "mydev_close".into(),
            proto: first + 5,
        },
        // +7: void (void *__data, struct mydev *dev, int len)
        LocalType::Proto {
            ret: 0,
            params: vec![
                ("__data".into(), void_ptr),
                ("dev".into(), first + 1),
                ("len".into(), int),
            ],
        },
        // +8: pointer to it, typedef'd
        LocalType::Ptr { target: first + 7 },
        // +9: void *
        LocalType::Ptr { target: 0 },
        LocalType::Typedef {
            name: "btf_trace_mydev_event".into(),
            target: first + 8,
        },
    ]
}

fn options(dir: &KernelDir) -> Options {
    Options {
        btf: Some(dir.0.join("vmlinux")),
        ..Options::default()
    }
}

fn compile_ok(dir: &KernelDir, script: &str) -> crate::Compiled {
    compile(script, &options(dir)).unwrap_or_else(|d| panic!("{script}: {d:?}"))
}

fn compile_err(dir: &KernelDir, script: &str) -> String {
    match compile(script, &options(dir)) {
        Ok(_) => panic!("{script} compiled"),
        Err(d) => d
            .iter()
            .map(|d| format!("{} {:?}", d.message, d.notes))
            .collect::<Vec<_>>()
            .join("\n"),
    }
}

fn contains(hay: &[u8], needle: &str) -> bool {
    hay.windows(needle.len()).any(|w| w == needle.as_bytes())
}

#[test]
fn fentry_and_fexit_on_a_module_function() {
    let Some(dir) = kernel_dir("fentry") else {
        return;
    };
    let c = compile_ok(
        &dir,
        "fentry:mymod:mydev_open { printf(\"%d %d\\n\", args.dev->id, args.flags); }
         fexit:mymod:mydev_close { printf(\"%d %d\\n\", retval, args.dev->task->pid); }",
    );
    let p = &c.metadata.probes;
    assert_eq!(p[0].name, "fentry:mymod:mydev_open");
    assert_eq!(
        p[0].attach,
        Attach::Fentry {
            function: "mydev_open".into(),
            ret: false,
            module: "mymod".into()
        }
    );
    assert_eq!(p[1].name, "fexit:mymod:mydev_close");
    assert!(matches!(&p[1].attach, Attach::Fentry { ret: true, module, .. } if module == "mymod"));
    // libbpf's section names for module targets.
    assert!(contains(&c.object, "fentry/mymod:mydev_open"));
    assert!(contains(&c.object, "fexit/mymod:mydev_close"));
}

#[test]
fn module_wildcards_match_the_module_only() {
    let Some(dir) = kernel_dir("wild") else {
        return;
    };
    let c = compile_ok(&dir, "fentry:mymod:* { @[probe] = count(); }");
    let names: Vec<&str> = c.metadata.probes.iter().map(|p| p.name.as_str()).collect();
    assert_eq!(
        names,
        ["fentry:mymod:mydev_close", "fentry:mymod:mydev_open"]
    );
    // A module pattern: the modules that have the function (not vmlinux).
    let c = compile_ok(&dir, "fentry:my*:mydev_open { }");
    let names: Vec<&str> = c.metadata.probes.iter().map(|p| p.name.as_str()).collect();
    assert_eq!(names, ["fentry:mymod:mydev_open"]);
    // vmlinux stays reachable through a pattern.
    let c = compile_ok(&dir, "fentry:vmlinu*:vfs_read { }");
    assert!(
        matches!(&c.metadata.probes[0].attach, Attach::Fentry { module, .. } if module.is_empty())
    );
}

#[test]
fn rawtracepoint_on_a_module_tracepoint() {
    let Some(dir) = kernel_dir("rawtp") else {
        return;
    };
    let c = compile_ok(
        &dir,
        "rawtracepoint:mymod:mydev_event { printf(\"%d %d\\n\", args.dev->id, arg1); }",
    );
    let p = &c.metadata.probes[0];
    assert_eq!(p.name, "rawtracepoint:mymod:mydev_event");
    assert_eq!(
        p.attach,
        Attach::RawTracepoint {
            name: "mydev_event".into(),
            module: "mymod".into()
        }
    );
    assert!(contains(&c.object, "tp_btf/mymod:mydev_event"));
    let c = compile_ok(&dir, "rawtracepoint:mymod:mydev_* { }");
    assert_eq!(c.metadata.probes.len(), 1);
}

#[test]
fn kprobe_casts_find_module_types() {
    let Some(dir) = kernel_dir("kprobe") else {
        return;
    };
    let c = compile_ok(
        &dir,
        "kprobe:mymod:mydev_open { $d = (struct mydev *)arg0; printf(\"%d\\n\", $d->id); }",
    );
    assert_eq!(c.metadata.probes[0].name, "kprobe:mymod:mydev_open");
}

#[test]
fn missing_modules_and_functions_are_errors() {
    let Some(dir) = kernel_dir("missing") else {
        return;
    };
    let e = compile_err(&dir, "fentry:mymod:nosuch { }");
    assert!(e.contains("No matches for fentry mymod:nosuch."), "{e}");
    let e = compile_err(&dir, "fentry:nomod:mydev_open { }");
    assert!(e.contains("No matches for fentry nomod:mydev_open"), "{e}");
    let e = compile_err(&dir, "rawtracepoint:nomod:sys_exit { }");
    assert!(
        e.contains("No matches for rawtracepoint nomod:sys_exit."),
        "{e}"
    );
    // A kernel tracepoint is not the module's.
    let e = compile_err(&dir, "rawtracepoint:mymod:sys_exit { }");
    assert!(e.contains("Probe has no valid attach points."), "{e}");
    let e = compile_err(&dir, "kprobe:nomod:vfs_read { }");
    assert!(
        e.contains("specified module nomod in probe kprobe:nomod:vfs_read is not loaded."),
        "{e}"
    );
    // A path is no module name.
    let e = compile_err(&dir, "fentry:..:mydev_open { }");
    assert!(e.contains("No matches"), "{e}");
}

#[test]
fn fentry_on_bpf_programs() {
    let c = compile("fexit:bpf:123:* { @ = count(); }", &Options::default()).unwrap();
    let p = &c.metadata.probes[0];
    assert_eq!(p.name, "fexit:bpf:123:*");
    assert_eq!(
        p.attach,
        Attach::FentryBpf {
            id: 123,
            pattern: "*".into(),
            ret: true
        }
    );
    let c = compile("fentry:bpf:interval_us_* { }", &Options::default()).unwrap();
    assert_eq!(
        c.metadata.probes[0].attach,
        Attach::FentryBpf {
            id: 0,
            pattern: "interval_us_*".into(),
            ret: false
        }
    );
    // `probe` and `func` are the cookie, which tracerun sets to each target's run-time
    // name (`fentry:bpf:ID:FUNC`).
    let c = compile(
        "fentry:bpf:123:handler { printf(\"%s %s\\n\", probe, func); }",
        &Options::default(),
    )
    .unwrap();
    assert!(c.metadata.probes[0].cookie.is_some());
    let ir = c.ir.to_string();
    assert!(ir.contains("get_attach_cookie"), "{ir}");
    let e = compile("fentry:bpf:abc:x { }", &Options::default()).unwrap_err();
    assert!(e[0].message.contains("Invalid program id 'abc'"), "{e:?}");
}

#[test]
fn module_probes_are_listed() {
    let Some(dir) = kernel_dir("list") else {
        return;
    };
    let env = super::Env {
        tracefs: "/nonexistent".into(),
        btf: Some(dir.0.join("vmlinux")),
        pid: None,
    };
    let all = super::list_verbose(Some("fentry:mymod:*,rt:mymod:*"), &env).unwrap();
    assert_eq!(
        all,
        [
            (
                "fentry:mymod:mydev_close".to_string(),
                vec!["struct mydev *dev".to_string()]
            ),
            (
                "fentry:mymod:mydev_open".to_string(),
                vec!["struct mydev *dev".to_string(), "int flags".to_string()]
            ),
            (
                "rawtracepoint:mymod:mydev_event".to_string(),
                vec!["struct mydev *dev".to_string(), "int len".to_string()]
            ),
        ]
    );
    let names = super::list(Some("fexit:my*:*open"), &env).unwrap();
    assert_eq!(names, ["fexit:mymod:mydev_open"]);
}

#[test]
fn functions_without_a_module_are_found_in_modules() {
    let Some(dir) = kernel_dir("nomodule") else {
        return;
    };
    let c = compile_ok(&dir, "fentry:mydev_open { }");
    let p = &c.metadata.probes[0];
    assert_eq!(p.name, "fentry:mymod:mydev_open");
    assert!(matches!(&p.attach, Attach::Fentry { module, .. } if module == "mymod"));
    // A pattern covers the kernel and the modules.
    let c = compile_ok(&dir, "fexit:mydev_cl* { }");
    assert_eq!(c.metadata.probes[0].name, "fexit:mymod:mydev_close");
    // The kernel's own functions stay the kernel's.
    let c = compile_ok(&dir, "fentry:vfs_read { }");
    assert_eq!(c.metadata.probes[0].name, "fentry:vmlinux:vfs_read");
    let e = compile_err(&dir, "fentry:no_such_function_anywhere { }");
    assert!(
        e.contains("No matches for fentry no_such_function_anywhere."),
        "{e}"
    );
}

#[test]
fn tracepoints_without_a_module_are_found_in_modules() {
    let Some(dir) = kernel_dir("rtnomodule") else {
        return;
    };
    let c = compile_ok(&dir, "rawtracepoint:mydev_event { }");
    assert_eq!(c.metadata.probes[0].name, "rawtracepoint:mymod:mydev_event");
    let c = compile_ok(&dir, "rawtracepoint:sched_switch { }");
    assert_eq!(
        c.metadata.probes[0].name,
        "rawtracepoint:vmlinux:sched_switch"
    );
    let e = compile_err(&dir, "rawtracepoint:no_such_event_anywhere { }");
    assert!(e.contains("Probe has no valid attach points."), "{e}");
}

#[test]
fn a_broken_module_is_an_error_only_when_named() {
    let Some(dir) = kernel_dir("broken") else {
        return;
    };
    std::fs::write(dir.0.join("badmod"), b"not BTF").unwrap();
    let e = compile_err(&dir, "fentry:badmod:f { }");
    assert!(
        e.contains("cannot read the BTF of kernel module badmod"),
        "{e}"
    );
    // Searching every module for a function passes over it.
    let c = compile_ok(&dir, "fentry:mydev_open { }");
    assert_eq!(c.metadata.probes[0].name, "fentry:mymod:mydev_open");
    let c = compile_ok(&dir, "rawtracepoint:mydev_event { }");
    assert_eq!(c.metadata.probes[0].name, "rawtracepoint:mymod:mydev_event");
    let c = compile_ok(&dir, "fentry:*mod:mydev_open { }");
    assert_eq!(c.metadata.probes[0].name, "fentry:mymod:mydev_open");
}
