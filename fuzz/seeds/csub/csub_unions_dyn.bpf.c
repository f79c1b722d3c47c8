union num { unsigned int u; int i; unsigned char b[4]; short h[2]; };
union big { struct { int lo; int hi; } p[2]; unsigned long w[2]; };

static long picked(unsigned int x, int i)
{
  union num n = { .u = x };
  n.b[i & 3] += 5;
  n.h[(i + 1) & 1] ^= 0x101;
  union big g = {};
  g.w[i & 1] = x;
  return (long)n.u * 10 + n.b[(i + 2) & 3] + g.w[0] % 1000;
}
