/* 10000 nanosleep calls of 100 ms each. */
#include <stdio.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

int main(void)
{
    struct timespec ts = { 0, 100000000 };
    for (int i = 0; i < 10000; i++) {
        if (syscall(SYS_nanosleep, &ts, NULL) != 0) {
            perror("nanosleep");
            return 1;
        }
    }
    return 0;
}
