static int into_then(int v)
{
  int r = 0;
  if (v > 5)
    goto found;
  r = 1;
  if (v == 100) {
    r = 2;
  found:
    r += 10;
  } else {
    r += 100;
  }
  return r + v;
}

static int into_else(int v)
{
  int r = v;
  if (v < 0)
    goto neg;
  if (v & 1)
    goto odd;
  if (v > 1000) {
    r = 1;
  } else {
    int k = 3;
    r += k;
  neg:
    r = -r;
    {
      r *= 2;
    odd:
      r += 7;
    }
  }
  return r;
}

static int search(int n)
{
  int i;
  for (i = 0; i < 10; i++)
    if (i * i > n)
      goto hit;
  i = -1;
  if (n > 1000) {
  hit:
    i *= 3;
  }
  return i;
}
