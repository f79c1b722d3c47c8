//! `tracec -l`: kernel functions (kprobe, kretprobe, fentry, fexit) and kernel types
//! (`struct NAME`), as bpftrace lists them. Needs the running kernel's `/proc/kallsyms`
//! and BTF, but no BPF.

use tracec_tests::tracec;

fn listing(args: &[&str]) -> Option<String> {
    if !std::path::Path::new("/sys/kernel/btf/vmlinux").exists() {
        eprintln!("skipped: no kernel BTF");
        return None;
    }
    let o = tracec(args);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    Some(String::from_utf8_lossy(&o.stdout).into_owned())
}

#[test]
fn kernel_functions_are_listed_for_every_function_provider() {
    let Some(out) = listing(&["-l", "*do_nanosleep"]) else {
        return;
    };
    for line in [
        "kprobe:do_nanosleep",
        "kretprobe:do_nanosleep",
        "fentry:vmlinux:do_nanosleep",
        "fexit:vmlinux:do_nanosleep",
    ] {
        assert!(out.lines().any(|l| l == line), "{line} missing in:\n{out}");
    }
    assert!(out.lines().all(|l| l.ends_with("do_nanosleep")), "{out}");
}

#[test]
fn verbose_kprobes_and_fentry_show_btf_arguments() {
    let Some(out) = listing(&["-l", "kprobe:vfs_read,fentry:vfs_read", "-v"]) else {
        return;
    };
    let block = "    struct file *file\n    char *buf\n    size_t count\n    loff_t *pos\n";
    assert_eq!(
        out,
        format!("fentry:vmlinux:vfs_read\n{block}kprobe:vfs_read\n{block}")
    );
}

#[test]
fn struct_definitions_are_printed_with_their_members() {
    let Some(out) = listing(&["-l", "struct list_head,kprobe:vfs_read", "-v"]) else {
        return;
    };
    assert!(out.starts_with("kprobe:vfs_read\n"), "{out}");
    assert!(
        out.ends_with(
            "vmlinux: struct list_head {\n\tstruct list_head *next;\n\tstruct list_head *prev;\n};\n"
        ),
        "{out}"
    );
    let Some(names) = listing(&["-l", "struct list_hea?"]) else {
        return;
    };
    assert_eq!(names, "struct list_head\n");
}
