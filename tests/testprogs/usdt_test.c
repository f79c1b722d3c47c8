/* USDT probes tracetest:testprobe, tracetest:testprobe2 and tracetest2:testprobe2, each with
 * (arg0: the current time in seconds, arg1: the address of "Hello World1", "...2", "...3"),
 * fired every 100 ms, forever. */
#include <stdio.h>
#include <sys/time.h>
#include <unistd.h>

#include "usdt.h"

static volatile char str1[] = "Hello World1";
static volatile char str2[] = "Hello World2";
static volatile char str3[] = "Hello World3";

static long myclock(void)
{
    struct timeval tv;
    gettimeofday(&tv, NULL);
    long sec = tv.tv_sec;
    __asm__ __volatile__(TRACEC_USDT_NOTE("tracetest", "testprobe", "0", "8@%0 8@%1")
                         :: "r"(sec), "r"(str1));
    __asm__ __volatile__(TRACEC_USDT_NOTE("tracetest", "testprobe2", "0", "8@%0 8@%1")
                         :: "r"(sec), "r"(str2));
    __asm__ __volatile__(TRACEC_USDT_NOTE("tracetest2", "testprobe2", "0", "8@%0 8@%1")
                         :: "r"(sec), "r"(str3));
    return sec;
}

int main(void)
{
    for (;;) {
        myclock();
        usleep(100000);
    }
    return 0;
}
