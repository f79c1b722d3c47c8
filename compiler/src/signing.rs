//! `tracec --keygen NAME` and `tracec --sign NAME.key`: key files on disk and
//! signing a compiled object. The format and the cryptography are in
//! [`tracec_meta::sign`], shared with tracerun.

use std::fs::OpenOptions;
use std::io::Write;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};
use tracec_meta::sign::{self, KeyId, SecretKey};

/// The files `--keygen NAME` writes: `NAME.key` and `NAME.pub` (the suffix is
/// appended, so `ci.2026` gives `ci.2026.key`).
pub fn key_paths(name: &Path) -> (PathBuf, PathBuf) {
    let with = |suffix: &str| {
        let mut p = name.as_os_str().to_owned();
        p.push(suffix);
        PathBuf::from(p)
    };
    (with(".key"), with(".pub"))
}

/// Generate a key pair and write `NAME.key` (mode 0600) and `NAME.pub` (mode
/// 0644). Existing files are refused unless `force`, and then replaced (not
/// rewritten in place, so a replaced secret key never keeps looser permissions).
pub fn keygen(name: &Path, force: bool) -> Result<(PathBuf, PathBuf, KeyId), String> {
    if name.as_os_str().is_empty() || name.to_string_lossy().ends_with('/') {
        return Err(format!(
            "--keygen needs a NAME for NAME.key and NAME.pub, not `{}`",
            name.display()
        ));
    }
    if let Some(ext @ ("key" | "pub")) = name.extension().and_then(|e| e.to_str()) {
        return Err(format!(
            "--keygen takes a NAME without extension (it writes NAME.key and NAME.pub), not a `.{ext}` file"
        ));
    }
    let (secret_path, public_path) = key_paths(name);
    if !force {
        for p in [&secret_path, &public_path] {
            if p.symlink_metadata().is_ok() {
                return Err(format!(
                    "`{}` already exists; choose another NAME or pass --force to replace it",
                    p.display()
                ));
            }
        }
    }
    let key = SecretKey::generate().map_err(|e| e.to_string())?;
    create(&secret_path, key.to_file_text().as_bytes(), 0o600, force)?;
    if let Err(e) = create(
        &public_path,
        key.public().to_file_text().as_bytes(),
        0o644,
        force,
    ) {
        let _ = std::fs::remove_file(&secret_path);
        return Err(e);
    }
    Ok((secret_path, public_path, key.public().id()))
}

/// Create `path` with `mode` and write `bytes`; with `replace`, an existing file is
/// removed first.
fn create(path: &Path, bytes: &[u8], mode: u32, replace: bool) -> Result<(), String> {
    let fail = |e: std::io::Error| format!("cannot write `{}`: {e}", path.display());
    if replace {
        match std::fs::remove_file(path) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => return Err(fail(e)),
            _ => {}
        }
    }
    let mut file = OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(mode)
        .open(path)
        .map_err(|e| {
            if e.kind() == std::io::ErrorKind::AlreadyExists {
                format!(
                    "`{}` already exists; choose another NAME or pass --force to replace it",
                    path.display()
                )
            } else {
                fail(e)
            }
        })?;
    file.write_all(bytes)
        .and_then(|()| file.sync_all())
        .map_err(fail)
}

/// Read a secret key file (`NAME.key`).
pub fn read_secret_key(path: &Path) -> Result<SecretKey, String> {
    let text = zeroize::Zeroizing::new(
        std::fs::read_to_string(path)
            .map_err(|e| format!("cannot read key `{}`: {e}", path.display()))?,
    );
    SecretKey::from_file_text(&text).map_err(|e| format!("`{}`: {e}", path.display()))
}

/// Sign an object compiled with [`crate::Options::signature_slot`].
pub fn sign_object(object: &mut [u8], key: &SecretKey) -> Result<KeyId, String> {
    sign::sign(object, key).map_err(|e| format!("cannot sign the object: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    fn scratch(tag: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("tracec-sign-{tag}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }

    #[test]
    fn keygen_writes_both_files_with_modes_and_refuses_to_overwrite() {
        let dir = scratch("keygen");
        let name = dir.join("ci.2026");
        let (secret, public, id) = keygen(&name, false).unwrap();
        assert_eq!(secret, dir.join("ci.2026.key"));
        assert_eq!(public, dir.join("ci.2026.pub"));
        let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&secret), 0o600);
        assert_eq!(mode(&public) & 0o600, 0o600);
        let key = read_secret_key(&secret).unwrap();
        assert_eq!(key.public().id(), id);
        let text = std::fs::read_to_string(&public).unwrap();
        let public_key = tracec_meta::sign::PublicKey::from_file_text(&text).unwrap();
        assert_eq!(public_key, key.public());

        let err = keygen(&name, false).unwrap_err();
        assert!(
            err.contains("already exists") && err.contains("--force"),
            "{err}"
        );
        assert_eq!(read_secret_key(&secret).unwrap().public().id(), id);

        // Only the .pub exists: still refused, and the .key is not created.
        std::fs::remove_file(&secret).unwrap();
        assert!(keygen(&name, false).is_err());
        assert!(!secret.exists());

        std::fs::set_permissions(&public, std::fs::Permissions::from_mode(0o666)).unwrap();
        let (_, _, new_id) = keygen(&name, true).unwrap();
        assert_ne!(new_id, id);
        assert_eq!(mode(&secret), 0o600);
        let _ = std::fs::remove_dir_all(&dir);
    }

    /// A compiled object with a map, `.rodata` and two programs, signed with a fixed key.
    fn signed_object() -> (Vec<u8>, SecretKey) {
        let options = crate::Options {
            tracefs: "/nonexistent".into(),
            signature_slot: true,
            ..Default::default()
        };
        let script = "BEGIN { @n = count(); printf(\"%d\\n\", elapsed); } END { exit(); }";
        let mut object = crate::compile(script, &options).expect("compiles").object;
        let key = SecretKey::from_seed(&[9; 32]);
        assert_eq!(
            tracec_meta::sign::verify(&object, &[key.public()]),
            Err(sign::SignError::NotSigned)
        );
        sign_object(&mut object, &key).unwrap();
        (object, key)
    }

    #[test]
    fn every_section_and_header_of_a_compiled_object_is_covered() {
        let (object, key) = signed_object();
        let trusted = [key.public()];
        assert_eq!(sign::verify(&object, &trusted), Ok(key.public().id()));
        let elf = goblin::elf::Elf::parse(&object).unwrap();
        let sig = sign::signature_range(&object).unwrap().unwrap();
        let mut names = Vec::new();
        let mut places = vec![0, 0x10, 0x28, 0x3c];
        for (i, sh) in elf.section_headers.iter().enumerate() {
            let name = elf.shdr_strtab.get_at(sh.sh_name).unwrap_or("").to_string();
            // The section's header, and the first and last bytes of its contents.
            places.push(elf.header.e_shoff as usize + i * 64 + 0x18);
            if sh.sh_size > 0 && name != tracec_meta::SIGNATURE_SECTION {
                let start = sh.sh_offset as usize;
                places.push(start);
                places.push(start + sh.sh_size as usize - 1);
            }
            names.push(name);
        }
        for want in ["raw_tp", ".maps", ".rodata", "license", ".BTF", ".BTF.ext"] {
            assert!(names.iter().any(|n| n == want), "no {want} in {names:?}");
        }
        for want in [tracec_meta::SECTION, ".symtab", ".strtab", ".relraw_tp"] {
            assert!(names.iter().any(|n| n == want), "no {want} in {names:?}");
        }
        // Every byte, then (for clearer failures) the named places.
        for at in (0..object.len()).filter(|i| !sig.contains(i)) {
            let mut bad = object.clone();
            bad[at] ^= 0x01;
            assert!(sign::verify(&bad, &trusted).is_err(), "byte {at:#x}");
        }
        for at in places {
            assert!(!sig.contains(&at));
            let mut bad = object.clone();
            bad[at] ^= 0x04;
            assert!(
                sign::verify(&bad, &trusted).is_err(),
                "byte {at:#x} is not covered"
            );
        }
    }

    #[test]
    fn objects_without_a_slot_are_unchanged_and_cannot_be_signed() {
        let options = crate::Options {
            tracefs: "/nonexistent".into(),
            ..Default::default()
        };
        let mut object = crate::compile("BEGIN { exit(); }", &options)
            .unwrap()
            .object;
        assert_eq!(sign::signature_range(&object), Ok(None));
        let err = sign_object(&mut object, &SecretKey::from_seed(&[1; 32])).unwrap_err();
        assert!(err.contains("no .tracec.sig section"), "{err}");
    }

    #[test]
    fn reading_a_public_key_as_secret_key_says_so() {
        let dir = scratch("wrongkind");
        let (_, public, _) = keygen(&dir.join("k"), false).unwrap();
        let err = read_secret_key(&public).unwrap_err();
        assert!(err.contains("not a secret key"), "{err}");
        let err = read_secret_key(&dir.join("missing.key")).unwrap_err();
        assert!(err.contains("cannot read key"), "{err}");
        assert!(keygen(Path::new(""), false).is_err());
        let err = keygen(&dir.join("ci.key"), false).unwrap_err();
        assert!(err.contains("without extension"), "{err}");
        assert!(!dir.join("ci.key.key").exists());
        let _ = std::fs::remove_dir_all(&dir);
    }
}
