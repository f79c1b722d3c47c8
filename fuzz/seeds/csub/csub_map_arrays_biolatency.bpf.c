#define MAX_SLOTS 27
#define TASK_COMM_LEN 16
struct hist_key { u32 cmd_flags; u32 dev; };
struct hist { u32 slots[MAX_SLOTS]; char comm[TASK_COMM_LEN]; };
struct {
  __uint(type, BPF_MAP_TYPE_HASH);
  __uint(max_entries, 10240);
  __type(key, struct hist_key);
  __type(value, struct hist);
} hists SEC(".maps");
static struct hist initial_hist;

static u64 log2(u32 v)
{
  u32 shift, r;
  r = (v > 0xFFFF) << 4; v >>= r;
  shift = (v > 0xFF) << 3; v >>= shift; r |= shift;
  shift = (v > 0xF) << 2; v >>= shift; r |= shift;
  shift = (v > 0x3) << 1; v >>= shift; r |= shift;
  r |= (v >> 1);
  return r;
}

static u64 log2l(u64 v)
{
  u32 hi = v >> 32;
  if (hi)
    return log2(hi) + 32;
  else
    return log2(v);
}

static int handle(u32 dev, u32 flags, u64 delta)
{
  struct hist_key hkey = {};
  struct hist *histp;
  u64 slot;
  hkey.dev = dev;
  hkey.cmd_flags = flags;
  histp = bpf_map_lookup_elem(&hists, &hkey);
  if (!histp) {
    bpf_map_update_elem(&hists, &hkey, &initial_hist, 0);
    histp = bpf_map_lookup_elem(&hists, &hkey);
    if (!histp)
      return 0;
    bpf_get_current_comm(&histp->comm, sizeof(histp->comm));
  }
  delta /= 1000U;
  slot = log2l(delta);
  if (slot >= MAX_SLOTS)
    slot = MAX_SLOTS - 1;
  __sync_fetch_and_add(&histp->slots[slot], 1);
  return 0;
}
