union num { unsigned int u; int i; unsigned char b[4]; short h[2]; };
struct tagged { int tag; union num v; };
struct pair { int lo; int hi; };
union big { struct pair p[2]; unsigned long w[2]; };
union flag { _Bool on; unsigned char raw; };

static long same(int x)
{
  union num n;
  n.i = x;
  return n.i;
}

static long bytes(unsigned int x)
{
  union num n = { .u = x };
  n.b[1] = 0xAB;
  n.h[1] += 3;
  return (long)n.u * 100 + n.b[0] + n.i % 7;
}

static union num make(int x) { union num n = { x }; n.b[3] = 1; return n; }

static long copy(int x)
{
  struct tagged t = {};
  t.tag = 2;
  t.v = make(x);
  union num m = t.v;
  m.h[0]++;
  return t.v.i * 10 + m.i + t.tag;
}

static long halves(long x)
{
  union big g = {};
  g.w[0] = x;
  g.p[1].hi = -1;
  g.p[1].lo = g.p[0].lo + 5;
  return g.w[1] / 3 + g.p[0].hi;
}

static long sign(short s)
{
  union num n = {};
  n.h[1] = s;
  return n.i;
}

static long flags(unsigned char r)
{
  union flag f = { .raw = r };
  long on = f.on;
  f.on = 1;
  return on * 1000 + f.raw;
}
