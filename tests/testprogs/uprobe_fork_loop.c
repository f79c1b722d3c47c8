/* Stand-in for bpftrace's uprobe_fork_loop: forks once, then parent and child both call
 * uprobeFunction1 forever, so a uprobe limited to one pid (`-p`) must see only that pid. */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

__attribute__((noinline)) int uprobeFunction1(int *value, char tag)
{
  (void)tag;
  return *value;
}

static void call_forever(void)
{
  for (;;) {
    int value = 13;
    uprobeFunction1(&value, 'x');
    usleep(500);
  }
}

int main(void)
{
  if (fork() < 0) {
    perror("fork");
    return 1;
  }
  call_forever();
  return 0;
}
