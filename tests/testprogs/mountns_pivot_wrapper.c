/* Stand-in for bpftrace's mountns_pivot_wrapper: runs the test program named by its argument
 * as /NAME in a mount namespace whose root was changed with pivot_root (as container runtimes
 * do). The new root is a tmpfs holding the program and the system library directories, so
 * the program's own view of its path (/NAME) means nothing outside; a tracer reaches it as
 * /proc/PID/root/NAME. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <libgen.h>
#include <limits.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#define NEW_ROOT "/tmp/bpftrace-unshare-mountns-pivot-test"

static int fail(const char *what)
{
  perror(what);
  return 1;
}

/* mkdir -p */
static int make_dirs(const char *path)
{
  char buf[PATH_MAX];
  snprintf(buf, sizeof(buf), "%s", path);
  for (char *p = buf + 1; *p; p++) {
    if (*p != '/')
      continue;
    *p = '\0';
    if (mkdir(buf, 0755) != 0 && errno != EEXIST)
      return -1;
    *p = '/';
  }
  return mkdir(buf, 0755) != 0 && errno != EEXIST ? -1 : 0;
}

/* Bind-mount `from` (a directory, symbolic links followed) at NEW_ROOT/`from`. */
static int bind_dir(const char *from)
{
  char to[PATH_MAX];
  snprintf(to, sizeof(to), "%s%s", NEW_ROOT, from);
  if (make_dirs(to) != 0)
    return -1;
  return mount(from, to, NULL, MS_BIND | MS_REC, NULL);
}

int main(int argc, char **argv)
{
  if (argc != 2 || strchr(argv[1], '/') != NULL) {
    fprintf(stderr, "usage: %s TESTPROG\n", argv[0]);
    return 2;
  }
  char self[PATH_MAX];
  ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
  if (n < 0)
    return fail("readlink /proc/self/exe");
  self[n] = '\0';
  char program[PATH_MAX];
  snprintf(program, sizeof(program), "%s/%s", dirname(self), argv[1]);

  if (unshare(CLONE_NEWNS) != 0)
    return fail("unshare");
  if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) != 0)
    return fail("mount --make-rprivate /");
  if (make_dirs(NEW_ROOT) != 0)
    return fail("mkdir " NEW_ROOT);
  if (mount("tmpfs", NEW_ROOT, "tmpfs", 0, "mode=0755") != 0)
    return fail("mount tmpfs");

  /* The program: an empty file with the binary bind-mounted over it. */
  char target[PATH_MAX];
  snprintf(target, sizeof(target), "%s/%s", NEW_ROOT, argv[1]);
  int fd = open(target, O_CREAT | O_WRONLY, 0755);
  if (fd < 0)
    return fail(target);
  close(fd);
  if (mount(program, target, NULL, MS_BIND, NULL) != 0)
    return fail("bind mount the program");

  /* What a dynamically linked program needs: the loader and the libraries. */
  glob_t libs;
  memset(&libs, 0, sizeof(libs));
  glob("/lib*", 0, NULL, &libs);
  glob("/usr/lib*", GLOB_APPEND, NULL, &libs);
  for (size_t i = 0; i < libs.gl_pathc; i++) {
    struct stat st;
    if (stat(libs.gl_pathv[i], &st) == 0 && S_ISDIR(st.st_mode) && bind_dir(libs.gl_pathv[i]) != 0)
      return fail(libs.gl_pathv[i]);
  }
  globfree(&libs);

  char old_root[PATH_MAX];
  snprintf(old_root, sizeof(old_root), "%s/old", NEW_ROOT);
  if (make_dirs(old_root) != 0)
    return fail("mkdir old root");
  if (syscall(SYS_pivot_root, NEW_ROOT, old_root) != 0)
    return fail("pivot_root");
  if (chdir("/") != 0)
    return fail("chdir /");
  if (umount2("/old", MNT_DETACH) != 0)
    return fail("umount /old");

  char exe[PATH_MAX];
  snprintf(exe, sizeof(exe), "/%s", argv[1]);
  char *args[] = { exe, NULL };
  execv(exe, args);
  return fail(exe);
}
