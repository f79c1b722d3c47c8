/* disable_aslr PROGRAM [ARG...]: runs PROGRAM with address space randomization off. */
#include <stdio.h>
#include <sys/personality.h>
#include <unistd.h>

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: disable_aslr PROGRAM [ARG...]\n");
        return 1;
    }
    personality(ADDR_NO_RANDOMIZE);
    execv(argv[1], argv + 1);
    perror("execv");
    return 1;
}
