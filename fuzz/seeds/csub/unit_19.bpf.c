int r(int n) { return r(n); }
int one(int a) { return a; }