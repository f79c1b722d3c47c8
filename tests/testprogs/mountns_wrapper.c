/* Stand-in for bpftrace's mountns_wrapper: runs the test program named by its argument from
 * a mount namespace of its own, where this directory is bind-mounted at a path that does
 * not exist outside (/tmp/bpftrace-unshare-mountns-test). A tracer in the caller's namespace
 * reaches the program's files only through /proc/PID/root. */
#define _GNU_SOURCE
#include <errno.h>
#include <libgen.h>
#include <limits.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#define PRIVATE_DIR "/tmp/bpftrace-unshare-mountns-test"

static int fail(const char *what)
{
  perror(what);
  return 1;
}

int main(int argc, char **argv)
{
  if (argc != 2) {
    fprintf(stderr, "usage: %s TESTPROG\n", argv[0]);
    return 2;
  }
  char self[PATH_MAX];
  ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
  if (n < 0)
    return fail("readlink /proc/self/exe");
  self[n] = '\0';
  const char *dir = dirname(self);

  if (unshare(CLONE_NEWNS) != 0)
    return fail("unshare");
  /* Nothing mounted from here on propagates back to the caller's namespace. */
  if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) != 0)
    return fail("mount --make-rprivate /");
  if (mkdir(PRIVATE_DIR, 0770) != 0 && errno != EEXIST)
    return fail("mkdir " PRIVATE_DIR);
  if (mount(dir, PRIVATE_DIR, NULL, MS_BIND, NULL) != 0)
    return fail("bind mount");

  char exe[PATH_MAX];
  snprintf(exe, sizeof(exe), "%s/%s", PRIVATE_DIR, argv[1]);
  char *args[] = { exe, NULL };
  execv(exe, args);
  return fail(exe);
}
