#if 1
int f(void) { return 0; }
