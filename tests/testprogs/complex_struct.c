/* func(&foo): a pointer to 4 heap bytes 09 08 07 06 and arrays of each integer width. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

struct Foo {
    char *a;
    char b[4];
    uint8_t c[4];
    int d[4];
    uint16_t e[4];
    uint64_t f[4];
};

void func(struct Foo *foo) { (void)foo; }

int main(void)
{
    struct Foo foo = {
        NULL, { 5, 4, 3, 2 }, { 1, 2, 3, 4 }, { 5, 6, 7, 8 }, { 9, 10, 11, 12 }, { 13, 14, 15, 16 },
    };
    foo.a = malloc(4);
    memcpy(foo.a, "\x09\x08\x07\x06", 4);
    func(&foo);
    free(foo.a);
    return 0;
}
