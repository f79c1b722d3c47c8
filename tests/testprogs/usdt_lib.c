/* Calls `myclock` of libusdt_tp.so (tests/testlibs/usdt_tp.c) in a loop: the USDT probes
 * are in the library (tracetestlib:lib_probe_1 twice, tracetestlib2:lib_probe_2). */
#include <unistd.h>

long myclock(void);

int main(void)
{
    for (;;) {
        myclock();
        usleep(1000);
    }
    return 0;
}
