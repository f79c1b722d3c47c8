use super::*;
use crate::print::text;
use tracec_meta::Ty;

fn map(key: Option<Ty>, agg: TseriesAgg, n: u64) -> UserMap {
    UserMap {
        name: "@a".into(),
        key,
        value: Ty::Int {
            size: 8,
            signed: true,
        },
        agg: AggKind::Tseries {
            interval_ns: 100_000_000,
            num_intervals: n,
            agg,
        },
        additive: false,
    }
}

/// One entry: key prefix (8 bytes), bucket, and per-CPU (value, meta, epoch) slots.
fn entry(key: &[u8], bucket: u64, slots: &[(i64, u64, u64)]) -> Entry {
    let mut k = key.to_vec();
    k.resize(8, 0);
    k.extend_from_slice(&bucket.to_le_bytes());
    let mut value = Vec::new();
    for (v, m, e) in slots {
        value.extend_from_slice(&v.to_le_bytes());
        value.extend_from_slice(&m.to_le_bytes());
        value.extend_from_slice(&e.to_le_bytes());
    }
    Entry { key: k, value }
}

fn with_utc<T>(f: impl FnOnce() -> T) -> T {
    std::env::set_var("TZ", "UTC");
    // SAFETY: tzset only re-reads TZ.
    unsafe { tzset() };
    f()
}

extern "C" {
    fn tzset();
}

#[test]
fn reduces_cpus_by_the_newest_epoch() {
    let slots = [
        Slot {
            value: 4,
            meta: 10,
            epoch: 7,
        },
        Slot {
            value: 9,
            meta: 20,
            epoch: 7,
        },
        Slot {
            value: 1,
            meta: 99,
            epoch: 6,
        },
    ];
    assert_eq!(reduce(&slots, TseriesAgg::Last, true), (7, Value::Int(9)));
    assert_eq!(reduce(&slots, TseriesAgg::Sum, true), (7, Value::Int(13)));
    assert_eq!(reduce(&slots, TseriesAgg::Min, true), (7, Value::Int(4)));
    assert_eq!(reduce(&slots, TseriesAgg::Max, true), (7, Value::Int(9)));
    // avg: totals 4 + 9 over counts 10 + 20.
    assert_eq!(reduce(&slots, TseriesAgg::Avg, true), (7, Value::Int(0)));
    let unused = [Slot {
        value: 5,
        meta: 1,
        epoch: 0,
    }];
    assert_eq!(
        reduce(&unused, TseriesAgg::Last, false),
        (0, Value::UInt(0))
    );
}

#[test]
fn text_graph_matches_bpftrace() {
    // Scalar series: the value 9 in epochs 5..=9 (bucket = epoch % 5).
    let m = map(None, TseriesAgg::Last, 5);
    let entries: Vec<Entry> = (5..10u64)
        .map(|e| entry(&[], e % 5, &[(9, 1, e)]))
        .collect();
    let r = render(&m, &entries);
    let out = with_utc(|| text::map("@a", &r));
    let want = "@a:
             8                                                  10
hh:mm:ss.ms  |___________________________________________________|
00:00:00.500 |                         *                         | 9
00:00:00.600 |                         *                         | 9
00:00:00.700 |                         *                         | 9
00:00:00.800 |                         *                         | 9
00:00:00.900 |                         *                         | 9
             v___________________________________________________v
             8                                                  10

";
    assert_eq!(String::from_utf8_lossy(&out), want);
}

#[test]
fn keys_share_the_newest_window() {
    // "one": 5 in epochs 1..=4 (and an unused bucket 0); "two": 4 in epochs 5..=9.
    let m = map(Some(Ty::Str { size: 8 }), TseriesAgg::Last, 10);
    let mut entries = vec![entry(b"one", 0, &[(5, 1, 0)])];
    entries.extend((1..5u64).map(|e| entry(b"one", e, &[(5, 1, e)])));
    entries.extend((5..10u64).map(|e| entry(b"two", e, &[(4, 1, e)])));
    let r = render(&m, &entries);
    let out = String::from_utf8_lossy(&with_utc(|| text::map("@a", &r))).into_owned();
    let want_one = "@a[one]:
             0                                                   5
hh:mm:ss.ms  |___________________________________________________|
00:00:00.000 *                                                   | 0
00:00:00.100 |                                                   * 5
00:00:00.200 |                                                   * 5
00:00:00.300 |                                                   * 5
00:00:00.400 |                                                   * 5
00:00:00.500 |                                                   | -
00:00:00.600 |                                                   | -
00:00:00.700 |                                                   | -
00:00:00.800 |                                                   | -
00:00:00.900 |                                                   | -
             v___________________________________________________v
             0                                                   5

@a[two]:
             3                                                   5
hh:mm:ss.ms  |___________________________________________________|
00:00:00.500 |                         *                         | 4
";
    assert!(out.starts_with(want_one), "{out}");
    let json = crate::print::json::map("@a", &r, m.agg);
    let json = String::from_utf8_lossy(&json);
    assert!(json.starts_with("{\"type\": \"tseries\", \"data\": {\"@a\": {\"one\": [{\"interval_start\":\"1970-01-01 00:00:00.000000000\",\"value\":0},"), "{json}");
    assert!(!json.contains("00:00:00.500000000\",\"value\":5"), "{json}");
}

#[test]
fn negative_values_mark_zero() {
    let m = map(None, TseriesAgg::Last, 3);
    let entries = vec![
        entry(&[], 1, &[(-5, 1, 1)]),
        entry(&[], 2, &[(5, 1, 2)]),
        entry(&[], 0, &[(0, 1, 3)]),
    ];
    let r = render(&m, &entries);
    let out = String::from_utf8_lossy(&with_utc(|| text::map("@a", &r))).into_owned();
    let rows: Vec<&str> = out.lines().collect();
    assert_eq!(
        rows[3],
        "00:00:00.100 *                         .                         | -5"
    );
    assert_eq!(
        rows[4],
        "00:00:00.200 |                         .                         * 5"
    );
    assert_eq!(
        rows[5],
        "00:00:00.300 |                         *                         | 0"
    );
}

#[test]
fn utc_dates() {
    assert_eq!(utc(0), "1970-01-01 00:00:00.000000000");
    assert_eq!(
        utc(1_700_000_000_123_456_789),
        "2023-11-14 22:13:20.123456789"
    );
}
