//! Plain stores through a map lookup's pointer (`*v = 5;`) on maps of integers:
//! the C front end builds casts nested on one C token, which the checker keeps
//! apart (its integer widths are keyed by span and shape), so no implicit-cast
//! warning is drawn; and C struct map values, keys and globals beyond records of
//! integers.

use tracec_tests::*;

const PLAIN: &str = r#"
struct {
  __uint(type, BPF_MAP_TYPE_HASH);
  __uint(max_entries, 64);
  __type(key, u32);
  __type(value, u64);
} wide SEC(".maps");

struct {
  __uint(type, BPF_MAP_TYPE_HASH);
  __uint(max_entries, 64);
  __type(key, u64);
  __type(value, s32);
} narrow SEC(".maps");

static long put(u32 key, s32 d)
{
  u64 zero = 0;
  bpf_map_update_elem(&wide, &key, &zero, BPF_ANY);
  u64 *v = bpf_map_lookup_elem(&wide, &key);
  if (v)
    *v = 5;
  u64 k2 = key;
  s32 z = 0;
  bpf_map_update_elem(&narrow, &k2, &z, BPF_ANY);
  s32 *n = bpf_map_lookup_elem(&narrow, &k2);
  if (n)
    *n = -1;
  if (n && d)
    *n = d;
  return v ? *v * 100 + (n ? *n : 0) : -1;
}
"#;

#[test]
fn plain_element_stores_draw_no_cast_warning() {
    let dir = import_tree("csub_map_values_plain");
    write_in(&dir, "p.bpf.c", PLAIN);
    write_in(
        &dir,
        "main.bt",
        "import \"p.bpf.c\";\nBEGIN { printf(\"%ld %ld\\n\", put(1, 0), put(2, -7)); exit(); }\n",
    );
    let out = dir.join("main.o");
    let o = tracec(&[
        dir.join("main.bt").to_str().unwrap(),
        "-o",
        out.to_str().unwrap(),
    ]);
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(o.status.success(), "{err}");
    assert!(!err.contains("warning"), "{err}");
    let Some(_k) = kernel_or_skip("csub_map_values_plain") else {
        return;
    };
    let run = run_object_to_exit(&out, &[]);
    // put(1, 0): 5 * 100 + -1; put(2, -7): 5 * 100 + -7 (C's `long` arithmetic).
    let text = run.stdout_text();
    assert!(text.starts_with("499 493\n"), "{text}");
    for line in [
        "@wide[1]: 5",
        "@wide[2]: 5",
        "@narrow[1]: -1",
        "@narrow[2]: -7",
    ] {
        assert!(text.lines().any(|l| l == line), "{line} in {text}");
    }
}

const GLOBALS: &str = r#"
struct val { u64 count; u32 last; };

struct {
  __uint(type, BPF_MAP_TYPE_HASH);
  __uint(max_entries, 64);
  __type(key, u32);
  __type(value, struct val);
} vals SEC(".maps");

static struct val initial;
static const struct val seed = { .count = 7, .last = 3 };
static u64 weights[3] = { 10, 20, 30 };

static long bump(u32 key, u32 n)
{
  struct val *v = bpf_map_lookup_elem(&vals, &key);
  if (!v) {
    if (key > 5)
      bpf_map_update_elem(&vals, &key, &seed, BPF_NOEXIST);
    else
      bpf_map_update_elem(&vals, &key, &initial, BPF_NOEXIST);
    v = bpf_map_lookup_elem(&vals, &key);
    if (!v)
      return -1;
  }
  v->count += weights[n % 3];
  v->last = n;
  return v->count + seed.last;
}
"#;

/// Global structs and arrays (zero or listed initial values) start as map
/// elements and are read as locals are.
#[test]
fn global_aggregates_initialize_map_elements() {
    let dir = import_tree("csub_map_values_globals");
    write_in(&dir, "g.bpf.c", GLOBALS);
    write_in(
        &dir,
        "main.bt",
        "import \"g.bpf.c\";\nBEGIN { printf(\"%ld %ld %ld\\n\", bump(1, 1), bump(1, 2), bump(9, 4)); exit(); }\n",
    );
    let out = dir.join("main.o");
    let o = tracec(&[
        dir.join("main.bt").to_str().unwrap(),
        "-o",
        out.to_str().unwrap(),
    ]);
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(o.status.success(), "{err}");
    assert!(!err.contains("warning"), "{err}");
    let Some(_k) = kernel_or_skip("csub_map_values_globals") else {
        return;
    };
    let run = run_object_to_exit(&out, &[]);
    // Key 1 starts from `initial` (zeros): count 20, then 50; key 9 from `seed`:
    // 7 + 20. Each result adds `seed.last` (3).
    let text = run.stdout_text();
    assert!(text.starts_with("23 53 30\n"), "{text}");
    for line in [
        "@vals[1]: { .count = 50, .last = 2 }",
        "@vals[9]: { .count = 27, .last = 4 }",
    ] {
        assert!(text.lines().any(|l| l == line), "{line} in {text}");
    }
}

const READS: &str = r#"
struct pt { int x; short y[2]; };
static struct pt origin = { .x = -4, .y = { 5, 6 } };
static struct pt blank;
static unsigned char table[2][3] = { { 1, 2, 3 }, { 4, 5, 250 } };

static long far(int i, int j)
{
  struct pt p = origin;
  p.x += i;
  return p.x * 1000 + p.y[j & 1] * 10 + table[1][j % 3] + table[0][2] + blank.y[1];
}

static long near(int k)
{
  return origin.y[0] + table[1][k % 3] + sizeof(table);
}
"#;

/// Global aggregates read by value, by member and by element match the host's C
/// compiler.
#[test]
fn global_aggregate_reads_match_c() {
    let dir = import_tree("csub_map_values_reads");
    write_in(&dir, "r.bpf.c", READS);
    let calls = ["far(1, 2)", "far(-3, 1)", "far(0, 4)", "near(2)", "near(7)"];
    let mut script = String::from("import \"r.bpf.c\";\nBEGIN {\n");
    let mut c = String::from("#include <stdio.h>\n");
    c.push_str(READS);
    c.push_str("int main(void)\n{\n");
    for call in calls {
        script.push_str(&format!("  printf(\"%ld\\n\", {call});\n"));
        c.push_str(&format!("  printf(\"%ld\\n\", (long)({call}));\n"));
    }
    script.push_str("  exit();\n}\n");
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
    let Some(want) = native_output(&dir, &c) else {
        return;
    };
    let Some(_k) = kernel_or_skip("csub_map_values_reads") else {
        return;
    };
    let text = run_object_to_exit(&out, &[]).stdout_text();
    assert!(text.starts_with(&want), "{text}\nwant:\n{want}");
}

/// Writing a global aggregate, or taking its address for anything but a map
/// update's value, is outside the subset (a local copy would not persist).
#[test]
fn global_aggregate_writes_are_located() {
    let dir = import_tree("csub_map_values_global_errors");
    let head = "struct pt { int x; };\nstatic struct pt g;\n";
    let write = format!("{head}static long f(int a) {{\n  g.x = a;\n  return g.x;\n}}\n");
    let incr = format!("{head}static long f(int a) {{\n  g.x++;\n  return a;\n}}\n");
    let addr = format!(
        "{head}static long h(struct pt *p) {{ return p->x; }}\n\
         static long f(int a) {{\n  return h(&g) + a;\n}}\n"
    );
    let shadow =
        format!("{head}static long f(int a) {{\n  long r = g.x;\n  {{ int g = a; r += g; }}\n  return r;\n}}\n");
    let cases = [
        (
            write.as_str(),
            "writing to a global variable (globals keep their initial values)",
            "4:3",
        ),
        (
            incr.as_str(),
            "writing to a global variable (globals keep their initial values)",
            "4:3",
        ),
        (
            addr.as_str(),
            "the address of a global variable other than as bpf_map_update_elem's value",
            "5:12",
        ),
        (
            shadow.as_str(),
            "a local variable named as the global `g`",
            "5:9",
        ),
    ];
    assert_c_errors_located(&dir, "f(1)", &cases);
}

const KEYS: &str = r#"
struct hkey { u32 pid; u16 cpu; s8 tag; };

struct {
  __uint(type, BPF_MAP_TYPE_HASH);
  __uint(max_entries, 64);
  __type(key, struct hkey);
  __type(value, u64);
} counts SEC(".maps");

static long hit(u32 pid, u32 cpu)
{
  struct hkey k = {};
  k.pid = pid;
  k.cpu = cpu;
  k.tag = -1;
  u64 *v = bpf_map_lookup_elem(&counts, &k);
  if (v) {
    __sync_fetch_and_add(v, 1);
    return *v;
  }
  u64 one = 1;
  bpf_map_update_elem(&counts, &k, &one, BPF_NOEXIST);
  return 1;
}

static long drop(u32 pid, u32 cpu)
{
  struct hkey k = { .pid = pid, .cpu = cpu, .tag = -1 };
  return bpf_map_delete_elem(&counts, &k);
}

static long peek(u32 pid)
{
  u64 *v;
  struct hkey k = { .pid = pid, .cpu = 2, .tag = -1 };
  v = bpf_map_lookup_elem(&counts, &k);
  return v ? *v : -1;
}
"#;

/// Struct keys of integer members are record keys of the script map, printed as
/// bpftrace prints a struct key; members are stored as their C types.
#[test]
fn struct_keys_are_record_keys() {
    let dir = import_tree("csub_map_values_keys");
    write_in(&dir, "k.bpf.c", KEYS);
    write_in(
        &dir,
        "main.bt",
        "import \"k.bpf.c\";\nBEGIN {\n  printf(\"%ld %ld %ld\\n\", hit(1, 2), hit(1, 2), hit(3, 70000));\n  \
         printf(\"%ld %ld %ld %ld %ld\\n\", drop(3, 70000), drop(3, 70000), hit(1, 2), peek(1), peek(5));\n  \
         exit();\n}\n",
    );
    let out = dir.join("main.o");
    let o = tracec(&[
        dir.join("main.bt").to_str().unwrap(),
        "-o",
        out.to_str().unwrap(),
    ]);
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(o.status.success(), "{err}");
    assert!(!err.contains("warning"), "{err}");
    let Some(_k) = kernel_or_skip("csub_map_values_keys") else {
        return;
    };
    let text = run_object_to_exit(&out, &[]).stdout_text();
    // (3, 70000) is the key (3, 4464) (`u16`); deleting it twice gives 0, then
    // -ENOENT. Key 5 was never added.
    assert!(text.starts_with("1 2 1\n0 -2 3 3 -1\n"), "{text}");
    assert!(
        text.lines()
            .any(|l| l == "@counts[{ .pid = 1, .cpu = 2, .tag = -1 }]: 3"),
        "{text}"
    );
    assert_eq!(text.matches("@counts[").count(), 1, "{text}");
}

/// Struct keys with members other than integers, and array maps with struct
/// keys, are outside the subset.
#[test]
fn struct_keys_outside_the_subset_are_located() {
    let dir = import_tree("csub_map_values_key_errors");
    let map = |kind: &str, key: &str| {
        format!(
            "struct in {{ u32 a; }};\nstruct hkey {{ u32 pid; struct in i; }};\nstruct ok {{ u32 a; }};\n\
             struct {{\n  __uint(type, {kind});\n  __uint(max_entries, 8);\n  \
             __type(key, {key});\n  __type(value, u64);\n}} m SEC(\".maps\");\n\
             static long f(u32 p) {{\n  {key} k = {{}};\n  u64 *v = bpf_map_lookup_elem(&m, &k);\n  \
             return v ? *v : p;\n}}\n"
        )
    };
    let nested = map("BPF_MAP_TYPE_HASH", "struct hkey");
    let array = map("BPF_MAP_TYPE_ARRAY", "struct ok");
    let cases = [
        (
            nested.as_str(),
            "a map key `struct hkey` whose member `i` is no integer (script maps hold \
             records of integers",
            "4:1",
        ),
        (
            array.as_str(),
            "an array map with struct keys (array maps are indexed by integers)",
            "4:1",
        ),
    ];
    assert_c_errors_located(&dir, "f(1)", &cases);
}
