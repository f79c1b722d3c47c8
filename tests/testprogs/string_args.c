/* print("hello", "world") with both strings on the stack. */
void print(char *a, char *b)
{
    (void)a;
    (void)b;
}

int main(void)
{
    char first[] = "hello";
    char second[] = "world";
    print(first, second);
    return 0;
}
