//! Ed25519 keys and their files.
//!
//! A secret key file (`NAME.key`, written with mode 0600):
//!
//! ```text
//! tracec secret key v1
//! algorithm: ed25519
//! id: 0123456789abcdef
//! seed: <64 hex digits: the 32-byte Ed25519 seed>
//! ```
//!
//! A public key file (`NAME.pub`):
//!
//! ```text
//! tracec public key v1
//! algorithm: ed25519
//! id: 0123456789abcdef
//! key: <64 hex digits: the 32-byte Ed25519 public key>
//! ```
//!
//! The id is the first 8 bytes of SHA-512 over the public key; it is redundant (it
//! catches a damaged file) and names the key in signatures and messages. Blank
//! lines and lines starting with `#` are ignored.

use ed25519_dalek::{SigningKey, VerifyingKey};
use sha2::{Digest, Sha512};
use zeroize::Zeroizing;

const SECRET_HEADER: &str = "tracec secret key v1";
const PUBLIC_HEADER: &str = "tracec public key v1";
const ALGORITHM: &str = "ed25519";

/// Names a public key: the first 8 bytes of SHA-512 over it. Shown in hex.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct KeyId(pub [u8; 8]);

impl std::fmt::Display for KeyId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&hex(&self.0))
    }
}

/// A key file that cannot be used. Displayed as one line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeyError {
    /// A secret key where a public one was expected, or the other way round.
    WrongKind { expected: &'static str },
    /// Not a tracec key file, or a damaged one.
    Format(String),
    /// No randomness for key generation.
    Random(String),
}

impl std::fmt::Display for KeyError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            KeyError::WrongKind { expected: "public" } => write!(
                f,
                "this is a secret key; pass the public key (NAME.pub) instead"
            ),
            KeyError::WrongKind { expected } => write!(
                f,
                "this is not a {expected} key; pass the secret key (NAME.key) written by `tracec --keygen NAME`"
            ),
            KeyError::Format(e) => write!(f, "not a valid tracec key file: {e}"),
            KeyError::Random(e) => write!(f, "cannot get random bytes: {e}"),
        }
    }
}

impl std::error::Error for KeyError {}

/// A key that verifies signatures.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublicKey(pub(super) VerifyingKey);

/// A key that signs objects. Its bytes are wiped when it is dropped.
pub struct SecretKey(pub(super) SigningKey);

impl std::fmt::Debug for SecretKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "SecretKey({})", self.public().id())
    }
}

impl PublicKey {
    pub fn id(&self) -> KeyId {
        let digest = Sha512::digest(self.0.as_bytes());
        let mut id = [0; 8];
        id.copy_from_slice(&digest[..8]);
        KeyId(id)
    }

    pub fn to_bytes(&self) -> [u8; 32] {
        self.0.to_bytes()
    }

    /// A public key from its 32 bytes; fails on bytes that are not a valid point or
    /// are a weak (small-order) key.
    pub fn from_bytes(bytes: &[u8; 32]) -> Result<PublicKey, KeyError> {
        let key = VerifyingKey::from_bytes(bytes)
            .map_err(|_| KeyError::Format("the key is not a valid Ed25519 public key".into()))?;
        if key.is_weak() {
            return Err(KeyError::Format("the key is a weak Ed25519 key".into()));
        }
        Ok(PublicKey(key))
    }

    /// The text of a `.pub` file.
    pub fn to_file_text(&self) -> String {
        format!(
            "{PUBLIC_HEADER}\nalgorithm: {ALGORITHM}\nid: {}\nkey: {}\n",
            self.id(),
            hex(self.0.as_bytes())
        )
    }

    /// Parse a `.pub` file.
    pub fn from_file_text(text: &str) -> Result<PublicKey, KeyError> {
        let fields = parse(text, PUBLIC_HEADER, "key")?;
        let key = PublicKey::from_bytes(&fields.bytes)?;
        fields.check_id(key.id())?;
        Ok(key)
    }
}

impl SecretKey {
    /// A new key from the kernel's random number generator (getrandom(2)).
    pub fn generate() -> Result<SecretKey, KeyError> {
        let mut seed = Zeroizing::new([0u8; 32]);
        fill_random(&mut seed[..]).map_err(|e| KeyError::Random(e.to_string()))?;
        Ok(SecretKey::from_seed(&seed))
    }

    /// The key with this 32-byte Ed25519 seed.
    pub fn from_seed(seed: &[u8; 32]) -> SecretKey {
        SecretKey(SigningKey::from_bytes(seed))
    }

    pub fn public(&self) -> PublicKey {
        PublicKey(self.0.verifying_key())
    }

    /// The text of a `.key` file.
    pub fn to_file_text(&self) -> Zeroizing<String> {
        let seed = Zeroizing::new(self.0.to_bytes());
        Zeroizing::new(format!(
            "{SECRET_HEADER}\nalgorithm: {ALGORITHM}\nid: {}\nseed: {}\n",
            self.public().id(),
            *Zeroizing::new(hex(&seed[..]))
        ))
    }

    /// Parse a `.key` file.
    pub fn from_file_text(text: &str) -> Result<SecretKey, KeyError> {
        let fields = parse(text, SECRET_HEADER, "seed")?;
        let key = SecretKey::from_seed(&fields.bytes);
        fields.check_id(key.public().id())?;
        Ok(key)
    }
}

/// The fields of a key file.
struct Fields {
    id: Option<String>,
    bytes: Zeroizing<[u8; 32]>,
}

impl Fields {
    fn check_id(&self, actual: KeyId) -> Result<(), KeyError> {
        match &self.id {
            Some(id) if *id != actual.to_string() => Err(KeyError::Format(format!(
                "its id {id} does not match its key (id {actual}); the file is damaged"
            ))),
            _ => Ok(()),
        }
    }
}

fn parse(text: &str, header: &str, key_field: &str) -> Result<Fields, KeyError> {
    let mut lines = text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'));
    match lines.next() {
        Some(h) if h == header => {}
        Some(SECRET_HEADER) => return Err(KeyError::WrongKind { expected: "public" }),
        Some(PUBLIC_HEADER) => return Err(KeyError::WrongKind { expected: "secret" }),
        _ => {
            return Err(KeyError::Format(format!(
                "the first line must be `{header}`"
            )))
        }
    }
    let mut algorithm = None;
    let mut id = None;
    let mut bytes = None;
    for line in lines {
        let (name, value) = line
            .split_once(':')
            .map(|(n, v)| (n.trim(), v.trim()))
            .ok_or_else(|| KeyError::Format(format!("expected `name: value`, found `{line}`")))?;
        let slot = match name {
            "algorithm" => &mut algorithm,
            "id" => &mut id,
            n if n == key_field => &mut bytes,
            other => return Err(KeyError::Format(format!("unknown field `{other}`"))),
        };
        if slot.replace(value).is_some() {
            return Err(KeyError::Format(format!("field `{name}` appears twice")));
        }
    }
    match algorithm {
        Some(ALGORITHM) => {}
        Some(other) => {
            return Err(KeyError::Format(format!(
                "unsupported algorithm `{other}` (only {ALGORITHM})"
            )))
        }
        None => return Err(KeyError::Format("no `algorithm` field".into())),
    }
    let value = bytes.ok_or_else(|| KeyError::Format(format!("no `{key_field}` field")))?;
    let mut out = Zeroizing::new([0u8; 32]);
    unhex(value, &mut out[..])
        .ok_or_else(|| KeyError::Format(format!("`{key_field}` must be 64 hexadecimal digits")))?;
    Ok(Fields {
        id: id.map(str::to_ascii_lowercase),
        bytes: out,
    })
}

pub(super) fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Decode exactly `out.len()` bytes of hex.
fn unhex(text: &str, out: &mut [u8]) -> Option<()> {
    if text.len() != out.len() * 2 || !text.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    for (i, byte) in out.iter_mut().enumerate() {
        *byte = u8::from_str_radix(&text[2 * i..2 * i + 2], 16).ok()?;
    }
    Some(())
}

/// Fill `buf` from getrandom(2), which blocks only until the kernel's pool is
/// first initialised.
fn fill_random(buf: &mut [u8]) -> std::io::Result<()> {
    let mut done = 0;
    while done < buf.len() {
        let rest = &mut buf[done..];
        // SAFETY: the pointer and length describe the writable slice `rest`.
        let n = unsafe { libc::getrandom(rest.as_mut_ptr().cast(), rest.len(), 0) };
        if n < 0 {
            let e = std::io::Error::last_os_error();
            if e.kind() == std::io::ErrorKind::Interrupted {
                continue;
            }
            return Err(e);
        }
        done += n as usize;
    }
    Ok(())
}
