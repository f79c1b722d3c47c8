use super::*;

fn uprobe(program: &str, name: &str, ret: bool, cookie: Option<u64>) -> ProbeSpec {
    ProbeSpec {
        program: program.into(),
        section: String::new(),
        name: name.into(),
        attach: Attach::Uprobe {
            path: "/bin/true".into(),
            symbol: name.into(),
            offset: 0,
            ret,
        },
        cookie,
    }
}

fn meta(probes: Vec<ProbeSpec>) -> Metadata {
    Metadata {
        probes,
        ..Default::default()
    }
}

#[test]
fn shared_uprobe_programs_with_cookies_are_candidates() {
    let m = meta(vec![
        uprobe("p1", "a", false, Some(0)),
        uprobe("p1", "b", false, Some(1)),
        // One attach point: a plain link.
        uprobe("p2", "c", false, None),
        // Mixed entry and return: not one link type.
        uprobe("p3", "d", false, Some(0)),
        uprobe("p3", "e", true, Some(1)),
        uprobe("p4", "f", true, Some(0)),
        uprobe("p4", "g", true, Some(1)),
        uprobe("p4", "h", true, Some(2)),
    ]);
    assert_eq!(candidates(&m), ["p1", "p4"]);
}

#[test]
fn other_probe_kinds_are_not_candidates() {
    let mut k = uprobe("p1", "a", false, Some(0));
    k.attach = Attach::Kprobe {
        function: "f".into(),
        offset: 0,
        ret: false,
    };
    let m = meta(vec![k, uprobe("p1", "b", false, Some(1))]);
    assert!(candidates(&m).is_empty());
}

#[test]
fn symbol_offsets_follow_the_load_segments() {
    let exe = std::env::current_exe().expect("test executable");
    let bytes = std::fs::read(&exe).expect("readable");
    let elf = goblin::elf::Elf::parse(&bytes).expect("an ELF file");
    let syms = offsets::function_offsets(&elf);
    let segments = crate::debugsyms::load_segments(&elf);
    let main = elf
        .syms
        .iter()
        .find(|s| elf.strtab.get_at(s.st_name) == Some("main") && s.st_value != 0)
        .expect("a main symbol");
    let want = crate::debugsyms::vaddr_to_offset(&segments, main.st_value);
    assert_eq!(syms.get("main").copied(), want);
    let file = exe.to_string_lossy();
    assert_eq!(
        offsets::file_offset(&file, "main", 4),
        Ok(want.expect("main is loaded") + 4)
    );
    let missing = offsets::file_offset(&file, "no_such_function_here", 0);
    assert!(missing
        .unwrap_err()
        .starts_with("Could not resolve symbol: "));
}

#[test]
fn bare_library_names_go_through_the_cache() {
    assert_eq!(offsets::resolve_path("./a/b"), "./a/b");
    assert_eq!(offsets::resolve_path("/bin/true"), "/bin/true");
}

#[test]
fn a_program_split_across_runs_keeps_its_plain_links() {
    let m = meta(vec![
        uprobe("p1", "a", false, Some(0)),
        uprobe("p2", "c", false, None),
        uprobe("p1", "b", false, Some(1)),
        uprobe("p1", "d", false, Some(2)),
    ]);
    assert!(candidates(&m).is_empty());
}
