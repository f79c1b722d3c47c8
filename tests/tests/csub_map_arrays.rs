//! C maps whose struct values hold integer arrays (libbpf-tools' histograms:
//! `struct hist { u32 slots[26]; }`, a `static struct hist initial_hist;` as the
//! zero element, `__sync_fetch_and_add(&histp->slots[slot], 1)`) are script maps
//! of records with array fields, printed as bpftrace prints such a struct
//! (`{ .slots = [0,1,2], .total = 3 }`). The oracle is the same C file built by the
//! host's C compiler over a small emulation of the map helpers.

use tracec_tests::*;

const HIST: &str = r#"
#define MAX_SLOTS 8
struct hist { u32 slots[MAX_SLOTS]; u64 total; s16 small[3]; };

struct {
  __uint(type, BPF_MAP_TYPE_HASH);
  __uint(max_entries, 64);
  __type(key, u32);
  __type(value, struct hist);
} hists SEC(".maps");

static struct hist initial_hist;

static u64 log2l(u64 v)
{
  u64 r = 0;
  while (v > 1) {
    v >>= 1;
    r++;
  }
  return r;
}

static int record(u32 key, u64 delta)
{
  struct hist *histp;
  u64 slot;

  histp = bpf_map_lookup_elem(&hists, &key);
  if (!histp) {
    bpf_map_update_elem(&hists, &key, &initial_hist, BPF_NOEXIST);
    histp = bpf_map_lookup_elem(&hists, &key);
    if (!histp)
      return 0;
  }
  slot = log2l(delta);
  if (slot >= MAX_SLOTS)
    slot = MAX_SLOTS - 1;
  __sync_fetch_and_add(&histp->slots[slot], 1);
  histp->total += delta;
  histp->slots[0] += 2;
  histp->small[key % 3] -= (s16)delta;
  return histp->slots[slot];
}

static long summary(u32 key)
{
  struct hist *h = bpf_map_lookup_elem(&hists, &key);
  if (!h)
    return -1;
  struct hist c = *h;
  long s = 0;
  for (int i = 0; i < MAX_SLOTS; i++)
    s += c.slots[i] * (i + 1);
  return s * 100 + h->small[1] + c.small[key % 3];
}

static long fresh(u32 key)
{
  struct hist h = {};
  h.slots[2] = 7;
  h.small[0] = -4;
  h.total = key;
  bpf_map_update_elem(&hists, &key, &h, BPF_ANY);
  struct hist *p = bpf_map_lookup_elem(&hists, &key);
  return p != 0;
}
"#;

/// The map helpers on the host: one table of (map, key, value) entries.
const SHIM: &str = r#"
#include <stdio.h>
#include <string.h>
typedef unsigned char u8; typedef unsigned short u16; typedef unsigned int u32;
typedef unsigned long long u64; typedef short s16; typedef long long s64;
#define SEC(x)
#define __uint(name, v) int name
#define __type(name, t) t *name
#define BPF_MAP_TYPE_HASH 1
#define BPF_ANY 0
#define BPF_NOEXIST 1
struct entry { const void *map; unsigned char key[64]; unsigned char val[256]; };
static struct entry tab[64];
static int used;
static void *lookup(const void *m, const void *k, size_t ks)
{
  for (int i = 0; i < used; i++)
    if (tab[i].map == m && !memcmp(tab[i].key, k, ks))
      return tab[i].val;
  return 0;
}
static long update(const void *m, const void *k, const void *v, size_t ks, size_t vs, int f)
{
  void *p = lookup(m, k, ks);
  if (p && f == BPF_NOEXIST)
    return -17;
  if (!p) {
    tab[used].map = m;
    memcpy(tab[used].key, k, ks);
    p = tab[used++].val;
  }
  memcpy(p, v, vs);
  return 0;
}
#define bpf_map_lookup_elem(m, k) ((__typeof__((m)->value))lookup(m, k, sizeof(*(m)->key)))
#define bpf_map_update_elem(m, k, v, f) \
  update(m, k, v, sizeof(*(m)->key), sizeof(*(m)->value), f)
"#;

/// `[a,b,c]` as bpftrace prints an integer array.
const PRINT: &str = r#"
static void print_hists(void)
{
  for (int i = 0; i < used; i++) {
    if (tab[i].map != &hists)
      continue;
    struct hist *h = (struct hist *)tab[i].val;
    printf("@hists[%u]: { .slots = [", *(u32 *)tab[i].key);
    for (int j = 0; j < MAX_SLOTS; j++)
      printf("%s%u", j ? "," : "", h->slots[j]);
    printf("], .total = %llu, .small = [%d,%d,%d] }\n", h->total, h->small[0],
           h->small[1], h->small[2]);
  }
}
"#;

#[test]
fn struct_values_with_arrays_match_c() {
    histogram_matches_c(
        "csub_map_arrays",
        &[
            vec!["record(1, 5)", "record(1, 6)"],
            vec!["record(2, 1000)", "record(1, 1)"],
            vec!["summary(1)", "summary(2)", "summary(3)"],
            vec!["fresh(4)", "record(4, 3)", "summary(4)"],
        ],
    );
}

/// Every inlined call keeps its copies of the element, so a probe with many calls
/// has more small values than its 512-byte stack holds: they move to the per-CPU
/// scratch value (`lower/scratch.rs`) and the spills share slots.
#[test]
fn many_calls_in_one_probe_fit() {
    let calls: Vec<String> = (0..12)
        .map(|i| format!("record({}, {})", 1 + i % 2, i * 7))
        .chain((1..4).map(|k| format!("summary({k})")))
        .collect();
    histogram_matches_c(
        "csub_map_arrays_many",
        &[calls.iter().map(String::as_str).collect()],
    );
}

/// Compile `h.bpf.c` (`HIST`) with one `BEGIN` probe per list of calls, run it, and
/// compare what it prints with the host C build of the same calls.
fn histogram_matches_c(name: &str, probes: &[Vec<&str>]) {
    let dir = import_tree(name);
    write_in(&dir, "h.bpf.c", HIST);
    let mut script = String::from("import \"h.bpf.c\";\n");
    let mut c = format!("{SHIM}{HIST}{PRINT}int main(void)\n{{\n");
    for calls in probes {
        script.push_str("BEGIN {\n");
        for call in calls {
            script.push_str(&format!("  printf(\"%ld\\n\", (int64){call});\n"));
            c.push_str(&format!("  printf(\"%ld\\n\", (long){call});\n"));
        }
        script.push_str("}\n");
    }
    script.push_str("BEGIN { exit(); }\n");
    c.push_str("  printf(\"\\n\\n\");\n  print_hists();\n  return 0;\n}\n");
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
    let Some(_k) = kernel_or_skip(name) else {
        return;
    };
    let text = run_object_to_exit(&out, &[]).stdout_text();
    let (head, maps) = text.split_once("\n\n").unwrap_or((&text, ""));
    let (want_head, want_maps) = want.split_once("\n\n").unwrap();
    assert_eq!(head, want_head.trim_end(), "{text}\nwant:\n{want}");
    let mut got: Vec<&str> = maps.lines().filter(|l| !l.is_empty()).collect();
    let mut exp: Vec<&str> = want_maps.lines().filter(|l| !l.is_empty()).collect();
    got.sort_unstable();
    exp.sort_unstable();
    assert_eq!(got, exp, "{text}\nwant:\n{want}");
}

#[test]
fn array_members_outside_the_subset_are_located() {
    let dir = import_tree("csub_map_arrays_errors");
    let map = |members: &str, body: &str| {
        format!(
            "struct in {{ u32 a; }};\nstruct val {{ {members} }};\n\
             struct {{\n  __uint(type, BPF_MAP_TYPE_HASH);\n  __uint(max_entries, 8);\n  \
             __type(key, u32);\n  __type(value, struct val);\n}} m SEC(\".maps\");\n\
             static long f(u32 k) {{\n  struct val *v = bpf_map_lookup_elem(&m, &k);\n  \
             if (!v) return 0;\n  {body}\n  return 1;\n}}\n"
        )
    };
    let nested = map("struct in s[2];", "v->s[k].a++;");
    let past = map("u32 s[4];", "v->s[4] = 1;");
    let grid = map("u32 s[2][2];", "v->s[0][1] = 1;");
    let whole = map("u32 s[2];", "u32 *p = v->s;");
    let assign = map("u32 s[2];", "v->s = 3;");
    let cases = [
        (
            nested.as_str(),
            "a map value `struct val` whose member `s` is an array of `struct in`",
            "3:1",
        ),
        (
            past.as_str(),
            "array index 4 is past the end of the array (of 4 elements)",
            "12:8",
        ),
        (
            whole.as_str(),
            "a `unsigned int[2]` member of a map element used as a value",
            "12:12",
        ),
        (
            assign.as_str(),
            "array type 'unsigned int[2]' is not assignable",
            "12:3",
        ),
        (
            grid.as_str(),
            "a map value `struct val` whose member `s` is an array of `unsigned int[2]`",
            "3:1",
        ),
    ];
    assert_c_errors_located(&dir, "f(1)", &cases);
}

const COMM: &str = r#"
struct hkey { u32 pid; char comm[16]; };
struct val { u64 n; char tag[4]; u8 raw[2]; };
struct {
  __uint(type, BPF_MAP_TYPE_HASH);
  __uint(max_entries, 64);
  __type(key, struct hkey);
  __type(value, struct val);
} counts SEC(".maps");

static long count(u32 pid)
{
  struct hkey k = {};
  k.pid = pid;
  bpf_get_current_comm(&k.comm, sizeof(k.comm));
  if (pid == 7) {
    k.comm[0] = 'x';
    k.comm[1] = 0;
  }
  struct val *v = bpf_map_lookup_elem(&counts, &k);
  if (v) {
    v->n += 1;
    v->tag[pid % 3] = 'a' + pid;
    v->raw[1] = 200;
  } else {
    struct val one = { .n = 1, .tag = { 'o', 'k' } };
    bpf_map_update_elem(&counts, &k, &one, BPF_ANY);
  }
  v = bpf_map_lookup_elem(&counts, &k);
  return v ? v->n * 100 + v->tag[1] : -1;
}
"#;

/// `char[N]` members of struct keys and values are strings (bpftrace reads plain
/// `char` arrays as strings; `u8` arrays stay integer arrays), built from the
/// local's bytes (`bpf_get_current_comm` fills them).
#[test]
fn char_array_members_are_strings() {
    let dir = import_tree("csub_map_comm");
    write_in(&dir, "k.bpf.c", COMM);
    write_in(
        &dir,
        "main.bt",
        "import \"k.bpf.c\";\n\
         BEGIN { printf(\"%ld %ld\\n\", count(1), count(1)); }\n\
         BEGIN { printf(\"%ld %ld %s\\n\", count(7), count(7), comm); exit(); }\n",
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
    let Some(_k) = kernel_or_skip("csub_map_comm") else {
        return;
    };
    let text = run_object_to_exit(&out, &[]).stdout_text();
    // Created as { 1, "ok" } (1 * 100 + 'k'), then counted with tag[1] set to
    // 'a' + 1 ('b', 98) for pid 1 and 'a' + 7 ('h', 104) for pid 7.
    let mut lines = text.lines();
    assert_eq!(lines.next(), Some("207 298"), "{text}");
    let second = lines.next().unwrap_or_default();
    let comm = second.strip_prefix("207 304 ").expect(&text);
    assert!(!comm.is_empty(), "{text}");
    let want = [
        format!("@counts[{{ .pid = 1, .comm = {comm} }}]: {{ .n = 2, .tag = ob, .raw = [0,200] }}"),
        "@counts[{ .pid = 7, .comm = x }]: { .n = 2, .tag = oh, .raw = [0,200] }".to_string(),
    ];
    for w in &want {
        assert!(text.lines().any(|l| l == w), "{text}\nwant: {w}");
    }
    assert_eq!(text.matches("@counts[").count(), 2, "{text}");
}

/// runqlat's shape: a histogram per pid whose `comm` member is filled in place by
/// `bpf_get_current_comm` or `bpf_probe_read_kernel_str` when the element is
/// created from a global of zeros.
const RUNQ: &str = r#"
#define MAX_SLOTS 6
#define TASK_COMM_LEN 16
struct hist { u32 slots[MAX_SLOTS]; char comm[TASK_COMM_LEN]; };
struct {
  __uint(type, BPF_MAP_TYPE_HASH);
  __uint(max_entries, 64);
  __type(key, u32);
  __type(value, struct hist);
} hists SEC(".maps");
static struct hist zero;

static int handle(u32 pid, u64 delta)
{
  struct hist *histp = bpf_map_lookup_elem(&hists, &pid);
  if (!histp) {
    bpf_map_update_elem(&hists, &pid, &zero, BPF_ANY);
    histp = bpf_map_lookup_elem(&hists, &pid);
    if (!histp)
      return 0;
    struct task_struct *task = (void *)bpf_get_current_task();
    if (pid == 2)
      bpf_probe_read_kernel_str(&histp->comm, sizeof(task->comm), task->comm);
    else
      bpf_get_current_comm(&histp->comm, sizeof(histp->comm));
  }
  u64 slot = delta;
  if (slot >= MAX_SLOTS)
    slot = MAX_SLOTS - 1;
  __sync_fetch_and_add(&histp->slots[slot], 1);
  return histp->comm[0] * 10 + histp->slots[slot];
}
"#;

#[test]
fn string_members_are_filled_in_place() {
    let dir = import_tree("csub_map_fill");
    write_in(&dir, "r.bpf.c", RUNQ);
    write_in(
        &dir,
        "main.bt",
        "import \"r.bpf.c\";\n\
         BEGIN { printf(\"%d %d\\n\", handle(1, 2), handle(1, 9)); }\n\
         BEGIN { printf(\"%d %d %s\\n\", handle(2, 0), handle(2, 0), comm); exit(); }\n",
    );
    let out = dir.join("main.o");
    let o = tracec(&[
        dir.join("main.bt").to_str().unwrap(),
        "-o",
        out.to_str().unwrap(),
    ]);
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(o.status.success(), "{err}");
    let Some(_k) = kernel_or_skip("csub_map_fill") else {
        return;
    };
    let text = run_object_to_exit(&out, &[]).stdout_text();
    let mut lines = text.lines();
    let first = lines.next().unwrap_or_default().to_string();
    let second = lines.next().unwrap_or_default();
    let (counts, comm) = second.rsplit_once(' ').expect(&text);
    let c0 = i64::from(comm.as_bytes()[0]);
    assert_eq!(first, format!("{} {}", c0 * 10 + 1, c0 * 10 + 1), "{text}");
    assert_eq!(counts, format!("{} {}", c0 * 10 + 1, c0 * 10 + 2), "{text}");
    for w in [
        format!("@hists[1]: {{ .slots = [0,0,1,0,0,1], .comm = {comm} }}"),
        format!("@hists[2]: {{ .slots = [2,0,0,0,0,0], .comm = {comm} }}"),
    ] {
        assert!(text.lines().any(|l| l == w), "{text}\nwant: {w}");
    }
}
