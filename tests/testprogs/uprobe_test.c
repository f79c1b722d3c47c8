/* The uprobe suite's main target: every 100 ms it calls
 *   uprobeFunction1(&n, 'x')            with n = 13,
 *   uprobeFunction2(&foo1, &foo2)       foo1 = {123, "hello", {1,2,3}, 0x123456789ABCDEF0},
 *                                       foo2 = {456, "world", {4,5,6}, 0xFEDCBA9876543210},
 *   uprobeFunctionBranching(13), uprobeFunctionBar(&bar)  bar = {42, {&foo1, &foo2}, foo1},
 *   uprobeFunctionUint128(x, y, z, w)   with four 128-bit values.
 * The dwarf suite names lines: 22 opens uprobeFunction1, 34/36/39 are statements run each
 * round (keep them there). GLOBAL_A..GLOBAL_D have fixed values for address tests. */
#include <unistd.h>
int GLOBAL_A = 0x55555555;
int GLOBAL_B = 0x88888888;
int GLOBAL_C = 0x33333333;
char GLOBAL_D = 8;
int rounds;

struct Foo {
    int a;
    char b[10];
    int c[3];
    __int128_t d;
};
int uprobeFunction1(int *n, char c) {
    (void)c;
    return *n;
}

struct Bar {
    int x;
    struct Foo *foos[2];
    struct Foo nested;
};
struct Foo *uprobeFunction2(struct Foo *foo1, struct Foo *foo2)
{
    rounds = rounds + 1;
    /* the record's second probe */
    rounds = rounds + foo2->a - foo2->a;

    /* the record's third probe */
    return foo1;
}

int uprobeFunctionBranching(int n)
{
    switch (n) {
    case 1:
        return 1;
    case 2:
        return 2;
    default:
        return 3;
    }
}

struct Bar *uprobeFunctionBar(struct Bar *bar)
{
    return bar;
}

__uint128_t uprobeFunctionUint128(__uint128_t x, __uint128_t y, __uint128_t z, __uint128_t w)
{
    (void)y;
    (void)z;
    return x + w;
}

int main(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    for (;;) {
        int n = 13;
        uprobeFunction1(&n, 'x');

        struct Foo first = { 123, "hello", { 1, 2, 3 }, 0x123456789ABCDEF0 };
        struct Foo second = { 456, "world", { 4, 5, 6 }, 0xFEDCBA9876543210 };
        uprobeFunction2(&first, &second);

        uprobeFunctionBranching(n);

        struct Bar bar = { 42, { &first, &second }, first };
        uprobeFunctionBar(&bar);

        uprobeFunctionUint128(0x123456789ABCDEF0, 0xEFEFEFEFEFEFEFEF, 0xCDCDCDCDCDCDCDCD,
                              0xABABABABABABABAB);
        usleep(100000);
    }
    return 0;
}
