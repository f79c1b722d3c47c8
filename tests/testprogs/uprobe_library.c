/* Stand-in for bpftrace's uprobe_library: reads a few bytes through libc's fread, so that a
 * uprobe on the shared library (`uprobe:libc:fread`) fires in this process. */
#include <stdio.h>

int main(void)
{
  unsigned int word = 0;
  FILE *zero = fopen("/dev/zero", "r");
  if (zero == NULL)
    return 1;
  size_t got = fread(&word, sizeof(word), 1, zero);
  fclose(zero);
  return got == 1 ? 0 : 1;
}
