/* Sleeps 3 s, then test2() calls test() (returns 42) and the process exits. */
#include <unistd.h>

__attribute__((noinline)) int test(void) { return 42; }
__attribute__((noinline)) int test2(void) { return test(); }

int main(void)
{
    sleep(3);
    test2();
    return 0;
}
