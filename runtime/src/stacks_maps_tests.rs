//! Reading frames back from real kernel maps: by hash from a frames map (format
//! 1.15), by id from an older object's stack map. Skipped without `bpf(2)` rights.

use super::*;
use crate::sys::{bpf, Attr};
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};

const BPF_MAP_CREATE: libc::c_long = 0;
const BPF_MAP_UPDATE_ELEM: libc::c_long = 2;
const BPF_MAP_TYPE_HASH: u32 = 1;

/// A hash map of `key_size`-byte keys to `limit` addresses, or `None` (said why)
/// when this process may not create maps.
fn map(key_size: u32, limit: u32, flags: u32) -> Option<OwnedFd> {
    let mut attr = Attr::new();
    attr.u32_at(0, BPF_MAP_TYPE_HASH)
        .u32_at(4, key_size)
        .u32_at(8, limit * 8)
        .u32_at(12, 64)
        .u32_at(16, flags);
    match bpf(BPF_MAP_CREATE, &mut attr) {
        // SAFETY: BPF_MAP_CREATE returned a new descriptor that nothing else owns.
        Ok(fd) => Some(unsafe { OwnedFd::from_raw_fd(fd as i32) }),
        Err(e) => {
            eprintln!("skipped: cannot create a BPF map: {e}");
            None
        }
    }
}

fn put(fd: &OwnedFd, key: &[u8], frames: &[u64], limit: u32) {
    let mut value: Vec<u8> = frames.iter().flat_map(|f| f.to_ne_bytes()).collect();
    value.resize(limit as usize * 8, 0);
    let mut attr = Attr::new();
    attr.u32_at(0, fd.as_raw_fd() as u32)
        .u64_at(8, key.as_ptr() as u64)
        .u64_at(16, value.as_ptr() as u64);
    bpf(BPF_MAP_UPDATE_ELEM, &mut attr).expect("update");
}

/// A stack value: key, then pid 0.
fn value(key: u64) -> Vec<u8> {
    let mut v = key.to_le_bytes().to_vec();
    v.extend_from_slice(&0u64.to_le_bytes());
    v
}

fn lines(user: bool, limit: u32, key: u64) -> Vec<String> {
    match decode(user, StackMode::Raw, limit, &value(key)) {
        Some(Value::Stack { lines, .. }) => lines,
        other => panic!("not a stack: {other:?}"),
    }
}

#[test]
fn frames_are_read_by_hash_and_older_objects_by_id() {
    // BPF_F_NO_PREALLOC, as the compiler creates them.
    let Some(kernel) = map(8, 4, 1) else { return };
    let Some(user) = map(8, 4, 1) else { return };
    let Some(old) = map(4, 3, 0) else { return };
    // A hash with the top bit set: not a failed stack id.
    let hash = 0x8000_0000_dead_beef_u64;
    put(&kernel, &hash.to_ne_bytes(), &[0xffff_1111, 0xffff_2222], 4);
    put(&user, &hash.to_ne_bytes(), &[0x40_1000], 4);
    put(&old, &7u32.to_ne_bytes(), &[0xabc, 0xdef, 0x123], 3);
    install(Stacks {
        frame_maps: vec![(false, 4, kernel.as_raw_fd()), (true, 4, user.as_raw_fd())],
        maps: vec![(false, 3, old.as_raw_fd())],
        ..Default::default()
    });
    assert_eq!(lines(false, 4, hash), ["ffff1111", "ffff2222"]);
    assert_eq!(lines(true, 4, hash), ["401000"]);
    // A hash nothing was stored under (a stack bpf_get_stack failed on): empty.
    assert!(lines(false, 4, 1).is_empty());
    // Kind and depth pick the map: no user map of depth 3.
    assert!(lines(true, 3, 7).is_empty());
    // Without a frames map of that kind and depth, the key is a stack id.
    assert_eq!(lines(false, 3, 7), ["abc", "def", "123"]);
    // A failed bpf_get_stackid stored a negative id.
    assert!(lines(false, 3, -14i64 as u64).is_empty());
    uninstall();
}
