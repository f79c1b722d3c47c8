//! Split DWARF (`-gsplit-dwarf`): the binary keeps a skeleton unit per compilation unit
//! (its address ranges, line table and `DW_AT_dwo_name`), the types and functions are in
//! a `.dwo` file per unit or, gathered by `dwp`, in one `BINARY.dwp` package beside the
//! binary. gdb's (and bpftrace's) rules for finding them: the package first, then each
//! `.dwo` at `DW_AT_dwo_name` (absolute, or relative to the unit's `DW_AT_comp_dir`),
//! then in the binary's directory (the tree may have moved since it was built).

use std::path::{Path, PathBuf};

/// The contents of the `.dwp` package of the binary at `binary` (`BINARY.dwp`).
pub(super) fn read_package(binary: &Path) -> Option<Vec<u8>> {
    let mut name = binary.as_os_str().to_owned();
    name.push(".dwp");
    let path = PathBuf::from(name);
    std::fs::metadata(&path).ok()?.is_file().then_some(())?;
    std::fs::read(path).ok()
}

/// Where the `.dwo` file `dwo_name` of a unit compiled in `comp_dir` may be, in order
/// (tracerun looks in the same places).
pub(super) fn dwo_candidates(
    dwo_name: &str,
    comp_dir: Option<&str>,
    binary: Option<&Path>,
) -> Vec<PathBuf> {
    tracec_meta::debugfile::dwo_candidates(dwo_name, comp_dir.unwrap_or(""), binary)
}

/// The contents of the first of `candidates` that is a regular file.
pub(super) fn read_first(candidates: &[PathBuf]) -> Option<Vec<u8>> {
    candidates.iter().find_map(|p| {
        std::fs::metadata(p).ok()?.is_file().then_some(())?;
        std::fs::read(p).ok()
    })
}

/// The name of section `id` in a `.dwo` file or `.dwp` package (empty: none).
pub(super) fn dwo_section_name(id: gimli::SectionId) -> &'static str {
    id.dwo_name().unwrap_or("")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dwo_search_order() {
        let bin = Path::new("/moved/bin/prog");
        assert_eq!(
            dwo_candidates("prog-a.dwo", Some("/build"), Some(bin)),
            [
                PathBuf::from("/build/prog-a.dwo"),
                PathBuf::from("/moved/bin/prog-a.dwo")
            ]
        );
        assert_eq!(
            dwo_candidates("obj/a.dwo", Some("/build"), Some(bin)),
            [
                PathBuf::from("/build/obj/a.dwo"),
                PathBuf::from("/moved/bin/obj/a.dwo"),
                PathBuf::from("/moved/bin/a.dwo")
            ]
        );
        assert_eq!(
            dwo_candidates("/abs/a.dwo", Some("/build"), Some(bin)),
            [
                PathBuf::from("/abs/a.dwo"),
                PathBuf::from("/moved/bin/a.dwo")
            ]
        );
        assert_eq!(
            dwo_candidates("a.dwo", None, None),
            [PathBuf::from("a.dwo")]
        );
    }

    #[test]
    fn section_names() {
        assert_eq!(
            dwo_section_name(gimli::SectionId::DebugInfo),
            ".debug_info.dwo"
        );
        assert_eq!(dwo_section_name(gimli::SectionId::DebugAddr), "");
    }
}
