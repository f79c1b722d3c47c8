struct b { int v; struct b x; };
int f() { struct b v; return 0; }