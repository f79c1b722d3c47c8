use super::*;

/// Section names of the hand-made test object, in order after the null section.
const SECTIONS: &[(&str, &[u8])] = &[
    (
        "raw_tp/BEGIN",
        &[0x95, 0, 0, 0, 0, 0, 0, 0, 0xb7, 0, 0, 0, 1, 0, 0, 0],
    ),
    (".rodata", b"hello %d\n\0\0\0\0\0\0\0"),
    (
        ".tracec.meta",
        b"TRCM\x01\x00\x01\x00\x02\x00\x00\x00{}\0\0",
    ),
    (crate::SIGNATURE_SECTION, &[0; SIGNATURE_SIZE]),
];

/// A small relocatable ELF64 LE file: header, section contents, `.shstrtab`, then
/// the section header table. Returns the file and each section's content range.
fn object() -> (Vec<u8>, Vec<Range<usize>>) {
    object_with(SECTIONS)
}

fn object_with(sections: &[(&str, &[u8])]) -> (Vec<u8>, Vec<Range<usize>>) {
    let mut file = vec![0u8; 64];
    let mut ranges = Vec::new();
    let mut strtab = vec![0u8];
    let mut headers = vec![[0u8; 64]];
    let mut push = |file: &mut Vec<u8>, strtab: &mut Vec<u8>, name: &str, data: &[u8]| {
        file.resize(file.len().next_multiple_of(8), 0);
        let offset = file.len();
        file.extend_from_slice(data);
        let mut h = [0u8; 64];
        h[0..4].copy_from_slice(&(strtab.len() as u32).to_le_bytes());
        h[4..8].copy_from_slice(&1u32.to_le_bytes()); // SHT_PROGBITS
        h[0x18..0x20].copy_from_slice(&(offset as u64).to_le_bytes());
        h[0x20..0x28].copy_from_slice(&(data.len() as u64).to_le_bytes());
        h[0x30..0x38].copy_from_slice(&8u64.to_le_bytes());
        strtab.extend_from_slice(name.as_bytes());
        strtab.push(0);
        headers.push(h);
        offset..offset + data.len()
    };
    for (name, data) in sections {
        ranges.push(push(&mut file, &mut strtab, name, data));
    }
    // `.shstrtab` names itself, so its name goes in before its data is written.
    let shstrndx = headers.len();
    let name_off = strtab.len() as u32;
    strtab.extend_from_slice(b".shstrtab\0");
    file.resize(file.len().next_multiple_of(8), 0);
    let offset = file.len();
    file.extend_from_slice(&strtab);
    let mut h = [0u8; 64];
    h[0..4].copy_from_slice(&name_off.to_le_bytes());
    h[4..8].copy_from_slice(&3u32.to_le_bytes()); // SHT_STRTAB
    h[0x18..0x20].copy_from_slice(&(offset as u64).to_le_bytes());
    h[0x20..0x28].copy_from_slice(&(strtab.len() as u64).to_le_bytes());
    headers.push(h);
    ranges.push(offset..offset + strtab.len());
    file.resize(file.len().next_multiple_of(8), 0);
    let shoff = file.len();
    for h in &headers {
        file.extend_from_slice(h);
    }
    file[..4].copy_from_slice(b"\x7fELF");
    file[4] = 2; // ELFCLASS64
    file[5] = 1; // ELFDATA2LSB
    file[6] = 1; // EV_CURRENT
    file[0x10..0x12].copy_from_slice(&1u16.to_le_bytes()); // ET_REL
    file[0x12..0x14].copy_from_slice(&247u16.to_le_bytes()); // EM_BPF
    file[0x28..0x30].copy_from_slice(&(shoff as u64).to_le_bytes());
    file[0x34..0x36].copy_from_slice(&64u16.to_le_bytes());
    file[0x3a..0x3c].copy_from_slice(&64u16.to_le_bytes());
    file[0x3c..0x3e].copy_from_slice(&(headers.len() as u16).to_le_bytes());
    file[0x3e..0x40].copy_from_slice(&(shstrndx as u16).to_le_bytes());
    (file, ranges)
}

fn key(n: u8) -> SecretKey {
    SecretKey::from_seed(&[n; 32])
}

fn signed() -> (Vec<u8>, Range<usize>) {
    let (mut file, ranges) = object();
    sign(&mut file, &key(1)).unwrap();
    (file, ranges[3].clone())
}

#[test]
fn the_signature_range_is_the_reserved_section() {
    let (file, ranges) = object();
    assert_eq!(signature_range(&file).unwrap(), Some(ranges[3].clone()));
    let (plain, _) = object_with(&SECTIONS[..3]);
    assert_eq!(signature_range(&plain).unwrap(), None);
}

#[test]
fn a_signed_object_verifies_and_names_its_signer() {
    let (file, range) = signed();
    let id = key(1).public().id();
    assert_eq!(verify(&file, &[key(1).public()]), Ok(id));
    assert_eq!(verify(&file, &[key(2).public(), key(1).public()]), Ok(id));
    assert_eq!(signer(&file), Ok(Some(id)));
    assert_eq!(&file[range.start..range.start + 4], b"TRCS");
    assert_eq!(&file[range.start + 8..range.start + 16], &id.0);
}

#[test]
fn signing_is_deterministic_and_resigning_replaces_the_signature() {
    let (a, _) = signed();
    let (b, _) = signed();
    assert_eq!(a, b);
    let mut c = a.clone();
    sign(&mut c, &key(2)).unwrap();
    assert_eq!(verify(&c, &[key(2).public()]), Ok(key(2).public().id()));
    sign(&mut c, &key(1)).unwrap();
    assert_eq!(c, a);
}

#[test]
fn flipping_any_byte_outside_the_signature_breaks_it() {
    let (file, range) = signed();
    let trusted = [key(1).public()];
    for i in (0..file.len()).filter(|i| !range.contains(i)) {
        let mut bad = file.clone();
        bad[i] ^= 0x01;
        assert!(verify(&bad, &trusted).is_err(), "byte {i} is not covered");
    }
}

#[test]
fn tampering_each_region_gives_the_right_error() {
    let (file, ranges) = object();
    let mut file = file;
    sign(&mut file, &key(1)).unwrap();
    let trusted = [key(1).public()];
    // A byte of the code, the rodata and the metadata, and of .shstrtab's contents.
    for r in [&ranges[0], &ranges[1], &ranges[2], &ranges[4]] {
        let mut bad = file.clone();
        bad[r.start + 1] ^= 0x20;
        assert_eq!(
            verify(&bad, &trusted),
            Err(SignError::BadSignature),
            "{r:?}"
        );
    }
    // e_flags in the ELF header; the last section header's sh_flags.
    let mut bad = file.clone();
    bad[0x30] ^= 1;
    assert_eq!(verify(&bad, &trusted), Err(SignError::BadSignature));
    let mut bad = file.clone();
    let len = bad.len();
    bad[len - 64 + 8] ^= 1;
    assert_eq!(verify(&bad, &trusted), Err(SignError::BadSignature));
    // A byte appended or removed.
    let mut longer = file.clone();
    longer.push(0);
    assert_eq!(verify(&longer, &trusted), Err(SignError::BadSignature));
    // The signature itself.
    let mut bad = file.clone();
    bad[ranges[3].end - 1] ^= 1;
    assert_eq!(verify(&bad, &trusted), Err(SignError::BadSignature));
}

#[test]
fn a_different_key_is_refused() {
    let (file, _) = signed();
    let err = verify(&file, &[key(2).public()]).unwrap_err();
    assert_eq!(
        err,
        SignError::UnknownKey {
            signer: key(1).public().id(),
            trusted: vec![key(2).public().id()]
        }
    );
    assert!(err.to_string().contains("not trusted"), "{err}");
    assert!(matches!(
        verify(&file, &[]),
        Err(SignError::UnknownKey { .. })
    ));
    // A forged key id naming the trusted key does not help.
    let (mut forged, range) = signed();
    let id = key(2).public().id();
    forged[range.start + 8..range.start + 16].copy_from_slice(&id.0);
    assert_eq!(
        verify(&forged, &[key(2).public()]),
        Err(SignError::BadSignature)
    );
}

#[test]
fn unsigned_objects_are_refused() {
    let (reserved, _) = object();
    assert_eq!(
        verify(&reserved, &[key(1).public()]),
        Err(SignError::NotSigned)
    );
    assert_eq!(signer(&reserved), Ok(None));
    let (plain, _) = object_with(&SECTIONS[..3]);
    let err = verify(&plain, &[key(1).public()]).unwrap_err();
    assert_eq!(err, SignError::NotSigned);
    assert_eq!(
        err.to_string(),
        "object is not signed; sign it with `tracec --sign`"
    );
    let mut plain = plain;
    assert_eq!(sign(&mut plain, &key(1)), Err(SignError::NoSlot));
}

#[test]
fn malformed_signature_sections_are_refused() {
    let (file, range) = signed();
    let trusted = [key(1).public()];
    let mut bad = file.clone();
    bad[range.start] = b'X';
    assert!(matches!(
        verify(&bad, &trusted),
        Err(SignError::Malformed(_))
    ));
    let mut newer = file.clone();
    newer[range.start + 4] = 2;
    assert!(matches!(
        verify(&newer, &trusted),
        Err(SignError::Unsupported(_))
    ));
    let mut algo = file.clone();
    algo[range.start + 6] = 9;
    assert!(matches!(
        verify(&algo, &trusted),
        Err(SignError::Unsupported(_))
    ));

    // Wrong size, two of them, and not ELF at all.
    let short: &[u8] = &[1; 16];
    let (small, _) = object_with(&[SECTIONS[0], (crate::SIGNATURE_SECTION, short)]);
    assert!(matches!(
        signature_range(&small),
        Err(SignError::Malformed(_))
    ));
    let (two, _) = object_with(&[SECTIONS[3], SECTIONS[0], SECTIONS[3]]);
    assert!(matches!(
        signature_range(&two),
        Err(SignError::Malformed(_))
    ));
    assert!(matches!(
        signature_range(b"hello"),
        Err(SignError::Malformed(_))
    ));
    assert!(matches!(
        signature_range(&file[..100]),
        Err(SignError::Malformed(_))
    ));
}

#[test]
fn a_signature_section_overlapping_another_section_is_refused() {
    let (mut file, ranges) = object();
    // Point the signature section's header at the code's offset.
    let shoff = u64::from_le_bytes(file[0x28..0x30].try_into().unwrap()) as usize;
    let sig_header = shoff + 4 * 64;
    let code = ranges[0].start as u64;
    file[sig_header + 0x18..sig_header + 0x20].copy_from_slice(&code.to_le_bytes());
    let err = signature_range(&file).unwrap_err();
    assert!(err.to_string().contains("overlaps"), "{err}");
}

#[test]
fn key_files_round_trip() {
    let k = key(7);
    let text = k.to_file_text();
    assert!(text.starts_with("tracec secret key v1\nalgorithm: ed25519\nid: "));
    let back = SecretKey::from_file_text(&text).unwrap();
    assert_eq!(back.public(), k.public());
    let pubtext = k.public().to_file_text();
    assert_eq!(
        pubtext,
        format!(
            "tracec public key v1\nalgorithm: ed25519\nid: {}\nkey: {}\n",
            k.public().id(),
            keys::hex(&k.public().to_bytes())
        )
    );
    assert_eq!(PublicKey::from_file_text(&pubtext).unwrap(), k.public());
    let commented = format!("# for CI\n\n{pubtext}");
    assert_eq!(PublicKey::from_file_text(&commented).unwrap(), k.public());
}

#[test]
fn bad_key_files_are_refused() {
    let k = key(7);
    let secret = k.to_file_text();
    let public = k.public().to_file_text();
    assert_eq!(
        PublicKey::from_file_text(&secret),
        Err(KeyError::WrongKind { expected: "public" })
    );
    assert!(matches!(
        SecretKey::from_file_text(&public),
        Err(KeyError::WrongKind { expected: "secret" })
    ));
    let bad = |text: &str| PublicKey::from_file_text(text).unwrap_err();
    assert!(matches!(bad(""), KeyError::Format(_)));
    assert!(matches!(bad("ssh-ed25519 AAAA"), KeyError::Format(_)));
    let damaged = public.replace("key: ", "key: 0");
    assert!(matches!(bad(&damaged), KeyError::Format(_)));
    let other_id = public.replace(&k.public().id().to_string(), "0000000000000000");
    assert!(bad(&other_id).to_string().contains("damaged"));
    let rsa = public.replace("ed25519", "rsa");
    assert!(bad(&rsa).to_string().contains("unsupported algorithm"));
    let twice = format!("{public}key: {}\n", keys::hex(&[0; 32]));
    assert!(bad(&twice).to_string().contains("twice"));
    // 64 characters, but not all hex digits.
    let key_hex = keys::hex(&k.public().to_bytes());
    let plus = public.replace(&key_hex, &format!("+{}", &key_hex[1..]));
    assert!(matches!(bad(&plus), KeyError::Format(_)));
}

#[test]
fn generated_keys_differ_and_sign() {
    let a = SecretKey::generate().unwrap();
    let b = SecretKey::generate().unwrap();
    assert_ne!(a.public(), b.public());
    let (mut file, _) = object();
    sign(&mut file, &a).unwrap();
    assert!(verify(&file, &[a.public()]).is_ok());
    assert!(verify(&file, &[b.public()]).is_err());
}

#[test]
fn truncated_or_scrambled_files_are_errors_not_panics() {
    let (file, _) = signed();
    let trusted = [key(1).public()];
    for len in 0..file.len() {
        assert!(signature_range(&file[..len]).is_err(), "length {len}");
    }
    // Every single byte of the ELF header and the section header table set to 0xff.
    let shoff = u64::from_le_bytes(file[0x28..0x30].try_into().unwrap()) as usize;
    for at in (0..64).chain(shoff..file.len()) {
        let mut bad = file.clone();
        bad[at] = 0xff;
        assert!(verify(&bad, &trusted).is_err(), "byte {at}");
    }
}
