//! The `-l` entries of kernel modules and running BPF programs: `fentry`/`fexit`
//! on every function of a module's split BTF (`fentry:MODULE:FUNCTION`),
//! `rawtracepoint:MODULE:EVENT` on its `btf_trace_*` typedefs (with `-v`, their
//! arguments), and `fentry`/`fexit` on every function of every running BPF program
//! with BTF func info (`fentry:bpf:ID:NAME`, as bpftrace lists them).

use super::btf_funcs::{self, RAWTP_PREFIX};
use super::list::Piece;
use super::list_kernel::Entry;
use super::{kmod, Env};
use crate::kbtf::{Btf, Kind};

/// Every entry selected by `pieces`.
pub(super) fn entries(pieces: &[Piece<'_>], env: &Env, verbose: bool) -> Vec<Entry> {
    let may = |provider: &str| pieces.iter().any(|p| p.may_select(provider));
    let wants =
        |provider: &str, parts: &[&str]| pieces.iter().any(|p| p.matches_entry(provider, parts));
    let mut out = Vec::new();
    if !["fentry", "fexit", "rawtracepoint"].iter().any(|p| may(p)) {
        return out;
    }
    for m in kmod::matching(env, "*") {
        let Ok(btf) = kmod::btf(env, &m) else {
            continue;
        };
        let Some(ids) = btf.module_ids(&m) else {
            continue;
        };
        for t in btf.types().filter(|t| ids.contains(&t.id())) {
            match t.kind() {
                Kind::Func => {
                    for provider in ["fentry", "fexit"] {
                        if wants(provider, &[&m, t.name()]) {
                            let args = if verbose {
                                decls(&btf, t.raw_type(), 0)
                            } else {
                                Vec::new()
                            };
                            out.push((format!("{provider}:{m}:{}", t.name()), args));
                        }
                    }
                }
                Kind::Typedef => {
                    let Some(event) = t.name().strip_prefix(RAWTP_PREFIX) else {
                        continue;
                    };
                    if wants("rawtracepoint", &[&m, event]) {
                        let args = match btf_funcs::rawtp_proto(&btf, event) {
                            Some(p) if verbose => decls(&btf, p, 1),
                            _ => Vec::new(),
                        };
                        out.push((format!("rawtracepoint:{m}:{event}"), args));
                    }
                }
                _ => {}
            }
        }
    }
    if may("fentry") || may("fexit") {
        for p in tracec_meta::bpf_objects::progs() {
            for (_, name) in &p.funcs {
                let id = p.id.to_string();
                for provider in ["fentry", "fexit"] {
                    // `fentry:bpf:PATTERN` selects by name, as it attaches.
                    if wants(provider, &["bpf", &id, name]) || wants(provider, &["bpf", name]) {
                        out.push((format!("{provider}:bpf:{id}:{name}"), Vec::new()));
                    }
                }
            }
        }
    }
    out
}

fn decls(btf: &Btf, proto: u32, skip: usize) -> Vec<String> {
    btf_funcs::proto_args(btf, proto, skip)
        .map(|(args, _)| {
            args.iter()
                .map(|a| btf.declaration(a.ty, &a.name))
                .collect()
        })
        .unwrap_or_default()
}
