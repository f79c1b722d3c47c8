/* USDT probes test:probe1, test:probe2 and test:probe3, each with one unsigned argument of
 * its own size (a 4-byte 0xdeadbeef, a 4-byte 1, an 8-byte UINT64_MAX), fired in a loop
 * with a short pause. */
#include <stdint.h>
#include <unistd.h>

#include "usdt.h"

int main(void)
{
    uint32_t a = 0xdeadbeef;
    uint32_t b = 1;
    uint64_t c = UINT64_MAX;
    for (;;) {
        TRACEC_USDT1("test", "probe1", "0", a);
        TRACEC_USDT1("test", "probe2", "0", b);
        TRACEC_USDT1("test", "probe3", "0", c);
        usleep(1000);
    }
    return 0;
}
