struct val { u64 count; u64 bytes; u32 last; };

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
} lru SEC(".maps");

struct {
  __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
  __uint(max_entries, 2);
  __type(key, u32);
  __type(value, u64);
} pcpu SEC(".maps");

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
  u64 *l = bpf_map_lookup_elem(&lru, &key);
  if (l) *l += 1; else { u64 one = 1; bpf_map_update_elem(&lru, &key, &one, BPF_NOEXIST); }
  u32 z = 0;
  u64 *p = bpf_map_lookup_elem(&pcpu, &z);
  if (p) __sync_fetch_and_add(p, n);
  v = bpf_map_lookup_elem(&stats, &key);
  if (!v) return 0;
  struct val copy = *v;
  return copy.count * 1000 + copy.bytes;
}
