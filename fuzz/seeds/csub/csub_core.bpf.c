enum my_e { MY_A, MY_B };
struct mine { int a; char b[6]; };

static long fields(struct task_struct *t)
{
  long r = 0;
  if (bpf_core_field_exists(t->pid))
    r += 1;
  if (bpf_core_field_exists(struct task_struct, tgid))
    r += 10;
  if (bpf_core_field_exists(t->tracec_no_such_field))
    r += 100;
  if (bpf_core_field_exists(t->se.vruntime))
    r += 1000;
  return r + bpf_core_field_size(t->comm) * 10000;
}

static long offsets(struct task_struct *t)
{
  return bpf_core_field_offset(t->pid) * 100000
         + bpf_core_field_offset(struct task_struct, se.vruntime);
}

static long types(void)
{
  return bpf_core_type_exists(struct task_struct)
         + bpf_core_type_exists(struct tracec_no_such_type) * 10
         + bpf_core_type_exists(enum my_e) * 100
         + bpf_core_enum_value_exists(enum pid_type, PIDTYPE_TGID) * 1000
         + bpf_core_enum_value_exists(enum pid_type, TRACEC_NO_SUCH) * 10000
         + bpf_core_enum_value_exists(enum my_e, MY_B) * 100000;
}

static long sizes(void)
{
  struct mine m = {};
  return bpf_core_type_size(struct task_struct) * 1000 + bpf_core_type_size(struct mine) * 10
         + bpf_core_field_size(m.b);
}
