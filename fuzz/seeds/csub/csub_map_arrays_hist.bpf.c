#define MAX_SLOTS 8
struct hist { u32 slots[MAX_SLOTS]; u64 total; };
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
  while (v > 1) { v >>= 1; r++; }
  return r;
}

static int record(u32 key, u64 delta)
{
  struct hist *histp;
  u64 slot;
  histp = bpf_map_lookup_elem(&hists, &key);
  if (!histp) {
    bpf_map_update_elem(&hists, &key, &initial_hist, 0);
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
  return histp->slots[slot];
}

static u64 copyout(u32 key)
{
  struct hist *h = bpf_map_lookup_elem(&hists, &key);
  if (!h) return 999;
  struct hist c = *h;
  u64 s = 0;
  for (int i = 0; i < MAX_SLOTS; i++) s += c.slots[i] * (i + 1);
  return s;
}
