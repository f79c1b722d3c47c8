//! Kernel objects found by id: BTF objects (a module's, by name) and BPF programs
//! (their name, BTF and func info), through `BPF_*_GET_NEXT_ID`,
//! `BPF_*_GET_FD_BY_ID` and `BPF_OBJ_GET_INFO_BY_FD`. The compiler lists running
//! programs with it (`-l 'fentry:bpf:*'`), the runtime resolves `fentry:bpf:...`
//! targets and module BTF objects.

use std::io;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};

/// `union bpf_attr`, as zeroed bytes (the kernel wants unused tail bytes zero): 128
/// bytes, room for every command tracec and tracerun issue. tracerun's own commands
/// (`runtime/src/sys.rs`) use it too.
#[repr(C, align(8))]
pub struct Attr([u8; 128]);

impl Attr {
    pub fn new() -> Attr {
        Attr([0; 128])
    }
    pub fn u32_at(&mut self, off: usize, v: u32) -> &mut Self {
        self.0[off..off + 4].copy_from_slice(&v.to_ne_bytes());
        self
    }
    pub fn u64_at(&mut self, off: usize, v: u64) -> &mut Self {
        self.0[off..off + 8].copy_from_slice(&v.to_ne_bytes());
        self
    }
    pub fn read_u32(&self, off: usize) -> u32 {
        get_u32(&self.0, off)
    }
}

impl Default for Attr {
    fn default() -> Self {
        Attr::new()
    }
}

/// The `bpf(2)` command `cmd` with `attr`; its non-negative result.
pub fn bpf(cmd: libc::c_long, attr: &mut Attr) -> io::Result<libc::c_long> {
    // SAFETY: attr points to a live, zero-initialised 128-byte bpf_attr the kernel may
    // read and write (it takes the size given); every pointer stored in it refers to a
    // buffer of the stated size that outlives the call.
    let r = unsafe {
        libc::syscall(
            libc::SYS_bpf,
            cmd,
            attr.0.as_mut_ptr(),
            std::mem::size_of::<Attr>() as libc::c_uint,
        )
    };
    if r < 0 {
        Err(io::Error::last_os_error())
    } else {
        Ok(r)
    }
}

const PROG_GET_NEXT_ID: libc::c_long = 11;
const PROG_GET_FD_BY_ID: libc::c_long = 13;
const OBJ_GET_INFO_BY_FD: libc::c_long = 15;
const BTF_GET_FD_BY_ID: libc::c_long = 19;
const BTF_GET_NEXT_ID: libc::c_long = 23;

/// Size of `struct bpf_prog_info` as far as `attach_btf_id`.
const PROG_INFO_LEN: usize = 232;
/// Size of `struct bpf_btf_info`.
const BTF_INFO_LEN: usize = 32;

/// The ids after `start` of programs (`prog`) or BTF objects, in order.
fn ids(prog: bool) -> Vec<u32> {
    let cmd = if prog {
        PROG_GET_NEXT_ID
    } else {
        BTF_GET_NEXT_ID
    };
    let mut out = Vec::new();
    let mut id = 0;
    loop {
        let mut attr = Attr::new();
        attr.u32_at(0, id);
        if bpf(cmd, &mut attr).is_err() {
            return out;
        }
        id = attr.read_u32(4);
        out.push(id);
    }
}

fn fd_by_id(prog: bool, id: u32) -> io::Result<OwnedFd> {
    let cmd = if prog {
        PROG_GET_FD_BY_ID
    } else {
        BTF_GET_FD_BY_ID
    };
    let mut attr = Attr::new();
    attr.u32_at(0, id);
    let fd = bpf(cmd, &mut attr)?;
    // SAFETY: a descriptor the kernel just returned to us.
    Ok(unsafe { OwnedFd::from_raw_fd(fd as RawFd) })
}

fn info(fd: &OwnedFd, buf: &mut [u8]) -> io::Result<()> {
    let mut attr = Attr::new();
    attr.u32_at(0, fd.as_raw_fd() as u32)
        .u32_at(4, buf.len() as u32)
        .u64_at(8, buf.as_mut_ptr() as u64);
    bpf(OBJ_GET_INFO_BY_FD, &mut attr).map(drop)
}

fn get_u32(b: &[u8], at: usize) -> u32 {
    b.get(at..at + 4)
        .and_then(|s| s.try_into().ok())
        .map_or(0, u32::from_ne_bytes)
}

fn put_u32(b: &mut [u8], at: usize, v: u32) {
    b[at..at + 4].copy_from_slice(&v.to_ne_bytes());
}

fn put_u64(b: &mut [u8], at: usize, v: u64) {
    b[at..at + 8].copy_from_slice(&v.to_ne_bytes());
}

/// A BTF object's name, whether it is the kernel's (vmlinux or a module's), and
/// (when `bytes`) its raw BTF.
fn btf_info(fd: &OwnedFd, bytes: bool) -> io::Result<(String, bool, Vec<u8>)> {
    let mut name = [0u8; 64];
    let mut b = [0u8; BTF_INFO_LEN];
    put_u64(&mut b, 16, name.as_mut_ptr() as u64);
    put_u32(&mut b, 24, name.len() as u32);
    info(fd, &mut b)?;
    let size = get_u32(&b, 8) as usize;
    let kernel = get_u32(&b, 28) != 0;
    let len = name.iter().position(|&c| c == 0).unwrap_or(name.len());
    let name = String::from_utf8_lossy(&name[..len]).into_owned();
    let mut data = Vec::new();
    if bytes {
        data = vec![0u8; size];
        let mut b = [0u8; BTF_INFO_LEN];
        put_u64(&mut b, 0, data.as_mut_ptr() as u64);
        put_u32(&mut b, 8, size as u32);
        info(fd, &mut b)?;
    }
    Ok((name, kernel, data))
}

/// A descriptor of the kernel BTF object of module `module`, if it is loaded.
pub fn module_btf(module: &str) -> Option<OwnedFd> {
    ids(false).into_iter().find_map(|id| {
        let fd = fd_by_id(false, id).ok()?;
        let (name, kernel, _) = btf_info(&fd, false).ok()?;
        (kernel && name == module).then_some(fd)
    })
}

/// A running BPF program: its id, descriptor, and the functions of its BTF func
/// info (the program and its subprograms) by BTF id and name.
pub struct Prog {
    pub id: u32,
    pub fd: OwnedFd,
    pub funcs: Vec<(u32, String)>,
}

/// The program with id `id`, if it runs and has BTF func info.
pub fn prog(id: u32) -> Option<Prog> {
    let fd = fd_by_id(true, id).ok()?;
    let mut b = [0u8; PROG_INFO_LEN];
    info(&fd, &mut b).ok()?;
    let (btf_id, nr) = (get_u32(&b, 128), get_u32(&b, 144));
    if btf_id == 0 || nr == 0 {
        return None;
    }
    // bpf_func_info: insn_off, type_id.
    let mut recs = vec![0u32; nr as usize * 2];
    let mut b = [0u8; PROG_INFO_LEN];
    put_u32(&mut b, 132, 8);
    put_u64(&mut b, 136, recs.as_mut_ptr() as u64);
    put_u32(&mut b, 144, nr);
    info(&fd, &mut b).ok()?;
    let btf = fd_by_id(false, btf_id).ok()?;
    let (_, _, data) = btf_info(&btf, true).ok()?;
    let blob = crate::btf_names::Blob::parse(&data).ok()?;
    let funcs = recs
        .chunks(2)
        .filter_map(|r| Some((r[1], blob.name(r[1])?)))
        .collect();
    Some(Prog { id, fd, funcs })
}

/// Every running program with BTF func info.
pub fn progs() -> Vec<Prog> {
    ids(true).into_iter().filter_map(prog).collect()
}
