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
