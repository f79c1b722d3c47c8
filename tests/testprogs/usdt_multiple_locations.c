/* Three USDT probes with different numbers of locations: tracetest:testprobe at two
 * places, tracetest:testprobe2 at one, tracetest:testprobe3 at three; each passes the
 * time in seconds and a string. */
#include <stddef.h>
#include <sys/time.h>
#include <unistd.h>

#include "usdt.h"

static long myclock(void)
{
    struct timeval tv;
    gettimeofday(&tv, NULL);
    long sec = tv.tv_sec;
    TRACEC_USDT2("tracetest", "testprobe", "0", sec, "Hello world");
    TRACEC_USDT2("tracetest", "testprobe", "0", sec, "Hello world2");
    TRACEC_USDT2("tracetest", "testprobe2", "0", sec, "Hello world3");
    TRACEC_USDT2("tracetest", "testprobe3", "0", sec, "Hello world4");
    TRACEC_USDT2("tracetest", "testprobe3", "0", sec, "Hello world5");
    TRACEC_USDT2("tracetest", "testprobe3", "0", sec, "Hello world6");
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
