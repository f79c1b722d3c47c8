//! Map printing on synthetic entries; expected text from bpftrace runs (see module docs).

use super::*;
use tracec_meta::Field;

const U64: Ty = Ty::Int {
    size: 8,
    signed: false,
};
const I64: Ty = Ty::Int {
    size: 8,
    signed: true,
};

fn map(name: &str, key: Option<Ty>, value: Ty, agg: AggKind) -> UserMap {
    UserMap {
        name: name.into(),
        key,
        value,
        agg,
        additive: false,
    }
}

fn k64(v: i64) -> Vec<u8> {
    v.to_le_bytes().to_vec()
}

fn kstr(s: &str, size: usize) -> Vec<u8> {
    let mut b = s.as_bytes().to_vec();
    b.resize(size, 0);
    b
}

/// Per-CPU value from one slot per CPU, each slot given as its 8-byte words.
fn percpu(slots: &[&[u64]], stride: usize) -> Vec<u8> {
    let mut out = Vec::new();
    for s in slots {
        let start = out.len();
        for w in *s {
            out.extend_from_slice(&w.to_le_bytes());
        }
        out.resize(start + stride, 0);
    }
    out
}

fn text(m: &UserMap, entries: Vec<(Vec<u8>, Vec<u8>)>) -> String {
    let entries: Vec<Entry> = entries
        .into_iter()
        .map(|(key, value)| Entry { key, value })
        .collect();
    String::from_utf8(m.format(&entries)).unwrap()
}

fn tuple_int_str() -> Ty {
    Ty::Tuple {
        fields: vec![
            Field { offset: 0, ty: I64 },
            Field {
                offset: 8,
                ty: Ty::Str { size: 8 },
            },
        ],
    }
}

fn tuple_key(i: i64, s: &str) -> Vec<u8> {
    let mut k = k64(i);
    k.extend(kstr(s, 8));
    k
}

#[test]
fn scalar_and_keyed_assignments() {
    let a = map("@a", None, I64, AggKind::Assign);
    assert_eq!(text(&a, vec![(k64(0), k64(1))]), "@a: 1\n");
    let b = map("@b", Some(tuple_int_str()), I64, AggKind::Assign);
    assert_eq!(text(&b, vec![(tuple_key(2, "x"), k64(3))]), "@b[2, x]: 3\n");
    assert_eq!(text(&b, vec![]), "");
}

#[test]
fn integer_values_sort_by_value_ties_by_key() {
    // bpftrace: @h[1]=5; @h[2]=3; @h[3]=5; @h[0]=5 prints 2, then 0 1 3.
    let h = map("@h", Some(I64), I64, AggKind::Assign);
    let entries = vec![
        (k64(3), k64(5)),
        (k64(1), k64(5)),
        (k64(2), k64(3)),
        (k64(0), k64(5)),
    ];
    assert_eq!(
        text(&h, entries),
        "@h[2]: 3\n@h[0]: 5\n@h[1]: 5\n@h[3]: 5\n"
    );
}

#[test]
fn negative_values_sort_signed() {
    let m = map("@m", Some(I64), I64, AggKind::Assign);
    let entries = vec![(k64(1), k64(4)), (k64(2), k64(-9)), (k64(3), k64(0))];
    assert_eq!(text(&m, entries), "@m[2]: -9\n@m[3]: 0\n@m[1]: 4\n");
}

#[test]
fn string_values_sort_by_key() {
    // @s["b"]="x"; @s["a"]="y" prints a then b.
    let s = map(
        "@s",
        Some(Ty::Str { size: 8 }),
        Ty::Str { size: 8 },
        AggKind::Assign,
    );
    let entries = vec![(kstr("b", 8), kstr("x", 8)), (kstr("a", 8), kstr("y", 8))];
    assert_eq!(text(&s, entries), "@s[a]: y\n@s[b]: x\n");
    // Integer keys sort as signed numbers.
    let k = map("@k", Some(I64), Ty::Str { size: 4 }, AggKind::Assign);
    let entries = vec![
        (k64(-1), kstr("a", 4)),
        (k64(5), kstr("b", 4)),
        (k64(-7), kstr("c", 4)),
    ];
    assert_eq!(text(&k, entries), "@k[-7]: c\n@k[-1]: a\n@k[5]: b\n");
}

#[test]
fn tuple_keys_sort_field_by_field() {
    let t = map(
        "@t",
        Some(tuple_int_str()),
        Ty::Str { size: 4 },
        AggKind::Assign,
    );
    let entries = vec![
        (tuple_key(1, "b"), kstr("1", 4)),
        (tuple_key(0, "z"), kstr("2", 4)),
        (tuple_key(1, "a"), kstr("3", 4)),
    ];
    assert_eq!(text(&t, entries), "@t[0, z]: 2\n@t[1, a]: 3\n@t[1, b]: 1\n");
}

#[test]
fn small_int_keys_are_sign_extended() {
    let i8t = Ty::Int {
        size: 1,
        signed: true,
    };
    let u = map("@u", Some(i8t), Ty::Str { size: 2 }, AggKind::Assign);
    let entries = vec![(vec![1], kstr("p", 2)), (vec![0xff], kstr("n", 2))];
    assert_eq!(text(&u, entries), "@u[-1]: n\n@u[1]: p\n");
}

#[test]
fn count_and_sum_add_cpus() {
    let c = map("@c", None, U64, AggKind::Count);
    let v = percpu(&[&[2], &[0], &[5]], 8);
    assert_eq!(text(&c, vec![(k64(0), v)]), "@c: 7\n");
    let s = map("@d", Some(I64), I64, AggKind::Sum);
    let v1 = percpu(&[&[(-10i64) as u64], &[3]], 8);
    let v2 = percpu(&[&[1], &[1]], 8);
    assert_eq!(
        text(&s, vec![(k64(2), v2), (k64(1), v1)]),
        "@d[1]: -7\n@d[2]: 2\n"
    );
}

#[test]
fn min_max_use_only_cpus_that_saw_a_value() {
    let mn = map("@f", Some(I64), I64, AggKind::Min);
    let v = percpu(&[&[0, 0], &[(-4i64) as u64, 1], &[7, 1]], 16);
    assert_eq!(text(&mn, vec![(k64(3), v)]), "@f[3]: -4\n");
    let mx = map("@g", None, I64, AggKind::Max);
    let v = percpu(&[&[100, 0], &[(-3i64) as u64, 1], &[(-9i64) as u64, 1]], 16);
    assert_eq!(text(&mx, vec![(k64(0), v)]), "@g: -3\n");
    let none = percpu(&[&[5, 0], &[6, 0]], 16);
    assert_eq!(text(&mx, vec![(k64(0), none)]), "@g: 0\n");
    // Sorted by value: -5, -1, 3 (bpftrace 0.17 order).
    let m = map("@m", Some(I64), I64, AggKind::Min);
    let e = |v: i64| percpu(&[&[v as u64, 1]], 16);
    assert_eq!(
        text(&m, vec![(k64(2), e(3)), (k64(1), e(-5)), (k64(3), e(-1))]),
        "@m[1]: -5\n@m[3]: -1\n@m[2]: 3\n"
    );
}

#[test]
fn avg_divides_totals_by_counts() {
    let a = map("@i", Some(I64), I64, AggKind::Avg);
    let e1 = percpu(&[&[(-7i64) as u64, 1]], 16);
    let e2 = percpu(&[&[3, 1], &[7, 1]], 16);
    let e3 = percpu(&[&[(-7i64) as u64, 2]], 16); // -3.5 truncates toward zero
    let e4 = percpu(&[&[0, 0]], 16);
    assert_eq!(
        text(
            &a,
            vec![(k64(2), e2), (k64(1), e1), (k64(3), e3), (k64(4), e4)]
        ),
        "@i[1]: -7\n@i[3]: -3\n@i[4]: 0\n@i[2]: 5\n"
    );
}

#[test]
fn short_values_are_skipped_not_fatal() {
    let c = map("@c", Some(I64), U64, AggKind::Count);
    assert_eq!(text(&c, vec![(k64(1), vec![1, 2, 3])]), "");
    let a = map("@a", Some(I64), I64, AggKind::Assign);
    assert_eq!(text(&a, vec![(k64(1), vec![1])]), "");
}

#[test]
fn tuple_values_keep_parentheses_keys_lose_them() {
    let t = map(
        "@x",
        Some(tuple_int_str()),
        tuple_int_str(),
        AggKind::Assign,
    );
    assert_eq!(
        text(&t, vec![(tuple_key(1, "k"), tuple_key(2, "v"))]),
        "@x[1, k]: (2, v)\n"
    );
}

#[test]
fn maps_print_in_name_order_without_separators() {
    let a = map("@a", None, I64, AggKind::Assign);
    let b = map("@b", None, I64, AggKind::Assign);
    let empty = map("@", Some(I64), I64, AggKind::Assign);
    let all = vec![
        (
            b,
            vec![Entry {
                key: k64(0),
                value: k64(2),
            }],
        ),
        (empty, vec![]),
        (
            a,
            vec![Entry {
                key: k64(0),
                value: k64(1),
            }],
        ),
    ];
    assert_eq!(
        String::from_utf8(format_all(&all)).unwrap(),
        "@a: 1\n@b: 2\n"
    );
}

#[test]
fn lookup_sizes() {
    let c = map("@c", None, U64, AggKind::Count);
    assert_eq!(c.lookup_size(4), 32);
    let m = map("@m", None, I64, AggKind::Min);
    assert_eq!(m.lookup_size(3), 48);
    let s = map(
        "@s",
        Some(Ty::Str { size: 5 }),
        Ty::Str { size: 5 },
        AggKind::Assign,
    );
    assert_eq!(s.lookup_size(8), 5);
    assert_eq!(s.key_size(), 5);
    assert_eq!(c.key_size(), 8);
}
