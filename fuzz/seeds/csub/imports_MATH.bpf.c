#include <linux/types.h>
#define LIMIT 10

// Sum of the odd numbers up to n (at most LIMIT).
static int sum_odd(int n) {
  int total = 0;
  for (int i = 1; i <= n && i <= LIMIT; i++) {
    if ((i & 1) == 0)
      continue;
    total += i;
  }
  return total;
}

int first_square_above(int n) {
  for (int i = 0; i < 100; i++) {
    if (i * i > n)
      return i;
  }
  return -1;
}

unsigned char wrap(unsigned int v) { return v + 1; }

_Bool is_even(long v) { return (v & 1) == 0; }
