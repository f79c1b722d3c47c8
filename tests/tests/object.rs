//! Compiled objects are standard: goblin, bpftool (libbpf) read them, the kernel loads
//! every program, and line info points back at the script.

use std::path::Path;
use tracec_tests::*;

fn section_names(bytes: &[u8]) -> Vec<String> {
    let elf = goblin::elf::Elf::parse(bytes).expect("ELF");
    assert_eq!(elf.header.e_machine, goblin::elf::header::EM_BPF);
    assert_eq!(elf.header.e_type, goblin::elf::header::ET_REL);
    elf.section_headers
        .iter()
        .filter_map(|sh| elf.shdr_strtab.get_at(sh.sh_name).map(str::to_string))
        .collect()
}

#[test]
fn std_probes_are_standard_objects() {
    let dir = scratch("objects");
    for (name, sections) in [
        (
            "procs-new",
            &["raw_tp", "tracepoint/syscalls/sys_enter_execve"][..],
        ),
        (
            "opens-failed",
            &[
                "tracepoint/syscalls/sys_enter_openat",
                "tracepoint/syscalls/sys_exit_openat",
            ][..],
        ),
    ] {
        let obj = compile_file(
            &std_probe(&format!("{name}.bt")),
            &dir.join(format!("{name}.o")),
        );
        let bytes = std::fs::read(&obj).unwrap();
        let names = section_names(&bytes);
        for want in
            sections
                .iter()
                .chain(&[".maps", "license", ".BTF", ".BTF.ext", tracec_meta::SECTION])
        {
            assert!(
                names.iter().any(|n| n == want),
                "{name}: no {want} in {names:?}"
            );
        }
        let m = object_metadata(&bytes);
        assert_eq!(
            m.source_name,
            obj_source_name(&std_probe(&format!("{name}.bt")))
        );
        assert_eq!(m.source_hash.len(), 64);
        assert!(
            m.events_map().is_some(),
            "{name}: no events ringbuf in {m:?}"
        );
    }
}

fn obj_source_name(p: &Path) -> String {
    p.to_str().unwrap().to_string()
}

#[test]
fn bpftool_reads_btf_and_loads_every_program() {
    let Some(_k) = kernel_or_skip("bpftool_loadall") else {
        return;
    };
    let dir = scratch("bpftool");
    for name in ["procs-new", "opens-failed"] {
        let src = std_probe(&format!("{name}.bt"));
        let obj = compile_file(&src, &dir.join(format!("{name}.o")));
        let o = run_cmd("bpftool", &["btf", "dump", "file", obj.to_str().unwrap()]);
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        let btf = String::from_utf8_lossy(&o.stdout);
        assert!(btf.contains("FUNC '"), "{btf}");
        assert!(btf.contains("DATASEC '.maps'"), "{btf}");

        let before: Vec<u64> = loaded_progs().iter().map(|p| p.id).collect();
        let pin = format!("/sys/fs/bpf/tracec-test-{name}-{}", std::process::id());
        let o = run_cmd("bpftool", &["prog", "loadall", obj.to_str().unwrap(), &pin]);
        let ours: Vec<u64> = loaded_progs()
            .iter()
            .map(|p| p.id)
            .filter(|id| !before.contains(id))
            .collect();
        let loaded = std::fs::read_dir(&pin)
            .map(|d| {
                d.filter_map(Result::ok)
                    .map(|e| e.path())
                    .collect::<Vec<_>>()
            })
            .unwrap_or_default();
        // Line info: the loaded programs map back to lines of the script.
        let mut linum = String::new();
        for p in &loaded {
            let d = run_cmd(
                "bpftool",
                &[
                    "prog",
                    "dump",
                    "xlated",
                    "pinned",
                    p.to_str().unwrap(),
                    "linum",
                ],
            );
            linum.push_str(&String::from_utf8_lossy(&d.stdout));
        }
        let _ = std::fs::remove_dir_all(&pin);
        assert!(
            o.status.success(),
            "loadall {name}: {}",
            String::from_utf8_lossy(&o.stderr)
        );
        assert_eq!(loaded.len(), 2, "{loaded:?}");
        let file = src.to_str().unwrap();
        assert!(
            linum.contains(&format!("[file:{file} line_num:")),
            "{linum}"
        );
        let script = std::fs::read_to_string(&src).unwrap();
        let some_line = if name == "procs-new" {
            "join(args->argv);"
        } else {
            "delete(@filename[tid]);"
        };
        assert!(script.contains(some_line));
        assert!(linum.contains(some_line), "{linum}");
        assert_eventually_none(
            || {
                loaded_progs()
                    .into_iter()
                    .filter(|p| ours.contains(&p.id))
                    .collect()
            },
            "programs",
        );
    }
}
