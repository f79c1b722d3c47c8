//! Addresses of the symbols a script names (`kaddr("name")`, `uaddr("name")`),
//! resolved on the host that runs the object (kernels differ, and KASLR moves them
//! every boot) and stored in their `.rodata` globals before loading.

use crate::params::GlobalValue;
use crate::Error;
use tracec_meta::{Metadata, SymbolGlobal, SymbolKind};

/// The address of kernel symbol `name` in `/proc/kallsyms`-formatted `text`.
pub fn kallsyms_addr(text: &str, name: &str) -> Option<u64> {
    text.lines().find_map(|l| {
        let mut it = l.split_whitespace();
        let addr = it.next()?;
        let _kind = it.next()?;
        (it.next()? == name).then(|| u64::from_str_radix(addr, 16).ok())?
    })
}

/// The value of symbol `name` in the ELF file `path` (symbol table, then dynamic
/// symbols); `None` if it has none or the file cannot be read.
pub fn elf_symbol(path: &str, name: &str) -> Option<u64> {
    let bytes = std::fs::read(path).ok()?;
    let elf = goblin::elf::Elf::parse(&bytes).ok()?;
    let find = |syms: &goblin::elf::Symtab, strs: &goblin::strtab::Strtab| {
        syms.iter()
            .find(|s| s.st_value != 0 && strs.get_at(s.st_name) == Some(name))
            .map(|s| s.st_value)
    };
    find(&elf.syms, &elf.strtab).or_else(|| find(&elf.dynsyms, &elf.dynstrtab))
}

/// The globals' values: `(symbol, address)`. A symbol the host lacks is reported on
/// stderr as bpftrace does (location, message, the source line marked) and fails.
pub fn resolve(meta: &Metadata, params: &[GlobalValue]) -> Result<Vec<(String, u64)>, Error> {
    if meta.symbol_globals.is_empty() {
        return Ok(Vec::new());
    }
    let kallsyms = if meta
        .symbol_globals
        .iter()
        .any(|s| s.path.is_none() && s.kind == SymbolKind::Address)
    {
        std::fs::read_to_string("/proc/kallsyms").unwrap_or_default()
    } else {
        String::new()
    };
    let btf = if meta
        .symbol_globals
        .iter()
        .any(|s| s.kind == SymbolKind::KfuncExists)
    {
        std::fs::read(crate::target_btf::KERNEL_BTF_PATH).ok()
    } else {
        None
    };
    let mut out = Vec::new();
    let mut trials = crate::kfunc_trial::Trials::default();
    for g in &meta.symbol_globals {
        match g.kind {
            SymbolKind::Address => {}
            SymbolKind::KfuncExists => {
                let v = match &g.allowed_in {
                    // kfunc_allowed: the kernel's answer for that program type.
                    Some(section) => trials.allowed(btf.as_deref(), &g.name, section),
                    None => crate::hostvals::kfunc_exists(btf.as_deref(), &g.name),
                };
                out.push((g.symbol.clone(), v));
                continue;
            }
            SymbolKind::CgroupId => match crate::hostvals::cgroup_id(&g.name) {
                Ok(id) => {
                    out.push((g.symbol.clone(), id));
                    continue;
                }
                Err(e) => {
                    eprintln!("ERROR: {e}");
                    return Err(Error::new(format!(
                        "cannot resolve cgroup {}, which the script needs",
                        g.name
                    )));
                }
            },
        }
        let mut g = g.clone();
        if let Some(p) = &g.name_param {
            let value = params.iter().find(|v| &v.symbol == p);
            g.name = value.map_or_else(String::new, |v| {
                String::from_utf8_lossy(crate::value::c_str(&v.bytes)).into_owned()
            });
        }
        let addr = match &g.path {
            None => kallsyms_addr(&kallsyms, &g.name).filter(|a| *a != 0),
            Some(path) => elf_symbol(path, &g.name).map(|a| a.wrapping_add(user_bias(path))),
        };
        match addr {
            Some(a) => out.push((g.symbol.clone(), a)),
            None => {
                eprintln!("{}", message(&g));
                return Err(Error::new(format!(
                    "cannot resolve symbol {}, which the script needs",
                    g.name
                )));
            }
        }
    }
    Ok(out)
}

/// Where the `-p`/`-c` process loaded the file at `path` (a PIE or library moves):
/// added to the file's symbol values; 0 without such a process or mapping.
fn user_bias(path: &str) -> u64 {
    crate::load_more::usdt_pid()
        .and_then(|pid| crate::load_bias::bias(path, pid.get()))
        .unwrap_or(0)
}

/// bpftrace's error for a symbol it cannot find.
pub fn message(g: &SymbolGlobal) -> String {
    let what = match &g.path {
        None => format!("Failed to resolve kernel symbol: {}", g.name),
        Some(p) => format!("Could not resolve symbol: {}:{}", p, g.name),
    };
    let mut m = if g.location.is_empty() {
        format!("ERROR: {what}")
    } else {
        format!("{}: ERROR: {what}", g.location)
    };
    if !g.context.is_empty() {
        m.push('\n');
        m.push_str(&g.context);
    }
    m
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_kernel_symbols_by_exact_name() {
        let text =
            "ffffffff81000000 T _stext\nffffffff82000010 D avenrun\nffffffffc0000000 t f\t[m]\n";
        assert_eq!(kallsyms_addr(text, "avenrun"), Some(0xffffffff82000010));
        assert_eq!(kallsyms_addr(text, "f"), Some(0xffffffffc0000000));
        assert_eq!(kallsyms_addr(text, "aven"), None);
    }

    #[test]
    fn messages_locate_the_call() {
        let g = SymbolGlobal {
            symbol: "tracec_sym_0".into(),
            name: "nope".into(),
            path: None,
            location: "stdin:1:15-35".into(),
            context: "line\n  ~~".into(),
            name_param: None,
            kind: SymbolKind::Address,
            allowed_in: None,
        };
        assert_eq!(
            message(&g),
            "stdin:1:15-35: ERROR: Failed to resolve kernel symbol: nope\nline\n  ~~"
        );
    }

    #[test]
    fn reads_elf_symbols() {
        let exe = std::env::current_exe().unwrap();
        let exe = exe.to_str().unwrap();
        assert!(elf_symbol(exe, "main").is_some());
        assert_eq!(elf_symbol(exe, "no_such_symbol_anywhere_42"), None);
    }
}
