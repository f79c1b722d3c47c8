/* function1(x) for x = -120 .. 100 (each returns x); exits with -100 (status 156). */
__attribute__((noinline)) int function1(int x) { return x; }

int main(void)
{
    for (int x = -120; x <= 100; x++)
        function1(x);
    return -100;
}
