struct p { int x; };
static int f(struct task_struct *t) { struct p v; return v.z; }