static long addr(int *p) { return (long)p; }
static long f(void) { int x = 0; return addr(&x); }