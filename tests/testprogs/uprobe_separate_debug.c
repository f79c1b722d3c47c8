/* Built also as uprobe_separate_debug-stripped: its DWARF moved to .debug/ beside it
 * (objcopy --only-keep-debug, a .gnu_debuglink), so the dwarf suite finds `fn`'s
 * parameters through the standard separate-debug path. */
#include <unistd.h>

int fn(int n, const char *str)
{
    return n + str[0];
}

int main(void)
{
    for (;;) {
        fn(7, "separate");
        usleep(100000);
    }
    return 0;
}
