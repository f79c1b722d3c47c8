struct val { u64 count; s32 delta; };
struct inner { u64 a; };
struct bad { struct inner i; };
struct {
  __uint(type, BPF_MAP_TYPE_PERCPU_HASH);
  __uint(max_entries, 64);
  __type(key, u64);
  __type(value, struct val);
} m SEC(".maps");
struct {
  __uint(type, BPF_MAP_TYPE_HASH);
  __uint(max_entries, 64);
  __type(key, u64);
  __type(value, struct bad);
} b SEC(".maps");
static long reset(u64 k, s32 d)
{
  struct val zero = {};
  zero.delta = d;
  long r = bpf_map_update_elem(&m, &k, &zero, BPF_NOEXIST);
  struct val *v = bpf_map_lookup_elem(&m, &k);
  if (!v) return -100;
  __sync_fetch_and_add(&v->count, 2);
  v->delta -= 1;
  struct val w = { .count = 40, .delta = -3 };
  if (k == 3) *v = w;
  return r * 1000 + v->count * 10 + v->delta;
}
static long bad(u64 k) { struct bad *p = bpf_map_lookup_elem(&b, &k); return p != 0; }
