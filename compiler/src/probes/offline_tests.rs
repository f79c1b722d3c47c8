//! The table, and the BTF source against the running kernel's tracefs.

use super::*;
use crate::probes::tracefs::Tracefs;
use crate::probes::{TpField, TpType};

const SCHED_SWITCH: &str = "name: sched_switch\nformat:\n\
\tfield:unsigned short common_type;\toffset:0;\tsize:2;\tsigned:0;\n\
\tfield:char prev_comm[16];\toffset:8;\tsize:16;\tsigned:0;\n\
\tfield:pid_t prev_pid;\toffset:24;\tsize:4;\tsigned:1;\n\
\tfield:const char * filename;\toffset:32;\tsize:8;\tsigned:0;\n\
\tfield:__data_loc char[] name;\toffset:40;\tsize:4;\tsigned:0;\n";

#[test]
fn table_round_trips_a_format() {
    let spec = table::fields_of_format(SCHED_SWITCH).unwrap();
    assert_eq!(
        spec,
        "char prev_comm[16];8;16;0\tpid_t prev_pid;24;4;1\t\
         const char * filename;32;8;0\t__data_loc char[] name;40;4;0"
    );
    let from_table = table::entry_fields(&spec, true).unwrap();
    assert_eq!(from_table, format::parse(SCHED_SWITCH, true).unwrap());
    assert_eq!(
        from_table[1].field,
        TpField {
            name: "prev_pid".into(),
            offset: 24,
            size: 4,
            ty: TpType::Int { signed: true }
        }
    );
    assert!(table::entry_fields("int x;8;4", false).is_err());
}

#[test]
fn table_lines() {
    let t = Table::parse("# c\nsched b\nsched a\tint x;8;4;1\nsched a\n\nirq z\n").unwrap();
    let names: Vec<_> = t.entries().iter().map(|e| (e.category, e.name)).collect();
    assert_eq!(names, [("irq", "z"), ("sched", "a"), ("sched", "b")]);
    assert_eq!(t.get("sched", "a").unwrap().fields, Some("int x;8;4;1"));
    assert_eq!(t.get("sched", "b").unwrap().fields, None);
    assert!(t.get("sched", "c").is_none());
    assert!(Table::parse("nospace\n").is_err());
}

#[test]
fn embedded_table_lists_syscalls_with_formats() {
    let t = table::embedded();
    assert!(t.entries().len() > 1000, "{}", t.entries().len());
    let openat = t
        .get("syscalls", "sys_enter_openat")
        .expect("sys_enter_openat");
    let fields = table::entry_fields(openat.fields.unwrap(), true).unwrap();
    let filename = fields.iter().find(|f| f.field.name == "filename").unwrap();
    assert!(matches!(
        filename.field.ty,
        TpType::Ptr {
            user: true,
            char_ptr: true,
            ..
        }
    ));
    assert!(t.get("sched", "sched_switch").is_some());
}

#[test]
fn unreadable_btf_is_an_error_not_a_panic() {
    let src = BtfSource::new("/nonexistent/vmlinux");
    // Listing needs no BTF.
    assert!(src.events().unwrap().len() > 1000);
    // Syscall formats come from the table.
    assert!(src
        .fields("syscalls", "sys_enter_openat")
        .unwrap()
        .is_some());
    let e = src.fields("sched", "sched_switch").unwrap_err();
    assert!(e.to_string().contains("/nonexistent/vmlinux"), "{e}");
    assert_eq!(src.fields("sched", "no_such_event").unwrap(), None);
}

fn kernel() -> Option<(BtfSource, Tracefs)> {
    let tracefs = Tracefs::new("/sys/kernel/tracing");
    let readable = std::fs::read_dir("/sys/kernel/tracing/events").is_ok()
        && std::fs::File::open(crate::kbtf::VMLINUX_BTF).is_ok();
    if !readable {
        eprintln!("skipping: tracefs or kernel BTF not readable");
        return None;
    }
    Some((BtfSource::new(crate::kbtf::VMLINUX_BTF), tracefs))
}

fn fields_only(f: Option<Vec<FormatField>>) -> Option<Vec<TpField>> {
    f.map(|v| v.into_iter().map(|f| f.field).collect())
}

/// Every tracepoint the table lists has, offline, the fields tracefs gives.
#[test]
fn offline_fields_equal_tracefs_fields() {
    let Some((offline, tracefs)) = kernel() else {
        return;
    };
    let loaded = offline.loaded().unwrap();
    let (mut checked, mut from_btf) = (0, 0);
    for (cat, name) in tracefs.events().unwrap() {
        let Some(entry) = offline.table.get(&cat, &name) else {
            continue; // Not on the kernel the table was made on.
        };
        let Ok(want) = tracefs.fields(&cat, &name) else {
            continue;
        };
        let got = offline.fields(&cat, &name).unwrap();
        assert_eq!(fields_only(got), fields_only(want.clone()), "{cat}:{name}");
        checked += 1;
        // Where the table has no format, BTF alone produced it.
        if entry.fields.is_none() {
            let btf = loaded.fields(&name, user_pointers(&cat)).unwrap();
            assert_eq!(fields_only(Some(btf)), fields_only(want), "{cat}:{name}");
            from_btf += 1;
        }
    }
    eprintln!("{checked} tracepoints checked, {from_btf} from BTF alone");
    assert!(from_btf > 1000, "{from_btf}");
}

#[test]
fn event_classes_from_prototypes() {
    let Some((offline, _)) = kernel() else {
        return;
    };
    let loaded = offline.loaded().unwrap();
    assert_eq!(
        loaded.class_of("sched_switch").as_deref(),
        Some("sched_switch")
    );
    // DEFINE_EVENT(sched_wakeup_template, sched_wakeup, ...).
    assert_eq!(
        loaded.class_of("sched_wakeup").as_deref(),
        Some("sched_wakeup_template")
    );
    // DEFINE_EVENT(block_rq, block_rq_insert, ...), not TRACE_EVENT(block_rq_requeue).
    assert_eq!(
        loaded.class_of("block_rq_insert").as_deref(),
        Some("block_rq")
    );
    assert_eq!(loaded.class_of("no_such_event"), None);
}

#[test]
fn env_with_btf_falls_back_when_tracefs_is_missing() {
    if std::fs::File::open(crate::kbtf::VMLINUX_BTF).is_err() {
        eprintln!("skipping: kernel BTF not readable");
        return;
    }
    let env = crate::probes::Env {
        tracefs: "/nonexistent/tracefs".into(),
        btf: Some(crate::kbtf::VMLINUX_BTF.into()),
        pid: None,
    };
    let src = crate::probes::tracepoint_source(&env);
    let fields = fields_only(src.fields("sched", "sched_switch").unwrap()).unwrap();
    let comm = fields.iter().find(|f| f.name == "prev_comm").unwrap();
    assert_eq!((comm.offset, &comm.ty), (8, &TpType::CharArray { len: 16 }));
    let listed = crate::probes::list(Some("tracepoint:sched:sched_switch"), &env).unwrap();
    assert_eq!(listed, ["tracepoint:sched:sched_switch"]);
}
