//! Reading a tracec object and checking it before aya sees it.

use goblin::elf::{header, Elf};
use std::path::{Path, PathBuf};
use tracec_meta::{Attach, MapRole, Metadata};

/// A validated object: its bytes and its metadata.
#[derive(Debug, Clone)]
pub struct Object {
    pub path: PathBuf,
    pub bytes: Vec<u8>,
    pub meta: Metadata,
}

/// Why an object cannot be run. Displayed as one line: the cause and what to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ObjectError {
    Read(String),
    NotElf,
    BadElf(String),
    NotBpf(u16),
    NotRelocatable,
    NoMetadata,
    Metadata(tracec_meta::DecodeError),
    Inconsistent(String),
    /// `--trust`: the object is unsigned, tampered with or signed by another key.
    Signature(tracec_meta::sign::SignError),
}

impl std::fmt::Display for ObjectError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ObjectError::Read(e) => write!(f, "cannot read: {e}"),
            ObjectError::NotElf => write!(
                f,
                "not an ELF file; pass an object written by `tracec -o FILE`"
            ),
            ObjectError::BadElf(e) => write!(f, "malformed ELF ({e}); recompile it with tracec"),
            ObjectError::NotBpf(m) => write!(
                f,
                "ELF for machine {m} ({}), not BPF; pass an object written by tracec",
                header::machine_to_str(*m)
            ),
            ObjectError::NotRelocatable => write!(
                f,
                "not a relocatable BPF object (ET_REL); pass an object written by tracec"
            ),
            ObjectError::NoMetadata => write!(
                f,
                "BPF object has no {} section, so it was not written by tracec; compile the script with tracec",
                tracec_meta::SECTION
            ),
            ObjectError::Metadata(e) => write!(f, "{e}"),
            ObjectError::Inconsistent(e) => {
                write!(f, "metadata does not match the object: {e}; recompile it with tracec")
            }
            ObjectError::Signature(e) => write!(f, "{e}"),
        }
    }
}

impl std::error::Error for ObjectError {}

/// Read `path` and validate it.
pub fn read(path: &Path) -> Result<Object, ObjectError> {
    from_bytes(path, read_bytes(path)?)
}

/// Read `path`, check that it is signed by one of `trusted` (before anything in it
/// is parsed), then validate it.
pub fn read_trusted(
    path: &Path,
    trusted: &[tracec_meta::sign::PublicKey],
) -> Result<Object, ObjectError> {
    let bytes = read_bytes(path)?;
    verify_signature(&bytes, trusted)?;
    from_bytes(path, bytes)
}

/// Check that `bytes` are an object signed by one of `trusted`.
pub fn verify_signature(
    bytes: &[u8],
    trusted: &[tracec_meta::sign::PublicKey],
) -> Result<(), ObjectError> {
    if !bytes.starts_with(b"\x7fELF") {
        return Err(ObjectError::NotElf);
    }
    tracec_meta::sign::verify(bytes, trusted)
        .map(|_| ())
        .map_err(ObjectError::Signature)
}

fn read_bytes(path: &Path) -> Result<Vec<u8>, ObjectError> {
    if path.is_dir() {
        return Err(ObjectError::Read("is a directory".into()));
    }
    std::fs::read(path).map_err(|e| ObjectError::Read(io_cause(&e)))
}

/// Validate an object already in memory (e.g. embedded with `include_bytes!`);
/// `path` only names it in messages.
pub fn from_bytes(path: &Path, bytes: Vec<u8>) -> Result<Object, ObjectError> {
    let meta = parse(&bytes)?;
    Ok(Object {
        path: path.to_owned(),
        bytes,
        meta,
    })
}

/// Read a public key file given to `--trust`.
pub fn read_public_key(path: &Path) -> Result<tracec_meta::sign::PublicKey, String> {
    let text = std::fs::read_to_string(path).map_err(|e| {
        format!(
            "cannot read trusted key `{}`: {}",
            path.display(),
            io_cause(&e)
        )
    })?;
    tracec_meta::sign::PublicKey::from_file_text(&text)
        .map_err(|e| format!("trusted key `{}`: {e}", path.display()))
}

fn io_cause(e: &std::io::Error) -> String {
    match e.kind() {
        std::io::ErrorKind::NotFound => "no such file".into(),
        std::io::ErrorKind::PermissionDenied => "permission denied".into(),
        _ => e.to_string(),
    }
}

/// Validate the bytes of an object and return its metadata.
pub fn parse(bytes: &[u8]) -> Result<Metadata, ObjectError> {
    if !bytes.starts_with(b"\x7fELF") {
        return Err(ObjectError::NotElf);
    }
    let elf = Elf::parse(bytes).map_err(|e| ObjectError::BadElf(e.to_string()))?;
    if elf.header.e_machine != header::EM_BPF {
        return Err(ObjectError::NotBpf(elf.header.e_machine));
    }
    if elf.header.e_type != header::ET_REL {
        return Err(ObjectError::NotRelocatable);
    }
    if !elf.is_64 || !elf.little_endian {
        return Err(ObjectError::BadElf(
            "only 64-bit little-endian BPF objects are supported".into(),
        ));
    }
    let section = elf
        .section_headers
        .iter()
        .find(|sh| elf.shdr_strtab.get_at(sh.sh_name) == Some(tracec_meta::SECTION))
        .ok_or(ObjectError::NoMetadata)?;
    let data = section
        .file_range()
        .and_then(|r| bytes.get(r))
        .ok_or_else(|| {
            ObjectError::BadElf(format!("{} lies outside the file", tracec_meta::SECTION))
        })?;
    let meta = tracec_meta::decode(data).map_err(ObjectError::Metadata)?;
    check(&elf, &meta)?;
    Ok(meta)
}

/// Cross-check the metadata against the ELF symbols it names.
fn check(elf: &Elf, meta: &Metadata) -> Result<(), ObjectError> {
    let symbols: std::collections::HashSet<&str> = elf
        .syms
        .iter()
        .filter_map(|s| elf.strtab.get_at(s.st_name))
        .collect();
    let inconsistent = |m: String| Err(ObjectError::Inconsistent(m));
    for p in &meta.probes {
        if !symbols.contains(p.program.as_str()) {
            return inconsistent(format!(
                "probe {} names program {}, which is not in the object",
                p.name, p.program
            ));
        }
        // The rates of templates are zero until the arguments set them
        // (`attach_params`); a runtime without templates refuses them here.
        let template = meta.attach_templates.iter().any(|t| t.text == p.name);
        match &p.attach {
            _ if template => {}
            Attach::Begin | Attach::End | Attach::Bench { .. } | Attach::Test { .. }
                if !is_raw_tp(&p.section) =>
            {
                return inconsistent(format!(
                    "{} must be a raw_tp program to run at start or exit, not {}",
                    p.name, p.section
                ));
            }
            Attach::Interval { period_ns: 0 } => {
                return inconsistent(format!("{} has a zero period", p.name));
            }
            Attach::Profile { hz, period_ns } if (*hz == 0) == (*period_ns == 0) => {
                return inconsistent(format!("{} needs exactly one of hz and period", p.name));
            }
            _ => {}
        }
    }
    for m in &meta.maps {
        if !symbols.contains(m.symbol.as_str()) {
            return inconsistent(format!("map {} is not in the object", m.symbol));
        }
    }
    for p in &meta.params {
        let size = elf
            .syms
            .iter()
            .find(|s| elf.strtab.get_at(s.st_name) == Some(p.symbol.as_str()))
            .map(|s| s.st_size);
        if size != Some(u64::from(p.ty.size())) || p.ty.size() == 0 {
            return inconsistent(format!(
                "parameter global {} is missing or not {} bytes",
                p.symbol,
                p.ty.size()
            ));
        }
    }
    let count = |role: &MapRole| meta.maps.iter().filter(|m| &m.role == role).count();
    if count(&MapRole::Events) > 1 || count(&MapRole::Lost) + count(&MapRole::LostCounter) > 1 {
        return inconsistent("more than one events or lost-events map".into());
    }
    if let Some(m) = meta.lost_counter() {
        match locate(elf, &m.symbol) {
            Some(v) if v.size == 8 && v.offset + 8 <= v.section_size && is_bss(&v.section) => {}
            _ => {
                return inconsistent(format!(
                    "lost-events counter {} is not a u64 in a .bss section",
                    m.symbol
                ))
            }
        }
    }
    Ok(())
}

/// A global variable in a data section, which the loader turns into a one-element
/// array map named after the section.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DataVar {
    pub section: String,
    pub section_size: u64,
    pub offset: u64,
    pub size: u64,
}

/// Where the global `symbol` of the object `bytes` lives (already validated by
/// [`parse`]).
pub fn data_var(bytes: &[u8], symbol: &str) -> Option<DataVar> {
    locate(&Elf::parse(bytes).ok()?, symbol)
}

fn locate(elf: &Elf, symbol: &str) -> Option<DataVar> {
    let sym = elf
        .syms
        .iter()
        .find(|s| elf.strtab.get_at(s.st_name) == Some(symbol))?;
    let sh = elf.section_headers.get(sym.st_shndx)?;
    Some(DataVar {
        section: elf.shdr_strtab.get_at(sh.sh_name)?.to_string(),
        section_size: sh.sh_size,
        offset: sym.st_value,
        size: sym.st_size,
    })
}

fn is_bss(section: &str) -> bool {
    section == ".bss" || section.starts_with(".bss.")
}

pub fn is_raw_tp(section: &str) -> bool {
    let kind = section.split('/').next().unwrap_or("");
    kind == "raw_tp" || kind == "raw_tracepoint"
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rejects_non_elf_and_garbage() {
        assert_eq!(parse(b"hello").unwrap_err(), ObjectError::NotElf);
        assert_eq!(parse(b"").unwrap_err(), ObjectError::NotElf);
        assert!(matches!(
            parse(b"\x7fELF\x02\x01\x01").unwrap_err(),
            ObjectError::BadElf(_)
        ));
    }

    #[test]
    fn rejects_host_executables() {
        let bytes = std::fs::read("/bin/true").unwrap();
        assert!(matches!(parse(&bytes).unwrap_err(), ObjectError::NotBpf(_)));
        let msg = parse(&bytes).unwrap_err().to_string();
        assert!(msg.contains("not BPF"), "{msg}");
    }

    #[test]
    fn raw_tp_sections() {
        assert!(is_raw_tp("raw_tp"));
        assert!(is_raw_tp("raw_tp/BEGIN"));
        assert!(is_raw_tp("raw_tracepoint"));
        assert!(!is_raw_tp("tracepoint/syscalls/x"));
    }
}
