// tracec's copy of bpftrace's `stdlib/test` module: a C function that always
// returns true, to check that calls into imported C code work
// (`import "stdlib/test"; begin { print(__always_true()); }` prints 1).
int __always_true(void) { return 1; }
