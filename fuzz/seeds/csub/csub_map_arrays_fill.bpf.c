#define MAX_SLOTS 6
#define TASK_COMM_LEN 16
struct hist { u32 slots[MAX_SLOTS]; char comm[TASK_COMM_LEN]; };
struct {
  __uint(type, BPF_MAP_TYPE_HASH);
  __uint(max_entries, 64);
  __type(key, u32);
  __type(value, struct hist);
} hists SEC(".maps");
static struct hist zero;

static int handle(u32 pid, u64 delta)
{
  struct hist *histp = bpf_map_lookup_elem(&hists, &pid);
  if (!histp) {
    bpf_map_update_elem(&hists, &pid, &zero, BPF_ANY);
    histp = bpf_map_lookup_elem(&hists, &pid);
    if (!histp)
      return 0;
    struct task_struct *task = (void *)bpf_get_current_task();
    if (pid == 2)
      bpf_probe_read_kernel_str(&histp->comm, sizeof(task->comm), task->comm);
    else
      bpf_get_current_comm(&histp->comm, sizeof(histp->comm));
  }
  u64 slot = delta;
  if (slot >= MAX_SLOTS)
    slot = MAX_SLOTS - 1;
  __sync_fetch_and_add(&histp->slots[slot], 1);
  return histp->comm[0];
}
