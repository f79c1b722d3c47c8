//! Kernel names for the numbers an object carries: BPF helpers, map types, and the
//! program type a libbpf section name stands for. Used by `--info`.

/// Helpers a tracing program can call: `(id, name, first kernel release)`.
const HELPERS: &[(i32, &str, &str)] = &[
    (1, "map_lookup_elem", "3.19"),
    (2, "map_update_elem", "3.19"),
    (3, "map_delete_elem", "3.19"),
    (4, "probe_read", "4.1"),
    (5, "ktime_get_ns", "4.1"),
    (6, "trace_printk", "4.1"),
    (7, "get_prandom_u32", "4.1"),
    (8, "get_smp_processor_id", "4.1"),
    (14, "get_current_pid_tgid", "4.2"),
    (15, "get_current_uid_gid", "4.2"),
    (16, "get_current_comm", "4.2"),
    (22, "perf_event_read", "4.3"),
    (25, "perf_event_output", "4.4"),
    (27, "get_stackid", "4.6"),
    (35, "get_current_task", "4.8"),
    (36, "probe_write_user", "4.8"),
    (42, "get_numa_node_id", "4.10"),
    (45, "probe_read_str", "4.11"),
    (58, "override_return", "4.16"),
    (67, "get_stack", "4.18"),
    (80, "get_current_cgroup_id", "4.18"),
    (109, "send_signal", "5.3"),
    (111, "skb_output", "5.5"),
    (112, "probe_read_user", "5.5"),
    (113, "probe_read_kernel", "5.5"),
    (114, "probe_read_user_str", "5.5"),
    (115, "probe_read_kernel_str", "5.5"),
    (117, "send_signal_thread", "5.5"),
    (118, "jiffies64", "5.5"),
    (120, "get_ns_current_pid_tgid", "5.7"),
    (123, "get_current_ancestor_cgroup_id", "5.7"),
    (125, "ktime_get_boot_ns", "5.8"),
    (130, "ringbuf_output", "5.8"),
    (131, "ringbuf_reserve", "5.8"),
    (132, "ringbuf_submit", "5.8"),
    (133, "ringbuf_discard", "5.8"),
    (134, "ringbuf_query", "5.8"),
    (141, "get_task_stack", "5.9"),
    (147, "d_path", "5.10"),
    (148, "copy_from_user", "5.10"),
    (158, "get_current_task_btf", "5.11"),
    (160, "ktime_get_coarse_ns", "5.11"),
    (164, "for_each_map_elem", "5.13"),
    (165, "snprintf", "5.13"),
    (173, "get_func_ip", "5.15"),
    (174, "get_attach_cookie", "5.15"),
    (177, "trace_vprintk", "5.16"),
    (180, "find_vma", "5.17"),
    (181, "loop", "5.17"),
    (182, "strncmp", "5.17"),
    (195, "map_lookup_percpu_elem", "5.19"),
    (208, "ktime_get_tai_ns", "6.1"),
];

/// `bpf_<name>` for a known helper id.
pub fn helper(id: i32) -> Option<&'static str> {
    HELPERS.iter().find(|h| h.0 == id).map(|h| h.1)
}

/// The first kernel release that has helper `id`, when known.
pub fn helper_since(id: i32) -> Option<&'static str> {
    HELPERS.iter().find(|h| h.0 == id).map(|h| h.2)
}

/// How `BPF_MAP_TYPE_*` values are spelled by bpftool: `(type, name, first release)`.
const MAP_TYPES: &[(u32, &str, &str)] = &[
    (1, "hash", "3.19"),
    (2, "array", "3.19"),
    (3, "prog_array", "4.2"),
    (4, "perf_event_array", "4.3"),
    (5, "percpu_hash", "4.6"),
    (6, "percpu_array", "4.6"),
    (7, "stack_trace", "4.6"),
    (8, "cgroup_array", "4.8"),
    (9, "lru_hash", "4.10"),
    (10, "lru_percpu_hash", "4.10"),
    (11, "lpm_trie", "4.11"),
    (12, "array_of_maps", "4.12"),
    (13, "hash_of_maps", "4.12"),
    (22, "queue", "4.20"),
    (23, "stack", "4.20"),
    (27, "ringbuf", "5.8"),
    (29, "task_storage", "5.11"),
    (30, "bloom_filter", "5.16"),
];

pub fn map_type(t: u32) -> Option<&'static str> {
    MAP_TYPES.iter().find(|m| m.0 == t).map(|m| m.1)
}

pub fn map_type_since(t: u32) -> Option<&'static str> {
    MAP_TYPES.iter().find(|m| m.0 == t).map(|m| m.2)
}

/// The program type (as bpftool names it) for a libbpf section name, the way libbpf
/// and aya read the prefix before the first `/`.
pub fn program_type(section: &str) -> Option<&'static str> {
    let prefix = section.split('/').next().unwrap_or("");
    Some(match prefix {
        "raw_tp" | "raw_tracepoint" => "raw_tracepoint",
        "tp" | "tracepoint" => "tracepoint",
        "kprobe" | "kretprobe" | "uprobe" | "uretprobe" | "ksyscall" | "kretsyscall" => "kprobe",
        "perf_event" => "perf_event",
        "fentry" | "fexit" | "fmod_ret" | "tp_btf" | "iter" => "tracing",
        "socket" => "socket_filter",
        "xdp" => "xdp",
        "lsm" => "lsm",
        _ => return None,
    })
}

/// The first kernel release that has program type `ty` (as named by [`program_type`]).
pub fn program_type_since(ty: &str) -> Option<&'static str> {
    Some(match ty {
        "socket_filter" => "3.19",
        "kprobe" => "4.1",
        "tracepoint" => "4.7",
        "perf_event" => "4.9",
        "xdp" => "4.8",
        "raw_tracepoint" => "4.17",
        "tracing" => "5.5",
        "lsm" => "5.7",
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn helper_names_and_unknowns() {
        assert_eq!(helper(1), Some("map_lookup_elem"));
        assert_eq!(helper(131), Some("ringbuf_reserve"));
        assert_eq!(helper_since(131), Some("5.8"));
        assert_eq!(helper(9999), None);
        assert_eq!(helper(-1), None);
    }

    #[test]
    fn map_types() {
        assert_eq!(map_type(27), Some("ringbuf"));
        assert_eq!(map_type(5), Some("percpu_hash"));
        assert_eq!(map_type(6), Some("percpu_array"));
        assert_eq!(map_type(0), None);
    }

    #[test]
    fn program_types_from_sections() {
        assert_eq!(program_type("raw_tp"), Some("raw_tracepoint"));
        assert_eq!(
            program_type("tracepoint/syscalls/sys_enter_openat"),
            Some("tracepoint")
        );
        assert_eq!(program_type("kretprobe/do_sys_open"), Some("kprobe"));
        assert_eq!(program_type("uprobe//bin/bash:readline"), Some("kprobe"));
        assert_eq!(program_type("perf_event"), Some("perf_event"));
        assert_eq!(program_type("license"), None);
        assert_eq!(program_type_since("raw_tracepoint"), Some("4.17"));
    }

    #[test]
    fn tables_have_unique_ids() {
        let mut ids: Vec<i32> = HELPERS.iter().map(|h| h.0).collect();
        ids.sort_unstable();
        ids.dedup();
        assert_eq!(ids.len(), HELPERS.len());
        let mut ms: Vec<u32> = MAP_TYPES.iter().map(|m| m.0).collect();
        ms.dedup();
        assert_eq!(ms.len(), MAP_TYPES.len());
    }
}
