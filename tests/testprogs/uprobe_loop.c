/* Calls uprobeFunction1(&13, 'x') every 500 us, forever. */
#include <unistd.h>

int uprobeFunction1(int *n, char c)
{
    (void)c;
    return *n;
}

void spin(void)
{
    for (;;) {
        int value = 13;
        uprobeFunction1(&value, 'x');
        usleep(500);
    }
}

int main(void)
{
    spin();
    return 0;
}
