static int first_multiple(int n, int k)
{
  int i, r = -1;
  for (i = 1; i < 50; i++) {
    if (i % k == 0 && i > n) {
      r = i;
      goto out;
    }
  }
  r = 0;
out:
  return r;
}

/* Out of a switch inside two loops. */
static int nested(int a)
{
  int s = 0;
  for (int i = 0; i < 5; i++) {
    for (int j = 0; j < 5; j++) {
      switch (j) {
      case 3:
        if (i * j > a)
          goto done;
        break;
      default:
        s += j;
      }
    }
    s += 100;
  }
  s = -s;
done:
  s += 1000;
  return s;
}

static int retry(int n)
{
  int tries = 0, v = n;
again:
  v = v * 3 + 1;
  tries++;
  if (v < 1000 && tries < 10)
    goto again;
  return tries * 10000 + v;
}

/* A declaration the jump skips, used before the label only. */
static int err_path(int x)
{
  int ret = 0;
  if (x < 0) {
    ret = -1;
    goto err;
  }
  int y = x * 2;
  if (y > 10)
    goto err;
  return y;
err:
  return ret - 100;
}

/* The kernel's unwinding chain: later failures run more of the cleanup. */
static int chain(int a)
{
  int r = 0;
  if (a == 1)
    goto e1;
  r += 1;
  if (a == 2)
    goto e2;
  r += 10;
  if (a == 3)
    goto e3;
  return r;
e3:
  r += 100;
e2:
  r += 1000;
e1:
  r += 10000;
  return -r;
}

/* A label reached by a forward and by backward jumps. */
static int both(int n)
{
  int c = 0;
  if (n > 5)
    goto loop;
  c = 100;
loop:
  c++;
  n++;
  if (n < 8)
    goto loop;
  return c;
}

/* A forward jump out of a backward loop, from a do/while inside it. */
static int escape(int n)
{
  int v = 0, rounds = 0;
top:
  rounds++;
  do {
    v += n;
    if (v > 40)
      goto found;
  } while (v % 7);
  if (rounds < 6)
    goto top;
  return -v;
found:
  return rounds * 1000 + v;
}

/* Jumps inside one switch section, and an empty labelled statement. */
static int section(int k, int x)
{
  int r = 0;
  switch (k) {
  case 1:
    if (x)
      goto skip;
    r = 5;
  skip:
    r += 1;
    break;
  default:
    r = 9;
  }
  if (r > 3)
    goto end;
  r *= 10;
end:;
  return r;
}

/* The kernel's CHECK macro: a goto out of a `do { } while (0)`; a label ending a
   loop body (a `continue`). */
#define CHECK(x) do { if (!(x)) goto err; } while (0)
static int checked(int a, int b)
{
  int r = 0;
  CHECK(a > 0);
  r += a;
  CHECK(b > 0);
  r += b * 10;
  for (int i = 0; i < 4; i++) {
    if (i == a)
      goto next;
    r += 100;
  next:
    ;
  }
  return r;
err:
  return -r - 1;
}

/* A forward jump out of a loop inside a backward one. */
static int rounds(int n)
{
  int tries = 0, acc = 0;
again:
  tries++;
  for (int i = 0; i < 3; i++) {
    acc += i + n;
    if (acc > 50)
      goto done;
  }
  if (tries < 5)
    goto again;
done:
  return tries * 1000 + acc;
}
