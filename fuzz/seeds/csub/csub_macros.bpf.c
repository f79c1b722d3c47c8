#define CAT(a, b) a ## b
#define CAT3(a, b, c) a ## b ## c
#define XCAT(a, b) CAT(a, b)
#define STR(x) #x
#define XSTR(x) STR(x)
#define N 12
#define FIELD(n) int CAT(f_, n)
#define GETTER(n) static int CAT(get_, n)(int v) { return v * n; }
#define LOG(fmt, ...) bpf_printk("tracec-paste " fmt, ## __VA_ARGS__)
#define TAIL(a, b) a ## b ## 1
#define FIFTEEN 1 ## 5

GETTER(3)
GETTER(N)

struct rec { FIELD(1); FIELD(2); };

static int paste(int x)
{
  int CAT(loc, 1) = x, loc2 = 5;
  struct rec r = { .f_1 = 7, .f_2 = 9 };
  int v12 = 100;
  LOG("%d", x);
  LOG("plain");
  return CAT(loc, 1) * 1000 + CAT3(lo, c, 2) * 100 + CAT(r.f_, 2) + XCAT(v, N)
         + CAT(get_, 3)(x) + TAIL(, 2) + FIFTEEN + r.CAT(f_, 1);
}

static int strs(int x)
{
  int r = 0;
  if (__builtin_memcmp(STR(x + 1), "x + 1", 6) == 0)
    r += 1;
  if (memcmp(XSTR(N), "12", 3) == 0)
    r += 10;
  if (memcmp(STR(N), "N", 2) == 0)
    r += 100;
  if (memcmp(STR(a  +  "b\n"), "a + \"b\\n\"", 10) == 0)
    r += 1000;
  if (memcmp(STR(x), "y", 2) == 0)
    r += 10000;
  return r;
}
