#include <vmlinux.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>

#define COMM_LEN 16
#ifndef MAX
#define MAX(a, b) ((a) > (b) ? (a) : (b))
#endif

struct ids {
  __u32 pid;
  __u32 ppid;
  __u64 sum;
};
typedef struct ids ids_t;
enum step { FIRST = 1, SECOND, THIRD };

/* The parent's tgid, or -1 without a parent. */
static __always_inline int parent_tgid(struct task_struct *t)
{
  const struct task_struct *p = t->real_parent;
  if (p == NULL)
    return -1;
  return p->tgid;
}

static struct task_struct *parent_of(struct task_struct *t)
{
  return BPF_CORE_READ(t, real_parent);
}

static __u64 sum_ids(struct task_struct *t)
{
  ids_t v = {};
  v.pid = t->tgid;
  bpf_probe_read_kernel(&v.ppid, sizeof(v.ppid), &t->real_parent->tgid);
  ids_t copy = v;
  copy.sum = copy.pid + copy.ppid;
  int extra[4] = {1, 2, THIRD};
  for (int i = 0; i < 4; i++)
    copy.sum += extra[i];
  return copy.sum;
}

static int grandparent_tgid(void)
{
  struct task_struct *t = (struct task_struct *)bpf_get_current_task();
  return BPF_CORE_READ(t, real_parent, real_parent, tgid);
}

static __u32 current_pid(void)
{
  return bpf_get_current_pid_tgid() >> 32;
}

static int comm_at(struct task_struct *t, int i)
{
  char comm[COMM_LEN];
  bpf_probe_read_kernel(&comm, sizeof(comm), t->comm);
  return comm[i];
}

static long spread(struct task_struct *t)
{
  struct span s = { .hi = t->tgid };
  s.lo = t->real_parent->tgid;
  volatile struct task_struct *a = t;
  struct task_struct *b = (struct task_struct *)a + 2;
  if (!a || b - (struct task_struct *)a != 2 || (__u64)b - (__u64)a != 2 * sizeof(*t))
    return -1;
  return s.hi - s.lo + sizeof(struct span);
}

static int larger_tgid(struct task_struct *t)
{
  return MAX(t->tgid, BPF_CORE_READ(t, real_parent, tgid));
}

/* Fills a caller's struct through a pointer. */
static void fill(struct ids *out, struct task_struct *t)
{
  if (!out)
    return;
  out->pid = t->tgid;
  BPF_CORE_READ_INTO(&out->ppid, t, real_parent, tgid);
  out->sum = out->pid * 2 + out->ppid;
}

static __u64 filled(struct task_struct *t)
{
  struct ids v;
  __builtin_memset(&v, 0, sizeof(v));
  fill(&v, t);
  return v.sum;
}
