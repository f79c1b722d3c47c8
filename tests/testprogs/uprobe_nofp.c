/* main calls funcA -> funcB -> funcC -> funcD in a loop, every 10 ms. Built without frame
 * pointers (see testprogs.rs) so that only DWARF unwinding (dw_ustack) sees the chain. */
#include <unistd.h>

__attribute__((noinline)) int funcD(int x)
{
    return x * 3 + 1;
}

__attribute__((noinline)) int funcC(int x)
{
    return funcD(x + 1) + 2;
}

__attribute__((noinline)) int funcB(int x)
{
    return funcC(x * 2) - 1;
}

__attribute__((noinline)) int funcA(int x)
{
    return funcB(x + 3) ^ 5;
}

int main(void)
{
    volatile int acc = 0;
    for (int i = 0; i < 100000; i++) {
        acc += funcA(i);
        usleep(10000);
    }
    return acc == 42;
}
