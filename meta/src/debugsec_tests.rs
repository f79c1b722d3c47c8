use super::*;
use std::path::Path;
use std::process::Command;

/// python3's `zlib.compress(b"hello hello hello hello, tracec! " * 3 + bytes(range(40)), 9)`.
const STREAM: &str = "78dacb48cdc9c957c8402775144a8a129353931531a54856c0c0c8c4ccc2cac6cec1c9c5cdc3cbc72f2028242c222a262e2129252d232b27afa0a8a4aca2aaa60e0098ba261a";
const PLAIN_LEN: u64 = 139;

fn stream() -> Vec<u8> {
    (0..STREAM.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&STREAM[i..i + 2], 16).unwrap())
        .collect()
}

#[test]
fn compression_headers() {
    let mut h64 = Vec::new();
    h64.extend_from_slice(&ELFCOMPRESS_ZLIB.to_le_bytes());
    h64.extend_from_slice(&0u32.to_le_bytes());
    h64.extend_from_slice(&PLAIN_LEN.to_le_bytes());
    h64.extend_from_slice(&1u64.to_le_bytes());
    h64.extend(stream());
    let out = chdr(&h64, true, true).unwrap();
    assert_eq!(out.len() as u64, PLAIN_LEN);
    assert!(out.starts_with(b"hello hello"));

    let mut h32 = Vec::new();
    for w in [ELFCOMPRESS_ZLIB, PLAIN_LEN as u32, 1] {
        h32.extend_from_slice(&w.to_be_bytes());
    }
    h32.extend(stream());
    assert_eq!(chdr(&h32, false, false).unwrap(), out);

    let mut z = b"ZLIB".to_vec();
    z.extend_from_slice(&PLAIN_LEN.to_be_bytes());
    z.extend(stream());
    assert_eq!(zdebug(&z).unwrap(), out);

    // `printf x | zstd -c` behind a zstd Chdr of size 1.
    let frame = [
        0x28, 0xb5, 0x2f, 0xfd, 0x04, 0x58, 0x09, 0, 0, 0x78, 0x23, 0x11, 0x04, 0x83,
    ];
    let mut zstd = Vec::new();
    zstd.extend_from_slice(&ELFCOMPRESS_ZSTD.to_le_bytes());
    zstd.extend_from_slice(&0u32.to_le_bytes());
    zstd.extend_from_slice(&1u64.to_le_bytes());
    zstd.extend_from_slice(&1u64.to_le_bytes());
    zstd.extend_from_slice(&frame);
    assert_eq!(chdr(&zstd, true, true), Ok(b"x".to_vec()));
    let mut z32 = Vec::new();
    for w in [ELFCOMPRESS_ZSTD, 1, 1] {
        z32.extend_from_slice(&w.to_be_bytes());
    }
    z32.extend_from_slice(&frame);
    assert_eq!(chdr(&z32, false, false), Ok(b"x".to_vec()));
    // A recorded size the frame does not have, and a damaged frame.
    let mut short = zstd.clone();
    short[8] = 2;
    let e = chdr(&short, true, true).unwrap_err();
    assert_eq!(e, Error::CorruptZstd(crate::zstd::Error::TooShort));
    assert!(
        e.to_string().contains("zstd-compressed debug section"),
        "{e}"
    );
    short[8] = 0;
    assert!(matches!(
        chdr(&short, true, true),
        Err(Error::CorruptZstd(_))
    ));
    let mut bad = zstd.clone();
    *bad.last_mut().unwrap() ^= 1;
    assert!(matches!(chdr(&bad, true, true), Err(Error::CorruptZstd(_))));
    zstd[0] = 9;
    assert_eq!(chdr(&zstd, true, true), Err(Error::Unknown(9)));
    assert!(matches!(
        chdr(&h64[..20], true, true),
        Err(Error::Corrupt(_))
    ));
    assert!(matches!(
        chdr(&h64[..40], true, true),
        Err(Error::Corrupt(_))
    ));
    assert!(matches!(zdebug(b"ZLIB\0\0"), Err(Error::Corrupt(_))));
    assert!(matches!(zdebug(&stream()), Err(Error::Corrupt(_))));
    // A recorded size the stream does not have.
    let mut wrong = h64.clone();
    wrong[8] += 1;
    assert!(matches!(chdr(&wrong, true, true), Err(Error::Corrupt(_))));
}

fn tool(dir: &Path, prog: &str, args: &[&str]) -> bool {
    Command::new(prog)
        .args(args)
        .current_dir(dir)
        .output()
        .is_ok_and(|o| o.status.success())
}

const DEBUG_SECTIONS: [&str; 6] = [
    ".debug_info",
    ".debug_abbrev",
    ".debug_line",
    ".debug_str",
    ".debug_line_str",
    ".debug_aranges",
];

/// `objcopy --compress-debug-sections` of a program built with `-g`: every debug
/// section reads back as in the uncompressed file, in both zlib forms and zstd.
#[test]
fn objcopy_compressed_sections_read_back() {
    let dir = std::env::temp_dir().join(format!("tracec-debugsec-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(
        dir.join("p.c"),
        "static int twice(int n) { return 2 * n; }\nint main(int c, char **v) { (void)v; return twice(c); }\n",
    )
    .unwrap();
    if !tool(&dir, "cc", &["-g", "-O1", "-o", "p", "p.c"]) {
        eprintln!("skipping: no cc");
        std::fs::remove_dir_all(&dir).unwrap();
        return;
    }
    let plain = std::fs::read(dir.join("p")).unwrap();
    let plain_elf = Elf::parse(&plain).unwrap();
    for (kind, out) in [("zlib", "pz"), ("zlib-gnu", "pg"), ("zstd", "ps")] {
        let arg = format!("--compress-debug-sections={kind}");
        if !tool(&dir, "objcopy", &[&arg, "p", out]) {
            eprintln!("skipping {kind}: objcopy cannot");
            continue;
        }
        let bytes = std::fs::read(dir.join(out)).unwrap();
        let elf = Elf::parse(&bytes).unwrap();
        for name in DEBUG_SECTIONS {
            let want = read(&plain_elf, &plain, name).unwrap();
            let got = read(&elf, &bytes, name);
            assert_eq!(got, Ok(want.clone()), "{kind} {name}");
            assert!(want.is_some_and(|w| !w.is_empty()), "{name}");
        }
        let all = All::read(&elf, &bytes);
        assert_eq!(all.error, None, "{kind}");
        for name in DEBUG_SECTIONS {
            let want = read(&plain_elf, &plain, name).unwrap().unwrap();
            assert_eq!(all.get(name), &want[..], "{kind} {name}");
        }
        assert!(all.get(".debug_nothing").is_empty());
        if kind != "zlib-gnu" {
            let info = elf
                .section_headers
                .iter()
                .find(|s| elf.shdr_strtab.get_at(s.sh_name) == Some(".debug_info"))
                .unwrap();
            assert!(info.sh_flags & SHF_COMPRESSED != 0, "objcopy compressed it");
        }
    }
    assert_eq!(read(&plain_elf, &plain, ".debug_nothing"), Ok(None));
    std::fs::remove_dir_all(&dir).unwrap();
}

/// `ld --compress-debug-sections=zstd` (through `cc -Wl,...`): the sections it
/// compresses with zstd read back as in the same program linked without it.
#[test]
fn ld_zstd_sections_read_back() {
    let dir = std::env::temp_dir().join(format!("tracec-debugsec-ld-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(
        dir.join("q.c"),
        "#include <stdio.h>\nstruct a { int x; char y[20]; FILE *f; };\n\
         int main(int c, char **v) { struct a q = { c, \"x\", stdout };\n\
         fprintf(q.f, \"%s %d\\n\", v[0], q.x); return 0; }\n",
    )
    .unwrap();
    let zstd = "-Wl,--compress-debug-sections=zstd";
    if !tool(&dir, "cc", &["-g", "-O1", "-o", "plain", "q.c"])
        || !tool(&dir, "cc", &["-g", "-O1", zstd, "-o", "z", "q.c"])
    {
        eprintln!("skipping: cc or ld cannot");
        std::fs::remove_dir_all(&dir).unwrap();
        return;
    }
    let plain = std::fs::read(dir.join("plain")).unwrap();
    let plain_elf = Elf::parse(&plain).unwrap();
    let bytes = std::fs::read(dir.join("z")).unwrap();
    let elf = Elf::parse(&bytes).unwrap();
    let zstd_sections = elf
        .section_headers
        .iter()
        .filter(|sh| {
            sh.sh_flags & SHF_COMPRESSED != 0
                && section_bytes(&bytes, sh.sh_offset, sh.sh_size)
                    .is_some_and(|d| d[..4] == ELFCOMPRESS_ZSTD.to_le_bytes())
        })
        .count();
    assert!(zstd_sections > 0, "ld compressed nothing with zstd");
    for name in DEBUG_SECTIONS {
        let want = read(&plain_elf, &plain, name).unwrap();
        assert!(want.as_ref().is_some_and(|w| !w.is_empty()), "{name}");
        assert_eq!(read(&elf, &bytes, name), Ok(want), "{name}");
    }
    std::fs::remove_dir_all(&dir).unwrap();
}
