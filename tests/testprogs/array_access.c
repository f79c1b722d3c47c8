/* Arrays in structs passed by pointer:
 *   test_struct(&a, &b)   a.x = {1,2,3,4}, a.y = {0xaa,0xbb,0xcc,0xdd}, b.y = {{5,6},{7,8}}
 *   test_array(a.x)
 *   test_ptr_array(&c)    c.z[i] = &a.x[i]
 *   test_arrays(&a, &d)   d.x = {4,3,2,1}
 *   test_variable_array(&e)  e.z = 1 (e.y is a flexible zero-length array) */
#include <stdint.h>

struct A {
    int x[4];
    uint8_t y[4];
};

struct B {
    int y[2][2];
};

struct C {
    int *z[4];
};

struct D {
    int x;
    int y[0];
    int z;
};

void test_array(int *a) { (void)a; }
void test_arrays(struct A *a, struct A *d) { (void)a; (void)d; }
void test_struct(struct A *a, struct B *b) { (void)a; (void)b; }
void test_ptr_array(struct C *c) { (void)c; }
void test_variable_array(struct D *d) { (void)d; }

int main(void)
{
    struct A a = { { 1, 2, 3, 4 }, { 0xaa, 0xbb, 0xcc, 0xdd } };
    struct B b = { { { 5, 6 }, { 7, 8 } } };
    test_struct(&a, &b);
    test_array(a.x);

    struct C c;
    for (int i = 0; i < 4; i++)
        c.z[i] = &a.x[i];
    test_ptr_array(&c);

    struct A d = { { 4, 3, 2, 1 }, { 0, 0, 0, 0 } };
    test_arrays(&a, &d);

    struct D e = { 0 };
    e.z = 1;
    test_variable_array(&e);
    return 0;
}
