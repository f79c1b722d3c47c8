/* clear(c, 10) on a heap array of 10 struct C { a = index, b = 100 }. */
#include <stdint.h>
#include <stdlib.h>

struct C {
    uint32_t a;
    uint64_t b;
};

void clear(struct C *c, size_t size)
{
    for (size_t i = 0; i < size; i++) {
        c[i].a = 0;
        c[i].b = 0;
    }
}

int main(void)
{
    size_t size = 10;
    struct C *c = malloc(sizeof(struct C) * size);
    if (!c)
        return 1;
    for (size_t i = 0; i < size; i++) {
        c[i].a = (uint32_t)i;
        c[i].b = 100;
    }
    clear(c, size);
    free(c);
    return 0;
}
