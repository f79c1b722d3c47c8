/* USDT probe tracetest:testprobe duplicated by inlining: `myclock` is always inlined,
 * once into `loop` (arg1 999) and once, through `mywrapper_inlined` (always inlined
 * too), into `mywrapper` (arg1 100), so the note appears at two places. arg0 is the time
 * in seconds; arg1 is read from the stack. Call chain of the second site: main -> loop
 * -> mywrapper -> [mywrapper_inlined -> myclock]. One round per second. */
#include <stddef.h>
#include <sys/time.h>
#include <unistd.h>

#include "usdt.h"

__attribute__((always_inline)) static inline void myclock(int probe_num)
{
    /* volatile: the argument stays a stack slot, not a constant. */
    volatile int on_stack = probe_num;
    struct timeval tv;
    gettimeofday(&tv, NULL);
    long sec = tv.tv_sec;
    TRACEC_USDT2("tracetest", "testprobe", "0", sec, on_stack);
}

__attribute__((always_inline)) static inline void mywrapper_inlined(void)
{
    myclock(100);
}

__attribute__((noinline)) static void mywrapper(void)
{
    mywrapper_inlined();
}

__attribute__((noinline)) static void loop(void)
{
    for (;;) {
        myclock(999);
        mywrapper();
        sleep(1);
    }
}

int main(void)
{
    loop();
    return 0;
}
