struct s { int a[4]; int n; };
struct pt { long x; long y; };

static void fill(struct s *o, int i) { o->a[i] = 7; o->n += 1; }
static void put(int *p, int i) { p[i] = 5; *p += 1; }
static void again(int *p) { put(p, 2); }
static void first(struct pt *p) { p->x = 40; p[1].y = 2; }

static int writes(int i)
{
  struct s x = {};
  fill(&x, i);
  fill(&x, 0);
  put(x.a, 3);
  int arr[3] = {};
  put(arr, 1);
  again(arr);
  struct pt pts[2] = {};
  first(pts);
  return x.a[i] * 1000 + x.n * 100 + x.a[3] * 10 + arr[1] + arr[0] * 100000 + arr[2] * 1000000
         + (int)(pts[0].x + pts[1].y) * 10000000;
}
