/*
 * engine-child: the only program of the FROM-scratch test image of the engine
 * suite (linked statically: the image has no libc).
 *
 *   engine-child serve             print "serving" and wait for SIGTERM (the
 *                                  container's main process; exits 0 on TERM)
 *   engine-child say OUT ERR CODE  write OUT + "\n" to stdout, ERR + "\n" to
 *                                  stderr, exit with CODE (what exec runs)
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void on_term(int sig)
{
    (void)sig;
    _exit(0);
}

int main(int argc, char **argv)
{
    if (argc == 2 && strcmp(argv[1], "serve") == 0) {
        signal(SIGTERM, on_term);
        printf("serving\n");
        fflush(stdout);
        for (;;)
            pause();
    }
    if (argc == 5 && strcmp(argv[1], "say") == 0) {
        printf("%s\n", argv[2]);
        fflush(stdout);
        fprintf(stderr, "%s\n", argv[3]);
        return atoi(argv[4]);
    }
    fprintf(stderr, "usage: engine-child serve | say OUT ERR CODE\n");
    return 2;
}
