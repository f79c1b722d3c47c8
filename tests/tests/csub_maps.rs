//! BPF maps defined in imported `.bpf.c` files are script maps: the C functions'
//! lookups (a pointer tested, read, written, atomically added to, looked up
//! again), updates with their flags and deletes act on `@name`, which the script
//! then prints. Expected values follow the kernel's map semantics (return codes
//! `-ENOENT`, `-EEXIST`, `-E2BIG`, `-EINVAL`).

use tracec_tests::*;

const MAPS: &str = r#"
struct {
  __uint(type, BPF_MAP_TYPE_HASH);
  __uint(max_entries, 1024);
  __type(key, u32);
  __type(value, u64);
} counts SEC(".maps");

struct {
  __uint(type, BPF_MAP_TYPE_ARRAY);
  __uint(max_entries, 4);
  __type(key, u32);
  __type(value, long);
} slots SEC(".maps");

/* The usual counter: look up, create if missing, add atomically. */
static long bump(u32 key, u64 by)
{
  u64 *v = bpf_map_lookup_elem(&counts, &key);
  if (!v) {
    u64 zero = 0;
    bpf_map_update_elem(&counts, &key, &zero, BPF_NOEXIST);
    v = bpf_map_lookup_elem(&counts, &key);
    if (!v)
      return -1;
  }
  __sync_fetch_and_add(v, by);
  return *v;
}

/* An array map: every index below max_entries exists. */
static long put(u32 i, long x)
{
  long *s = bpf_map_lookup_elem(&slots, &i);
  if (s == NULL)
    return -1;
  *s += x;
  return *s;
}

static void add_to(long *s, long x) { *s = *s + x; }

static long via(u32 i)
{
  long *s = bpf_map_lookup_elem(&slots, &i);
  if (s)
    add_to(s, 100);
  return s != 0;
}

static long drop(u32 key)
{
  long a = bpf_map_delete_elem(&counts, &key);
  long b = bpf_map_delete_elem(&counts, &key);
  u64 one = 1;
  long c = bpf_map_update_elem(&counts, &key, &one, BPF_EXIST);
  long d = bpf_map_update_elem(&counts, &key, &one, BPF_ANY);
  long e = bpf_map_update_elem(&counts, &key, &one, BPF_NOEXIST);
  return a * 10000 + b * 1000 + c * 100 + d * 10 + e;
}

static long arrays(u32 i)
{
  long x = 9;
  return bpf_map_update_elem(&slots, &i, &x, BPF_ANY) * 100 + bpf_map_delete_elem(&slots, &i);
}
"#;

#[test]
fn c_maps_are_script_maps() {
    let dir = import_tree("csub_maps");
    write_in(&dir, "m.bpf.c", MAPS);
    write_in(
        &dir,
        "main.bt",
        "import \"m.bpf.c\";\nBEGIN {\n  \
         printf(\"%ld %ld %ld %ld\\n\", bump(1, 5), bump(1, 2), bump(7, 1), bump(2, 10));\n  \
         printf(\"%ld %ld %ld %ld\\n\", put(0, 3), put(0, 4), put(3, 1), put(4, 1));\n  \
         printf(\"%ld %ld %ld\\n\", via(3), via(5), @slots[3]);\n  \
         printf(\"%ld %ld\\n\", drop(2), drop(9));\n  \
         printf(\"%ld %ld\\n\", arrays(1), arrays(8));\n  \
         exit();\n}\n",
    );
    let src = dir.join("main.bt");
    let out = dir.join("main.o");
    let o = tracec(&[src.to_str().unwrap(), "-o", out.to_str().unwrap()]);
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(o.status.success(), "{err}");
    assert!(!err.contains("warning"), "{err}");
    let Some(_k) = kernel_or_skip("csub_maps") else {
        return;
    };
    let run = run_object_to_exit(&out, &[]);
    // drop(2): deleted (0), then -ENOENT twice, then created (0), then -EEXIST.
    // drop(9): -ENOENT, -ENOENT, -ENOENT, created, -EEXIST.
    // arrays(1): updated (0), not deletable (-EINVAL); arrays(8): -E2BIG.
    let want = "5 7 1 10\n\
                3 7 1 -1\n\
                1 0 101\n\
                -2217 -22217\n\
                -22 -722\n\
                \n\
                @counts[7]: 1\n\
                @counts[1]: 7\n\
                @counts[2]: 1\n\
                @counts[9]: 1\n\
                \n\
                @slots[0]: 7\n\
                @slots[1]: 9\n\
                @slots[3]: 101";
    let text = run.stdout_text();
    let (head, maps) = text.split_once("\n\n").unwrap_or((&text, ""));
    let (want_head, want_maps) = want.split_once("\n\n").unwrap();
    assert_eq!(head, want_head, "{text}");
    // The maps' elements in any order.
    let mut got: Vec<&str> = maps.lines().filter(|l| !l.is_empty()).collect();
    let mut exp: Vec<&str> = want_maps.lines().filter(|l| !l.is_empty()).collect();
    got.sort_unstable();
    exp.sort_unstable();
    assert_eq!(got, exp, "{text}");
}

#[test]
fn maps_outside_the_subset_are_located() {
    let dir = import_tree("csub_maps_errors");
    let cases = [
        (
            "union v { long a; };\nstruct {\n  __uint(type, BPF_MAP_TYPE_HASH);\n  __uint(max_entries, 8);\n  __type(key, u32);\n  __type(value, union v);\n} m SEC(\".maps\");\nstatic int f(int v) { return v; }\n",
            "a map value of type `union v`",
            "6:17",
        ),
        (
            "struct {\n  __uint(type, BPF_MAP_TYPE_RINGBUF);\n  __uint(max_entries, 4096);\n} rb SEC(\".maps\");\nstatic int f(int v) { return v; }\n",
            "a map of type `BPF_MAP_TYPE_RINGBUF`",
            "2:16",
        ),
        (
            "struct {\n  __uint(type, BPF_MAP_TYPE_HASH);\n  __uint(max_entries, 8);\n  __type(key, u32);\n  __type(value, u32);\n} m SEC(\".maps\");\nstatic long f(int v) {\n  u32 k = v;\n  return (long)bpf_map_lookup_elem(&m, &k);\n}\n",
            "a map lookup other than as the initial value of a pointer",
            "9:16",
        ),
        (
            "struct {\n  __uint(type, BPF_MAP_TYPE_HASH);\n  __uint(max_entries, 8);\n  __type(key, u32);\n  __type(value, u32);\n} m SEC(\".maps\");\nstatic long f(int v) {\n  u32 k = v;\n  u32 *p = bpf_map_lookup_elem(&m, &k);\n  u32 *q = p;\n  return q ? *q : 0;\n}\n",
            "a map lookup's pointer used as a value",
            "10:12",
        ),
    ];
    assert_c_errors_located(&dir, "f(1)", &cases);
}
