/* test2() calls test() (returns 42), then the process sleeps 5 s. */
#include <unistd.h>

__attribute__((noinline)) int test(void) { return 42; }
__attribute__((noinline)) int test2(void) { return test(); }

int main(void)
{
    test2();
    sleep(5);
    return 0;
}
