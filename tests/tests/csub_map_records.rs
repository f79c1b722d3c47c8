//! C maps whose values are structs of integers are script maps of records
//! (printed `{ .count = 1, .bytes = 2 }`, as bpftrace prints a struct value); LRU
//! hash maps are `lruhash` script maps; per-CPU hash and array maps hold one
//! element per key. The expected values follow C's semantics on the kernel's
//! maps (`-EEXIST` for a `BPF_NOEXIST` update of a present key).

use tracec_tests::*;

const STATS: &str = r#"
struct val { u64 count; u64 bytes; u32 last; s32 delta; };

struct {
  __uint(type, BPF_MAP_TYPE_HASH);
  __uint(max_entries, 64);
  __type(key, u32);
  __type(value, struct val);
} stats SEC(".maps");

struct {
  __uint(type, BPF_MAP_TYPE_LRU_HASH);
  __uint(max_entries, 16);
  __type(key, u32);
  __type(value, u64);
} seen SEC(".maps");

struct {
  __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
  __uint(max_entries, 2);
  __type(key, u32);
  __type(value, u64);
} total SEC(".maps");

/* The usual accounting: update members in place, or create the element. */
static u64 account(u32 key, u64 n)
{
  struct val *v = bpf_map_lookup_elem(&stats, &key);
  if (v) {
    v->count++;
    v->bytes += n;
    v->last = n;
  } else {
    struct val init = { .count = 1, .bytes = n, .last = n };
    bpf_map_update_elem(&stats, &key, &init, BPF_ANY);
  }
  u64 *l = bpf_map_lookup_elem(&seen, &key);
  if (l)
    *l += 1;
  else {
    u64 one = 1;
    bpf_map_update_elem(&seen, &key, &one, BPF_NOEXIST);
  }
  u32 z = 0;
  u64 *t = bpf_map_lookup_elem(&total, &z);
  if (t)
    __sync_fetch_and_add(t, n);
  v = bpf_map_lookup_elem(&stats, &key);
  if (!v)
    return 0;
  struct val copy = *v;
  return copy.count * 1000 + copy.bytes;
}

/* Flags, atomic adds on a member, a whole element assigned from a local. */
static long reset(u32 k, s32 d)
{
  struct val zero = {};
  zero.delta = d;
  long r = bpf_map_update_elem(&stats, &k, &zero, BPF_NOEXIST);
  struct val *v = bpf_map_lookup_elem(&stats, &k);
  if (!v)
    return -100;
  __sync_fetch_and_add(&v->count, 2);
  v->delta -= 1;
  struct val w = { .count = 40, .delta = -3 };
  if (k == 30)
    *v = w;
  return r * 1000 + v->count * 10 + v->delta;
}
"#;

#[test]
fn struct_valued_maps_are_maps_of_records() {
    let dir = import_tree("csub_map_records");
    write_in(&dir, "m.bpf.c", STATS);
    write_in(
        &dir,
        "main.bt",
        "import \"m.bpf.c\";\nBEGIN {\n  \
         printf(\"%lu %lu %lu %lu\\n\", account(1, 10), account(1, 5), account(2, 7), account(1, 1));\n  \
         printf(\"%ld %ld %ld\\n\", reset(10, 5), reset(10, 9), reset(30, 0));\n  \
         printf(\"%lu %d\\n\", @stats[1].bytes, @stats[10].delta);\n  \
         exit();\n}\n",
    );
    let src = dir.join("main.bt");
    let out = dir.join("main.o");
    let o = tracec(&[src.to_str().unwrap(), "-o", out.to_str().unwrap()]);
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(o.status.success(), "{err}");
    assert!(!err.contains("warning"), "{err}");
    let Some(_k) = kernel_or_skip("csub_map_records") else {
        return;
    };
    let run = run_object_to_exit(&out, &[]);
    // account: (count, bytes) of key 1 go (1, 10), (2, 15), (3, 16); key 2 (1, 7).
    // reset(10, 5): created (0), count 2, delta 4; reset(10, 9): -EEXIST, count
    // 4, delta 3; reset(30, 0): created, then replaced by { 40, -3 }.
    let want = "1010 2015 1007 3016\n\
                24 -16957 397\n\
                16 3\n\
                \n\
                @seen[1]: 3\n\
                @seen[2]: 1\n\
                @stats[1]: { .count = 3, .bytes = 16, .last = 1, .delta = 0 }\n\
                @stats[2]: { .count = 1, .bytes = 7, .last = 7, .delta = 0 }\n\
                @stats[10]: { .count = 4, .bytes = 0, .last = 0, .delta = 3 }\n\
                @stats[30]: { .count = 40, .bytes = 0, .last = 0, .delta = -3 }\n\
                @total[0]: 23";
    let text = run.stdout_text();
    let (head, maps) = text.split_once("\n\n").unwrap_or((&text, ""));
    let (want_head, want_maps) = want.split_once("\n\n").unwrap();
    assert_eq!(head, want_head, "{text}");
    let mut got: Vec<&str> = maps.lines().filter(|l| !l.is_empty()).collect();
    let mut exp: Vec<&str> = want_maps.lines().filter(|l| !l.is_empty()).collect();
    got.sort_unstable();
    exp.sort_unstable();
    assert_eq!(got, exp, "{text}");
}

#[test]
fn lru_maps_are_declared_lruhash() {
    let dir = import_tree("csub_map_lru");
    write_in(&dir, "m.bpf.c", STATS);
    write_in(
        &dir,
        "main.bt",
        "import \"m.bpf.c\";\nBEGIN { print(account(1, 1)); exit(); }\n",
    );
    let o = tracec(&[dir.join("main.bt").to_str().unwrap(), "--emit", "ir"]);
    let text = String::from_utf8_lossy(&o.stdout);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    // The LRU map is an LRU hash of its size (of the C value type, `u64`); the
    // struct map a hash of records.
    assert!(
        text.contains("map AT_seen: lru_hash key=i64 value=u64 max_entries=16"),
        "{text}"
    );
    assert!(
        text.contains("map AT_stats: hash key=i64 value=struct record"),
        "{text}"
    );
}

#[test]
fn struct_values_outside_the_subset_are_located() {
    let dir = import_tree("csub_map_records_errors");
    let head = "struct in { u64 a; };\nstruct nest { struct in i; };\nstruct val { u64 a; };\n";
    let map = |v: &str| {
        format!(
            "{head}struct {{\n  __uint(type, BPF_MAP_TYPE_HASH);\n  __uint(max_entries, 8);\n  \
             __type(key, u32);\n  __type(value, {v});\n}} m SEC(\".maps\");\n"
        )
    };
    let nested = map("struct nest")
        + "static long f(u32 k) {\n  struct nest *p = bpf_map_lookup_elem(&m, &k);\n  return p != 0;\n}\n";
    let unknown = map("struct val")
        + "static long f(u32 k) {\n  struct val *p = bpf_map_lookup_elem(&m, &k);\n  return p ? p->b : 0;\n}\n";
    let arith = map("struct val")
        + "static long f(u32 k) {\n  struct val *p = bpf_map_lookup_elem(&m, &k);\n  struct val x = {};\n  if (p) *p += x;\n  return 0;\n}\n";
    let cases = [
        (
            nested.as_str(),
            "a map value `struct nest` whose member `i` is no integer",
            "4:1",
        ),
        (
            unknown.as_str(),
            "no member named 'b' in 'struct val'",
            "12:14",
        ),
        (
            arith.as_str(),
            "invalid operands to an arithmetic assignment ('struct val')",
            "13:10",
        ),
    ];
    assert_c_errors_located(&dir, "f(1)", &cases);
}

const TERNARY: &str = r#"
static long g(int a, u8 b, s64 c)
{
  long x = a > 0 ? b : -2;
  long y = a > 1 ? c : 7u;
  return x * 1000 + y + (a ? (u16)a : (char)-1);
}
"#;

const ELEMENT: &str = r#"
struct {
  __uint(type, BPF_MAP_TYPE_ARRAY);
  __uint(max_entries, 4);
  __type(key, u32);
  __type(value, u32);
} s SEC(".maps");

static long f(u32 k)
{
  u32 *v = bpf_map_lookup_elem(&s, &k);
  if (v)
    *v += 3;
  return v ? *v : -1;
}
"#;

/// `?:` converts its arithmetic branches to their common type, as C does (the
/// host's C compiler is the oracle), so that reading a narrow map element beside
/// a negative literal draws no implicit-cast warning.
#[test]
fn ternaries_and_element_stores_match_c() {
    let dir = import_tree("csub_ternary");
    write_in(&dir, "t.bpf.c", &format!("{TERNARY}{ELEMENT}"));
    let calls = ["g(1, 200, -5)", "g(0, 3, 9)", "g(2, 3, -9)", "g(-1, 1, 1)"];
    let mut script = String::from("import \"t.bpf.c\";\nBEGIN {\n");
    let mut c = String::from(
        "#include <stdio.h>\ntypedef unsigned char u8; typedef unsigned short u16;\n\
         typedef long long s64;\n",
    );
    c.push_str(TERNARY);
    c.push_str("int main(void)\n{\n");
    for call in calls {
        script.push_str(&format!("  printf(\"%ld\\n\", {call});\n"));
        c.push_str(&format!("  printf(\"%ld\\n\", {call});\n"));
    }
    script.push_str("  printf(\"%ld %ld\\n\", f(1), f(9));\n  exit();\n}\n");
    c.push_str("  return 0;\n}\n");
    write_in(&dir, "main.bt", &script);
    let out = dir.join("main.o");
    let o = tracec(&[
        dir.join("main.bt").to_str().unwrap(),
        "-o",
        out.to_str().unwrap(),
    ]);
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(o.status.success(), "{err}");
    assert!(!err.contains("warning"), "{err}");
    let Some(want) = native_output(&dir, &c) else {
        return;
    };
    // f: element 1 of the array map becomes 3; key 9 has none, and -1 converted
    // to the branches' `unsigned int` is 4294967295.
    let want = format!("{want}3 4294967295");
    let Some(_k) = kernel_or_skip("csub_ternary") else {
        return;
    };
    let run = run_object_to_exit(&out, &[]);
    let text = run.stdout_text();
    assert!(text.starts_with(&want), "{text}\nwant:\n{want}");
}

/// A keyed map read in its own first assignment types the map from it, as a
/// plain map does (bpftrace accepts both); a cast of such a read has nothing to
/// convert yet, which bpftrace refuses too ("Cannot cast from \"none\" type").
#[test]
fn self_referencing_keyed_assignments() {
    let ok = [
        "BEGIN { $k = 1; @s[$k] = @s[$k] + 3; exit(); }",
        "BEGIN { @s[1] = @s[1] + 3; exit(); }",
        "BEGIN { let $k = (int64)(uint32)1; @s[$k] = (uint64)(uint32)((int64)(@s[$k] + 3)); exit(); }",
    ];
    for s in ok {
        let o = tracec(&["-e", s, "-o", "/dev/null"]);
        assert!(
            o.status.success(),
            "{s}: {}",
            String::from_utf8_lossy(&o.stderr)
        );
    }
    let o = tracec(&[
        "-e",
        "BEGIN { @s[1] = (uint64)@s[1] + 3; exit(); }",
        "-o",
        "/dev/null",
    ]);
    assert!(!o.status.success());
    assert!(
        String::from_utf8_lossy(&o.stderr).contains("@s is used but never assigned a value"),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
}

/// libbpf-tools' shape: the pointer declared first, the lookup assigned later
/// (in a branch too); a map of struct values and one of integers.
const LATER: &str = r#"
struct val { u64 n; u64 sum; };
struct {
  __uint(type, BPF_MAP_TYPE_HASH);
  __uint(max_entries, 64);
  __type(key, u32);
  __type(value, u64);
} start SEC(".maps");
struct {
  __uint(type, BPF_MAP_TYPE_LRU_HASH);
  __uint(max_entries, 64);
  __type(key, u32);
  __type(value, struct val);
} acc SEC(".maps");

static int enter(u32 pid, u64 ts)
{
  bpf_map_update_elem(&start, &pid, &ts, BPF_ANY);
  return 0;
}

static u64 leave(u32 pid, u64 now)
{
  u64 *tsp, delta;
  struct val *v;
  tsp = bpf_map_lookup_elem(&start, &pid);
  if (!tsp)
    return 0;
  delta = now - *tsp;
  bpf_map_delete_elem(&start, &pid);
  if (pid > 100)
    v = bpf_map_lookup_elem(&acc, &pid);
  else {
    u32 other = 0;
    v = bpf_map_lookup_elem(&acc, &other);
  }
  if (!v) {
    struct val zero = {};
    bpf_map_update_elem(&acc, &pid, &zero, BPF_NOEXIST);
    v = bpf_map_lookup_elem(&acc, &pid);
    if (!v)
      return 0;
  }
  v->n += 1;
  v->sum += delta;
  return delta;
}
"#;

#[test]
fn pointers_declared_before_their_lookup() {
    let dir = import_tree("csub_map_later");
    write_in(&dir, "l.bpf.c", LATER);
    write_in(
        &dir,
        "main.bt",
        "import \"l.bpf.c\";\nBEGIN {\n  \
         enter(7, 100); enter(200, 1000);\n  \
         printf(\"%lu %lu %lu %lu\\n\", leave(7, 150), leave(7, 170), leave(200, 1500), leave(9, 1));\n  \
         enter(200, 2000);\n  printf(\"%lu\\n\", leave(200, 2001));\n  exit();\n}\n",
    );
    let out = dir.join("main.o");
    let o = tracec(&[
        dir.join("main.bt").to_str().unwrap(),
        "-o",
        out.to_str().unwrap(),
    ]);
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(o.status.success(), "{err}");
    let Some(_k) = kernel_or_skip("csub_map_later") else {
        return;
    };
    let run = run_object_to_exit(&out, &[]);
    // leave(7, 150): 50 (pid 7 accounts under key 0 first: absent, so key 7 is
    // created); leave(7, 170): no start left; leave(200, 1500): 500 under 200;
    // leave(9, 1): no start. Then 1 more under 200.
    let want = "50 0 500 0\n1\n\n\
                @acc[7]: { .n = 1, .sum = 50 }\n\
                @acc[200]: { .n = 2, .sum = 501 }";
    let text = run.stdout_text();
    let (head, maps) = text.split_once("\n\n").unwrap_or((&text, ""));
    let (want_head, want_maps) = want.split_once("\n\n").unwrap();
    assert_eq!(head, want_head, "{text}");
    let mut got: Vec<&str> = maps.lines().filter(|l| !l.is_empty()).collect();
    let mut exp: Vec<&str> = want_maps.lines().filter(|l| !l.is_empty()).collect();
    got.sort_unstable();
    exp.sort_unstable();
    assert_eq!(got, exp, "{text}");
}
