//! USDT attach points against ELF files with hand-made `.note.stapsdt` notes.

use super::*;
use crate::front::ast::Span;
use object::write::Object;
use object::{Architecture, BinaryFormat, Endianness, SectionKind};

fn ap(raw: &str) -> AttachPoint {
    AttachPoint {
        raw: raw.to_string(),
        parts: raw.split(':').map(str::to_string).collect(),
        span: Span::new(0, raw.len()),
    }
}

fn note(provider: &str, name: &str, args: &str) -> Vec<u8> {
    let mut desc = Vec::new();
    for w in [0x1130u64, 0, 0] {
        desc.extend_from_slice(&w.to_le_bytes());
    }
    for s in [provider, name, args] {
        desc.extend_from_slice(s.as_bytes());
        desc.push(0);
    }
    let mut out = Vec::new();
    out.extend_from_slice(&8u32.to_le_bytes());
    out.extend_from_slice(&(desc.len() as u32).to_le_bytes());
    out.extend_from_slice(&3u32.to_le_bytes());
    out.extend_from_slice(b"stapsdt\0");
    out.extend_from_slice(&desc);
    out.resize(out.len().div_ceil(4) * 4, 0);
    out
}

/// An ELF file in a fresh directory with the notes of `probes` (provider, name, args).
fn elf_with(test: &str, file: &str, probes: &[(&str, &str, &str)]) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("tracec-usdt-{test}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let mut obj = Object::new(BinaryFormat::Elf, Architecture::X86_64, Endianness::Little);
    let data: Vec<u8> = probes.iter().flat_map(|(p, n, a)| note(p, n, a)).collect();
    let id = obj.add_section(
        Vec::new(),
        NOTE_SECTION.as_bytes().to_vec(),
        SectionKind::Note,
    );
    obj.set_section_data(id, data, 4);
    let path = dir.join(file);
    std::fs::write(&path, obj.write().unwrap()).unwrap();
    path
}

const PROBES: &[(&str, &str, &str)] = &[
    ("tracetest", "testprobe", "-4@%edi 8@%rsi"),
    ("tracetest", "testprobe2", "4@$1"),
    ("tracetest2", "testprobe2", ""),
    // A second location of the same probe, with more arguments.
    ("tracetest", "testprobe", "-4@%edi 8@%rsi 4@$3"),
];

fn names(v: &[ExpandedProbe]) -> Vec<String> {
    v.iter().map(|p| p.name.clone()).collect()
}

#[test]
fn full_names_check_the_probe_and_count_arguments() {
    let bin = elf_with("full", "prog", PROBES);
    let raw = format!("usdt:{}:tracetest:testprobe", bin.display());
    let v = expand(&ap(&raw)).unwrap();
    assert_eq!(names(&v), [raw.as_str()]);
    assert_eq!(v[0].section, "uprobe");
    assert_eq!(v[0].context, Context::Usdt { nargs: Some(3) });
    assert_eq!(
        v[0].attach,
        Attach::Usdt {
            path: bin.display().to_string(),
            provider: "tracetest".into(),
            name: "testprobe".into(),
        }
    );
    let e = expand(&ap(&format!("usdt:{}:tracetest:nosuch", bin.display()))).unwrap_err();
    assert_eq!(
        e.message,
        format!(
            "no usdt probe matches 'tracetest:nosuch' in '{}'",
            bin.display()
        )
    );
}

#[test]
fn wildcards_expand_to_one_probe_per_provider_and_name() {
    let bin = elf_with("wild", "prog", PROBES);
    let p = bin.display();
    let v = expand(&ap(&format!("usdt:{p}:*"))).unwrap();
    assert_eq!(
        names(&v),
        [
            format!("usdt:{p}:tracetest:testprobe"),
            format!("usdt:{p}:tracetest:testprobe2"),
            format!("usdt:{p}:tracetest2:testprobe2"),
        ]
    );
    // An empty provider matches any.
    let v = expand(&ap(&format!("usdt:{p}::*probe2"))).unwrap();
    assert_eq!(v.len(), 2);
    let v = expand(&ap(&format!("usdt:{p}:tracetest2:*"))).unwrap();
    assert_eq!(names(&v), [format!("usdt:{p}:tracetest2:testprobe2")]);
    // Probe names are distinct per program symbol.
    let v = expand(&ap(&format!("usdt:{p}:*:*"))).unwrap();
    let stems: std::collections::HashSet<_> = v.iter().map(|p| &p.symbol_stem).collect();
    assert_eq!(stems.len(), 3);
}

#[test]
fn wildcards_in_the_file_name_match_files_of_the_directory() {
    let a = elf_with("files", "usdt_a", &PROBES[..1]);
    elf_with("files", "usdt_b", &PROBES[2..3]);
    elf_with("files", "other", PROBES);
    let dir = a.parent().unwrap().display().to_string();
    let v = expand(&ap(&format!("usdt:{dir}/usdt_*:*:*"))).unwrap();
    assert_eq!(
        names(&v),
        [
            format!("usdt:{dir}/usdt_a:tracetest:testprobe"),
            format!("usdt:{dir}/usdt_b:tracetest2:testprobe2"),
        ]
    );
}

#[test]
fn without_a_readable_binary_the_runtime_decides() {
    // No path: the traced process's files (-p/-c), wildcards and all.
    let v = expand(&ap("usdt::tracetest:test*")).unwrap();
    assert_eq!(names(&v), ["usdt::tracetest:test*"]);
    assert_eq!(v[0].context, Context::Usdt { nargs: None });
    // `*` without a process: the whole host, which the runtime expands.
    let v = expand(&ap("usdt:*:tracetest:testprobe")).unwrap();
    assert_eq!(
        v[0].attach,
        Attach::Usdt {
            path: "*".into(),
            provider: "tracetest".into(),
            name: "testprobe".into(),
        }
    );
    // A quoted probe name loses its quotes, and its escapes their backslashes.
    let v = expand(&ap("usdt::test:\"probe1\"")).unwrap();
    assert!(matches!(&v[0].attach, Attach::Usdt { name, .. } if name == "probe1"));
    let v = expand(&ap(r#"usdt::test:"\"probe1\"""#)).unwrap();
    assert!(matches!(&v[0].attach, Attach::Usdt { name, .. } if name == "\"probe1\""));
}

#[test]
fn quoted_names_unescape_quotes_and_backslashes() {
    assert_eq!(unquote_name("plain"), "plain");
    assert_eq!(unquote_name("\"a:b\""), "a:b");
    assert_eq!(unquote_name(r#""\"p\"""#), "\"p\"");
    assert_eq!(unquote_name(r#""a\\b""#), r"a\b");
    // Other escapes and unquoted text stay as written.
    assert_eq!(unquote_name(r#""a\nb""#), r"a\nb");
    assert_eq!(unquote_name(r#"\"x"#), r#"\"x"#);
}

#[test]
fn a_quoted_name_with_quotes_matches_its_note() {
    let bin = elf_with("quoted", "prog", &[("test", "\"probe1\"", "-4@%edi")]);
    let raw = format!(r#"usdt:{}:test:"\"probe1\"""#, bin.display());
    let v = expand(&ap(&raw)).unwrap();
    assert_eq!(
        names(&v),
        [format!("usdt:{}:test:\"probe1\"", bin.display())]
    );
}

#[test]
fn with_a_process_an_empty_path_expands_against_its_files() {
    // This test binary maps no USDT probe of this name: nothing matches.
    let me = std::process::id();
    let e = expand_for(&ap("usdt::tracec_nosuch:probe"), Some(me)).unwrap_err();
    assert_eq!(
        e.message,
        format!("no usdt probe matches 'tracec_nosuch:probe' in process {me}")
    );
    let e = expand_for(&ap("usdt:*:tracec_nosuch:probe"), Some(me)).unwrap_err();
    assert!(e.message.contains("in process"), "{}", e.message);
    // `usdt:*` is every probe of the process, as `usdt:*:*` (the host's libraries may
    // have some).
    let outcome = |raw: &str| match expand_for(&ap(raw), Some(me)) {
        Ok(v) => Ok(names(&v)),
        Err(e) => Err(e.message.replace("'*:*'", "'*'")),
    };
    assert_eq!(outcome("usdt:*"), outcome("usdt:*:*"));
    // Without a process the runtime finds them.
    let v = expand(&ap("usdt:*")).unwrap();
    assert!(matches!(&v[0].attach, Attach::Usdt { path, provider, name }
        if path == "*" && provider.is_empty() && name == "*"));
}

#[test]
fn malformed_attach_points() {
    for raw in ["usdt:x", "usdt:/bin/true:", "usdt:a:b:c:d"] {
        assert_eq!(
            expand(&ap(raw)).unwrap_err().message,
            "usdt probe needs a binary and a probe name",
            "{raw}"
        );
    }
    let e = expand(&ap("usdt:/no*/prog:p:n")).unwrap_err();
    assert!(
        e.message.contains("only supported in the file name"),
        "{}",
        e.message
    );
}

#[test]
fn listing_names_each_probe_once_by_provider_and_name() {
    let bin = elf_with("list", "prog", PROBES);
    let d = bin.display();
    let list = |pattern: &str| -> Vec<String> {
        let pieces = crate::probes::list::pieces(Some(pattern));
        let mut v: Vec<String> = crate::probes::list_user::entries(&pieces)
            .into_iter()
            .map(|(name, _)| name)
            .filter(|l| l.starts_with("usdt:"))
            .collect();
        v.sort();
        v
    };
    assert_eq!(
        list(&format!("usdt:{d}:*")),
        [
            format!("usdt:{d}:tracetest2:testprobe2"),
            format!("usdt:{d}:tracetest:testprobe"),
            format!("usdt:{d}:tracetest:testprobe2"),
        ]
    );
    assert_eq!(
        list(&format!("usdt:{d}:tracetest2:*")),
        [format!("usdt:{d}:tracetest2:testprobe2")]
    );
    assert_eq!(
        list(&format!("*:{d}:tracetest:test*")),
        [
            format!("usdt:{d}:tracetest:testprobe"),
            format!("usdt:{d}:tracetest:testprobe2"),
        ]
    );
    assert!(list(&format!("usdt:{d}:other:*")).is_empty());
}

/// The USDT notes of an ELF image parsed whole (what [`read_notes`] must agree with).
fn notes_of(bytes: &[u8]) -> Option<Vec<Note>> {
    let elf = goblin::elf::Elf::parse(bytes).ok()?;
    if !elf.little_endian {
        return None;
    }
    let Some(sh) = elf
        .section_headers
        .iter()
        .find(|sh| elf.shdr_strtab.get_at(sh.sh_name) == Some(NOTE_SECTION))
    else {
        return Some(Vec::new());
    };
    let start = usize::try_from(sh.sh_offset).ok()?;
    let len = usize::try_from(sh.sh_size).ok()?;
    let data = bytes.get(start..start.checked_add(len)?)?;
    Some(parse_notes(data, elf.is_64))
}

#[test]
fn notes_read_from_a_file_are_those_of_its_image() {
    let bin = elf_with("read", "prog", PROBES);
    let bytes = std::fs::read(&bin).unwrap();
    let read = read_notes(&bin).unwrap();
    assert_eq!(read.len(), PROBES.len());
    assert_eq!(Some(read), notes_of(&bytes));
    // A file without the section has none; a truncated or non-ELF file is no ELF file.
    let me = std::fs::read_link("/proc/self/exe").unwrap();
    assert_eq!(read_notes(&me), notes_of(&std::fs::read(&me).unwrap()));
    let cut = bin.with_file_name("cut");
    std::fs::write(&cut, &bytes[..bytes.len() - 8]).unwrap();
    assert_eq!(read_notes(&cut), None);
    let text = bin.with_file_name("text");
    std::fs::write(&text, "#!/bin/sh\n").unwrap();
    assert_eq!(read_notes(&text), None);
}
