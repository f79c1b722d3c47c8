/* test_helper_error(NULL): reading through the pointer fails in a probe. */
#include <stdio.h>

struct foo {
    int a;
};

void test_helper_error(struct foo *ptr) { printf("test %llu\n", (unsigned long long)ptr); }

int main(void)
{
    test_helper_error(NULL);
    return 0;
}
