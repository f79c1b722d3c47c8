//! Rendering and printing maps of every value kind; expected text from bpftrace's
//! reference outputs.

use super::*;
use crate::maps::{Entry, UserMap};
use tracec_meta::{AggKind, Ty};

const U64: Ty = Ty::Int {
    size: 8,
    signed: false,
};

fn map(name: &str, key: Option<Ty>, agg: AggKind) -> UserMap {
    UserMap {
        name: name.into(),
        key,
        value: Ty::Int {
            size: 8,
            signed: true,
        },
        agg,
        additive: false,
    }
}

fn word(v: u64) -> Vec<u8> {
    v.to_le_bytes().to_vec()
}

/// A hist entry: key prefix, bucket, and a per-CPU count on two CPUs.
fn bucket(key: u64, bucket: u64, counts: [u64; 2]) -> Entry {
    let mut k = word(key);
    k.extend(word(bucket));
    let mut v = word(counts[0]);
    v.extend(word(counts[1]));
    Entry { key: k, value: v }
}

fn text(m: &UserMap, r: &Rendered) -> String {
    String::from_utf8(text::map(&m.name, r)).unwrap()
}

fn json(m: &UserMap, r: &Rendered) -> serde_json::Value {
    let line = String::from_utf8(json::map(&m.name, r, m.agg)).unwrap();
    serde_json::from_str(&line).unwrap()
}

#[test]
fn scalar_hist_matches_reference_text() {
    let h = map("@", None, AggKind::Hist { bits: 0 });
    // hist(3), hist(20): buckets 3 and 6, counts split over CPUs.
    let entries = vec![bucket(0, 3, [1, 0]), bucket(0, 6, [0, 1])];
    let r = render(&h, &entries, 0, 0);
    assert_eq!(
        text(&h, &r),
        "@:\n\
[2, 4)                 1 |@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@|\n\
[4, 8)                 0 |                                                    |\n\
[8, 16)                0 |                                                    |\n\
[16, 32)               1 |@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@|\n\n"
    );
}

#[test]
fn keyed_hists_sort_by_total_and_keep_top() {
    let h = map("@", Some(U64), AggKind::Hist { bits: 0 });
    let entries = vec![
        bucket(1, 5, [1, 0]),
        bucket(3, 6, [3, 0]),
        bucket(2, 6, [1, 1]),
    ];
    let r = render(&h, &entries, 2, 0);
    let t = text(&h, &r);
    assert!(t.starts_with("@[2]:\n[16, 32)"), "{t}");
    assert!(t.contains("\n\n@[3]:\n[16, 32)               3 |"), "{t}");
    assert!(!t.contains("@[1]"));
    assert!(t.ends_with("|\n\n"));
}

#[test]
fn zeroed_hist_prints_an_empty_histogram() {
    let h = map("@hist", None, AggKind::Hist { bits: 0 });
    let r = render(&h, &[bucket(0, 3, [0, 0])], 0, 0);
    assert_eq!(text(&h, &r), "@hist:\n\n");
    assert_eq!(
        json(&h, &r),
        serde_json::json!({"type": "hist", "data": {"@hist": []}})
    );
    // A hist map without entries prints nothing, also for print().
    assert_eq!(text(&h, &render_for_print(&h, &[], 0, 0)), "");
}

#[test]
fn lhist_json_has_closed_bounds_and_open_end() {
    let h = map(
        "@h",
        None,
        AggKind::Lhist {
            min: 0,
            max: 100,
            step: 10,
        },
    );
    // lhist(2), lhist(50), lhist(1000) with (0, 100, 10): buckets 1, 6, 11.
    let entries = vec![
        bucket(0, 1, [1, 0]),
        bucket(0, 6, [1, 0]),
        bucket(0, 11, [0, 1]),
    ];
    let v = json(&h, &render(&h, &entries, 0, 0));
    let buckets = v["data"]["@h"].as_array().unwrap();
    assert_eq!(buckets.len(), 11);
    assert_eq!(
        buckets[0],
        serde_json::json!({"min": 0, "max": 9, "count": 1})
    );
    assert_eq!(buckets[10], serde_json::json!({"min": 100, "count": 1}));
}

fn stats_value(total: i64, count: u64) -> Vec<u8> {
    let mut v = (total as u64).to_le_bytes().to_vec();
    v.extend(word(count));
    v
}

#[test]
fn stats_print_count_average_total() {
    let s = map("@stats", None, AggKind::Stats);
    let mut raw = stats_value(4, 2);
    raw.extend(stats_value(2, 1));
    let r = render(
        &s,
        &[Entry {
            key: word(0),
            value: raw,
        }],
        0,
        0,
    );
    assert_eq!(
        text(&s, &r),
        "@stats: { .count = 3, .average = 2, .total = 6 }\n"
    );
    assert_eq!(
        json(&s, &r),
        serde_json::json!({"type": "stats", "data": {"@stats": {"count": 3, "average": 2, "total": 6}}})
    );
    // print() of an empty stats map.
    let empty = render_for_print(&s, &[], 0, 0);
    assert_eq!(
        text(&s, &empty),
        "@stats: { .count = 0, .average = 0, .total = 0 }\n"
    );
}

#[test]
fn print_top_and_div_on_avg() {
    let a = UserMap {
        name: "@".into(),
        key: Some(Ty::Str { size: 8 }),
        value: Ty::Int {
            size: 8,
            signed: true,
        },
        agg: AggKind::Avg,
        additive: false,
    };
    let entries: Vec<Entry> = [("a", 10), ("b", 20), ("c", 30), ("d", 40)]
        .iter()
        .map(|(k, v)| {
            let mut key = k.as_bytes().to_vec();
            key.resize(8, 0);
            let mut value = stats_value(*v, 1);
            value.extend(stats_value(0, 0));
            Entry { key, value }
        })
        .collect();
    assert_eq!(text(&a, &render(&a, &entries, 2, 10)), "@[c]: 3\n@[d]: 4\n");
    assert_eq!(
        json(&a, &render(&a, &entries, 2, 10)),
        serde_json::json!({"type": "stats", "data": {"@": {"c": 3, "d": 4}}})
    );
    assert_eq!(
        text(&a, &render(&a, &entries, 10, 10)),
        "@[a]: 1\n@[b]: 2\n@[c]: 3\n@[d]: 4\n"
    );
}

#[test]
fn empty_scalar_prints_zero_only_for_print() {
    let m = map("@", None, AggKind::Assign);
    assert_eq!(text(&m, &render(&m, &[], 0, 0)), "");
    assert_eq!(text(&m, &render_for_print(&m, &[], 0, 0)), "@: 0\n");
    let s = UserMap {
        name: "@s".into(),
        key: None,
        value: Ty::Str { size: 8 },
        agg: AggKind::Assign,
        additive: false,
    };
    assert_eq!(text(&s, &render_for_print(&s, &[], 0, 0)), "@s: \n");
}

#[test]
fn json_maps_and_values() {
    let m = UserMap {
        name: "@complex".into(),
        key: Some(Ty::Tuple {
            fields: vec![
                tracec_meta::Field {
                    offset: 0,
                    ty: Ty::Str { size: 16 },
                },
                tracec_meta::Field {
                    offset: 16,
                    ty: U64,
                },
            ],
        }),
        value: U64,
        agg: AggKind::Assign,
        additive: false,
    };
    let mut key = b"bpftrace".to_vec();
    key.resize(16, 0);
    key.extend(word(2));
    let r = render(
        &m,
        &[Entry {
            key,
            value: word(5),
        }],
        0,
        0,
    );
    assert_eq!(
        json(&m, &r),
        serde_json::json!({"type": "map", "data": {"@complex": {"bpftrace,2": 5}}})
    );
    assert_eq!(
        json::value(&Value::Str(b"a \"b\"\n".to_vec())),
        r#""a \"b\"\n""#
    );
    assert_eq!(
        json::value(&Value::UInt(u64::MAX)),
        "\"18446744073709551615\""
    );
    assert_eq!(json::value(&Value::Int(-3)), "-3");
    assert_eq!(
        String::from_utf8(json::attached(1)).unwrap(),
        "{\"type\": \"attached_probes\", \"count\": 1, \"data\": {\"probes\": 1}}\n"
    );
}
