//! Parsing of tracepoint `format` files (`<tracefs>/events/CAT/NAME/format`).
//!
//! A field line looks like
//! `\tfield:const char * filename;\toffset:16;\tsize:8;\tsigned:0;`.
//! The declaration part takes the shapes `TYPE NAME`, `TYPE NAME[N]`, `TYPE *NAME`,
//! `const char *const * NAME` and `__data_loc TYPE[] NAME`.

use super::{TpField, TpType};

/// One field of a format file, with its C type as the kernel wrote it.
#[derive(Debug, Clone, PartialEq)]
pub struct FormatField {
    /// The C type as written, without the name (`const char *`, `char[16]`,
    /// `__data_loc char[]`), for verbose listings.
    pub c_type: String,
    /// The declaration as the format file writes it (`const char * filename`,
    /// `char prev_comm[16]`); what `-lv` prints.
    pub declaration: String,
    pub field: TpField,
}

/// Parse the text of a format file into its non-`common_*` fields, in order.
/// `user_pointers` says whether pointer fields point into user memory
/// (true for the `syscalls` category).
pub fn parse(text: &str, user_pointers: bool) -> Result<Vec<FormatField>, String> {
    let mut out = Vec::new();
    for line in text.lines() {
        let line = line.trim();
        if !line.starts_with("field:") {
            continue;
        }
        let f = parse_line(line, user_pointers)
            .ok_or_else(|| format!("malformed field line in tracepoint format: {line:?}"))?;
        if !f.field.name.starts_with("common_") {
            out.push(f);
        }
    }
    Ok(out)
}

fn parse_line(line: &str, user_pointers: bool) -> Option<FormatField> {
    let mut decl = None;
    let (mut offset, mut size, mut signed) = (None, None, None);
    for item in line.split(';') {
        let item = item.trim();
        let Some((key, value)) = item.split_once(':') else {
            continue;
        };
        match key {
            "field" => decl = Some(value.trim()),
            "offset" => offset = value.trim().parse::<u32>().ok(),
            "size" => size = value.trim().parse::<u32>().ok(),
            "signed" => signed = Some(value.trim() == "1"),
            _ => {}
        }
    }
    let decl = decl?;
    let (c_type, name, array) = split_decl(decl)?;
    let size = size?;
    let ty = classify(&c_type, array.as_deref(), size, signed, user_pointers);
    let c_type = match array {
        Some(len) => format!("{c_type}[{len}]"),
        None => c_type,
    };
    Some(FormatField {
        c_type,
        declaration: normalize_spaces(decl),
        field: TpField {
            name,
            offset: offset?,
            size,
            ty,
        },
    })
}

/// Split a declaration into (type, name, array length text if it is an array).
fn split_decl(decl: &str) -> Option<(String, String, Option<String>)> {
    let (decl, array) = match decl.strip_suffix(']') {
        Some(rest) => {
            let open = rest.rfind('[')?;
            (&rest[..open], Some(rest[open + 1..].trim().to_string()))
        }
        None => (decl, None),
    };
    let decl = decl.trim_end();
    let name_start = decl
        .char_indices()
        .rev()
        .take_while(|&(_, c)| c.is_ascii_alphanumeric() || c == '_')
        .last()
        .map(|(i, _)| i)?;
    let name = &decl[name_start..];
    let ty = decl[..name_start].trim();
    if ty.is_empty() || name.starts_with(|c: char| c.is_ascii_digit()) {
        return None;
    }
    Some((normalize_spaces(ty), name.to_string(), array))
}

fn normalize_spaces(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Words of a type that do not change what it is.
fn strip_qualifiers(ty: &str) -> String {
    ty.replace('*', " ")
        .split_whitespace()
        .filter(|w| !matches!(*w, "const" | "volatile" | "__user" | "__rcu" | "__seg_gs"))
        .collect::<Vec<_>>()
        .join(" ")
}

fn classify(
    ty: &str,
    array: Option<&str>,
    size: u32,
    signed: Option<bool>,
    user_pointers: bool,
) -> TpType {
    if let Some(inner) = ty.strip_prefix("__data_loc ") {
        let inner = strip_qualifiers(inner.trim_end_matches("[]"));
        // Only character data is a string; any other dynamic array is left as
        // its raw u32 locator.
        return if inner == "char" {
            TpType::DataLocString
        } else {
            TpType::Int { signed: false }
        };
    }
    if ty.starts_with("__rel_loc ") {
        return TpType::Int { signed: false };
    }
    let signed = signed.unwrap_or(false);
    if let Some(len_text) = array {
        let base = strip_qualifiers(ty);
        let elem_size = if ty.contains('*') {
            8
        } else {
            known_size(&base).unwrap_or(1)
        };
        let len = match len_text.parse::<u32>() {
            Ok(n) => n,
            Err(_) => size / elem_size.max(1),
        };
        let elem_size = if len > 0 && size > 0 {
            size / len
        } else {
            elem_size
        };
        return if base == "char" && !ty.contains('*') {
            TpType::CharArray { len }
        } else {
            TpType::Array {
                elem_size,
                len,
                signed,
            }
        };
    }
    if ty.contains('*') {
        let depth = ty.matches('*').count();
        let user = user_pointers || ty.split_whitespace().any(|w| w == "__user");
        let base = strip_qualifiers(ty);
        let record = |kw: &str| {
            base.strip_prefix(kw)
                .filter(|n| depth == 1 && !n.is_empty() && !n.contains(' '))
                .map(str::to_string)
        };
        if let Some(name) = record("struct ") {
            return TpType::RecordPtr {
                user,
                name,
                union: false,
            };
        }
        if let Some(name) = record("union ") {
            return TpType::RecordPtr {
                user,
                name,
                union: true,
            };
        }
        return TpType::Ptr {
            user,
            char_ptr: strip_qualifiers(ty) == "char",
            pointee_ptr: depth >= 2,
        };
    }
    match size {
        1 | 2 | 4 | 8 => TpType::Int { signed },
        // A struct or union passed by value: expose its bytes.
        _ => TpType::Array {
            elem_size: 1,
            len: size,
            signed: false,
        },
    }
}

/// Sizes of common element types (x86-64 / arm64 LP64), for arrays whose length is
/// not a plain number.
fn known_size(base: &str) -> Option<u32> {
    Some(match base {
        "char" | "signed char" | "unsigned char" | "u8" | "s8" | "__u8" | "__s8" | "bool"
        | "uint8_t" | "int8_t" => 1,
        "short" | "unsigned short" | "u16" | "s16" | "__u16" | "__s16" | "uint16_t" | "int16_t" => {
            2
        }
        "int" | "unsigned int" | "unsigned" | "u32" | "s32" | "__u32" | "__s32" | "uint32_t"
        | "int32_t" | "pid_t" => 4,
        "long" | "unsigned long" | "long long" | "unsigned long long" | "u64" | "s64" | "__u64"
        | "__s64" | "uint64_t" | "int64_t" | "size_t" => 8,
        _ => return None,
    })
}

#[cfg(test)]
#[path = "format_tests.rs"]
mod tests;
