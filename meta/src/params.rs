//! The script's run-time parameters (`$1`, `$#`, `getopt`) and the layout of the
//! `.rodata` globals that carry them.

use serde::{Deserialize, Serialize};

/// A run-time parameter of the script, carried by the `.rodata` global `symbol`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ParamSpec {
    /// The global's ELF symbol; its size is [`ParamType::size`] of `ty`.
    pub symbol: String,
    #[serde(flatten)]
    pub kind: ParamKind,
    /// How the value is stored in the global.
    pub ty: ParamType,
}

/// Which command-line value a parameter is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "param", rename_all = "snake_case")]
pub enum ParamKind {
    /// `$index` (1-based): the index-th positional argument; 0 / "" when missing.
    Positional { index: u32 },
    /// `$#`: the number of positional arguments.
    Count,
    /// `$index` where only its printed text matters (`print($1)`, `print(($1, x))`),
    /// stored as text: bpftrace types `$N` by its argument, so a numeric argument is
    /// its value in decimal (`0x10` is `16`), any other the argument as written;
    /// `0` when missing.
    PositionalText { index: u32 },
    /// `getopt("name", default)`: `--name=VALUE` (or `--name` for a bool).
    Named {
        name: String,
        default: ParamValue,
        #[serde(default)]
        description: Option<String>,
    },
}

/// The layout of a parameter's global.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "t", rename_all = "snake_case")]
pub enum ParamType {
    /// `i64`, little endian (values above `i64::MAX` are stored as their `u64` bits).
    Int,
    /// `u64` holding 0 or 1.
    Bool,
    /// `char[size]`: at most `size - 1` bytes of text, NUL-padded (longer text is cut).
    Str { size: u32 },
}

/// A parameter's value.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ParamValue {
    Int(i64),
    Bool(bool),
    Str(String),
}

impl ParamType {
    /// Bytes of the global.
    pub fn size(self) -> u32 {
        match self {
            ParamType::Int | ParamType::Bool => 8,
            ParamType::Str { size } => size,
        }
    }

    /// The bytes of the global holding `v`; `None` if `v` is not of this type.
    pub fn encode(self, v: &ParamValue) -> Option<Vec<u8>> {
        match (self, v) {
            (ParamType::Int, ParamValue::Int(i)) => Some(i.to_le_bytes().to_vec()),
            (ParamType::Bool, ParamValue::Bool(b)) => Some(u64::from(*b).to_le_bytes().to_vec()),
            (ParamType::Str { size }, ParamValue::Str(s)) => {
                let mut out = vec![0u8; size as usize];
                let n = s.len().min((size as usize).saturating_sub(1));
                out[..n].copy_from_slice(&s.as_bytes()[..n]);
                Some(out)
            }
            _ => None,
        }
    }
}
