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
