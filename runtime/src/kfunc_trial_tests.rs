//! The trial program, section kinds, and the kernel's answers on this host.

use super::*;

#[test]
fn sections_give_the_program_type_and_tracing_targets() {
    let kind = |s: &str| prog_kind(s).map(|k| (k.prog_type, k.attach_type, k.target));
    assert_eq!(
        kind("tracepoint/sched/sched_switch"),
        Some((PROG_TYPE_TRACEPOINT, 0, None))
    );
    assert_eq!(
        kind("uprobe//bin/sh:main"),
        Some((PROG_TYPE_KPROBE, 0, None))
    );
    assert_eq!(kind("kretprobe"), Some((PROG_TYPE_KPROBE, 0, None)));
    assert_eq!(kind("raw_tp"), Some((PROG_TYPE_RAW_TRACEPOINT, 0, None)));
    assert_eq!(kind("perf_event"), Some((PROG_TYPE_PERF_EVENT, 0, None)));
    assert_eq!(
        kind("fentry/vfs_read"),
        Some((PROG_TYPE_TRACING, 24, Some(Target::Func("vfs_read".into()))))
    );
    assert_eq!(
        kind("fexit/nf_tables:nft_trans_alloc"),
        Some((
            PROG_TYPE_TRACING,
            25,
            Some(Target::Func("nft_trans_alloc".into()))
        ))
    );
    assert_eq!(
        kind("tp_btf/sched_switch"),
        Some((
            PROG_TYPE_TRACING,
            23,
            Some(Target::Typedef("btf_trace_sched_switch".into()))
        ))
    );
    assert_eq!(
        kind("iter/task"),
        Some((
            PROG_TYPE_TRACING,
            28,
            Some(Target::Func("bpf_iter_task".into()))
        ))
    );
    assert_eq!(kind("xdp"), None);
}

#[test]
fn the_trial_is_a_kfunc_call_then_exit() {
    let code = trial_insns(0x1234);
    // call: opcode 0x85, src_reg BPF_PSEUDO_KFUNC_CALL (2), imm the BTF id.
    assert_eq!(code[..8], [0x85, 0x20, 0, 0, 0x34, 0x12, 0, 0]);
    assert_eq!(code[8..], [0x95, 0, 0, 0, 0, 0, 0, 0]);
}

#[test]
fn only_the_refusal_of_that_kfunc_counts() {
    let log = b"0: R1=ctx() R10=fp0\ncalling kernel function bpf_task_from_pid is not allowed\n";
    assert!(refused(log, "bpf_task_from_pid"));
    assert!(!refused(log, "bpf_task_release"));
    assert!(!refused(b"R1 !read_ok\n", "bpf_task_from_pid"));
    assert!(!refused(b"", "bpf_task_from_pid"));
}

/// The kernel BTF, when this host has one and lets us load programs.
fn host_btf() -> Option<Vec<u8>> {
    if !crate::sys::has_privileges() {
        eprintln!("skipping: not privileged");
        return None;
    }
    let btf = std::fs::read(crate::target_btf::KERNEL_BTF_PATH).ok();
    if btf.is_none() {
        eprintln!("skipping: no kernel BTF");
    }
    btf
}

#[test]
fn the_kernel_answers_per_program_type() {
    let Some(btf) = host_btf() else {
        return;
    };
    let mut t = Trials::default();
    let mut ask = |section: &str| t.allowed(Some(&btf), "bpf_task_from_pid", section);
    // What 6.x kernels grant bpf_task_from_pid to (its kfunc set is registered for
    // tracing, tracepoint and perf_event programs, not for kprobe or raw_tp ones).
    assert_eq!(ask("tracepoint/sched/sched_switch"), 1);
    assert_eq!(ask("perf_event"), 1);
    assert_eq!(ask("fentry/vfs_read"), 1);
    assert_eq!(ask("tp_btf/sched_switch"), 1);
    assert_eq!(ask("kprobe"), 0);
    assert_eq!(ask("uprobe//bin/sh:main"), 0);
    assert_eq!(ask("raw_tp"), 0);
    // A kfunc of networking programs only: tracing trials reach the verifier's check
    // (the attach type and target are right) and are refused.
    if crate::hostvals::kfunc_exists(Some(&btf), "bpf_skb_ct_lookup") == 1 {
        for section in [
            "fentry/vfs_read",
            "tp_btf/sched_switch",
            "iter/task",
            "kprobe",
        ] {
            assert_eq!(
                t.allowed(Some(&btf), "bpf_skb_ct_lookup", section),
                0,
                "{section}"
            );
        }
    }
    // A missing kfunc, a target this kernel lacks, a section tracerun never loads.
    assert_eq!(
        t.allowed(Some(&btf), "tracec_no_such_kfunc", "perf_event"),
        0
    );
    assert_eq!(
        t.allowed(Some(&btf), "bpf_task_from_pid", "fentry/tracec_no_such_fn"),
        1
    );
    assert_eq!(
        t.allowed(Some(&btf), "bpf_skb_ct_lookup", "fexit/tracec_no_such_fn"),
        0
    );
    assert_eq!(t.allowed(Some(&btf), "bpf_task_from_pid", "xdp"), 0);
    assert_eq!(t.allowed(None, "bpf_task_from_pid", "perf_event"), 0);
}

#[test]
fn a_refused_trial_logs_the_refusal_itself() {
    let Some(btf) = host_btf() else {
        return;
    };
    let ids = crate::ksyms::btf_ids(&btf, &[(KsymKind::Func, "bpf_task_from_pid")]).unwrap();
    let id = ids[&(KsymKind::Func, "bpf_task_from_pid".to_string())];
    let kind = prog_kind("kprobe").unwrap();
    let log = load_trial(&kind, 0, id);
    assert!(
        refused(&log, "bpf_task_from_pid"),
        "{}",
        String::from_utf8_lossy(&log)
    );
    // Allowed: the verifier goes on to the call's arguments.
    let kind = prog_kind("tracepoint/sched/sched_switch").unwrap();
    let log = load_trial(&kind, 0, id);
    assert!(!refused(&log, "bpf_task_from_pid"));
    assert!(!log.is_empty());
}
