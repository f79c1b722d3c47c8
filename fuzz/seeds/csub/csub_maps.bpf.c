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
