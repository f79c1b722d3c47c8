//! `uprobe:PATH:cpp:NAME` and `uretprobe:PATH:cpp:NAME`: C++ functions by their
//! demangled names (`cpp:"MyApp::Server::handle_request"`, `cpp:"MyApp::Server::*"`).
//!
//! As bpftrace does, NAME (a glob, quoted or not) selects a function symbol when it
//! matches the symbol itself, or else, for a mangled symbol (`_Z...`), its demangled
//! name without the parameter list; a NAME containing `(` matches the demangled name
//! with its parameters (`cpp:"ns::f(int)"`). Names without wildcards go through the
//! same matching, so one name may select every overload. Each probe is named
//! `uprobe:PATH:cpp:MANGLED`, as bpftrace names them; `func` is the demangled name.

use super::glob::matches;
use super::uprobe_wild::expand_matching;
use super::ExpandedProbe;
use crate::diag::Diagnostic;
use crate::front::ast::AttachPoint;
use tracec_meta::demangle::demangle;

/// The probes of `KIND:PATH:LANG:NAME` (`path` as split by the parser; the rest is
/// re-read from the raw text, since a C++ name holds `::`).
pub(super) fn expand(
    ap: &AttachPoint,
    kind: &str,
    path: &str,
    lang: &str,
    ret: bool,
    pid: Option<u32>,
) -> Result<Vec<ExpandedProbe>, Diagnostic> {
    let err = |msg: String| Diagnostic::error(ap.span, msg);
    if lang != "cpp" {
        return Err(err(format!("unsupported language type: {lang}")));
    }
    // `KIND:PATH:cpp:` is followed by the name, colons and all.
    let prefix_len = ap.parts[0].len() + path.len() + lang.len() + 3;
    let name = unquote(ap.raw.get(prefix_len..).unwrap_or(""));
    if name.is_empty() {
        return Err(
            err(format!("{kind} probe needs a function name")).with_note(format!(
                "e.g. {kind}:/path/to/binary:cpp:\"ns::Class::method\""
            )),
        );
    }
    if name.contains('+') && !name.contains("operator") {
        return Err(err(format!(
            "{kind}: an offset cannot be used with a cpp: name"
        )));
    }
    let path = unquote(path);
    let with_params = name.contains('(');
    let select = |sym: &str| selects(name, sym, with_params);
    expand_matching(ap, kind, path, ret, pid, Some(lang), &select)
}

/// Whether the pattern `name` selects the symbol `sym` (see the module documentation).
fn selects(name: &str, sym: &str, with_params: bool) -> bool {
    if matches(name, sym) {
        return true;
    }
    if !(sym.starts_with("_Z") || sym.starts_with("____Z")) {
        return false;
    }
    let Some(demangled) = demangle(sym) else {
        return false;
    };
    if with_params {
        matches(name, &demangled)
    } else {
        matches(name, without_params(&demangled))
    }
}

/// A demangled name without its parameter list: everything before the `(` that opens
/// the group closed by the last `)` (so `f(int (*)(int))` gives `f`); the whole name
/// when it has no parameter list.
fn without_params(demangled: &str) -> &str {
    let Some(close) = demangled.rfind(')') else {
        return demangled;
    };
    let mut depth = 0usize;
    for (i, c) in demangled[..=close].char_indices().rev() {
        match c {
            ')' => depth += 1,
            '(' => {
                depth -= 1;
                if depth == 0 {
                    return &demangled[..i];
                }
            }
            _ => {}
        }
    }
    demangled
}

fn unquote(s: &str) -> &str {
    s.strip_prefix('"')
        .and_then(|s| s.strip_suffix('"'))
        .unwrap_or(s)
}

#[cfg(test)]
mod tests {
    use super::*;

    const HANDLE: &str = "_ZN5MyApp6Server14handle_requestEi";

    #[test]
    fn parameters_are_cut_at_their_own_parenthesis() {
        assert_eq!(without_params("ns::f(int)"), "ns::f");
        assert_eq!(without_params("ns::f(int (*)(int))"), "ns::f");
        assert_eq!(without_params("ns::f(int) const"), "ns::f");
        assert_eq!(without_params("plain"), "plain");
    }

    #[test]
    fn names_select_mangled_symbols() {
        assert!(selects("MyApp::Server::handle_request", HANDLE, false));
        assert!(selects("MyApp::Server::*", HANDLE, false));
        assert!(selects("MyApp::*::handle_*", HANDLE, false));
        assert!(!selects("MyApp::Server", HANDLE, false));
        assert!(selects("MyApp::Server::handle_request(int)", HANDLE, true));
        assert!(!selects(
            "MyApp::Server::handle_request(long)",
            HANDLE,
            true
        ));
        // The mangled name itself, and plain C symbols by their own name.
        assert!(selects(HANDLE, HANDLE, false));
        assert!(selects("main", "main", false));
        assert!(!selects("MyApp::*", "main", false));
    }
}
