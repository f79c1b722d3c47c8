struct p { int x; };
static struct p f(struct task_struct *t) { struct p v = {}; return v; }