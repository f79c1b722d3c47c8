//! Loading back-end output straight into the kernel with bpf(2): maps, program
//! load (as a raw tracepoint program), test runs and map reads.

use std::io;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use tracec::back::{opcode as op, CompiledFunction, RelocTarget};
use tracec::ir::{MapKind, Module};

const MAP_CREATE: u32 = 0;
const MAP_LOOKUP_ELEM: u32 = 1;
const MAP_UPDATE_ELEM: u32 = 2;
const PROG_LOAD: u32 = 5;
const PROG_TEST_RUN: u32 = 10;
const PROG_TYPE_RAW_TRACEPOINT: u32 = 17;

struct Attr([u8; 144]);

impl Attr {
    fn new() -> Attr {
        Attr([0; 144])
    }
    fn u32(&mut self, off: usize, v: u32) -> &mut Attr {
        self.0[off..off + 4].copy_from_slice(&v.to_ne_bytes());
        self
    }
    fn u64(&mut self, off: usize, v: u64) -> &mut Attr {
        self.0[off..off + 8].copy_from_slice(&v.to_ne_bytes());
        self
    }
    fn get_u32(&self, off: usize) -> u32 {
        u32::from_ne_bytes(self.0[off..off + 4].try_into().unwrap())
    }
    fn call(&mut self, cmd: u32) -> io::Result<i64> {
        // SAFETY: the attribute buffer is valid for its whole length and every
        // pointer stored in it refers to memory that outlives the call.
        let r = unsafe {
            libc::syscall(
                libc::SYS_bpf,
                cmd as libc::c_long,
                self.0.as_mut_ptr(),
                self.0.len() as libc::c_long,
            )
        };
        if r < 0 {
            Err(io::Error::last_os_error())
        } else {
            Ok(r)
        }
    }
}

fn fd(r: i64) -> OwnedFd {
    // SAFETY: the kernel just returned this new descriptor to us.
    unsafe { OwnedFd::from_raw_fd(r as i32) }
}

pub struct Map {
    pub fd: OwnedFd,
    pub key_size: u32,
    pub value_size: u32,
}

pub fn create_map(
    kind: MapKind,
    key_size: u32,
    value_size: u32,
    max_entries: u32,
) -> io::Result<Map> {
    let r = Attr::new()
        .u32(0, kind.bpf_type())
        .u32(4, key_size)
        .u32(8, value_size)
        .u32(12, max_entries)
        .call(MAP_CREATE)?;
    Ok(Map {
        fd: fd(r),
        key_size,
        value_size,
    })
}

impl Map {
    pub fn lookup(&self, key: &[u8]) -> io::Result<Vec<u8>> {
        assert_eq!(key.len() as u32, self.key_size);
        let mut value = vec![0u8; self.value_size as usize];
        Attr::new()
            .u32(0, self.fd.as_raw_fd() as u32)
            .u64(8, key.as_ptr() as u64)
            .u64(16, value.as_mut_ptr() as u64)
            .call(MAP_LOOKUP_ELEM)?;
        Ok(value)
    }

    pub fn update(&self, key: &[u8], value: &[u8]) -> io::Result<()> {
        Attr::new()
            .u32(0, self.fd.as_raw_fd() as u32)
            .u64(8, key.as_ptr() as u64)
            .u64(16, value.as_ptr() as u64)
            .call(MAP_UPDATE_ELEM)?;
        Ok(())
    }

    /// The u64s of the value at u32 key `k`.
    pub fn u64s(&self, k: u32) -> Vec<u64> {
        self.lookup(&k.to_ne_bytes())
            .expect("map lookup")
            .chunks(8)
            .map(|c| u64::from_ne_bytes(c.try_into().unwrap()))
            .collect()
    }
}

/// A loaded program with the maps it uses (indexed like the module's maps).
pub struct Loaded {
    pub prog: OwnedFd,
    pub maps: Vec<Map>,
    _globals: Vec<Map>,
}

/// Create the module's maps, one array map per global, patch the relocations the
/// way libbpf does (map fd / map value pseudo `ld_imm64`s) and load the program.
pub fn load(f: &CompiledFunction, m: &Module) -> Result<Loaded, String> {
    let mut maps = Vec::new();
    for d in &m.maps {
        let ks = d.key.as_ref().map_or(0, |t| t.size());
        let vs = d.value.as_ref().map_or(0, |t| t.size());
        maps.push(
            create_map(d.kind, ks, vs, d.max_entries)
                .map_err(|e| format!("map {}: {e}", d.symbol))?,
        );
    }
    let mut globals = Vec::new();
    for g in &m.globals {
        let map =
            create_map(MapKind::Array, 4, g.ty.size(), 1).map_err(|e| format!("global: {e}"))?;
        map.update(&0u32.to_ne_bytes(), &g.init)
            .map_err(|e| format!("global init: {e}"))?;
        globals.push(map);
    }
    let mut insns = f.insns.clone();
    for r in &f.relocs {
        assert_eq!(insns[r.insn].code, op::LD_IMM64);
        match r.target {
            RelocTarget::Map(id) => {
                insns[r.insn].src = op::PSEUDO_MAP_FD;
                insns[r.insn].imm = maps[id.0 as usize].fd.as_raw_fd();
            }
            RelocTarget::Global(id) => {
                let off = insns[r.insn].imm;
                insns[r.insn].src = op::PSEUDO_MAP_VALUE;
                insns[r.insn].imm = globals[id.0 as usize].fd.as_raw_fd();
                insns[r.insn + 1].imm = off;
            }
            RelocTarget::Func(_) => return Err("single-function loader: no subprograms".into()),
        }
    }
    let bytes: Vec<u8> = insns.iter().flat_map(|i| i.encode()).collect();
    let license = b"GPL\0";
    let try_load = |log: Option<&mut Vec<u8>>| {
        let mut a = Attr::new();
        a.u32(0, PROG_TYPE_RAW_TRACEPOINT)
            .u32(4, insns.len() as u32)
            .u64(8, bytes.as_ptr() as u64)
            .u64(16, license.as_ptr() as u64);
        if let Some(log) = log {
            a.u32(24, 1)
                .u32(28, log.len() as u32)
                .u64(32, log.as_mut_ptr() as u64);
        }
        a.call(PROG_LOAD)
    };
    match try_load(None) {
        Ok(r) => Ok(Loaded {
            prog: fd(r),
            maps,
            _globals: globals,
        }),
        Err(e) => {
            let mut log = vec![0u8; 4 << 20];
            let _ = try_load(Some(&mut log));
            let end = log.iter().position(|&b| b == 0).unwrap_or(log.len());
            Err(format!(
                "BPF_PROG_LOAD of {}: {e}\nverifier log:\n{}\nprogram:\n{}",
                f.name,
                String::from_utf8_lossy(&log[..end]),
                tracec::back::asm::format(f, m)
            ))
        }
    }
}

impl Loaded {
    /// Run once with these u64s as the raw tracepoint arguments; returns r0.
    pub fn run(&self, args: &[u64]) -> io::Result<u32> {
        let ctx: Vec<u8> = args.iter().flat_map(|a| a.to_ne_bytes()).collect();
        let mut a = Attr::new();
        a.u32(0, self.prog.as_raw_fd() as u32)
            .u32(40, ctx.len() as u32)
            .u64(
                48,
                if ctx.is_empty() {
                    0
                } else {
                    ctx.as_ptr() as u64
                },
            );
        a.call(PROG_TEST_RUN)?;
        Ok(a.get_u32(4))
    }
}

/// Whether kernel tests can run; with `TRACEC_REQUIRE_KERNEL=1` an unusable kernel
/// fails the test instead of skipping it.
pub fn available() -> bool {
    let required = std::env::var("TRACEC_REQUIRE_KERNEL").as_deref() == Ok("1");
    // SAFETY: geteuid has no preconditions.
    let reason = if unsafe { libc::geteuid() } != 0 {
        Some("not running as root".to_string())
    } else {
        create_map(MapKind::Array, 4, 8, 1)
            .err()
            .map(|e| format!("BPF unavailable: {e}"))
    };
    match reason {
        None => true,
        Some(r) if required => panic!("TRACEC_REQUIRE_KERNEL=1 but {r}"),
        Some(r) => {
            eprintln!("skipping kernel test: {r}");
            false
        }
    }
}
