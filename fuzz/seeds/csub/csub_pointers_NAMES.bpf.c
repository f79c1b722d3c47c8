
static const char *task_name(struct task_struct *t) { return t->comm; }

static const unsigned char *exe_name(struct task_struct *t)
{
  struct file *f = BPF_CORE_READ(t, mm, exe_file);
  if (!f)
    return NULL;
  return BPF_CORE_READ(f, f_path.dentry, d_name.name);
}

/* A buffer longer than the source: the read stops at the NUL. */
static long copied_len(struct task_struct *t)
{
  char buf[32];
  return bpf_probe_read_kernel_str(&buf, sizeof(buf), t->comm) - 1 + (buf[0] == 't');
}

static int name_len(struct task_struct *t)
{
  const char *s = task_name(t);
  int n = 0;
  for (int i = 0; i < 16; i++) {
    if (s[i] == 0)
      break;
    n++;
  }
  return n;
}
