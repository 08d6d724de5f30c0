/* provision/credhelper: run a docker credential helper.  See credhelper.h. */
#include "provision/credhelper.h"
#include "provision/clock.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <jansson.h>

extern char **environ;

/* An answer is a few hundred bytes; anything past this is not the protocol. */
enum { MAX_OUTPUT = 64 * 1024 };

typedef struct {
    char *data;
    size_t len;
} buffer;

static void buffer_wipe(buffer *b)
{
    if (b->data) {
        explicit_bzero(b->data, b->len);
        free(b->data);
    }
    b->data = NULL;
    b->len = 0;
}

/* Append what fd has; 0 at end of file, 1 more to come, -1 error/too long. */
static int read_some(int fd, buffer *b)
{
    char chunk[4096];
    ssize_t n = read(fd, chunk, sizeof chunk);
    if (n < 0)
        return errno == EINTR || errno == EAGAIN ? 1 : -1;
    if (n == 0)
        return 0;
    if (b->len + (size_t)n > MAX_OUTPUT)
        return -1;
    char *grown = realloc(b->data, b->len + (size_t)n + 1);
    if (!grown)
        return -1;
    b->data = grown;
    memcpy(b->data + b->len, chunk, (size_t)n);
    b->len += (size_t)n;
    b->data[b->len] = '\0';
    explicit_bzero(chunk, sizeof chunk);
    return 1;
}

static void close_all(int *fds, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (fds[i] >= 0) {
            close(fds[i]);
            fds[i] = -1;
        }
}

/* Run `program get` with `input` on stdin; collect stdout and stderr.
 * *status is the wait status.  ENG_ERR_CONFIG when it can't be run or
 * overruns the time limit. */
static eng_status run_helper(const char *program, const char *input, long timeout_ms,
                             buffer *out, buffer *errout, int *status, eng_error *err)
{
    int in[2] = {-1, -1}, o[2] = {-1, -1}, e[2] = {-1, -1};
    if (pipe2(in, O_CLOEXEC) != 0 || pipe2(o, O_CLOEXEC) != 0 || pipe2(e, O_CLOEXEC) != 0) {
        int fds[] = {in[0], in[1], o[0], o[1], e[0], e[1]};
        close_all(fds, 6);
        return eng_fail(err, ENG_ERR_IO, "%s: pipe: %s", program, strerror(errno));
    }
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, in[0], 0);
    posix_spawn_file_actions_adddup2(&fa, o[1], 1);
    posix_spawn_file_actions_adddup2(&fa, e[1], 2);
    char *argv[] = {(char *)program, (char *)"get", NULL};
    pid_t pid;
    int rc = posix_spawnp(&pid, program, &fa, NULL, argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    int child_ends[] = {in[0], o[1], e[1]};
    close_all(child_ends, 3);
    if (rc != 0) {
        int ours[] = {in[1], o[0], e[0]};
        close_all(ours, 3);
        return eng_fail(err, ENG_ERR_CONFIG, "credential helper %s: %s%s", program,
                        strerror(rc), rc == ENOENT ? " (not on PATH)" : "");
    }

    /* The input is one short line: it fits the pipe, and a helper that
     * exits without reading it must not kill us with SIGPIPE. */
    void (*old_pipe)(int) = signal(SIGPIPE, SIG_IGN);
    ssize_t w = write(in[1], input, strlen(input));
    (void)w; /* a helper that does not read its input fails on its own */
    signal(SIGPIPE, old_pipe);
    close(in[1]);

    struct pollfd p[2] = {{.fd = o[0], .events = POLLIN}, {.fd = e[0], .events = POLLIN}};
    buffer *sink[2] = {out, errout};
    double deadline = clock_now_s() + (double)timeout_ms / 1000;
    bool timed_out = false, too_long = false, poll_failed = false;
    int open_fds = 2;
    while (open_fds > 0) {
        long left = (long)((deadline - clock_now_s()) * 1000);
        if (left <= 0) {
            timed_out = true;
            break;
        }
        int n = poll(p, 2, (int)left);
        if (n < 0 && errno != EINTR) {
            poll_failed = true;
            break;
        }
        for (int i = 0; n > 0 && i < 2; i++) {
            if (p[i].fd < 0 || !(p[i].revents & (POLLIN | POLLHUP | POLLERR)))
                continue;
            int r = read_some(p[i].fd, sink[i]);
            if (r <= 0) {
                too_long = too_long || r < 0;
                close(p[i].fd);
                p[i].fd = -1;
                open_fds--;
            }
        }
    }
    for (int i = 0; i < 2; i++)
        if (p[i].fd >= 0)
            close(p[i].fd);
    if (timed_out || too_long || poll_failed)
        kill(pid, SIGKILL);
    while (waitpid(pid, status, 0) < 0 && errno == EINTR) {
    }
    if (timed_out)
        return eng_fail(err, ENG_ERR_CONFIG, "credential helper %s: no answer within %ld ms",
                        program, timeout_ms);
    if (too_long || poll_failed)
        return eng_fail(err, ENG_ERR_CONFIG, "credential helper %s: answer too long or unreadable",
                        program);
    return ENG_OK;
}

/* The first line of text, at most 200 bytes, for an error message. */
static void first_line(const char *text, char *line, size_t len)
{
    size_t n = text ? strcspn(text, "\r\n") : 0;
    snprintf(line, len, "%.*s", (int)(n > 200 ? 200 : n), text ? text : "");
}

eng_status credhelper_get(const char *helper, const char *server_address, long timeout_ms,
                          credhelper_creds *creds, eng_error *err)
{
    memset(creds, 0, sizeof *creds);
    if (!helper[0] || strchr(helper, '/'))
        return eng_fail(err, ENG_ERR_CONFIG, "credential helper name '%s' is not a plain name",
                        helper);
    char program[256];
    snprintf(program, sizeof program, "docker-credential-%s", helper);
    buffer out = {0}, errout = {0};
    int status = 0;
    eng_status st = run_helper(program, server_address, timeout_ms, &out, &errout, &status, err);
    if (st != ENG_OK) {
        buffer_wipe(&out);
        buffer_wipe(&errout);
        return st;
    }
    char line[256];
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        /* The protocol's "no credentials" answer, on stdout (some helpers
         * write it to stderr). */
        bool not_found = (out.data && strstr(out.data, "credentials not found")) ||
                         (errout.data && strstr(errout.data, "credentials not found"));
        first_line(errout.len ? errout.data : out.data, line, sizeof line);
        buffer_wipe(&out);
        buffer_wipe(&errout);
        if (not_found)
            return ENG_OK;
        /* posix_spawnp may report a missing program as the child's 127 */
        if (WIFEXITED(status) && WEXITSTATUS(status) == 127 && !line[0])
            return eng_fail(err, ENG_ERR_CONFIG, "credential helper %s: %s (not on PATH)", program,
                            strerror(ENOENT));
        if (WIFEXITED(status))
            return eng_fail(err, ENG_ERR_CONFIG, "credential helper %s get %s: exit status %d: %s",
                            program, server_address, WEXITSTATUS(status), line);
        return eng_fail(err, ENG_ERR_CONFIG, "credential helper %s get %s: killed by signal %d",
                        program, server_address, WTERMSIG(status));
    }
    buffer_wipe(&errout);
    json_error_t jerr;
    json_t *j = out.data ? json_loads(out.data, 0, &jerr) : NULL;
    buffer_wipe(&out);
    const char *user = json_string_value(json_object_get(j, "Username"));
    const char *secret = json_string_value(json_object_get(j, "Secret"));
    if (!json_is_object(j) || !user || !secret) {
        json_decref(j);
        /* never quote the answer: it may hold the secret */
        return eng_fail(err, ENG_ERR_CONFIG,
                        "credential helper %s get %s: the answer is not "
                        "{\"Username\":...,\"Secret\":...}",
                        program, server_address);
    }
    if (!secret[0]) {
        /* what some helpers (docker-credential-pass 0.6) answer for an
         * unknown server, with exit status 0 */
        json_decref(j);
        return ENG_OK;
    }
    creds->identity_token = strcmp(user, "<token>") == 0;
    creds->username = creds->identity_token ? NULL : strdup(user);
    creds->secret = strdup(secret);
    /* jansson keeps its own copy of the secret until the decref */
    json_decref(j);
    if (!creds->secret || (!creds->identity_token && !creds->username)) {
        credhelper_creds_free(creds);
        return eng_fail(err, ENG_ERR_NOMEM, "out of memory");
    }
    creds->found = true;
    return ENG_OK;
}

void credhelper_creds_free(credhelper_creds *creds)
{
    free(creds->username);
    if (creds->secret) {
        explicit_bzero(creds->secret, strlen(creds->secret));
        free(creds->secret);
    }
    memset(creds, 0, sizeof *creds);
}
