/* USDT probe usdt_multi_args:probe1 with twelve arguments of mixed sizes (the most a
 * note may carry): 0xdeadbeef, 1, UINT64_MAX, 0xcafebabe, 0x8badf00d, 0xfeedface,
 * 0x0123456789abcdef, 0, INT64_MAX, 0x5555555555555555, 42, 0xaaaaaaaaaaaaaaaa. */
#include <stdint.h>
#include <unistd.h>

#include "usdt.h"

int main(void)
{
    uint32_t a = 0xdeadbeef;
    uint32_t b = 1;
    uint64_t c = UINT64_MAX;
    uint32_t d = 0xcafebabe;
    uint32_t e = 0x8badf00d;
    uint32_t f = 0xfeedface;
    uint64_t g = 0x0123456789abcdefULL;
    uint64_t h = 0;
    uint64_t i = 0x7fffffffffffffffULL;
    uint64_t j = 0x5555555555555555ULL;
    uint32_t k = 42;
    uint64_t l = 0xaaaaaaaaaaaaaaaaULL;
    for (;;) {
        TRACEC_USDT12("usdt_multi_args", "probe1", "0", a, b, c, d, e, f, g, h, i, j, k, l);
        usleep(1000);
    }
    return 0;
}
