//! `uprobe:PATH:SYMBOL[+OFFSET]`, `uprobe:PATH:ADDRESS` and `uretprobe:PATH:SYMBOL`
//! (short names `u`, `ur`): spec parsing only. Wildcards in the function or path
//! expand against the binary's symbols (`uprobe_wild.rs`); so do C++ names with the
//! `cpp` language qualifier (`uprobe:PATH:cpp:NAME`, `uprobe_cpp.rs`). Source
//! locations (`uprobe:PATH@FILE:LINE`) are resolved in `uprobe_srcline.rs`.

use super::glob::has_wildcard;
use super::interval::parse_count;
use super::kprobe::split_offset;
use super::{canonical_name, symbol_stem, Context, ExpandedProbe};
use crate::diag::Diagnostic;
use crate::front::ast::AttachPoint;
use tracec_meta::Attach;

/// `pid`: the `-p` process, whose mapped files a `*` path names.
pub(super) fn expand(
    ap: &AttachPoint,
    ret: bool,
    pid: Option<u32>,
) -> Result<Vec<ExpandedProbe>, Diagnostic> {
    let kind = if ret { "uretprobe" } else { "uprobe" };
    let err = |msg: String| Diagnostic::error(ap.span, msg);
    if let Some(path) = ap.parts.get(1).filter(|p| p.contains('@')) {
        return super::uprobe_srcline::expand(ap, kind, path, ret);
    }
    let (path, spec) = match &ap.parts[1..] {
        [path, spec] if !path.is_empty() && !spec.is_empty() => (path.as_str(), spec.as_str()),
        [path, lang, _, ..] if !path.is_empty() => {
            return super::uprobe_cpp::expand(ap, kind, path, lang, ret, pid);
        }
        _ => {
            return Err(err(format!("{kind} probe needs a binary and a function"))
                .with_note(format!("e.g. {kind}:/bin/bash:readline")));
        }
    };
    let spec = spec
        .strip_prefix('"')
        .and_then(|s| s.strip_suffix('"'))
        .unwrap_or(spec);
    if has_wildcard(path) || has_wildcard(spec) {
        let path = path
            .strip_prefix('"')
            .and_then(|s| s.strip_suffix('"'))
            .unwrap_or(path);
        return super::uprobe_wild::expand(ap, kind, path, spec, ret, pid);
    }
    // `"ARCHIVE!/MEMBER"`: the quotes only delimit the path.
    let path = path
        .strip_prefix('"')
        .and_then(|s| s.strip_suffix('"'))
        .unwrap_or(path);
    // A `-p` process's binary in another mount namespace is reached through its root.
    let resolved = super::upath::through_process_root(path, pid);
    let file = resolved.as_deref().unwrap_or(path);
    let (symbol, offset) = if spec.starts_with(|c: char| c.is_ascii_digit()) {
        // A bare address (file offset) in the binary.
        let addr = parse_count(spec).map_err(|e| err(format!("invalid {kind} address: {e}")))?;
        (String::new(), addr)
    } else {
        let (sym, off) = split_offset(spec).map_err(|e| err(format!("{kind}: {e}")))?;
        // `"name"+OFFSET`: the quotes only delimit the name.
        let sym = sym
            .strip_prefix('"')
            .and_then(|s| s.strip_suffix('"'))
            .unwrap_or(sym);
        if sym.is_empty() {
            return Err(err(format!("{kind} probe needs a function name")));
        }
        if ret && off != 0 {
            return Err(err("uretprobe does not take an offset".to_string()));
        }
        super::uprobe_check::symbol_exists(ap, kind, file, sym)?;
        (sym.to_string(), off)
    };
    let target = match (symbol.is_empty(), offset) {
        (true, addr) => format!("{addr:#x}"),
        (false, 0) => symbol.clone(),
        (false, off) => format!("{symbol}+{off:#x}"),
    };
    // Named with the path unquoted, as bpftrace prints it; a bare name that is no file
    // here (`bash`, `libc`) with the file it resolves to (`$PATH`, `ld.so.cache`).
    let mut unquoted = ap.clone();
    unquoted.parts[1] = if path.contains('/') || std::path::Path::new(path).exists() {
        path.to_string()
    } else {
        super::upath::resolve(path)
            .into_iter()
            .next()
            .map_or_else(|| path.to_string(), |(shown, _)| shown)
    };
    Ok(vec![ExpandedProbe {
        name: canonical_name(kind, &unquoted),
        section: format!("{kind}/{path}:{target}"),
        symbol_stem: symbol_stem(kind, &ap.parts[1..]),
        attach: Attach::Uprobe {
            path: file.to_string(),
            symbol: symbol.clone(),
            offset,
            ret,
        },
        context: Context::Regs {
            ret,
            // `func` names a C++ function demangled, as bpftrace's symbolizer does.
            function: if symbol.is_empty() {
                target
            } else {
                tracec_meta::demangle::demangle(&symbol).unwrap_or(symbol)
            },
        },
    }])
}
