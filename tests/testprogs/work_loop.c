/* Calls doWork(&1, i) with i = 0, 1, 2, ... every 10 us, forever. */
#include <unistd.h>

int doWork(int *n, int o)
{
    *n += o;
    return *n;
}

void spin(void)
{
    for (int i = 0;; i++) {
        int n = 1;
        doWork(&n, i);
        usleep(10);
    }
}

int main(void)
{
    spin();
    return 0;
}
