/* A forked child names its thread "parent-thread", starts "son-thread", which starts
 * "grandson-thread"; son and grandson call stub(). */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

void stub(void) {}

static void name_thread(const char *name)
{
    if (pthread_setname_np(pthread_self(), name) != 0) {
        perror("pthread_setname_np");
        exit(1);
    }
}

static void run_thread(void *(*body)(void *))
{
    pthread_t t;
    if (pthread_create(&t, NULL, body, NULL) != 0 || pthread_join(t, NULL) != 0) {
        perror("pthread");
        exit(1);
    }
}

static void *grandson(void *unused)
{
    (void)unused;
    name_thread("grandson-thread");
    stub();
    return NULL;
}

static void *son(void *unused)
{
    (void)unused;
    name_thread("son-thread");
    stub();
    run_thread(grandson);
    return NULL;
}

int main(void)
{
    pid_t child = fork();
    if (child == 0) {
        name_thread("parent-thread");
        run_thread(son);
        exit(0);
    }
    waitpid(child, NULL, 0);
    return 0;
}
