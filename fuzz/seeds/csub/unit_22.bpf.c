#ifndef NULL
#define NULL 0
#endif
#define MIN(a, b) ((a) < (b) ? (a) : (b))
#define TWICE(x) MIN(x, 100) * 2
#if defined(__x86_64__) && LIMIT_UNSET + 1 > 0
int f(int v) { return TWICE(v + 1); }
#elif 1
int g(void) { return 0; }
#else
syntax error here
#endif
#undef MIN
int MIN(int a) { return a; }
