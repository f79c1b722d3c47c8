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
