/* USDT probe tracetest:testprobe guarded by the semaphore tracetest_testprobe_semaphore
 * (in `.probes`, as sys/sdt.h places semaphores): arg0 is the time in seconds, arg1 the
 * text "USDT semaphore: N" with the semaphore's value when the probe fired. Loops with a
 * short pause. */
#include <stdio.h>
#include <stddef.h>
#include <sys/time.h>
#include <unistd.h>

#include "usdt.h"

volatile unsigned short tracetest_testprobe_semaphore
    __attribute__((section(".probes"), visibility("hidden"))) = 0;

static long myclock(void)
{
    char buffer[100];
    struct timeval tv;
    gettimeofday(&tv, NULL);
    long sec = tv.tv_sec;
    snprintf(buffer, sizeof buffer, "USDT semaphore: %d", tracetest_testprobe_semaphore);
    if (tracetest_testprobe_semaphore)
        TRACEC_USDT2("tracetest", "testprobe", "tracetest_testprobe_semaphore", sec, buffer);
    return sec;
}

int main(void)
{
    for (;;) {
        myclock();
        usleep(1000);
    }
    return 0;
}
