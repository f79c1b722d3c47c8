//! Merging `dw_ustack`-keyed entries by the frames their snapshots unwound to.

use super::*;
use crate::print::{render, Cell, Rendered};
use crate::value::Value;
use tracec_meta::{AggKind, Field, StackMode};

const DW: Ty = Ty::DwStack {
    mode: StackMode::Raw,
    limit: 3,
};

fn map(key: Ty, agg: AggKind) -> UserMap {
    UserMap {
        name: "@".into(),
        key: Some(key),
        value: Ty::Int {
            size: 8,
            signed: true,
        },
        agg,
        additive: false,
    }
}

fn words(ws: &[u64]) -> Vec<u8> {
    ws.iter().flat_map(|w| w.to_le_bytes()).collect()
}

/// A `dw_ustack` key (snapshot id, pid) and a value of 8-byte words.
fn entry(id: u64, pid: u64, value: &[u64]) -> Entry {
    Entry {
        key: words(&[id, pid]),
        value: words(value),
    }
}

/// Snapshots 10, 30, 40: frames 1 2 3 (40 with a fourth frame past the limit);
/// 20: 1 2 4; anything else: no frames.
fn frames(id: u64) -> Vec<u64> {
    match id {
        10 | 30 => vec![1, 2, 3],
        40 => vec![1, 2, 3, 9],
        20 => vec![1, 2, 4],
        _ => Vec::new(),
    }
}

fn merged(m: &UserMap, entries: &[Entry]) -> Vec<Entry> {
    merge_with(m, entries, &mut frames).into_owned()
}

fn id_of(e: &Entry) -> u64 {
    read_int(&e.key, 8, false).unwrap()
}

#[test]
fn counts_of_one_stack_add_up_under_its_first_snapshot() {
    let m = map(DW, AggKind::Count);
    let entries = [
        entry(30, 7, &[1, 2]),
        entry(20, 7, &[5, 0]),
        entry(10, 7, &[0, 4]),
        entry(40, 7, &[1, 0]),
    ];
    let out = merged(&m, &entries);
    assert_eq!(out.len(), 2);
    let same = out.iter().find(|e| id_of(e) == 10).unwrap();
    assert_eq!(m.combine(&same.value), Some(Value::Int(8)));
    let other = out.iter().find(|e| id_of(e) == 20).unwrap();
    assert_eq!(m.combine(&other.value), Some(Value::Int(5)));
}

#[test]
fn stacks_of_different_processes_stay_apart() {
    let m = map(DW, AggKind::Count);
    let out = merged(&m, &[entry(10, 7, &[1]), entry(30, 8, &[1])]);
    assert_eq!(out.len(), 2);
}

#[test]
fn min_max_avg_and_stats_fold_like_cpus() {
    // Slots of (value, set) / (total, count) per CPU, one CPU here.
    let entries = [entry(10, 7, &[9, 1]), entry(30, 7, &[4, 1])];
    let min = map(DW, AggKind::Min);
    let out = merged(&min, &entries);
    assert_eq!(out.len(), 1);
    assert_eq!(min.combine(&out[0].value), Some(Value::Int(4)));
    let max = map(DW, AggKind::Max);
    assert_eq!(
        max.combine(&merged(&max, &entries)[0].value),
        Some(Value::Int(9))
    );
    let stats = map(DW, AggKind::Stats);
    let out = merged(&stats, &entries);
    assert_eq!(stats.total_count(&out[0].value), Some((13, 2)));
}

#[test]
fn plain_values_keep_the_latest_sample() {
    let m = map(DW, AggKind::Assign);
    let entries = [entry(30, 7, &[3]), entry(40, 7, &[4]), entry(10, 7, &[1])];
    let out = merged(&m, &entries);
    assert_eq!(out.len(), 1);
    assert_eq!(id_of(&out[0]), 10);
    assert_eq!(m.combine(&out[0].value), Some(Value::Int(4)));
}

fn additive(key: Ty) -> UserMap {
    UserMap {
        additive: true,
        ..map(key, AggKind::Assign)
    }
}

#[test]
fn additive_values_add_up() {
    let m = additive(DW);
    // 30 and 10 are one stack; -3 (a `-=`) wraps as the kernel's adds do.
    let minus3 = (-3i64) as u64;
    let entries = [
        entry(30, 7, &[5]),
        entry(20, 7, &[2]),
        entry(10, 7, &[minus3]),
    ];
    let out = merged(&m, &entries);
    assert_eq!(out.len(), 2);
    let same = out.iter().find(|e| id_of(e) == 10).unwrap();
    assert_eq!(m.combine(&same.value), Some(Value::Int(2)));
    let other = out.iter().find(|e| id_of(e) == 20).unwrap();
    assert_eq!(m.combine(&other.value), Some(Value::Int(2)));
}

#[test]
fn additive_tuple_keys_add_per_tuple() {
    let key = Ty::Tuple {
        fields: vec![
            Field { offset: 0, ty: DW },
            Field {
                offset: 16,
                ty: Ty::Int {
                    size: 8,
                    signed: false,
                },
            },
        ],
    };
    let m = additive(key);
    let e = |id: u64, n: u64, v: u64| Entry {
        key: words(&[id, 7, n]),
        value: words(&[v]),
    };
    let out = merged(&m, &[e(30, 1, 2), e(10, 1, 3), e(40, 2, 4), e(20, 1, 1)]);
    let find = |id: u64, n: u64| {
        out.iter()
            .find(|x| x.key == words(&[id, 7, n]))
            .and_then(|x| m.combine(&x.value))
    };
    assert_eq!(out.len(), 3);
    assert_eq!(find(10, 1), Some(Value::Int(5)));
    // 40 unwinds to the same three frames as 10: its key takes the earlier id.
    assert_eq!(find(10, 2), Some(Value::Int(4)));
    assert_eq!(find(20, 1), Some(Value::Int(1)));
}

#[test]
fn additive_totals_are_what_top_and_div_see() {
    // Snapshots this thread's unwinder never saw: one (empty) stack, so the entries
    // merge by the tuple's integer: 1 + 4 under 1, 2 under 2.
    let key = Ty::Tuple {
        fields: vec![
            Field { offset: 0, ty: DW },
            Field {
                offset: 16,
                ty: Ty::Int {
                    size: 8,
                    signed: false,
                },
            },
        ],
    };
    let m = additive(key);
    let e = |id: u64, n: u64, v: u64| Entry {
        key: words(&[id, 7, n]),
        value: words(&[v]),
    };
    let entries = [
        e(u64::MAX - 2, 1, 1),
        e(u64::MAX - 1, 1, 4),
        e(u64::MAX, 2, 2),
    ];
    let values = |top: u64, div: u64| -> Vec<Cell> {
        let Rendered::Entries(cells) = render(&m, &entries, top, div) else {
            panic!("not entries");
        };
        cells.into_iter().map(|c| c.1).collect()
    };
    let int = |v: i64| Cell::Value(Value::Int(v));
    assert_eq!(values(0, 0), [int(2), int(5)]);
    assert_eq!(values(1, 0), [int(5)]);
    assert_eq!(values(0, 2), [int(1), int(2)]);
}

#[test]
fn tuple_keys_merge_only_when_the_other_fields_match() {
    let key = Ty::Tuple {
        fields: vec![
            Field {
                offset: 0,
                ty: Ty::Int {
                    size: 8,
                    signed: false,
                },
            },
            Field { offset: 8, ty: DW },
        ],
    };
    let m = map(key, AggKind::Sum);
    let e = |n: u64, id: u64, v: u64| Entry {
        key: words(&[n, id, 7]),
        value: words(&[v]),
    };
    let out = merged(&m, &[e(1, 30, 2), e(2, 10, 3), e(1, 10, 5), e(1, 20, 1)]);
    assert_eq!(out.len(), 3);
    let find = |n: u64, id: u64| {
        out.iter()
            .find(|x| x.key == words(&[n, id, 7]))
            .map(|x| m.combine(&x.value))
    };
    assert_eq!(find(1, 10), Some(Some(Value::Int(7))));
    assert_eq!(find(2, 10), Some(Some(Value::Int(3))));
    assert_eq!(find(1, 20), Some(Some(Value::Int(1))));
}

#[test]
fn histogram_buckets_of_one_stack_share_one_key() {
    let m = map(DW, AggKind::Hist { bits: 0 });
    let b = |id: u64, bucket: u64, n: u64| Entry {
        key: words(&[id, 7, bucket]),
        value: words(&[n]),
    };
    let out = merged(&m, &[b(30, 2, 1), b(10, 3, 2), b(40, 2, 4)]);
    assert_eq!(out.len(), 2);
    assert!(out.iter().all(|e| id_of(e) == 10));
    let two = out.iter().find(|e| e.key == words(&[10, 7, 2])).unwrap();
    assert_eq!(m.combine(&two.value), Some(Value::Int(5)));
}

#[test]
fn maps_without_dw_keys_are_left_alone() {
    let m = map(
        Ty::Int {
            size: 8,
            signed: false,
        },
        AggKind::Count,
    );
    let entries = [entry(10, 7, &[1]), entry(30, 7, &[1])];
    assert!(matches!(
        merge_with(&m, &entries, &mut frames),
        Cow::Borrowed(_)
    ));
}

#[test]
fn rendering_prints_one_entry_per_stack() {
    // Snapshots this thread's unwinder never saw have no frames: one (empty) stack.
    let m = map(DW, AggKind::Count);
    let entries = [
        entry(u64::MAX - 2, 7, &[1]),
        entry(u64::MAX - 1, 7, &[2]),
        entry(u64::MAX, 7, &[3]),
    ];
    let Rendered::Entries(cells) = render(&m, &entries, 0, 0) else {
        panic!("not entries");
    };
    assert_eq!(cells.len(), 1);
    assert_eq!(cells[0].1, Cell::Value(Value::Int(6)));
}
