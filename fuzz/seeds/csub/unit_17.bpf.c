int twice(int x) { return x * 2; }
int loop(int n) { int s = 0; for (int i = 0; i < n; i++) { if (i > 5) return -1; s += twice(i); } return s; }