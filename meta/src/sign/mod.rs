//! Signed objects: `tracec --sign NAME.key` and `tracerun --trust NAME.pub`.
//!
//! # What is signed
//!
//! A signed object has one extra section, [`crate::SIGNATURE_SECTION`], of exactly
//! [`SIGNATURE_SIZE`] bytes; the object writer reserves it zero-filled and [`sign`]
//! fills it in place, so the layout of the file does not change. Its contents are
//! the only bytes the signature does not cover: the signed message is
//!
//! ```text
//! "tracec object signature v1\0" || SHA-512(the whole file, with the contents of
//!                                           the signature section replaced by zeros)
//! ```
//!
//! so every other byte (ELF header, section headers, code, relocations, `.maps`,
//! `.rodata`, `license`, `.BTF`, `.BTF.ext`, the metadata, the symbol and string
//! tables, padding, and the file's length) is covered. The section must overlap no
//! header and no other section (see [`signature_range`]), so the bytes that say where
//! it is are themselves signed.
//!
//! # The signature section
//!
//! | offset | size | field |
//! | --- | --- | --- |
//! | 0 | 4 | magic `TRCS` |
//! | 4 | 2 | format version, [`SIGNATURE_VERSION`] (little endian) |
//! | 6 | 2 | algorithm, 1 = Ed25519 (little endian) |
//! | 8 | 8 | [`KeyId`] of the signing key |
//! | 16 | 64 | Ed25519 signature of the message above |

mod elf;
mod keys;
#[cfg(test)]
mod tests;

pub use keys::{KeyError, KeyId, PublicKey, SecretKey};

use ed25519_dalek::{Signature, Signer};
use sha2::{Digest, Sha512};
use std::ops::Range;

/// Size of the signature section's contents.
pub const SIGNATURE_SIZE: usize = 80;
/// Alignment the object writer gives the signature section.
pub const SIGNATURE_ALIGN: u64 = 8;
/// First four bytes of a filled-in signature section.
pub const SIGNATURE_MAGIC: [u8; 4] = *b"TRCS";
/// Version of the signature record and of the signed message.
pub const SIGNATURE_VERSION: u16 = 1;
/// The algorithm word for Ed25519.
pub const ALGORITHM_ED25519: u16 = 1;
/// Prefix of the signed message, so a signature over an object can never be taken
/// for a signature over anything else made with the same key.
const DOMAIN: &[u8] = b"tracec object signature v1\0";

/// Why an object cannot be signed or verified. Displayed as one line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SignError {
    /// The ELF file or its signature section is malformed.
    Malformed(String),
    /// No signature section, or an empty (never signed) one.
    NotSigned,
    /// [`sign`]: the object has no room for a signature.
    NoSlot,
    /// A newer signature format or an unknown algorithm.
    Unsupported(String),
    /// Signed by a key that none of the trusted keys is.
    UnknownKey { signer: KeyId, trusted: Vec<KeyId> },
    /// The signature does not verify with the trusted key of that id.
    BadSignature,
}

impl std::fmt::Display for SignError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SignError::Malformed(e) => write!(f, "cannot check the signature: {e}"),
            SignError::NotSigned => {
                write!(f, "object is not signed; sign it with `tracec --sign`")
            }
            SignError::NoSlot => write!(
                f,
                "object has no {} section to hold a signature; compile it with `tracec --sign`",
                crate::SIGNATURE_SECTION
            ),
            SignError::Unsupported(e) => write!(
                f,
                "unsupported signature ({e}); use a tracerun at least as new as the tracec that signed it"
            ),
            SignError::UnknownKey { signer, trusted } => {
                let trusted: Vec<String> = trusted.iter().map(KeyId::to_string).collect();
                write!(
                    f,
                    "object is signed by key {signer}, which is not trusted (trusted: {}); pass its public key with --trust",
                    trusted.join(", ")
                )
            }
            SignError::BadSignature => write!(
                f,
                "signature does not match: the object was modified or signed by another key"
            ),
        }
    }
}

impl std::error::Error for SignError {}

/// Where the signature section's contents lie in `object`; `Ok(None)` if it has none.
pub fn signature_range(object: &[u8]) -> Result<Option<Range<usize>>, SignError> {
    elf::signature_range(object)
}

/// The signed message of `object` whose signature section is at `range`.
fn message(object: &[u8], range: &Range<usize>) -> Vec<u8> {
    let mut h = Sha512::new();
    h.update(&object[..range.start]);
    h.update([0u8; SIGNATURE_SIZE]);
    h.update(&object[range.end..]);
    let mut msg = DOMAIN.to_vec();
    msg.extend_from_slice(&h.finalize());
    msg
}

/// Sign `object` in place: fill its (reserved) signature section. Signing again
/// replaces the old signature.
pub fn sign(object: &mut [u8], key: &SecretKey) -> Result<KeyId, SignError> {
    let range = signature_range(object)?.ok_or(SignError::NoSlot)?;
    let signature = key.0.sign(&message(object, &range));
    let id = key.public().id();
    let record = &mut object[range];
    record[..4].copy_from_slice(&SIGNATURE_MAGIC);
    record[4..6].copy_from_slice(&SIGNATURE_VERSION.to_le_bytes());
    record[6..8].copy_from_slice(&ALGORITHM_ED25519.to_le_bytes());
    record[8..16].copy_from_slice(&id.0);
    record[16..].copy_from_slice(&signature.to_bytes());
    Ok(id)
}

/// The id of the key that signed `object`, without checking the signature;
/// `Ok(None)` for an unsigned object.
pub fn signer(object: &[u8]) -> Result<Option<KeyId>, SignError> {
    match read_record(object) {
        Ok((_, id, _)) => Ok(Some(id)),
        Err(SignError::NotSigned) => Ok(None),
        Err(e) => Err(e),
    }
}

fn read_record(object: &[u8]) -> Result<(Range<usize>, KeyId, Signature), SignError> {
    let range = signature_range(object)?.ok_or(SignError::NotSigned)?;
    let record = &object[range.clone()];
    if record.iter().all(|&b| b == 0) {
        return Err(SignError::NotSigned);
    }
    if record[..4] != SIGNATURE_MAGIC {
        return Err(SignError::Malformed(format!(
            "{} does not start with {:?}",
            crate::SIGNATURE_SECTION,
            std::str::from_utf8(&SIGNATURE_MAGIC).unwrap_or("")
        )));
    }
    let version = u16::from_le_bytes([record[4], record[5]]);
    if version != SIGNATURE_VERSION {
        return Err(SignError::Unsupported(format!("format version {version}")));
    }
    let algorithm = u16::from_le_bytes([record[6], record[7]]);
    if algorithm != ALGORITHM_ED25519 {
        return Err(SignError::Unsupported(format!("algorithm {algorithm}")));
    }
    let mut id = [0; 8];
    id.copy_from_slice(&record[8..16]);
    let mut sig = [0; 64];
    sig.copy_from_slice(&record[16..]);
    Ok((range, KeyId(id), Signature::from_bytes(&sig)))
}

/// Check that `object` is signed by one of `trusted`; returns that key's id.
pub fn verify(object: &[u8], trusted: &[PublicKey]) -> Result<KeyId, SignError> {
    let (range, signer, signature) = read_record(object)?;
    let key = trusted
        .iter()
        .find(|k| k.id() == signer)
        .ok_or_else(|| SignError::UnknownKey {
            signer,
            trusted: trusted.iter().map(PublicKey::id).collect(),
        })?;
    key.0
        .verify_strict(&message(object, &range), &signature)
        .map_err(|_| SignError::BadSignature)?;
    Ok(signer)
}
