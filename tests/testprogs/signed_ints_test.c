/* test_signed_ints(&s) with s.x = 0; prints the pointer. */
#include <stdio.h>

struct x {
    unsigned long x;
};

void test_signed_ints(struct x *ptr) { printf("test %llu\n", (unsigned long long)ptr); }

int main(void)
{
    struct x s = { 0 };
    test_signed_ints(&s);
    return 0;
}
