/* supervise: see supervise.h. */
#include "entrypoint/supervise.h"

#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static int status_code(int status)
{
    if (WIFEXITED(status)) return WEXITSTATUS(status);
    if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
    return 1;
}

/* fork, with the caller's signal mask and dispositions back in the child. */
static pid_t spawn(const sigset_t *old_mask)
{
    pid_t pid = fork();
    if (pid == 0) {
        for (int sig = 1; sig < NSIG; sig++) signal(sig, SIG_DFL);
        sigprocmask(SIG_SETMASK, old_mask, NULL);
    }
    return pid;
}

int supervise_run(char *const argv[], supervise_work work, void *ud, void (*say)(const char *line))
{
    sigset_t all, old;
    sigfillset(&all);
    /* the ones that cannot be waited for, or mean a bug of ours */
    const int sync_signals[] = { SIGKILL, SIGSTOP, SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT, SIGTRAP, SIGSYS };
    for (size_t i = 0; i < sizeof sync_signals / sizeof *sync_signals; i++) sigdelset(&all, sync_signals[i]);
    /* SIGTTIN/SIGTTOU: ignore rather than stop, as tini does */
    sigprocmask(SIG_SETMASK, &all, &old);

    fflush(NULL);
    pid_t cassandra = spawn(&old);
    if (cassandra < 0) {
        char line[160];
        snprintf(line, sizeof line, "cannot fork: %s", strerror(errno));
        say(line);
        return 71;
    }
    if (cassandra == 0) {
        execvp(argv[0], argv);
        int code = errno == ENOENT ? 127 : 126;
        fprintf(stderr, "cass-entry: cannot execute %s: %s\n", argv[0], strerror(errno));
        _exit(code);
    }
    pid_t worker = spawn(&old);
    if (worker == 0) _exit(work(ud));
    if (worker < 0) {
        kill(cassandra, SIGTERM);
        say("cannot fork the first-start work: stopping Cassandra");
    }

    int result = -1;          /* the work's failure, when it failed */
    for (;;) {
        siginfo_t info;
        int sig = sigwaitinfo(&all, &info);
        if (sig < 0) continue; /* EINTR */
        if (sig != SIGCHLD) {
            if (sig != SIGTTIN && sig != SIGTTOU) kill(cassandra, sig);
            continue;
        }
        for (;;) {
            int status;
            pid_t pid = waitpid(-1, &status, WNOHANG);
            if (pid <= 0) break;
            if (pid == worker) {
                worker = 0;
                int code = status_code(status);
                if (code != 0) {
                    char line[160];
                    snprintf(line, sizeof line, "first-start work failed (status %d): stopping Cassandra", code);
                    say(line);
                    result = code;
                    kill(cassandra, SIGTERM);
                }
            } else if (pid == cassandra) {
                if (worker > 0) kill(worker, SIGTERM);
                /* the worker is reaped or not: the container ends either way */
                return result >= 0 ? result : status_code(status);
            }
            /* else an orphan, adopted and now reaped */
        }
    }
}
