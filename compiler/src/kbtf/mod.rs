//! A reader for kernel BTF (`/sys/kernel/btf/vmlinux`, or the `.BTF` section of an
//! ELF file such as a `vmlinux` image): the kernel's types, for tracepoint record
//! layouts when tracefs is unreadable and for kernel struct access.
//!
//! # API
//!
//! * [`Btf::load`] / [`Btf::from_bytes`]: read and validate a blob. A file is mapped
//!   into memory when it can be (`/sys/kernel/btf/vmlinux` can), read otherwise;
//!   [`Btf::load_shared`] loads a path once per process. Loading walks every type
//!   record once (bounds, string offsets, type references) and keeps only an offset
//!   per type; nothing is decoded eagerly. A lookup by name finds the name in the
//!   string section and then the records that use it (no index is built); answers
//!   are remembered. Clones share everything.
//! * [`Btf::ty`] gives a [`Type`]: a cheap `Copy` view of one record with its
//!   [`Kind`], name and accessors for each kind's payload ([`Type::members`],
//!   [`Type::enum_values`], [`Type::params`], [`Type::array`], [`Type::int`], ...).
//! * By name: [`Btf::find`] (one kind), [`Btf::find_struct`] (struct or union, a
//!   definition rather than a forward declaration), [`Btf::find_typedef`],
//!   [`Btf::find_enum`] (ENUM or ENUM64), [`Btf::find_all`] (every kind).
//! * Through qualifiers: [`Btf::skip_qualifiers`] (const/volatile/restrict/type tags),
//!   [`Btf::resolve`] (also typedefs), [`Btf::size_of`].
//! * Members: [`Btf::member`] finds a member by name, descending into anonymous
//!   struct/union members, with its bit offset from the outer struct and the CO-RE
//!   access path (member indices).
//! * [`Btf::type_name`] / [`Btf::declaration`] render C spellings
//!   (`struct task_struct *`, `char comm[16]`).
//!
//! * Kernel modules: [`Btf::with_module`] adds a module's split BTF (ids and
//!   strings continuing the kernel's, `split.rs`); [`kernel`] /
//!   [`kernel_with_module`] share the kernel's BTF with the modules added so far
//!   per process, so that probe expansion and the checker agree on type ids.
//!
//! Errors are [`BtfError`]s; malformed input never panics.

mod blob;
mod index;
mod local;
mod parse;
mod render;
mod split;
#[cfg(test)]
mod split_tests;
#[cfg(test)]
mod tests;
#[cfg(test)]
mod tests_load;
mod types;

use std::collections::HashMap;
use std::fmt;
use std::path::Path;
use std::sync::{Arc, Mutex, OnceLock};

pub use local::LocalType;
pub use split::{module_path, valid_module_name, ModuleTypes};
pub use types::{ArrayInfo, EnumValue, FoundMember, IntInfo, Member, Param, Type, VarSecInfo};

/// A type id; 0 is `void`.
pub type TypeId = u32;

/// The default location of the running kernel's BTF.
pub const VMLINUX_BTF: &str = "/sys/kernel/btf/vmlinux";

/// [`VMLINUX_BTF`] when this process can read it.
pub fn default_btf() -> Option<std::path::PathBuf> {
    std::fs::File::open(VMLINUX_BTF)
        .is_ok()
        .then(|| VMLINUX_BTF.into())
}

/// What went wrong reading BTF.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BtfError(pub String);

impl fmt::Display for BtfError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for BtfError {}

/// `BTF_KIND_*`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Kind {
    /// Only type id 0.
    Void,
    Int,
    Ptr,
    Array,
    Struct,
    Union,
    Enum,
    Fwd,
    Typedef,
    Volatile,
    Const,
    Restrict,
    Func,
    FuncProto,
    Var,
    DataSec,
    Float,
    DeclTag,
    TypeTag,
    Enum64,
}

impl Kind {
    /// Whether the third word of a type of this kind (`size_or_type`) is a type id
    /// rather than a size.
    pub fn refers_to_type(self) -> bool {
        matches!(
            self,
            Kind::Ptr
                | Kind::Typedef
                | Kind::Volatile
                | Kind::Const
                | Kind::Restrict
                | Kind::Func
                | Kind::FuncProto
                | Kind::Var
                | Kind::DeclTag
                | Kind::TypeTag
        )
    }
}

/// A parsed BTF blob. Cloning is cheap: clones share the bytes and the type offsets.
#[derive(Clone)]
pub struct Btf {
    base: Arc<Base>,
    /// Types a script appended ([`Btf::with_local`]).
    local: Option<Arc<local::Appended>>,
    /// First id of the types a script appended; `u32::MAX` when there are none.
    local_base: u32,
    /// Lookups by name already answered (and, after many, a complete index).
    names: Arc<Mutex<index::NameCache>>,
    /// Kernel modules whose split BTF was added, with their id ranges.
    modules: Arc<Vec<ModuleTypes>>,
}

/// The blob as read from a file.
struct Base {
    /// The raw `.BTF` blob (copied out of an ELF file if needed).
    data: blob::Blob,
    big_endian: bool,
    /// Absolute offset of each type record; index = type id (0 unused).
    offsets: Vec<u32>,
    /// Ids of the ENUM and ENUM64 types.
    enum_ids: Vec<u32>,
    str_start: usize,
    str_end: usize,
}

impl fmt::Debug for Btf {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Btf")
            .field("bytes", &self.base.data.len())
            .field("mapped", &self.base.data.is_mapped())
            .field("types", &self.len())
            .finish()
    }
}

impl Btf {
    /// Read a raw BTF file or an ELF file with a `.BTF` section. The file is mapped
    /// into memory when it supports it, read otherwise.
    pub fn load(path: &Path) -> Result<Btf, BtfError> {
        Btf::load_with(path, true)
    }

    /// [`Btf::load`], mapping the file only when `map`.
    pub fn load_with(path: &Path, map: bool) -> Result<Btf, BtfError> {
        let bytes = blob::Blob::open(path, map)
            .map_err(|e| BtfError(format!("cannot read {}: {e}", path.display())))?;
        Btf::from_blob(bytes).map_err(|e| BtfError(format!("{}: {e}", path.display())))
    }

    /// [`Btf::load`], once per path and process: every later call for the same path
    /// shares the first one's result.
    pub fn load_shared(path: &Path) -> Result<Btf, BtfError> {
        type Cache = Mutex<HashMap<std::path::PathBuf, Result<Btf, BtfError>>>;
        static CACHE: OnceLock<Cache> = OnceLock::new();
        let cache = CACHE.get_or_init(Default::default);
        let mut map = cache.lock().unwrap_or_else(|p| p.into_inner());
        map.entry(path.to_path_buf())
            .or_insert_with(|| Btf::load(path))
            .clone()
    }

    /// Whether the bytes are mapped from the file rather than copied.
    pub fn is_mapped(&self) -> bool {
        self.base.data.is_mapped()
    }

    /// Parse a raw BTF blob or an ELF file with a `.BTF` section.
    pub fn from_bytes(bytes: Vec<u8>) -> Result<Btf, BtfError> {
        Btf::from_blob(blob::Blob::Owned(bytes))
    }

    fn from_blob(bytes: blob::Blob) -> Result<Btf, BtfError> {
        let data = match parse::elf_btf_section(&bytes)? {
            Some((start, end)) => blob::Blob::Owned(bytes[start..end].to_vec()),
            None => bytes,
        };
        let layout = parse::layout(&data)?;
        Ok(Btf {
            base: Arc::new(Base {
                data,
                big_endian: layout.big_endian,
                offsets: layout.offsets,
                enum_ids: layout.enum_ids,
                str_start: layout.str_start,
                str_end: layout.str_end,
            }),
            local: None,
            local_base: u32::MAX,
            names: Arc::default(),
            modules: Arc::default(),
        })
    }

    /// Number of type ids, including `void` (0): valid ids are `0..len()`.
    pub fn len(&self) -> u32 {
        let appended = self.local.as_ref().map_or(0, |l| l.offsets.len());
        (self.base.offsets.len() + appended) as u32
    }

    /// Whether there are no types besides `void`.
    pub fn is_empty(&self) -> bool {
        self.len() <= 1
    }

    /// Where the record of type `id` (not 0) starts, as a [`parse::Reader`] position.
    fn offset(&self, id: TypeId) -> Option<usize> {
        let id = id as usize;
        match self.base.offsets.get(id) {
            Some(&at) => Some(at as usize),
            None => {
                let l = self.local.as_ref()?;
                Some(*l.offsets.get(id - self.base.offsets.len())? as usize)
            }
        }
    }

    /// The base string section.
    fn base_strings(&self) -> &[u8] {
        &self.base.data[self.base.str_start..self.base.str_end]
    }

    /// The type with id `id`.
    pub fn ty(&self, id: TypeId) -> Result<Type<'_>, BtfError> {
        Type::new(self, id).ok_or_else(|| BtfError(format!("no BTF type with id {id}")))
    }

    /// Every type (id 1 up), in id order.
    pub fn types(&self) -> impl Iterator<Item = Type<'_>> + '_ {
        (1..self.len()).filter_map(move |id| Type::new(self, id))
    }

    /// The string at `off` in the string section (`""` if out of bounds, which
    /// validation rules out for every offset inside a record, or not UTF-8; the tail
    /// of a string if `off` points inside one, which only malformed BTF does).
    pub fn string(&self, off: u32) -> &str {
        let base = self.base_strings();
        let (strings, off) = match (off as usize).checked_sub(base.len()) {
            Some(rel) => match &self.local {
                Some(l) => (&l.strings[..], rel),
                None => return "",
            },
            None => (base, off as usize),
        };
        let Some(tail) = strings.get(off..) else {
            return "";
        };
        let len = tail.iter().position(|&b| b == 0).unwrap_or(tail.len());
        std::str::from_utf8(&tail[..len]).unwrap_or("")
    }

    fn reader(&self) -> parse::Reader<'_> {
        parse::Reader {
            bytes: &self.base.data,
            big_endian: self.base.big_endian,
            ext: self.local.as_ref().map_or(&[][..], |l| &l.types[..]),
            ext_start: self.base.data.len(),
        }
    }

    /// Every type named `name`, of any kind: the script's own types first, then in
    /// id order.
    pub fn find_all(&self, name: &str) -> Vec<TypeId> {
        let mut cache = self.names.lock().unwrap_or_else(|p| p.into_inner());
        let mut ids = cache.lookup(self, name);
        ids.sort_unstable_by_key(|&id| (!self.is_local(id), id));
        ids
    }

    /// Every enumerator named `name`, in id order: the ENUM or ENUM64 type and the
    /// enumerator's index in it ([`Type::enum_values`]).
    pub fn find_enumerator(&self, name: &str) -> Vec<(TypeId, u32)> {
        index::lookup_enumerator(self, name)
    }

    /// Every type whose name starts with `prefix` (not empty), in id order.
    pub fn find_prefixed(&self, prefix: &str) -> Vec<TypeId> {
        index::lookup_prefix(self, prefix)
    }

    /// The first type named `name` of kind `kind`.
    pub fn find(&self, name: &str, kind: Kind) -> Option<TypeId> {
        self.find_all(name)
            .into_iter()
            .find(|&id| self.ty(id).is_ok_and(|t| t.kind() == kind))
    }

    /// `struct NAME` or `union NAME` (a definition; a forward declaration only if
    /// there is no definition).
    pub fn find_struct(&self, name: &str) -> Option<TypeId> {
        let ids = self.find_all(name);
        let of = |kinds: &[Kind]| {
            ids.iter()
                .copied()
                .find(|&id| self.ty(id).is_ok_and(|t| kinds.contains(&t.kind())))
        };
        of(&[Kind::Struct, Kind::Union]).or_else(|| of(&[Kind::Fwd]))
    }

    /// `typedef ... NAME`.
    pub fn find_typedef(&self, name: &str) -> Option<TypeId> {
        self.find(name, Kind::Typedef)
    }

    /// `enum NAME` (ENUM or ENUM64).
    pub fn find_enum(&self, name: &str) -> Option<TypeId> {
        self.find(name, Kind::Enum)
            .or_else(|| self.find(name, Kind::Enum64))
    }

    /// `id` without const/volatile/restrict/type tags.
    pub fn skip_qualifiers(&self, id: TypeId) -> Result<TypeId, BtfError> {
        self.skip(id, false)
    }

    /// `id` without typedefs, const/volatile/restrict and type tags.
    pub fn resolve(&self, id: TypeId) -> Result<TypeId, BtfError> {
        self.skip(id, true)
    }

    fn skip(&self, mut id: TypeId, typedefs: bool) -> Result<TypeId, BtfError> {
        // Bounded, so that a malformed cycle of typedefs cannot hang.
        for _ in 0..MAX_CHAIN {
            let t = self.ty(id)?;
            match t.kind() {
                Kind::Const | Kind::Volatile | Kind::Restrict | Kind::TypeTag => {}
                Kind::Typedef if typedefs => {}
                _ => return Ok(id),
            }
            id = t.raw_type();
        }
        Err(BtfError(format!("BTF type chain too long at id {id}")))
    }

    /// Size in bytes of a value of type `id` (pointers are 8 bytes).
    pub fn size_of(&self, id: TypeId) -> Result<u32, BtfError> {
        let mut id = id;
        let mut factor: u64 = 1;
        for _ in 0..MAX_CHAIN {
            let t = self.ty(self.resolve(id)?)?;
            let size = match t.kind() {
                Kind::Ptr => 8,
                Kind::Array => {
                    let a = t.array().unwrap_or_default();
                    factor = factor.saturating_mul(a.nelems as u64);
                    id = a.elem;
                    continue;
                }
                Kind::Int
                | Kind::Struct
                | Kind::Union
                | Kind::Enum
                | Kind::Enum64
                | Kind::Float
                | Kind::DataSec => t.raw_type(),
                k => return Err(BtfError(format!("BTF type {id} ({k:?}) has no size"))),
            };
            return u32::try_from(factor.saturating_mul(size as u64))
                .map_err(|_| BtfError(format!("BTF type {id} is too large")));
        }
        Err(BtfError(format!("BTF array nesting too deep at id {id}")))
    }

    /// The member `name` of the struct or union `id` (typedefs and qualifiers are
    /// looked through), searching anonymous struct/union members too.
    pub fn member(&self, id: TypeId, name: &str) -> Result<Option<FoundMember>, BtfError> {
        types::find_member(self, id, name, 0)
    }

    /// The C spelling of type `id` (`struct task_struct *`, `char[16]`, `pid_t`).
    pub fn type_name(&self, id: TypeId) -> String {
        render::declaration(self, id, "")
    }

    /// A C declaration of `name` with type `id` (`char comm[16]`, `int (*f)(int)`).
    pub fn declaration(&self, id: TypeId, name: &str) -> String {
        render::declaration(self, id, name)
    }
}

type KernelCache = Mutex<HashMap<std::path::PathBuf, Btf>>;

/// The kernel BTF with modules, per kernel BTF path.
fn kernels() -> &'static KernelCache {
    static KERNELS: OnceLock<KernelCache> = OnceLock::new();
    KERNELS.get_or_init(Default::default)
}

/// The kernel BTF at `path` ([`Btf::load_shared`]) with every module this process
/// added to it ([`kernel_with_module`]). Modules only ever get added, so the ids
/// of a BTF returned earlier stay valid in a later one.
pub fn kernel(path: &Path) -> Result<Btf, BtfError> {
    let map = kernels().lock().unwrap_or_else(|p| p.into_inner());
    match map.get(path) {
        Some(b) => Ok(b.clone()),
        None => Btf::load_shared(path),
    }
}

/// [`kernel`] with module `module`'s BTF added, read from beside `path`
/// ([`module_path`]). `Ok(None)` when there is no BTF for that module.
pub fn kernel_with_module(path: &Path, module: &str) -> Result<Option<Btf>, BtfError> {
    let mut map = kernels().lock().unwrap_or_else(|p| p.into_inner());
    let current = match map.get(path) {
        Some(b) => b.clone(),
        None => Btf::load_shared(path)?,
    };
    if current.module_ids(module).is_some() {
        return Ok(Some(current));
    }
    let file = module_path(path, module);
    if !valid_module_name(module) || module == "vmlinux" || !file.is_file() {
        return Ok(None);
    }
    let btf = current.with_module_file(module, &file)?;
    map.insert(path.to_path_buf(), btf.clone());
    Ok(Some(btf))
}

/// Longest typedef/qualifier/array chain followed before giving up.
const MAX_CHAIN: usize = 256;
