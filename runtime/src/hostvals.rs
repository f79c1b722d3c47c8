//! Values bpftrace computes on the host when it compiles and tracerun computes
//! before loading (globals of `tracec_meta::SymbolKind` other than `Address`):
//! `cgroupid(path)` and `kfunc_exist(name)` / `kfunc_allowed(name)`.

use std::ffi::CString;
use tracec_meta::KsymKind;

/// The cgroup v2 id of `path`: the 8-byte file handle `name_to_handle_at` gives
/// for a cgroup2 (kernfs) directory, which is what `bpf_get_current_cgroup_id`
/// returns for a task in it. `Err` is bpftrace's message.
pub fn cgroup_id(path: &str) -> Result<u64, String> {
    let fail = |why: String| format!("Failed to get `cgroupid` for path: \"{path}\": {why}");
    let c = CString::new(path).map_err(|_| fail("path contains a NUL byte".into()))?;
    #[repr(C)]
    struct Handle {
        bytes: u32,
        kind: i32,
        id: [u8; 8],
    }
    let mut h = Handle {
        bytes: 8,
        kind: 0,
        id: [0; 8],
    };
    let mut mount_id: libc::c_int = 0;
    // SAFETY: `c` is a NUL-terminated string; `h` is a `struct file_handle` with room
    // for the 8 handle bytes it announces; `mount_id` is a valid int.
    let r = unsafe {
        libc::name_to_handle_at(
            libc::AT_FDCWD,
            c.as_ptr(),
            (&mut h as *mut Handle).cast::<libc::file_handle>(),
            &mut mount_id,
            0,
        )
    };
    if r < 0 {
        return Err(fail(strerror(&std::io::Error::last_os_error())));
    }
    Ok(u64::from_le_bytes(h.id))
}

/// The C library's text for an OS error (`std` appends ` (os error N)`).
fn strerror(e: &std::io::Error) -> String {
    let text = e.to_string();
    match text.rfind(" (os error ") {
        Some(i) => text[..i].to_string(),
        None => text,
    }
}

/// Whether the host's kernel BTF has a function named `name`: 1 or 0.
pub fn kfunc_exists(btf: Option<&[u8]>, name: &str) -> u64 {
    let Some(btf) = btf else {
        return 0;
    };
    match crate::ksyms::btf_ids(btf, &[(KsymKind::Func, name)]) {
        Ok(ids) => u64::from(ids.contains_key(&(KsymKind::Func, name.to_string()))),
        Err(_) => 0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_missing_path_is_bpftraces_error() {
        let e = cgroup_id("/sys/fs/cgroup/tracec-no-such-cgroup").unwrap_err();
        assert_eq!(
            e,
            "Failed to get `cgroupid` for path: \"/sys/fs/cgroup/tracec-no-such-cgroup\": \
             No such file or directory"
        );
    }

    #[test]
    fn the_root_cgroup_has_id_1() {
        let mounts = std::fs::read_to_string("/proc/mounts").unwrap_or_default();
        let Some(root) = mounts.lines().find_map(|l| {
            let f: Vec<&str> = l.split_whitespace().collect();
            (f.get(2) == Some(&"cgroup2")).then(|| f[1].to_string())
        }) else {
            eprintln!("skipping: no cgroup2 mount");
            return;
        };
        assert_eq!(cgroup_id(&root), Ok(1));
    }

    #[test]
    fn kfuncs_are_looked_up_in_kernel_btf() {
        let Ok(btf) = std::fs::read(crate::target_btf::KERNEL_BTF_PATH) else {
            eprintln!("skipping: no kernel BTF");
            return;
        };
        assert_eq!(kfunc_exists(Some(&btf), "bpf_task_from_pid"), 1);
        assert_eq!(kfunc_exists(Some(&btf), "tracec_no_such_kfunc"), 0);
        assert_eq!(kfunc_exists(None, "bpf_task_from_pid"), 0);
    }
}
