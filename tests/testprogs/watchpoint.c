// Stand-in for bpftrace's testprogs/watchpoint: an 8-byte heap variable whose address
// the program publishes in /tmp/watchpoint_mem (as `0x...`, for `watchpoint:ADDR:8:w`
// with -p), then written every 100 ms for about 20 s.
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

int main(void)
{
  volatile long *watched = malloc(sizeof(long));
  if (!watched)
    return 1;
  FILE *f = fopen("/tmp/watchpoint_mem", "w");
  if (!f)
    return 1;
  fprintf(f, "%p\n", (void *)watched);
  fclose(f);
  for (long i = 0; i < 200; i++) {
    *watched = i;
    usleep(100 * 1000);
  }
  free((void *)watched);
  return 0;
}
