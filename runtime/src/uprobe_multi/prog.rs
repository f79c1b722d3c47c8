//! Loading one program of the object as a `uprobe_multi` program: type
//! `BPF_PROG_TYPE_KPROBE` with expected attach type `BPF_TRACE_UPROBE_MULTI`, which
//! aya 0.14 cannot ask for. The object is parsed again with aya-obj (aya's own
//! parser), relocated against the maps aya already created (so both copies share
//! every map, `.rodata` included, with the values aya wrote), linked with its
//! subprograms, and loaded with `BPF_PROG_LOAD` here, with the object's BTF for its
//! func and line info.

use crate::object::Object;
use crate::sys::{bpf, Attr};
use aya::Ebpf;
use aya_obj::generated::{bpf_func_info, bpf_insn, bpf_line_info};
use std::collections::HashSet;
use std::ffi::CString;
use std::io;
use std::os::fd::{AsFd, AsRawFd, FromRawFd, OwnedFd, RawFd};

const BPF_PROG_LOAD: libc::c_long = 5;
const BPF_BTF_LOAD: libc::c_long = 18;
/// `BPF_PROG_TYPE_KPROBE`: uprobes are kprobe programs.
pub const PROG_TYPE_KPROBE: u32 = 2;
/// `BPF_TRACE_UPROBE_MULTI`.
pub const ATTACH_UPROBE_MULTI: u32 = 48;

/// The object's program `program`, relocated as aya relocates it, loaded for
/// `BPF_TRACE_UPROBE_MULTI`. `ebpf` holds the maps it refers to.
pub fn load(ebpf: &Ebpf, obj: &Object, program: &str) -> Result<OwnedFd, String> {
    let how = How {
        prog_type: Some(PROG_TYPE_KPROBE),
        attach_type: ATTACH_UPROBE_MULTI,
        log: None,
        target: None,
        core: None,
    };
    load_as(ebpf, obj, program, how)
        .map_err(|e| match e {
            LoadError::Prepare(e) => e,
            LoadError::Kernel(e) => format!("BPF_PROG_LOAD: {e}"),
        })
        .and_then(|fd| fd.ok_or_else(|| format!("program {program}: no program type")))
}

/// How [`load_as`] loads a program: its type (`None`: the type of its section, if
/// it needs no attach target), expected attach type, a verifier log buffer (log
/// level 1) if any, and an attach target if any.
pub struct How<'a> {
    pub prog_type: Option<u32>,
    pub attach_type: u32,
    pub log: Option<&'a mut [u8]>,
    pub target: Option<AttachTarget>,
    /// The BTF CO-RE relocations are resolved against (`None`: the kernel's).
    pub core: Option<&'a aya::Btf>,
}

/// The attach target of a tracing program: `attach_btf_id` in the BTF object or
/// program `fd` (`attach_btf_obj_fd` / `attach_prog_fd`; 0: the kernel's BTF).
#[derive(Debug, Clone, Copy)]
pub struct AttachTarget {
    pub btf_id: u32,
    pub fd: RawFd,
}

/// Why [`load_as`] failed: the object could not be prepared, or the kernel refused.
#[derive(Debug)]
pub enum LoadError {
    Prepare(String),
    Kernel(io::Error),
}

/// The program type of a section that loads without an attach target: kprobes and
/// uprobes, tracepoints, raw tracepoints, perf events.
fn section_type(section: &aya_obj::ProgramSection) -> Option<u32> {
    use aya_obj::ProgramSection as S;
    match section {
        S::KProbe | S::KRetProbe | S::UProbe { .. } | S::URetProbe { .. } => Some(PROG_TYPE_KPROBE),
        S::TracePoint => Some(5),
        S::PerfEvent => Some(7),
        S::RawTracePoint => Some(17),
        _ => None,
    }
}

/// The object's program `program`, relocated as aya relocates it against the maps
/// of `ebpf`, loaded as `how` says; `Ok(None)` when its type is not known.
pub fn load_as(
    ebpf: &Ebpf,
    obj: &Object,
    program: &str,
    how: How<'_>,
) -> Result<Option<OwnedFd>, LoadError> {
    use LoadError::Prepare;
    let patched = crate::ksyms::resolve(&obj.bytes, &obj.meta.ksyms).map_err(Prepare)?;
    let bytes = patched.as_deref().unwrap_or(&obj.bytes);
    let mut o = aya_obj::Object::parse(bytes).map_err(|e| Prepare(crate::load::chain(&e)))?;
    let btf_fd = match aya::features().btf() {
        Some(features) => match o.fixup_and_sanitize_btf(features) {
            Ok(Some(btf)) => load_btf(&btf.to_bytes()).ok(),
            _ => None,
        },
        None => None,
    };
    if crate::target_btf::needed(&obj.meta, bytes) {
        let target = match how.core {
            Some(b) => b,
            None => crate::target_btf::kernel_btf().map_err(|e| Prepare(e.to_string()))?,
        };
        o.relocate_btf(target)
            .map_err(|e| Prepare(format!("CO-RE: {}", crate::load::chain(&e))))?;
    }
    let text_sections: HashSet<usize> = o.functions.keys().map(|(s, _)| *s).collect();
    let maps = std::mem::take(&mut o.maps);
    let fds: Vec<(&str, RawFd, &aya_obj::Map)> = maps
        .iter()
        .filter_map(|(name, m)| Some((name.as_str(), crate::load::map_fd(ebpf, name).ok()?, m)))
        .collect();
    o.relocate_maps(fds.into_iter(), &text_sections)
        .map_err(|e| Prepare(format!("maps: {}", crate::load::chain(&e))))?;
    o.relocate_calls(&text_sections)
        .map_err(|e| Prepare(format!("calls: {}", crate::load::chain(&e))))?;
    o.sanitize_functions(aya::features());
    let prog = o
        .programs
        .get(program)
        .ok_or_else(|| Prepare(format!("program {program} is not in the object")))?;
    let func = o
        .functions
        .get(&prog.function_key())
        .ok_or_else(|| Prepare(format!("program {program} has no code")))?;
    let Some(prog_type) = how.prog_type.or_else(|| section_type(&prog.section)) else {
        return Ok(None);
    };
    let info = btf_fd.as_ref().map(|fd| BtfInfo {
        fd: fd.as_raw_fd(),
        func_rec_size: func.func_info_rec_size as u32,
        func: &func.func_info.func_info,
        line_rec_size: func.line_info_rec_size as u32,
        line: &func.line_info.line_info,
    });
    let attr = ProgAttr {
        prog_type,
        attach_type: how.attach_type,
        btf: info.as_ref(),
        log: how.log,
        target: how.target,
    };
    prog_load(program, &func.instructions, &prog.license, attr)
        .map(Some)
        .map_err(LoadError::Kernel)
}

/// The parts of a `BPF_PROG_LOAD` besides the code.
pub struct ProgAttr<'a, 'b> {
    pub prog_type: u32,
    pub attach_type: u32,
    pub btf: Option<&'a BtfInfo<'a>>,
    pub log: Option<&'b mut [u8]>,
    pub target: Option<AttachTarget>,
}

/// The object BTF a program's func and line info refer to.
pub struct BtfInfo<'a> {
    pub fd: RawFd,
    pub func_rec_size: u32,
    pub func: &'a [bpf_func_info],
    pub line_rec_size: u32,
    pub line: &'a [bpf_line_info],
}

/// `BPF_PROG_LOAD` of a program as `how` says.
pub fn prog_load(
    name: &str,
    insns: &[bpf_insn],
    license: &CString,
    how: ProgAttr<'_, '_>,
) -> io::Result<OwnedFd> {
    let ProgAttr {
        prog_type,
        attach_type,
        btf,
        log,
        target,
    } = how;
    let mut attr = Attr::new();
    attr.u32_at(0, prog_type)
        .u32_at(4, insns.len() as u32)
        .u64_at(8, insns.as_ptr() as u64)
        .u64_at(16, license.as_ptr() as u64);
    let name = prog_name(name);
    for (i, chunk) in name.chunks(8).enumerate() {
        let mut word = [0u8; 8];
        word[..chunk.len()].copy_from_slice(chunk);
        attr.u64_at(48 + 8 * i, u64::from_ne_bytes(word));
    }
    if let Some(log) = log {
        attr.u32_at(24, 1)
            .u32_at(28, log.len() as u32)
            .u64_at(32, log.as_mut_ptr() as u64);
    }
    attr.u32_at(68, attach_type);
    if let Some(b) = btf.filter(|b| !b.func.is_empty()) {
        attr.u32_at(72, b.fd as u32)
            .u32_at(76, b.func_rec_size)
            .u64_at(80, b.func.as_ptr() as u64)
            .u32_at(88, b.func.len() as u32);
        if !b.line.is_empty() {
            attr.u32_at(92, b.line_rec_size)
                .u64_at(96, b.line.as_ptr() as u64)
                .u32_at(104, b.line.len() as u32);
        }
    }
    if let Some(t) = target {
        attr.u32_at(108, t.btf_id).u32_at(112, t.fd as u32);
    }
    let fd = bpf(BPF_PROG_LOAD, &mut attr)?;
    // SAFETY: a descriptor the kernel just returned to us.
    Ok(unsafe { OwnedFd::from_raw_fd(fd as RawFd) })
}

/// The kernel's program name: at most 15 bytes of letters, digits, `_` and `.`,
/// NUL-padded to 16.
pub fn prog_name(name: &str) -> [u8; 16] {
    let mut out = [0u8; 16];
    let valid = name
        .bytes()
        .filter(|b| b.is_ascii_alphanumeric() || *b == b'_' || *b == b'.');
    for (slot, b) in out.iter_mut().take(15).zip(valid) {
        *slot = b;
    }
    out
}

/// `BPF_BTF_LOAD` of the object's (sanitized) BTF.
fn load_btf(data: &[u8]) -> io::Result<OwnedFd> {
    let mut attr = Attr::new();
    attr.u64_at(0, data.as_ptr() as u64)
        .u32_at(16, data.len() as u32);
    let fd = bpf(BPF_BTF_LOAD, &mut attr)?;
    // SAFETY: a descriptor the kernel just returned to us.
    Ok(unsafe { OwnedFd::from_raw_fd(fd as RawFd) })
}

/// A program of two instructions (`r0 = 0; exit`) loaded for `attach_type`: the
/// kernel refuses an attach type it does not know.
pub fn trivial(attach_type: u32) -> io::Result<OwnedFd> {
    let code = [0xb7u8, 0, 0, 0, 0, 0, 0, 0, 0x95, 0, 0, 0, 0, 0, 0, 0];
    let insns = aya_obj::copy_instructions(&code).map_err(io::Error::other)?;
    let license = CString::new("GPL").map_err(io::Error::other)?;
    let how = ProgAttr {
        prog_type: PROG_TYPE_KPROBE,
        attach_type,
        btf: None,
        log: None,
        target: None,
    };
    prog_load("tracerun_probe", &insns, &license, how)
}

/// The raw descriptor of an owned one (for attrs).
pub fn raw(fd: &OwnedFd) -> RawFd {
    fd.as_fd().as_raw_fd()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn program_names_fit_the_kernel() {
        assert_eq!(&prog_name("uprobe_1")[..9], b"uprobe_1\0");
        let long = prog_name("uprobe:/a/b:function_name_long");
        assert_eq!(&long[..15], b"uprobeabfunctio");
        assert_eq!(long[15], 0);
        assert_eq!(prog_name(""), [0; 16]);
    }
}
