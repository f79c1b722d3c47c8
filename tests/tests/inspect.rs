//! `tracerun --info` and `--verify` on objects compiled by the real `tracec`, and the
//! metadata versioning rules (an older minor format still runs).

use std::path::Path;
use std::process::{Command, Output};
use tracec_tests::*;

fn tracerun(args: &[&str]) -> Output {
    Command::new(bin("tracerun")).args(args).output().unwrap()
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn info_json(obj: &Path) -> serde_json::Value {
    let o = tracerun(&["--info", "--format", "json", obj.to_str().unwrap()]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    serde_json::from_slice(&o.stdout).expect("--info --format json prints JSON")
}

fn sha256_of(path: &Path) -> String {
    let o = run_cmd("sha256sum", &[path.to_str().unwrap()]);
    String::from_utf8_lossy(&o.stdout)
        .split_whitespace()
        .next()
        .unwrap()
        .to_owned()
}

#[test]
fn info_describes_the_std_probes() {
    let dir = scratch("info-std");
    let src = std_probe("opens-failed.bt");
    let obj = compile_file(&src, &dir.join("opens-failed.o"));
    let o = tracerun(&["--info", obj.to_str().unwrap()]);
    let out = stdout(&o);
    assert!(o.status.success(), "{out}");
    for want in [
        "probes (2):",
        "attach   tracepoint syscalls:sys_enter_openat",
        "attach   tracepoint syscalls:sys_exit_openat",
        "(tracepoint, ",
        "  @filename",
        "ringbuf",
        "bpf_ringbuf_reserve",
        "bpf_probe_read_user_str",
        "bpf_map_lookup_elem #1 (3.19+)",
        "program types  tracepoint (4.7+)",
        "signed    no (unsigned)",
        &format!(
            "format    {}.{}",
            tracec_meta::FORMAT_MAJOR,
            tracec_meta::FORMAT_MINOR
        ),
        "kernel         5.8 or newer",
    ] {
        assert!(out.contains(want), "missing {want:?} in:\n{out}");
    }
    assert!(out.contains(&sha256_of(&src)), "source hash:\n{out}");

    let v = info_json(&obj);
    assert_eq!(v["signed"], false);
    assert_eq!(v["source_embedded"], true);
    assert_eq!(v["format"]["major"], 1);
    let maps = v["maps"].as_array().unwrap();
    let user = maps
        .iter()
        .find(|m| m["role"] == "@filename")
        .expect("@filename map");
    assert_eq!(user["type"], "hash");
    assert!(user["key"].as_str().unwrap().contains("int"), "{user}");
    assert!(maps.iter().any(|m| m["type"] == "ringbuf"));

    let obj = compile_file(&std_probe("procs-new.bt"), &dir.join("procs-new.o"));
    let v = info_json(&obj);
    let types = v["requires"]["program_types"].as_array().unwrap();
    assert_eq!(types, &["raw_tracepoint", "tracepoint"]);
    assert_eq!(v["requires"]["minimum_kernel"], "5.10");
}

#[test]
fn verify_loads_the_std_probes_without_attaching() {
    let Some(_lock) = kernel_or_skip("verify_loads_the_std_probes_without_attaching") else {
        return;
    };
    let dir = scratch("verify-std");
    for name in ["opens-failed", "procs-new"] {
        let obj = compile_file(
            &std_probe(&format!("{name}.bt")),
            &dir.join(format!("{name}.o")),
        );
        let programs: Vec<String> = info_json(&obj)["probes"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p["program"].as_str().unwrap().to_owned())
            .collect();
        let links_before = loaded_links();
        let progs_before: Vec<u64> = loaded_progs().iter().map(|p| p.id).collect();
        let o = tracerun(&["--verify", obj.to_str().unwrap()]);
        let out = stdout(&o);
        assert!(
            o.status.success(),
            "{out}{}",
            String::from_utf8_lossy(&o.stderr)
        );
        for p in &programs {
            let line = out
                .lines()
                .find(|l| l.starts_with(&format!("{p} (")))
                .unwrap_or_else(|| panic!("no line for {p}:\n{out}"));
            let n: u64 = line
                .split("loaded, ")
                .nth(1)
                .and_then(|r| r.split_whitespace().next())
                .and_then(|n| n.parse().ok())
                .unwrap_or_else(|| panic!("no processed count in {line:?}"));
            assert!(n > 0, "{line}");
        }
        let n = programs.len();
        assert!(
            out.ends_with(&format!("{n} programs: {n} loaded, 0 rejected\n")),
            "{out}"
        );
        let ours = |name: &str| {
            programs
                .iter()
                .any(|p| p.starts_with(name) && !name.is_empty())
        };
        // Nothing attached, nothing left loaded. A link tracerun left would hold its
        // program loaded, so a new link is ours when its program has one of our names
        // (other processes on the machine may attach their own meanwhile).
        let progs_now = loaded_progs();
        let new_links: Vec<_> = loaded_links()
            .into_iter()
            .filter(|l| !links_before.contains(l))
            .filter(|l| {
                progs_now
                    .iter()
                    .any(|p| Some(p.id) == l.prog && ours(&p.name))
            })
            .collect();
        assert!(new_links.is_empty(), "links appeared: {new_links:?}");
        assert_eventually_none(
            || {
                loaded_progs()
                    .into_iter()
                    .filter(|k| !progs_before.contains(&k.id) && ours(&k.name))
                    .collect()
            },
            "programs after --verify",
        );
    }
}

/// Find the null check right after the last `bpf_map_lookup_elem` in `program` and
/// invert it (`if r0 == 0` becomes `if r0 != 0`), so the map value is dereferenced
/// when it is null.
fn invert_last_null_check(object: &[u8], program: &str) -> Vec<u8> {
    let elf = goblin::elf::Elf::parse(object).unwrap();
    let sym = elf
        .syms
        .iter()
        .find(|s| elf.strtab.get_at(s.st_name) == Some(program))
        .expect("program symbol");
    let sh = &elf.section_headers[sym.st_shndx];
    let start = (sh.sh_offset + sym.st_value) as usize;
    let code = &object[start..start + sym.st_size as usize];
    let insn = |i: usize| &code[i * 8..i * 8 + 8];
    let imm = |i: usize| i32::from_le_bytes(insn(i)[4..8].try_into().unwrap());
    let at = (1..code.len() / 8)
        .rfind(|&i| {
            let after_lookup = insn(i - 1)[0] == 0x85 && imm(i - 1) == 1;
            let null_check = insn(i)[0] == 0x15 && insn(i)[1] & 0xf == 0 && imm(i) == 0;
            after_lookup && null_check
        })
        .expect("a null check after a map lookup");
    let mut out = object.to_vec();
    out[start + at * 8] = 0x55;
    out
}

#[test]
fn verify_maps_a_rejection_to_the_script_line() {
    let Some(_lock) = kernel_or_skip("verify_maps_a_rejection_to_the_script_line") else {
        return;
    };
    let dir = scratch("verify-bad");
    let script = "tracepoint:syscalls:sys_enter_openat\n{\n  @a[pid] = count();\n  @opens[comm] = count();\n}\n";
    let obj = compile_text(&dir, "verify", script);
    let program = info_json(&obj)["probes"][0]["program"]
        .as_str()
        .unwrap()
        .to_owned();
    let bad = dir.join("bad.o");
    std::fs::write(
        &bad,
        invert_last_null_check(&std::fs::read(&obj).unwrap(), &program),
    )
    .unwrap();
    let o = tracerun(&["--verify", bad.to_str().unwrap()]);
    let out = stdout(&o);
    assert_eq!(o.status.code(), Some(1), "{out}");
    assert!(
        out.contains(&format!(
            "{program} (tracepoint:syscalls:sys_enter_openat): rejected"
        )),
        "{out}"
    );
    assert!(out.contains("error: R0 invalid mem access"), "{out}");
    let lines: Vec<&str> = out.lines().collect();
    let arrow = lines
        .iter()
        .position(|l| l.contains("--> ") && l.contains("verify.bt:4:"))
        .unwrap_or_else(|| panic!("no location on line 4:\n{out}"));
    let col: usize = lines[arrow].rsplit(':').next().unwrap().parse().unwrap();
    assert_eq!(lines[arrow + 2], "4 |   @opens[comm] = count();", "{out}");
    let caret = lines[arrow + 3];
    let bar = caret.find("| ").unwrap() + 2;
    assert_eq!(
        caret.find('^'),
        Some(bar + col - 1),
        "caret at column {col}:\n{out}"
    );
    assert!(caret.contains("instruction "), "{out}");
    assert!(out.ends_with("1 program: 0 loaded, 1 rejected\n"), "{out}");
}

#[test]
fn verify_takes_the_run_arguments() {
    let Some(_lock) = kernel_or_skip("verify_takes_the_run_arguments") else {
        return;
    };
    let dir = scratch("verify-args");
    // The loop ends only when $3 is not 0: the verifier proves that only when it sees the
    // arguments' values, as it does when the object runs.
    let script =
        "interval:ms:$1\n{\n  $x = (uint64)$2;\n  while ($x < 1000) { $x += $3; }\n  exit();\n}\n";
    let obj = compile_text(&dir, "loop", script);
    let path = obj.to_str().unwrap();
    let o = tracerun(&["--verify", path, "7", "100", "50"]);
    let out = stdout(&o);
    assert!(
        o.status.success(),
        "{out}{}",
        String::from_utf8_lossy(&o.stderr)
    );
    assert!(out.contains("(interval:ms:7): loaded, "), "{out}");
    let o = tracerun(&["--verify", path]);
    let out = stdout(&o);
    assert_eq!(o.status.code(), Some(1), "{out}");
    assert!(out.contains("(interval:ms:$1): rejected"), "{out}");
    assert!(out.contains("infinite loop detected"), "{out}");
}

/// Rewrite the metadata section as format 1.0 wrote it: minor 0, no `source` field.
/// The payload shrinks; the section keeps its size (the header's length says where the
/// JSON ends).
fn as_format_1_0(object: &[u8]) -> Vec<u8> {
    let elf = goblin::elf::Elf::parse(object).unwrap();
    let sh = elf
        .section_headers
        .iter()
        .find(|sh| elf.shdr_strtab.get_at(sh.sh_name) == Some(tracec_meta::SECTION))
        .expect("metadata section");
    let (start, size) = (sh.sh_offset as usize, sh.sh_size as usize);
    let section = &object[start..start + size];
    let len = u32::from_le_bytes(section[8..12].try_into().unwrap()) as usize;
    let mut json: serde_json::Value =
        serde_json::from_slice(&section[tracec_meta::HEADER_SIZE..][..len]).unwrap();
    assert!(json.as_object_mut().unwrap().remove("source").is_some());
    let payload = serde_json::to_vec(&json).unwrap();
    let mut new = Vec::new();
    new.extend_from_slice(&tracec_meta::MAGIC);
    new.extend_from_slice(&1u16.to_le_bytes());
    new.extend_from_slice(&0u16.to_le_bytes());
    new.extend_from_slice(&(payload.len() as u32).to_le_bytes());
    new.extend_from_slice(&payload);
    assert!(new.len() <= size);
    new.resize(size, 0);
    let mut out = object.to_vec();
    out[start..start + size].copy_from_slice(&new);
    out
}

#[test]
fn an_older_minor_format_still_runs() {
    let dir = scratch("format-1-0");
    let obj = compile_text(&dir, "old", "BEGIN { printf(\"old format\\n\"); exit(); }");
    let old = dir.join("old-1.0.o");
    std::fs::write(&old, as_format_1_0(&std::fs::read(&obj).unwrap())).unwrap();
    let o = tracerun(&["--info", old.to_str().unwrap()]);
    let out = stdout(&o);
    assert!(o.status.success(), "{out}");
    assert!(out.contains("format    1.0"), "{out}");
    assert!(out.contains("not embedded"), "{out}");

    let Some(_lock) = kernel_or_skip("an_older_minor_format_still_runs") else {
        return;
    };
    let o = tracerun(&["-q", old.to_str().unwrap()]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert_eq!(
        stdout(&o).lines().next(),
        Some("old format"),
        "{}",
        stdout(&o)
    );
}

#[test]
fn info_and_verify_refuse_a_newer_major_format() {
    let dir = scratch("info-newer");
    let obj = compile_text(&dir, "newer", "BEGIN { exit(); }");
    let mut bytes = std::fs::read(&obj).unwrap();
    let elf = goblin::elf::Elf::parse(&bytes).unwrap();
    let at = elf
        .section_headers
        .iter()
        .find(|sh| elf.shdr_strtab.get_at(sh.sh_name) == Some(tracec_meta::SECTION))
        .unwrap()
        .sh_offset as usize
        + 4;
    bytes[at..at + 2].copy_from_slice(&(tracec_meta::FORMAT_MAJOR + 1).to_le_bytes());
    let newer = dir.join("newer.o");
    std::fs::write(&newer, bytes).unwrap();
    for flag in ["--info", "--verify"] {
        let o = tracerun(&[flag, newer.to_str().unwrap()]);
        let err = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(1), "{flag}: {err}");
        assert!(err.contains("metadata format 2."), "{flag}: {err}");
        assert!(o.stdout.is_empty(), "{flag}");
    }
}
