/* function(&p) where p points to foo = { 123, "hello" }. */
struct Foo {
    int a;
    char b[10];
};

int function(struct Foo **f) { return (*f)->a; }

int main(void)
{
    struct Foo foo = { 123, "hello" };
    struct Foo *p = &foo;
    function(&p);
    return 0;
}
