//! Split DWARF and compressed debug sections: the same program built with plain `-g`
//! and as the variant under test gives the same frames at every line-table address.

use super::tests::INLINED_C;
use super::*;
use std::path::{Path, PathBuf};
use std::process::Command;

struct Dir(PathBuf);

impl Drop for Dir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn run(dir: &Path, prog: &str, args: &[&str]) -> bool {
    Command::new(prog)
        .args(args)
        .current_dir(dir)
        .output()
        .is_ok_and(|o| o.status.success())
}

/// A directory holding `inl.c` and `plain`, built with `flags`; `None` without `cc`.
fn setup(tag: &str, flags: &[&str]) -> Option<Dir> {
    let dir = std::env::temp_dir().join(format!("srcline-split-{}-{tag}", std::process::id()));
    std::fs::create_dir_all(&dir).ok()?;
    std::fs::write(dir.join("inl.c"), INLINED_C).ok()?;
    let dir = Dir(dir);
    let mut args = flags.to_vec();
    args.extend(["-o", "plain", "inl.c"]);
    if !run(&dir.0, "cc", &args) {
        eprintln!("skipping: no cc");
        return None;
    }
    Some(dir)
}

fn info(path: &Path) -> Result<Option<SourceInfo>, debugsec::Error> {
    SourceInfo::read(std::fs::read(path).unwrap(), Some(path))
}

/// Every row address of `plain` resolves in `other` as in `plain`; how many inlined
/// frames were compared.
fn same_frames(plain: &SourceInfo, other: &SourceInfo) -> usize {
    let mut inlined = 0;
    for row in plain.rows().iter().filter(|r| !r.end) {
        for addr in [row.addr, row.addr + 1] {
            let want = plain.frames(addr);
            assert_eq!(other.frames(addr), want, "at {addr:#x}");
            inlined += want.inlined.len();
        }
    }
    inlined
}

#[test]
fn dwarf5_dwo_files_give_the_inlined_frames() {
    let flags = ["-g", "-O2", "-gdwarf-5"];
    let Some(d) = setup("dwo5", &flags) else {
        return;
    };
    let mut args = flags.to_vec();
    args.extend(["-gsplit-dwarf", "-o", "split", "inl.c"]);
    assert!(run(&d.0, "cc", &args), "cc -gsplit-dwarf");
    let plain = info(&d.0.join("plain")).unwrap().unwrap();
    let split = info(&d.0.join("split")).unwrap().unwrap();
    assert!(
        same_frames(&plain, &split) > 0,
        "the program has inlined frames"
    );

    // Moved away from its compilation directory, the binary's `.dwo` is found beside it.
    let moved = d.0.join("moved");
    std::fs::create_dir_all(&moved).unwrap();
    for e in std::fs::read_dir(&d.0).unwrap() {
        let p = e.unwrap().path();
        let name = p.file_name().unwrap().to_str().unwrap().to_string();
        if name.starts_with("split") {
            std::fs::rename(&p, moved.join(&name)).unwrap();
        }
    }
    let split = info(&moved.join("split")).unwrap().unwrap();
    assert!(same_frames(&plain, &split) > 0);

    // Without the `.dwo`: lines from the skeleton, no inlined frames.
    for e in std::fs::read_dir(&moved).unwrap() {
        let p = e.unwrap().path();
        if p.extension().is_some_and(|x| x == "dwo") {
            std::fs::remove_file(p).unwrap();
        }
    }
    let bare = info(&moved.join("split")).unwrap().unwrap();
    let rows = plain.rows();
    let row = rows
        .iter()
        .find(|r| !plain.frames(r.addr).inlined.is_empty());
    let addr = row.unwrap().addr;
    assert!(bare.frames(addr).inlined.is_empty());
    assert!(bare.location(addr).is_some());
}

#[test]
fn dwarf4_dwp_packages_give_the_inlined_frames() {
    let flags = ["-g", "-O2", "-gdwarf-4"];
    let Some(d) = setup("dwp4", &flags) else {
        return;
    };
    let mut args = flags.to_vec();
    args.extend(["-gsplit-dwarf", "-o", "split", "inl.c"]);
    assert!(run(&d.0, "cc", &args), "cc -gsplit-dwarf");
    let dwp = ["-e", "split", "-o", "split.dwp"];
    if !run(&d.0, "dwp", &dwp) && !run(&d.0, "llvm-dwp", &dwp) {
        eprintln!("skipping: no dwp");
        return;
    }
    for e in std::fs::read_dir(&d.0).unwrap() {
        let p = e.unwrap().path();
        if p.extension().is_some_and(|x| x == "dwo") {
            std::fs::remove_file(p).unwrap();
        }
    }
    let plain = info(&d.0.join("plain")).unwrap().unwrap();
    let split = info(&d.0.join("split")).unwrap().unwrap();
    assert!(
        same_frames(&plain, &split) > 0,
        "the program has inlined frames"
    );
}

#[test]
fn compressed_debug_sections_read_as_plain_ones() {
    let Some(d) = setup("z", &["-g", "-O2"]) else {
        return;
    };
    let plain = info(&d.0.join("plain")).unwrap().unwrap();
    for kind in ["zlib", "zlib-gnu", "zstd"] {
        let arg = format!("--compress-debug-sections={kind}");
        if !run(&d.0, "objcopy", &[&arg, "plain", kind]) {
            eprintln!("skipping {kind}: objcopy cannot");
            continue;
        }
        match info(&d.0.join(kind)) {
            Ok(Some(z)) => assert!(same_frames(&plain, &z) > 0, "{kind}"),
            other => panic!("{kind}: {:?}", other.map(|s| s.is_some())),
        }
    }
}

/// A large, compressed debug file with aranges (the host's libc's, when installed):
/// an address reads only its own unit, and gives the frames a full read gives.
#[test]
fn units_are_read_on_demand() {
    let libc = Path::new("/lib/x86_64-linux-gnu/libc.so.6");
    let Ok(bytes) = std::fs::read(libc) else {
        eprintln!("skipping: no libc here");
        return;
    };
    let elf = goblin::elf::Elf::parse(&bytes).unwrap();
    let Some(debug) = tracec_meta::debugfile::separate(libc, &elf, &bytes) else {
        eprintln!("skipping: libc's debug file is not installed");
        return;
    };
    let full = SourceInfo::read(debug.clone(), Some(libc))
        .unwrap()
        .unwrap();
    let rows = full.rows();
    let read_units = |si: &SourceInfo| si.state.borrow().units.iter().filter(|u| u.1).count();
    let total = read_units(&full);
    let step = (rows.len() / 40).max(1);
    let mut compared = 0;
    for row in rows.iter().step_by(step).filter(|r| !r.end) {
        let t = std::time::Instant::now();
        let lazy = SourceInfo::read(debug.clone(), Some(libc))
            .unwrap()
            .unwrap();
        assert_eq!(
            lazy.frames(row.addr),
            full.frames(row.addr),
            "{:#x}",
            row.addr
        );
        let n = read_units(&lazy);
        if !lazy.state.borrow().aranges.is_empty() {
            assert!(n < total / 4, "{n} of {total} units read for one address");
        }
        if compared == 0 {
            eprintln!("one address: {:?}, {n} of {total} units", t.elapsed());
        }
        compared += 1;
    }
    assert!(compared > 30);
}

/// A program of two units: an address in one reads that unit only (by the aranges),
/// with the frames of a full read; an address no unit covers reads the rest.
#[test]
fn one_unit_of_two_is_read_for_its_addresses() {
    let Some(d) = setup("two", &["-g", "-O2"]) else {
        return;
    };
    std::fs::write(
        d.0.join("other.c"),
        "static inline __attribute__((always_inline)) int sq(int x) { return x * x; }\n\
         __attribute__((noinline)) int other(int x) { return sq(x) + 1; }\n",
    )
    .unwrap();
    let args = ["-g", "-O2", "-o", "two", "inl.c", "other.c"];
    assert!(run(&d.0, "cc", &args), "cc two units");
    let path = d.0.join("two");
    let full = info(&path).unwrap().unwrap();
    let rows = full.rows();
    let read_units = |si: &SourceInfo| si.state.borrow().units.iter().filter(|u| u.1).count();
    assert_eq!(read_units(&full), 2);
    let mut per_unit = [0usize; 2];
    for row in rows.iter().filter(|r| !r.end) {
        let lazy = info(&path).unwrap().unwrap();
        assert!(!lazy.state.borrow().aranges.is_empty(), "cc writes aranges");
        assert_eq!(
            lazy.frames(row.addr),
            full.frames(row.addr),
            "{:#x}",
            row.addr
        );
        assert_eq!(read_units(&lazy), 1, "{:#x}", row.addr);
        per_unit[row.unit as usize] += 1;
        // An address outside every unit reads the other one too.
        assert_eq!(lazy.frames(1), SourceFrames::default());
        assert_eq!(read_units(&lazy), 2);
    }
    assert!(per_unit.iter().all(|n| *n > 0), "{per_unit:?}");
}
