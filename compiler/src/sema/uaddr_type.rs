//! The pointer type of `uaddr("NAME")`: as bpftrace, it follows the size of the
//! symbol in the probe's binary (`int8 *` for 1 byte, `int16 *` for 2, `int32 *`
//! for 4, `int64 *` otherwise), so that `*uaddr("GLOBAL_A")` reads the variable.
//! A binary or symbol the compiler cannot read gives `int64 *`.

use super::types::Pointee;
use goblin::elf::Elf;
use std::path::Path;

/// The size in bytes of the symbol `name` of the ELF file at `path`.
fn symbol_size(path: &Path, name: &str) -> Option<u64> {
    let bytes = std::fs::read(path).ok()?;
    symbol_size_in(&bytes, name)
}

/// The size of the defined symbol `name` of an ELF image (`.symtab`, then `.dynsym`).
fn symbol_size_in(bytes: &[u8], name: &str) -> Option<u64> {
    let elf = Elf::parse(bytes).ok()?;
    let tables = [(&elf.syms, &elf.strtab), (&elf.dynsyms, &elf.dynstrtab)];
    let found = tables.into_iter().find_map(|(syms, strtab)| {
        syms.iter()
            .find(|s| s.st_value != 0 && strtab.get_at(s.st_name) == Some(name))
            .map(|s| s.st_size)
    });
    found
}

/// What `uaddr(name)` points to in the binary at `path`.
pub(super) fn pointee(path: &str, name: &str) -> Pointee {
    let size = match symbol_size(Path::new(path), name) {
        Some(s @ (1 | 2 | 4)) => s as u32,
        _ => 8,
    };
    Pointee::Sized { size }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_follow_the_symbol() {
        // The test binary itself: a 4-byte and an 8-byte global.
        let exe = std::env::current_exe().expect("test binary");
        assert_eq!(
            pointee(exe.to_str().unwrap_or(""), "UADDR_TEST_I32"),
            Pointee::Sized { size: 4 }
        );
        assert_eq!(
            pointee(exe.to_str().unwrap_or(""), "UADDR_TEST_U16"),
            Pointee::Sized { size: 2 }
        );
        assert_eq!(
            pointee("/nonexistent/binary", "x"),
            Pointee::Sized { size: 8 }
        );
        // Keep the symbols in the binary.
        assert_eq!(
            unsafe_free_read(),
            (7, 9),
            "the test globals hold their values"
        );
    }

    #[no_mangle]
    static UADDR_TEST_I32: i32 = 7;
    #[no_mangle]
    static UADDR_TEST_U16: u16 = 9;

    fn unsafe_free_read() -> (i32, u16) {
        (
            std::hint::black_box(UADDR_TEST_I32),
            std::hint::black_box(UADDR_TEST_U16),
        )
    }
}
