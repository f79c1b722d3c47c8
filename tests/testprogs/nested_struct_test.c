/* test_nested_struct(&foo) with foo = { m 10, bar { x 20, y 30 }, n 40 } (bar is anonymous). */
#include <stdio.h>

struct Foo {
    int m;
    struct {
        int x;
        int y;
    } bar;
    int n;
};

void test_nested_struct(struct Foo *foo) { printf("test %llu\n", (unsigned long long)foo); }

int main(void)
{
    struct Foo foo = { 10, { 20, 30 }, 40 };
    test_nested_struct(&foo);
    return 0;
}
