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
