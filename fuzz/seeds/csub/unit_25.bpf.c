#define M(a) a
int f(void) { return M(1