struct pair { int a; unsigned long b[2]; struct task_struct *t; };
typedef struct pair pair_t;
typedef unsigned int my_u32;
static const struct task_struct *const parent(struct task_struct *t, int arr[], pair_t *p) {
my_u32 x = sizeof(pair_t), *q, m[2][3];
return t->real_parent;
}
