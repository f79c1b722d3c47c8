/* func(&foo) with foo = {m: 2, n: 3}, then n_func(&foo.n). */
struct Foo {
    int m;
    int n;
};

int func(struct Foo *foo) { return foo->m; }
int n_func(int *n) { return *n; }

int main(void)
{
    struct Foo foo = { 2, 3 };
    func(&foo);
    n_func(&foo.n);
    return 0;
}
