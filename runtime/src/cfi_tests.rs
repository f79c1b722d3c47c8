use super::*;

/// An `.eh_frame` with one CIE (`zR`, pcrel|sdata4 FDE pointers, CFA = rsp+8,
/// RA at CFA-8) and one FDE for [0x1000, 0x1020): push rbp at +1, mov rbp,rsp at +4.
fn sample(section_addr: u64) -> Vec<u8> {
    let mut cie = vec![0, 0, 0, 0]; // CIE id
    cie.push(1); // version
    cie.extend_from_slice(b"zR\0");
    cie.push(1); // code align
    cie.push(0x78); // data align -8
    cie.push(16); // RA column
    cie.push(1); // augmentation length
    cie.push(0x1b); // pcrel | sdata4
    cie.extend_from_slice(&[0x0c, 7, 8]); // def_cfa rsp+8
    cie.extend_from_slice(&[0x90, 1]); // offset r16 at cfa-8
    while (cie.len() + 4) % 8 != 0 {
        cie.push(0);
    }
    let mut out = Vec::new();
    out.extend_from_slice(&(cie.len() as u32).to_le_bytes());
    out.extend_from_slice(&cie);
    let fde_start = out.len();
    let mut fde = Vec::new();
    let id = (fde_start + 4) as u32; // back to the CIE at 0
    fde.extend_from_slice(&id.to_le_bytes());
    let field = section_addr + fde_start as u64 + 8;
    fde.extend_from_slice(&((0x1000i64 - field as i64) as i32).to_le_bytes());
    fde.extend_from_slice(&0x20u32.to_le_bytes());
    fde.push(0); // augmentation length
    fde.push(0x41); // advance 1
    fde.extend_from_slice(&[0x0e, 16]); // def_cfa_offset 16
    fde.extend_from_slice(&[0x86, 2]); // rbp at cfa-16
    fde.push(0x43); // advance 3
    fde.extend_from_slice(&[0x0d, 6]); // def_cfa_register rbp
    fde.push(0x0a); // remember_state
    fde.push(0x48); // advance 8 (to 0x100c)
    fde.extend_from_slice(&[0x0c, 7, 8]); // def_cfa rsp+8
    fde.push(0x44); // advance 4 (to 0x1010)
    fde.push(0x0b); // restore_state
    out.extend_from_slice(&(fde.len() as u32).to_le_bytes());
    out.extend_from_slice(&fde);
    out.extend_from_slice(&[0, 0, 0, 0]);
    out
}

#[test]
fn rows_follow_the_instructions() {
    let addr = 0x4000;
    let eh = EhFrame::parse(&sample(addr), addr).expect("parses");
    assert_eq!(eh.len(), 1);
    let r = eh.row(0x1000).unwrap();
    assert_eq!(r.cfa, Cfa::RegOffset(RSP, 8));
    assert_eq!(r.ra, Rule::Offset(-8));
    assert_eq!(r.rbp, Rule::Same);
    let r = eh.row(0x1001).unwrap();
    assert_eq!(r.cfa, Cfa::RegOffset(RSP, 16));
    assert_eq!(r.rbp, Rule::Offset(-16));
    assert_eq!(eh.row(0x1004).unwrap().cfa, Cfa::RegOffset(RBP, 16));
    assert_eq!(eh.row(0x100c).unwrap().cfa, Cfa::RegOffset(RSP, 8));
    // restore_state brings back the remembered rbp-based rule.
    assert_eq!(eh.row(0x1010).unwrap().cfa, Cfa::RegOffset(RBP, 16));
    assert!(eh.row(0x1020).is_none());
    assert!(eh.row(0xfff).is_none());
}

#[test]
fn truncated_sections_do_not_panic() {
    let full = sample(0);
    for n in 0..full.len() {
        let _ = EhFrame::parse(&full[..n], 0).map(|e| e.row(0x1004));
    }
    assert!(EhFrame::parse(&[], 0).is_none());
    assert!(EhFrame::parse(&[0xff; 64], 0).is_none());
}

#[test]
fn leb128() {
    let mut r = Reader::new(&[0xe5, 0x8e, 0x26, 0x7f, 0x80, 0x7f], 0, 0);
    assert_eq!(r.uleb(), Some(624_485));
    assert_eq!(r.sleb(), Some(-1));
    assert_eq!(r.sleb(), Some(-128));
    assert_eq!(r.u8(), None);
}

/// This machine's libc: every function it exports has CFI, and the row at a
/// function's first instruction is the call-site state (CFA = rsp + 8, RA at CFA-8).
#[test]
fn libc_functions_start_with_the_call_state() {
    let Some(path) = ["/lib/x86_64-linux-gnu/libc.so.6", "/usr/lib64/libc.so.6"]
        .into_iter()
        .find(|p| std::path::Path::new(p).exists())
    else {
        return;
    };
    let bytes = std::fs::read(path).unwrap();
    let elf = goblin::elf::Elf::parse(&bytes).unwrap();
    let sh = elf
        .section_headers
        .iter()
        .find(|s| elf.shdr_strtab.get_at(s.sh_name) == Some(".eh_frame"))
        .unwrap();
    let eh = EhFrame::parse(&bytes[sh.file_range().unwrap()], sh.sh_addr).unwrap();
    assert!(eh.len() > 1000, "{} FDEs", eh.len());
    let mut checked = 0;
    for s in elf.dynsyms.iter() {
        let name = elf.dynstrtab.get_at(s.st_name).unwrap_or("");
        if !matches!(
            name,
            "malloc" | "free" | "qsort" | "strtol" | "fopen" | "printf"
        ) {
            continue;
        }
        let r = eh
            .row(s.st_value)
            .unwrap_or_else(|| panic!("no FDE for {name}"));
        assert_eq!(r.cfa, Cfa::RegOffset(RSP, 8), "{name}");
        assert_eq!(r.ra, Rule::Offset(-8), "{name}");
        checked += 1;
    }
    assert!(checked >= 4);
}
