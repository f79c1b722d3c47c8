// Stand-in for bpftrace's testlibs/libusdt_tp.so: `myclock` fires USDT probes from a
// shared library, tracetestlib:lib_probe_1 at two places and tracetestlib2:lib_probe_2,
// each with the time in seconds and a string.
#include <stddef.h>
#include <sys/time.h>

#include "usdt.h"

long myclock(void)
{
    struct timeval tv;
    gettimeofday(&tv, NULL);
    long sec = tv.tv_sec;
    TRACEC_USDT2("tracetestlib", "lib_probe_1", "0", sec, "Hello world");
    TRACEC_USDT2("tracetestlib", "lib_probe_1", "0", sec, "Hello world2");
    TRACEC_USDT2("tracetestlib2", "lib_probe_2", "0", sec, "Hello world3");
    return sec;
}
