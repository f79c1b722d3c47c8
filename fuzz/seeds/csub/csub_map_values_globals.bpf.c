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
