//! Split DWARF (`-gsplit-dwarf`): a skeleton unit in the binary names its split unit,
//! which holds the subprograms and inlined calls. The split unit is found as gdb (and
//! tracec's `probes/dwarf/split.rs`) finds it: in the binary's `BINARY.dwp` package
//! (through its `.debug_cu_index`), else in the `.dwo` file at `DW_AT_dwo_name`
//! (absolute, or under the unit's `DW_AT_comp_dir`), else beside the binary. DWARF 5
//! and the GNU extension to DWARF 4 that `dwp` packs.

use std::borrow::Cow;
use std::path::{Path, PathBuf};

use tracec_meta::debugsec;

use super::read::Reader;
use super::{load, Sections, NAMES};

/// A package's units: each DWO ID with its `(offset, size)` in every section, by
/// [`NAMES`] position.
type CuIndex = Vec<(u64, Vec<(u64, u64)>)>;

/// A split unit's file (a `.dwo` file or a package): its sections, decompressed, in
/// [`NAMES`] order (`.dwo` names), and a package's unit index.
struct DwoFile {
    secs: Vec<Vec<u8>>,
    /// The units of a package (empty for a `.dwo` file).
    index: CuIndex,
}

impl DwoFile {
    /// The file at `path`; a section it cannot read (corrupt) is reported here, once
    /// per file (each is read once).
    fn read(path: &Path) -> Option<DwoFile> {
        std::fs::metadata(path).ok()?.is_file().then_some(())?;
        let bytes = std::fs::read(path).ok()?;
        let elf = goblin::elf::Elf::parse(&bytes).ok()?;
        let (secs, e) = load(&elf, &bytes, ".dwo");
        if let Some(e) = e {
            eprintln!("WARNING: {}: {e}", path.display());
        }
        let secs: Vec<Vec<u8>> = secs.into_iter().map(Cow::into_owned).collect();
        let index = debugsec::read(&elf, &bytes, ".debug_cu_index")
            .ok()
            .flatten()
            .and_then(|ix| cu_index(&ix))
            .unwrap_or_default();
        Some(DwoFile { secs, index })
    }

    /// The sections of the unit `id`: a package's contributions, or the whole file.
    fn sections<'a>(&'a self, id: u64, skeleton: &Sections<'a>) -> Option<Sections<'a>> {
        let whole = |i: usize| self.secs[i].as_slice();
        let mut parts: Vec<&[u8]> = (0..NAMES.len()).map(whole).collect();
        if !self.index.is_empty() {
            let (_, cols) = self.index.iter().find(|(u, _)| *u == id)?;
            for (i, &(off, size)) in cols.iter().enumerate() {
                // `.debug_str.dwo` is shared; sections without a column are whole.
                if size != 0 {
                    let off = usize::try_from(off).ok()?;
                    let end = off.checked_add(usize::try_from(size).ok()?)?;
                    parts[i] = self.secs[i].get(off..end)?;
                }
            }
        }
        let mut s = Sections::from_list(&parts);
        // Addresses and DWARF 4 range lists stay in the binary.
        s.addr = skeleton.addr;
        s.ranges = skeleton.ranges;
        s.line_str = skeleton.line_str;
        Some(s)
    }
}

/// The rows of a `.debug_cu_index` (version 2, GNU, or 5): each unit's signature and
/// its contributions, by [`NAMES`] position.
fn cu_index(ix: &[u8]) -> Option<CuIndex> {
    let mut r = Reader::new(ix);
    let version = r.u32()? & 0xffff;
    let (ncols, nunits, nslots) = (r.u32()?, r.u32()?, r.u32()?);
    let (ncols, nunits, nslots) = (ncols as u64, nunits as u64, nslots as u64);
    let sigs_at = r.pos as u64;
    let rows_at = sigs_at.checked_add(nslots.checked_mul(8)?)?;
    let ids_at = rows_at.checked_add(nslots.checked_mul(4)?)?;
    let offs_at = ids_at.checked_add(ncols.checked_mul(4)?)?;
    let sizes_at = offs_at.checked_add(nunits.checked_mul(ncols)?.checked_mul(4)?)?;
    // Column kinds to NAMES positions (info, abbrev, line, line_str, str, str_offsets,
    // addr, ranges, rnglists): DW_SECT_* of each version.
    let slot = |kind: u32| -> Option<usize> {
        match (version, kind) {
            (_, 1) => Some(0),
            (_, 3) => Some(1),
            (_, 4) => Some(2),
            (_, 6) => Some(5),
            (5, 8) => Some(8),
            _ => None,
        }
    };
    let mut cols = Vec::new();
    for c in 0..ncols {
        cols.push(slot(Reader::at(ix, ids_at + 4 * c).u32()?));
    }
    let mut out = Vec::new();
    for i in 0..nslots {
        let sig = Reader::at(ix, sigs_at + 8 * i).u64()?;
        let row = u64::from(Reader::at(ix, rows_at + 4 * i).u32()?);
        if row == 0 || row > nunits {
            continue;
        }
        let mut parts = vec![(0u64, 0u64); NAMES.len()];
        for (c, col) in cols.iter().enumerate() {
            let Some(at) = col else { continue };
            let cell = ((row - 1) * ncols + c as u64) * 4;
            let off = Reader::at(ix, offs_at + cell).u32()?;
            let size = Reader::at(ix, sizes_at + cell).u32()?;
            parts[*at] = (u64::from(off), u64::from(size));
        }
        out.push((sig, parts));
    }
    Some(out)
}

/// What a skeleton unit says about its split unit.
pub(crate) struct SplitRef<'a> {
    pub id: u64,
    pub name: Option<String>,
    pub comp_dir: &'a str,
}

/// Finds split units for the skeletons of one binary; the package is read once.
pub(crate) struct Finder {
    binary: Option<PathBuf>,
    package: Option<Option<DwoFile>>,
    /// Split units read so far (their DIE offsets are kept apart by it).
    pub count: u64,
}

impl Finder {
    pub fn new(binary: Option<&Path>) -> Finder {
        Finder {
            binary: binary.map(Path::to_path_buf),
            package: None,
            count: 0,
        }
    }

    /// Calls `f` with the sections of the split unit `r` names, when found.
    pub fn with_unit(
        &mut self,
        r: &SplitRef<'_>,
        skeleton: &Sections<'_>,
        f: impl FnOnce(&Sections<'_>),
    ) {
        if self.package.is_none() {
            let pkg = self.binary.as_ref().and_then(|b| {
                let mut name = b.as_os_str().to_owned();
                name.push(".dwp");
                DwoFile::read(Path::new(&name))
            });
            self.package = Some(pkg);
        }
        if let Some(Some(pkg)) = &self.package {
            if let Some(s) = pkg.sections(r.id, skeleton) {
                return f(&s);
            }
        }
        let Some(name) = &r.name else { return };
        // Each unit has its own `.dwo` file: read when needed, not kept.
        for cand in tracec_meta::debugfile::dwo_candidates(name, r.comp_dir, self.binary.as_deref())
        {
            if let Some(file) = DwoFile::read(&cand) {
                if let Some(s) = file.sections(r.id, skeleton) {
                    return f(&s);
                }
            }
        }
    }
}
