//! `kstack` / `ustack` values: a key of the frames and a pid (see
//! `tracec_meta::Ty::Stack`), turned into bpftrace's text. The key is the frames'
//! hash in a hash map (`MapRole::StackFrames`, format 1.15), or in older objects a
//! stack id into a stack trace map (`MapRole::Stack`). The session installs the
//! maps' file descriptors ([`install`]) for the thread that decodes events and maps;
//! without them (or for a key with no frames) a stack prints as nothing.

use crate::srcline::{Loc, SourceFrames};
use crate::symbolize::{Resolved, Symbolizer};
use crate::sys;
use crate::value::{read_int, Value};
use std::cell::RefCell;
use std::os::fd::RawFd;
use tracec_meta::StackMode;

/// The stack trace maps of a loaded object and the symbol caches.
#[derive(Default)]
pub struct Stacks {
    /// `(user, limit, fd)` of every stack trace map (objects before format 1.15).
    pub maps: Vec<(bool, u32, RawFd)>,
    /// `(user, limit, fd)` of every stack frames map: frames by `u64` hash.
    pub frame_maps: Vec<(bool, u32, RawFd)>,
    /// `(limit, fd)` of every build-id stack map (`ustack(build_id)`).
    pub build_id_maps: Vec<(u32, RawFd)>,
    pub symbols: Symbolizer,
    /// `show_debug_info`: user frames with source locations and inlined functions.
    pub debug_info: bool,
}

thread_local! {
    static STACKS: RefCell<Option<Stacks>> = const { RefCell::new(None) };
}

/// Make `stacks` the source of stack addresses on this thread.
pub fn install(stacks: Stacks) {
    STACKS.with(|s| *s.borrow_mut() = Some(stacks));
}

/// Apply `f` to the symbol caches of this thread's installed stacks.
pub fn with_symbolizer(f: impl FnOnce(&mut Symbolizer)) {
    STACKS.with(|s| f(&mut s.borrow_mut().get_or_insert_with(Stacks::default).symbols));
}

/// Forget the installed maps (before their descriptors are closed).
pub fn uninstall() {
    STACKS.with(|s| *s.borrow_mut() = None);
}

/// The addresses of the stack of `key`, up to the first zero: the frames stored
/// under that hash, or (objects without a frames map) the stack with that id.
fn addresses(st: &Stacks, user: bool, limit: u32, key: u64) -> Vec<u64> {
    let find = |maps: &[(bool, u32, RawFd)]| {
        maps.iter()
            .find(|m| m.0 == user && m.1 == limit)
            .map(|m| m.2)
    };
    let (fd, key) = if let Some(fd) = find(&st.frame_maps) {
        (fd, key.to_ne_bytes().to_vec())
    } else {
        // A stack id: negative when bpf_get_stackid failed.
        let (Some(fd), Ok(id)) = (find(&st.maps), u32::try_from(key as i64)) else {
            return Vec::new();
        };
        (fd, id.to_ne_bytes().to_vec())
    };
    frame_words(fd, &key, limit)
}

/// The non-zero words of the `limit` addresses stored under `key` in map `fd`.
fn frame_words(fd: RawFd, key: &[u8], limit: u32) -> Vec<u64> {
    let len = limit as usize * 8;
    match sys::map_lookup(fd, key, len) {
        Ok(Some(bytes)) => bytes
            .chunks_exact(8)
            .filter_map(|c| read_int(c, 8, false))
            .take_while(|a| *a != 0)
            .collect(),
        _ => Vec::new(),
    }
}

/// One frame's line (without the indentation of bpftrace mode).
pub fn frame_line(
    sym: &mut Symbolizer,
    user: bool,
    pid: u32,
    mode: StackMode,
    addr: u64,
) -> String {
    if mode == StackMode::Raw {
        return format!("{addr:x}");
    }
    let r = if user {
        sym.user(pid, addr)
    } else {
        sym.kernel(addr)
    };
    match (mode, r) {
        (StackMode::Perf, Some(r)) => match r.path {
            Some(p) if user => format!("\t{addr:x} {}+{} ({})", r.name, r.offset, p.display()),
            _ => format!("\t{addr:x} {}+{}", r.name, r.offset),
        },
        (StackMode::Perf, None) => format!("\t{addr:x} [unknown]"),
        (_, Some(r)) => format!("{}+{}", r.name, r.offset),
        (_, None) => format!("0x{addr:x}"),
    }
}

/// The lines of one frame. With `debug_info`, a user address whose file has DWARF
/// prints the functions inlined there first, innermost first (bpftrace mode
/// `[inlined] NAME@FILE:LINE`, perf mode `ADDR NAME (inlined)`), then its function,
/// in bpftrace mode with the source location (`NAME+OFFSET@FILE:LINE`). The frame
/// count of a stack limit is of addresses, so inlined functions add lines.
pub fn frame_lines(
    sym: &mut Symbolizer,
    user: bool,
    pid: u32,
    mode: StackMode,
    debug_info: bool,
    addr: u64,
    out: &mut Vec<String>,
) {
    let plain = !user || !debug_info || !matches!(mode, StackMode::Bpftrace | StackMode::Perf);
    let resolved = if plain { None } else { sym.user(pid, addr) };
    let Some(r) = resolved else {
        out.push(frame_line(sym, user, pid, mode, addr));
        return;
    };
    let src = sym.user_source(pid, addr).unwrap_or_default();
    debug_frame_lines(mode, addr, &r, &src, out);
}

/// The lines of user address `addr`, resolved to `r`, with the source information
/// `src` (see [`frame_lines`]).
pub fn debug_frame_lines(
    mode: StackMode,
    addr: u64,
    r: &Resolved,
    src: &SourceFrames,
    out: &mut Vec<String>,
) {
    let at = |loc: &Option<Loc>| {
        loc.as_ref()
            .map_or_else(String::new, |l| format!("@{}:{}", l.file, l.line))
    };
    let perf = mode == StackMode::Perf;
    for f in &src.inlined {
        out.push(if perf {
            format!("\t{addr:x} {} (inlined)", f.name)
        } else {
            format!("[inlined] {}{}", f.name, at(&f.loc))
        });
    }
    out.push(match (&r.path, perf) {
        (Some(p), true) => format!("\t{addr:x} {}+{} ({})", r.name, r.offset, p.display()),
        (None, true) => format!("\t{addr:x} {}+{}", r.name, r.offset),
        _ => format!("{}+{}{}", r.name, r.offset, at(&src.loc)),
    });
}

/// Bytes of a `struct bpf_stack_build_id`.
const BUILD_ID_FRAME: usize = 32;

/// bpftrace's lines of a build-id stack: `BUILDID 0xOFFSET` for frames the kernel found
/// a build id for (status 1), the address in hex for the others (status 2), up to the
/// first empty frame (status 0).
pub fn build_id_lines(bytes: &[u8]) -> Vec<String> {
    let mut lines = Vec::new();
    for f in bytes.chunks_exact(BUILD_ID_FRAME) {
        let status = read_int(f, 4, true).unwrap_or(0) as i64;
        let addr = read_int(&f[24..], 8, false).unwrap_or(0);
        match status {
            1 => {
                let id: String = f[4..24].iter().map(|b| format!("{b:02x}")).collect();
                lines.push(format!("{id} 0x{addr:02x}"));
            }
            2 => lines.push(format!("{addr:x}")),
            _ => break,
        }
    }
    lines
}

fn build_id_stack(st: &Stacks, limit: u32, id: i64) -> Vec<String> {
    let Ok(key) = u32::try_from(id) else {
        return Vec::new();
    };
    let Some((_, fd)) = st.build_id_maps.iter().find(|m| m.0 == limit) else {
        return Vec::new();
    };
    match sys::map_lookup(*fd, &key.to_ne_bytes(), limit as usize * BUILD_ID_FRAME) {
        Ok(Some(bytes)) => build_id_lines(&bytes),
        _ => Vec::new(),
    }
}

/// Decode a stack value (`id`, `pid`) and symbolize it.
pub fn decode(user: bool, mode: StackMode, limit: u32, bytes: &[u8]) -> Option<Value> {
    let key = read_int(bytes, 8, false)?;
    let pid = read_int(bytes.get(8..)?, 8, false)? as u32;
    if mode == StackMode::BuildId && user {
        let lines = STACKS.with(|s| {
            s.borrow()
                .as_ref()
                .map_or_else(Vec::new, |st| build_id_stack(st, limit, key as i64))
        });
        return Some(stack_value(mode, lines));
    }
    let lines = STACKS.with(|s| {
        let mut s = s.borrow_mut();
        let Some(st) = s.as_mut() else {
            return Vec::new();
        };
        let addrs = addresses(st, user, limit, key);
        stack_lines(st, user, pid, mode, addrs)
    });
    Some(stack_value(mode, lines))
}

/// The printed lines of the frames at `addrs`, in order.
fn stack_lines(
    st: &mut Stacks,
    user: bool,
    pid: u32,
    mode: StackMode,
    addrs: impl IntoIterator<Item = u64>,
) -> Vec<String> {
    let mut lines = Vec::new();
    for a in addrs {
        frame_lines(
            &mut st.symbols,
            user,
            pid,
            mode,
            st.debug_info,
            a,
            &mut lines,
        );
    }
    lines
}

/// A stack value of `lines`, indented in bpftrace's mode.
fn stack_value(mode: StackMode, lines: Vec<String>) -> Value {
    Value::Stack {
        indent: mode == StackMode::Bpftrace,
        lines,
    }
}

/// Decode a `dw_ustack` value (snapshot id, pid): the frames the unwinder found for
/// the snapshot (`dwunwind.rs`), symbolized as a user stack.
pub fn decode_dw(mode: StackMode, limit: u32, bytes: &[u8]) -> Option<Value> {
    let id = read_int(bytes, 8, false)?;
    let pid = read_int(bytes.get(8..)?, 8, false)? as u32;
    let frames = crate::dwunwind::frames(id);
    let lines = STACKS.with(|s| {
        let mut s = s.borrow_mut();
        let st = s.get_or_insert_with(Stacks::default);
        stack_lines(st, true, pid, mode, frames.into_iter().take(limit as usize))
    });
    Some(stack_value(mode, lines))
}

/// Decode a `ksym`/`usym` value (`addr`, `pid`): the function's name, or the address
/// in hex.
pub fn decode_sym(user: bool, bytes: &[u8]) -> Option<Value> {
    let addr = read_int(bytes, 8, false)?;
    let pid = read_int(bytes.get(8..)?, 8, false)? as u32;
    let name = STACKS.with(|s| {
        let mut s = s.borrow_mut();
        let sym = &mut s.get_or_insert_with(Stacks::default).symbols;
        if user {
            sym.user(pid, addr)
        } else {
            sym.kernel(addr)
        }
    });
    Some(Value::Str(match name {
        Some(r) => r.name.into_bytes(),
        None => format!("0x{addr:x}").into_bytes(),
    }))
}

/// The text of a stack: nothing when empty, else a newline and one line per frame,
/// bpftrace-mode frames indented by `indent` spaces.
pub fn text(indent: bool, lines: &[String], width: usize, out: &mut Vec<u8>) {
    if lines.is_empty() {
        return;
    }
    out.push(b'\n');
    for l in lines {
        if indent {
            out.extend(std::iter::repeat_n(b' ', width));
        }
        out.extend_from_slice(l.as_bytes());
        out.push(b'\n');
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_forms() {
        let mut out = Vec::new();
        text(true, &["a+1".into(), "b+2".into()], 8, &mut out);
        assert_eq!(out, b"\n        a+1\n        b+2\n");
        out.clear();
        text(false, &["ffff".into()], 8, &mut out);
        assert_eq!(out, b"\nffff\n");
        out.clear();
        text(true, &[], 8, &mut out);
        assert!(out.is_empty());
    }

    #[test]
    fn raw_and_unresolved_frames() {
        let mut s = Symbolizer::default();
        assert_eq!(frame_line(&mut s, false, 0, StackMode::Raw, 0xabc), "abc");
        // No process has pid 0's maps: user frames stay addresses.
        assert_eq!(
            frame_line(&mut s, true, 0, StackMode::Bpftrace, 0x10),
            "0x10"
        );
        assert_eq!(
            frame_line(&mut s, true, 0, StackMode::Perf, 0x10),
            "\t10 [unknown]"
        );
    }

    #[test]
    fn debug_info_frames() {
        let r = Resolved {
            name: "mywrapper".into(),
            offset: 49,
            path: Some("/bin/prog".into()),
        };
        let loc = |line| {
            Some(Loc {
                file: "/src/p.c".into(),
                line,
            })
        };
        let src = SourceFrames {
            inlined: vec![
                crate::srcline::InlinedFrame {
                    name: "myclock".into(),
                    loc: loc(19),
                },
                crate::srcline::InlinedFrame {
                    name: "mywrapper_inlined".into(),
                    loc: None,
                },
            ],
            loc: loc(29),
        };
        let mut out = Vec::new();
        debug_frame_lines(StackMode::Bpftrace, 0x401136, &r, &src, &mut out);
        assert_eq!(
            out,
            [
                "[inlined] myclock@/src/p.c:19",
                "[inlined] mywrapper_inlined",
                "mywrapper+49@/src/p.c:29"
            ]
        );
        out.clear();
        debug_frame_lines(StackMode::Perf, 0x401136, &r, &src, &mut out);
        assert_eq!(
            out,
            [
                "\t401136 myclock (inlined)",
                "\t401136 mywrapper_inlined (inlined)",
                "\t401136 mywrapper+49 (/bin/prog)"
            ]
        );
        // Without DWARF: the plain frame.
        out.clear();
        debug_frame_lines(
            StackMode::Bpftrace,
            1,
            &r,
            &SourceFrames::default(),
            &mut out,
        );
        assert_eq!(out, ["mywrapper+49"]);
    }

    #[test]
    fn build_id_frames() {
        let mut bytes = Vec::new();
        let mut frame = |status: i32, id: u8, addr: u64| {
            bytes.extend_from_slice(&status.to_le_bytes());
            bytes.extend_from_slice(&[id; 20]);
            bytes.extend_from_slice(&addr.to_le_bytes());
        };
        frame(1, 0xab, 0x5);
        frame(2, 0, 0xffff_1234);
        frame(0, 0, 0);
        frame(1, 0xcd, 0x10);
        assert_eq!(
            build_id_lines(&bytes),
            vec![format!("{} 0x05", "ab".repeat(20)), "ffff1234".to_string()]
        );
    }

    #[test]
    fn without_maps_a_stack_is_empty() {
        let mut b = 5i64.to_le_bytes().to_vec();
        b.extend_from_slice(&7u64.to_le_bytes());
        assert_eq!(
            decode(false, StackMode::Bpftrace, 127, &b),
            Some(Value::Stack {
                indent: true,
                lines: Vec::new()
            })
        );
        assert_eq!(decode(false, StackMode::Bpftrace, 127, &b[..8]), None);
    }
}

#[cfg(test)]
#[path = "stacks_maps_tests.rs"]
mod maps_tests;
