struct a { struct a x; };
int f() { struct a v; return 0; }