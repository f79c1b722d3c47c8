// Stand-in for bpftrace's testprogs/watchpoint_exec: code at the fixed address
// 0x10000000 (a page mapped there holding one `ret`), called a few times, for an
// execution breakpoint `watchpoint:0x10000000:1:x`.
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define CODE_ADDR ((void *)0x10000000)

int main(void)
{
  unsigned char *page = mmap(CODE_ADDR, 4096, PROT_READ | PROT_WRITE | PROT_EXEC,
                             MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
  if (page == MAP_FAILED)
    return 1;
#if defined(__x86_64__)
  page[0] = 0xc3; // ret
#elif defined(__aarch64__)
  const unsigned char ret[4] = { 0xc0, 0x03, 0x5f, 0xd6 }; // ret
  memcpy(page, ret, sizeof(ret));
  __builtin___clear_cache((char *)page, (char *)page + sizeof(ret));
#endif
  void (*fn)(void) = (void (*)(void))page;
  for (int i = 0; i < 20; i++) {
    fn();
    usleep(50 * 1000);
  }
  return 0;
}
