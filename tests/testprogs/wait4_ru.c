/* Forks a child that exits at once, then reaps it with wait4() and a struct rusage. */
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

int main(void)
{
    struct rusage usage;
    pid_t child = fork();
    if (child == 0)
        exit(0);
    wait4(child, NULL, 0, &usage);
    return 0;
}
