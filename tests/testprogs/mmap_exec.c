/* Stand-in for bpftrace's mmap_exec: maps the file named by its argument (a flat binary, no
 * ELF headers) executable and calls its first byte, so that a uprobe at file offset 0 of a
 * non-ELF file fires. */
#include <fcntl.h>
#include <stdio.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

int main(int argc, char **argv)
{
  if (argc != 2) {
    fprintf(stderr, "usage: %s FLAT-BINARY\n", argv[0]);
    return 2;
  }
  int fd = open(argv[1], O_RDONLY);
  struct stat st;
  if (fd < 0 || fstat(fd, &st) != 0) {
    perror(argv[1]);
    return 2;
  }
  void *code = mmap(NULL, (size_t)st.st_size, PROT_READ | PROT_EXEC, MAP_PRIVATE, fd, 0);
  if (code == MAP_FAILED) {
    perror("mmap");
    return 2;
  }
  close(fd);
  int (*entry)(void) = (int (*)(void))code;
  return entry() == 1 ? 0 : 1;
}
