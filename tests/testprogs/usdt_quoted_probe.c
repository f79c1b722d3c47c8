/* A USDT probe whose name holds quotes, test:"probe1" (as a quoted name passed to
 * sys/sdt.h's macros ends up in the note), with the int argument 1. */
#include <unistd.h>

#include "usdt.h"

int main(void)
{
    int a = 1;
    for (;;) {
        TRACEC_USDT1("test", "\\\"probe1\\\"", "0", a);
        usleep(1000);
    }
    return 0;
}
