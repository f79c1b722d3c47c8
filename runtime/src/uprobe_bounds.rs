//! bpftrace's checks of a uprobe's location against the binary's function symbols,
//! made before attaching: `uprobe:PATH:FUNC+OFFSET` must stay inside FUNC, and
//! `uprobe:PATH:ADDRESS` must fall inside some function. A binary that cannot be read
//! or parsed is left to the attach itself, which reports it.

use crate::Error;
use goblin::elf::{sym, Elf};
use std::collections::HashMap;
use tracec_meta::{Attach, ProbeSpec};

/// A function symbol: start address and size.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Func {
    pub addr: u64,
    pub size: u64,
}

/// Function symbols of an ELF image, from `.symtab` and `.dynsym`, by name.
pub fn functions(elf: &Elf<'_>) -> Vec<(String, Func)> {
    let mut out = Vec::new();
    let tables = [(&elf.syms, &elf.strtab), (&elf.dynsyms, &elf.dynstrtab)];
    for (syms, strs) in tables {
        for s in syms.iter() {
            if s.st_type() != sym::STT_FUNC && s.st_type() != sym::STT_GNU_IFUNC {
                continue;
            }
            if s.st_value == 0 {
                continue;
            }
            if let Some(name) = strs.get_at(s.st_name) {
                out.push((
                    name.to_string(),
                    Func {
                        addr: s.st_value,
                        size: s.st_size,
                    },
                ));
            }
        }
    }
    out
}

/// Check `symbol+offset` (or, with an empty symbol, the address `offset`) against
/// `funcs`. `path` names the binary in messages as the script spelled it.
pub fn check(funcs: &[(String, Func)], path: &str, symbol: &str, offset: u64) -> Result<(), Error> {
    if funcs.is_empty() {
        // A binary without function symbols: nothing to check against.
        return Ok(());
    }
    if symbol.is_empty() {
        let inside = funcs
            .iter()
            .any(|(_, f)| offset >= f.addr && offset < f.addr.saturating_add(f.size.max(1)));
        if !inside {
            return Err(Error::bpftrace(format!(
                "Could not resolve address: {path}:{offset:#x}"
            )));
        }
        return Ok(());
    }
    if offset == 0 {
        return Ok(());
    }
    match funcs.iter().find(|(n, _)| n == symbol) {
        Some((_, f)) if f.size != 0 && offset >= f.size => Err(Error::bpftrace(format!(
            "Offset outside the function bounds ('{symbol}' size is {})",
            f.size
        ))),
        _ => Ok(()),
    }
}

/// [`check`] against the binary at `path` (found as the attach would find it: a
/// path, or a bare name left to the attach). Unreadable binaries pass.
/// Check every uprobe of `probes`. Only locations with an offset (`FUNC+N`) or an
/// address need the binary's symbols, and each binary is read once: an ordinary
/// `uprobe:PATH:FUNC` reads nothing.
pub fn check_probes(probes: &[ProbeSpec]) -> Result<(), Error> {
    let mut read: HashMap<&str, Vec<(String, Func)>> = HashMap::new();
    for probe in probes {
        let Attach::Uprobe {
            path,
            symbol,
            offset,
            ..
        } = &probe.attach
        else {
            continue;
        };
        if (!symbol.is_empty() && *offset == 0) || !path.contains('/') {
            continue;
        }
        let funcs = read
            .entry(path.as_str())
            .or_insert_with(|| function_symbols(path));
        check(funcs, path, symbol, *offset)?;
    }
    Ok(())
}

/// The contents of the binary `path` names: the file, or a member stored in a zip
/// archive (`app.zip!/bin/prog`).
pub fn binary(path: &str) -> Option<Vec<u8>> {
    std::fs::read(path)
        .ok()
        .or_else(|| Some(tracec_meta::archive::read_member(path)?.data))
}

/// The function symbols of the binary at `path`; none when it cannot be read or parsed
/// (the attach then reports it).
fn function_symbols(path: &str) -> Vec<(String, Func)> {
    let Some(bytes) = binary(path) else {
        return Vec::new();
    };
    match Elf::parse(&bytes) {
        Ok(elf) => functions(&elf),
        Err(_) => Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn funcs() -> Vec<(String, Func)> {
        vec![
            (
                "main".into(),
                Func {
                    addr: 0x1000,
                    size: 0x40,
                },
            ),
            (
                "tiny".into(),
                Func {
                    addr: 0x2000,
                    size: 0,
                },
            ),
        ]
    }

    #[test]
    fn offsets_stay_inside_the_function() {
        assert!(check(&funcs(), "/bin/x", "main", 0x3f).is_ok());
        assert!(check(&funcs(), "/bin/x", "main", 0).is_ok());
        let e = check(&funcs(), "/bin/x", "main", 0x40).unwrap_err();
        assert_eq!(
            e.0,
            "ERROR: Offset outside the function bounds ('main' size is 64)"
        );
        assert!(e.is_bpftrace());
        // Unknown symbols and zero sizes are left to the attach.
        assert!(check(&funcs(), "/bin/x", "nope", 5).is_ok());
        assert!(check(&funcs(), "/bin/x", "tiny", 5).is_ok());
    }

    #[test]
    fn addresses_must_be_in_a_function() {
        assert!(check(&funcs(), "/bin/x", "", 0x1000).is_ok());
        assert!(check(&funcs(), "/bin/x", "", 0x103f).is_ok());
        assert!(check(&funcs(), "/bin/x", "", 0x2000).is_ok());
        assert_eq!(
            check(&funcs(), "/bin/bash", "", 10).unwrap_err().0,
            "ERROR: Could not resolve address: /bin/bash:0xa"
        );
        assert!(check(&funcs(), "/bin/x", "", 0x1040).is_err());
        // Without symbols there is nothing to check.
        assert!(check(&[], "/bin/x", "", 10).is_ok());
    }

    #[test]
    fn reads_function_symbols_of_a_real_binary() {
        let Ok(bytes) = std::fs::read("/proc/self/exe") else {
            return;
        };
        let elf = Elf::parse(&bytes).expect("our own executable is an ELF file");
        let f = functions(&elf);
        assert!(
            f.iter().any(|(n, f)| n == "main" && f.size > 0),
            "{}",
            f.len()
        );
    }

    #[test]
    fn probes_are_checked_against_the_binary_they_name() {
        let exe = std::fs::read_link("/proc/self/exe").expect("our own path");
        let exe = exe.to_str().expect("a UTF-8 path").to_string();
        let uprobe = |path: &str, symbol: &str, offset: u64| ProbeSpec {
            program: "p".into(),
            section: "uprobe".into(),
            name: format!("uprobe:{path}:{symbol}+{offset}"),
            attach: Attach::Uprobe {
                path: path.into(),
                symbol: symbol.into(),
                offset,
                ret: false,
            },
            cookie: None,
        };
        // A plain FUNC is not checked (its binary is not even read).
        assert!(check_probes(&[uprobe("/no/such/binary", "main", 0)]).is_ok());
        assert!(check_probes(&[uprobe(&exe, "main", 1)]).is_ok());
        let err = check_probes(&[uprobe(&exe, "main", 0), uprobe(&exe, "main", 1 << 40)])
            .unwrap_err()
            .0;
        assert!(
            err.starts_with("ERROR: Offset outside the function bounds ('main' size is"),
            "{err}"
        );
    }
}
