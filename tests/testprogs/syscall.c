/* Makes one system call named on the command line, for tracepoint tests:
 *   syscall nanosleep [NSECS]      sleep NSECS nanoseconds (default 100; "1e8" is accepted)
 *   syscall openat | open          create and remove $TMPDIR/bpftrace_runtime_test_syscall_gen_open_temp
 *   syscall read                   read 0 bytes from a new temporary file
 *   syscall execve PATH [ARG...]   execve PATH with the arguments and an empty environment
 *   syscall connect HOST PORT      TCP connect to HOST:PORT (the result does not matter) */
#include <arpa/inet.h>
#include <ctype.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

static int usage(void)
{
    fprintf(stderr, "usage: syscall nanosleep [NSECS] | openat | open | read | "
                    "execve PATH [ARG...] | connect HOST PORT\n");
    return 1;
}

static int do_nanosleep(int argc, char **argv)
{
    struct timespec ts = { 0, 100 };
    if (argc > 2) {
        const char *text = argv[2];
        size_t len = strlen(text);
        char *end = NULL;
        if (len == 0 || !isdigit((unsigned char)text[0]) ||
            !isdigit((unsigned char)text[len - 1])) {
            fprintf(stderr, "nanosleep: '%s' is not a non-negative number\n", text);
            return 1;
        }
        double ns = strtod(text, &end);
        if (*end != '\0') {
            fprintf(stderr, "nanosleep: '%s' is not a number\n", text);
            return 1;
        }
        if (ns > 0 && ns < 1)
            ns = 1;
        ts.tv_sec = (time_t)(ns / 1e9);
        ts.tv_nsec = (long)(ns - (double)ts.tv_sec * 1e9);
    }
    if (syscall(SYS_nanosleep, &ts, NULL) != 0) {
        perror("nanosleep");
        return 1;
    }
    return 0;
}

static void temp_path(char *out, size_t size, const char *name)
{
    const char *dir = getenv("TMPDIR");
    snprintf(out, size, "%s/%s", dir ? dir : "/tmp", name);
}

static int do_open(int use_open)
{
    char path[4096];
    long fd;
    temp_path(path, sizeof path, "bpftrace_runtime_test_syscall_gen_open_temp");
#ifdef SYS_open
    if (use_open)
        fd = syscall(SYS_open, path, O_CREAT, 0644);
    else
#endif
        fd = syscall(SYS_openat, AT_FDCWD, path, O_CREAT, 0644);
    (void)use_open;
    if (fd < 0) {
        perror("open");
        return 1;
    }
    close((int)fd);
    unlink(path);
    return 0;
}

static int do_read(void)
{
    char path[4096];
    char buf[16];
    temp_path(path, sizeof path, "bpftrace_runtime_test_syscall_gen_read_temp");
    int fd = open(path, O_CREAT | O_RDONLY, 0644);
    if (fd < 0) {
        perror("read: create");
        return 1;
    }
    long n = syscall(SYS_read, fd, buf, 0);
    close(fd);
    unlink(path);
    if (n < 0) {
        perror("read");
        return 1;
    }
    return 0;
}

static int do_execve(int argc, char **argv)
{
    if (argc < 3)
        return usage();
    char *env[] = { NULL };
    /* argv[2] is the program; it sees itself as its argv[0]. */
    syscall(SYS_execve, argv[2], &argv[2], env);
    perror("execve");
    return 1;
}

static int do_connect(int argc, char **argv)
{
    if (argc < 4)
        return usage();
    int port = atoi(argv[3]);
    if (port < 1 || port > 65535) {
        fprintf(stderr, "connect: port %s is out of range\n", argv[3]);
        return 1;
    }
    int sock = socket(AF_INET, SOCK_STREAM, 0);
    if (sock < 0) {
        perror("socket");
        return 1;
    }
    struct sockaddr_in addr;
    memset(&addr, 0, sizeof addr);
    addr.sin_family = AF_INET;
    addr.sin_port = htons((unsigned short)port);
    addr.sin_addr.s_addr = inet_addr(argv[2]);
    connect(sock, (struct sockaddr *)&addr, sizeof addr);
    close(sock);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc < 2)
        return usage();
    const char *what = argv[1];
    if (strcmp(what, "nanosleep") == 0)
        return do_nanosleep(argc, argv);
    if (strcmp(what, "openat") == 0)
        return do_open(0);
    if (strcmp(what, "open") == 0)
        return do_open(1);
    if (strcmp(what, "read") == 0)
        return do_read();
    if (strcmp(what, "execve") == 0)
        return do_execve(argc, argv);
    if (strcmp(what, "connect") == 0)
        return do_connect(argc, argv);
    fprintf(stderr, "syscall: %s is not supported\n", what);
    return usage();
}
