// Stand-in for bpftrace's testprogs/watchpoint_threaded: a page mapped at 0x10000000
// that only a second thread writes, every 100 ms for about 20 s. With an argument, the
// thread is created after that many seconds (for watchpoints set on a process whose
// thread does not exist yet, under -c); without, at once (an existing thread, -p).
#include <pthread.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#define WATCHED ((volatile unsigned char *)0x10000000)

static void *writer(void *arg)
{
  (void)arg;
  for (int i = 0; i < 200; i++) {
    *WATCHED = (unsigned char)i;
    usleep(100 * 1000);
  }
  return NULL;
}

int main(int argc, char **argv)
{
  void *page = mmap((void *)WATCHED, 4096, PROT_READ | PROT_WRITE,
                    MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
  if (page == MAP_FAILED)
    return 1;
  if (argc > 1)
    sleep((unsigned)atoi(argv[1]));
  pthread_t t;
  if (pthread_create(&t, NULL, writer, NULL) != 0)
    return 1;
  pthread_join(t, NULL);
  return 0;
}
