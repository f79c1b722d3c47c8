/* "parent-proc" forks "son-proc", which calls stub() and forks "grandson-proc", which calls stub(). */
#include <stdio.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

void stub(void) {}

static void name_proc(const char *name)
{
    if (prctl(PR_SET_NAME, name, 0, 0, 0) != 0) {
        perror("prctl");
        exit(1);
    }
}

int main(void)
{
    name_proc("parent-proc");
    pid_t son = fork();
    if (son == 0) {
        name_proc("son-proc");
        stub();
        pid_t grandson = fork();
        if (grandson == 0) {
            name_proc("grandson-proc");
            stub();
            exit(0);
        }
        waitpid(grandson, NULL, 0);
        exit(0);
    }
    waitpid(son, NULL, 0);
    return 0;
}
