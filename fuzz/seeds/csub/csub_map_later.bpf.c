#define MAX_ENTRIES 10240
const volatile pid_t targ_tgid = 0;
const volatile bool targ_per_thread = false;
struct hkey { u32 pid; };
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, MAX_ENTRIES);
	__type(key, u32);
	__type(value, u64);
} start SEC(".maps");

static __always_inline bool trace_allowed(u32 tgid, u32 pid)
{
	if (targ_tgid && targ_tgid != tgid)
		return false;
	return true;
}

static __always_inline int trace_enter(void)
{
	u64 id = bpf_get_current_pid_tgid();
	u32 tgid = id >> 32, pid = id;
	u64 ts;
	if (!trace_allowed(tgid, pid))
		return 0;
	ts = bpf_ktime_get_ns();
	bpf_map_update_elem(&start, &pid, &ts, BPF_ANY);
	return 0;
}

static __always_inline u64 trace_exit(void)
{
	u64 *tsp, delta;
	u32 pid = (u32)bpf_get_current_pid_tgid();
	tsp = bpf_map_lookup_elem(&start, &pid);
	if (!tsp)
		return 0;
	delta = bpf_ktime_get_ns() - *tsp;
	bpf_map_delete_elem(&start, &pid);
	return delta;
}
