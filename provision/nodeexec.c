/* provision/nodeexec: commands inside a node's container.  See nodeexec.h. */
#include "provision/nodeexec.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "provision/clock.h"
#include "provision/docker.h"

/* Small heap for nodetool's own JVM.  cassandra-env.sh (which nodetool
 * sources) insists on MAX_HEAP_SIZE and HEAP_NEWSIZE set as a pair; nodetool
 * then uses -Xmx$MAX_HEAP_SIZE and discards the rest.  Given explicitly, so a
 * node started with -e MAX_HEAP_SIZE=8G does not lend nodetool its heap. */
static const char *const nodetool_env[] = {"MAX_HEAP_SIZE=128m", "HEAP_NEWSIZE=32m", NULL};

int node_nodetool(eng_client *c, const char *container, const char *arg, long timeout_ms,
                  char **out, char *why, size_t whylen, eng_error *e)
{
    const char *cmd[] = {"nodetool", arg, NULL};
    docker_exec_result r = {0};
    if (docker_exec(c, container, cmd, nodetool_env, NULL, timeout_ms, &r, e) != ENG_OK)
        return -1;
    int rc = 0;
    if (r.exit_code != 0) {
        /* the last line says why (e.g. "nodetool: Failed to connect to ...") */
        const char *text = r.output.both ? r.output.both : "";
        size_t len = strlen(text);
        while (len > 0 && (text[len - 1] == '\n' || text[len - 1] == '\r'))
            len--;
        size_t start = len;
        while (start > 0 && text[start - 1] != '\n')
            start--;
        snprintf(why, whylen, "nodetool %s exited with %d: %.*s", arg, r.exit_code,
                 (int)(len - start > 300 ? 300 : len - start), text + start);
        rc = 1;
    } else if (out) {
        *out = strdup(r.output.out ? r.output.out : "");
        if (!*out) {
            eng_fail(e, ENG_ERR_NOMEM, "out of memory");
            rc = -1;
        }
    }
    docker_exec_result_free(&r);
    return rc;
}

int node_ring(eng_client *c, const char *container, const char *name, struct ring *ring, char *why,
              size_t whylen, eng_error *e)
{
    char *text = NULL;
    int rc = node_nodetool(c, container, "status", NODE_NODETOOL_TIMEOUT_MS, &text, why, whylen, e);
    if (rc != 0)
        return rc;
    char perr[512];
    if (ring_parse(text, ring, perr, sizeof perr) != 0) {
        snprintf(why, whylen, "nodetool status of %s: %s", name, perr);
        rc = 1;
    }
    free(text);
    return rc;
}

node_probe_result node_probe(eng_client *c, const char *container, int *exit_code, eng_error *e)
{
    const char *cmd[] = {"cass-entry", "--probe", NULL};
    docker_exec_result r = {0};
    if (docker_exec(c, container, cmd, NULL, NULL, NODE_PROBE_TIMEOUT_MS, &r, e) != ENG_OK)
        return NODE_PROBE_ERROR;
    *exit_code = r.exit_code;
    docker_exec_result_free(&r);
    if (*exit_code == 126 || *exit_code == 127)
        return NODE_PROBE_CANT_RUN;
    return *exit_code == 0 ? NODE_PROBE_ANSWERS : NODE_PROBE_NOT_YET;
}

void node_drain_all(node_drain *nodes, size_t n, long timeout_ms)
{
    const char *cmd[] = {"nodetool", "drain", NULL};
    char (*ids)[DOCKER_ID_MAX] = calloc(n ? n : 1, sizeof *ids);
    bool *pending = calloc(n ? n : 1, sizeof *pending);
    double t0 = clock_now_s();
    for (size_t i = 0; i < n; i++) {
        node_drain *d = &nodes[i];
        d->result = -1;
        d->why[0] = '\0';
        d->seconds = 0;
        eng_error e;
        if (!ids || !pending) {
            snprintf(d->why, sizeof d->why, "out of memory");
        } else if (docker_exec_detached(d->engine, d->container, cmd, nodetool_env, ids[i], &e) !=
                   ENG_OK) {
            snprintf(d->why, sizeof d->why, "%s", e.message);
        } else {
            pending[i] = true;
        }
    }
    for (size_t left = n; ids && pending && left > 0;) {
        left = 0;
        for (size_t i = 0; i < n; i++) {
            if (!pending[i])
                continue;
            node_drain *d = &nodes[i];
            bool running = true;
            int code = -1;
            eng_error e;
            if (docker_exec_poll(d->engine, ids[i], &running, &code, &e) != ENG_OK) {
                snprintf(d->why, sizeof d->why, "%s", e.message);
                pending[i] = false;
            } else if (!running) {
                d->result = code == 0 ? 0 : 1;
                if (code != 0)
                    snprintf(d->why, sizeof d->why, "nodetool drain exited with %d", code);
                d->seconds = clock_now_s() - t0;
                pending[i] = false;
            } else if ((clock_now_s() - t0) * 1000 > (double)timeout_ms) {
                d->result = 1;
                snprintf(d->why, sizeof d->why, "nodetool drain still running after %ld s",
                         timeout_ms / 1000);
                pending[i] = false;
            } else {
                left++;
            }
        }
        if (left > 0)
            clock_sleep_s(0.5);
    }
    free(ids);
    free(pending);
}

/* Is this log line a Java stack frame ("\tat ...", "\t... 12 more")? */
static bool stack_frame(const char *line, size_t len)
{
    size_t i = 0;
    while (i < len && (line[i] == ' ' || line[i] == '\t'))
        i++;
    return i > 0 && ((len - i >= 3 && strncmp(line + i, "at ", 3) == 0) ||
                     (len - i >= 4 && strncmp(line + i, "... ", 4) == 0));
}

enum { LOG_TAIL = 400, LOG_LINES = 20, LOG_LINE_MAX = 400 };

void node_append_logs(eng_client *c, const char *container, const char *label, prov_error *err)
{
    stream_output out = {0};
    eng_error e;
    if (docker_container_logs(c, container, LOG_TAIL, &out, &e) != ENG_OK) {
        prov_fail_append(err, "\n(could not read the log of %s: %s)", label, e.message);
        return;
    }
    const char *text = out.both ? out.both : "";
    /* the start of each of the last LOG_LINES lines that are not frames */
    const char *start[LOG_LINES];
    size_t len[LOG_LINES], n = 0, skipped = 0;
    /* The last ERROR line: why Cassandra stopped, often followed by more
     * than LOG_LINES lines of its shutdown. */
    const char *error = NULL;
    size_t error_len = 0;
    for (const char *p = text; *p;) {
        const char *eol = strchr(p, '\n');
        size_t l = eol ? (size_t)(eol - p) : strlen(p);
        if (l > 6 && strncmp(p, "ERROR ", 6) == 0) {
            /* the line and the one after it: "Exception encountered during
             * startup" is followed by the exception and its message */
            error = p;
            const char *next = eol ? eol + 1 : NULL;
            const char *next_eol = next ? strchr(next, '\n') : NULL;
            error_len = next && *next ? (size_t)((next_eol ? next_eol : next + strlen(next)) - p) : l;
        }
        if (stack_frame(p, l)) {
            skipped++;
        } else {
            if (n == LOG_LINES) {
                memmove(start, start + 1, (LOG_LINES - 1) * sizeof start[0]);
                memmove(len, len + 1, (LOG_LINES - 1) * sizeof len[0]);
                n--;
            }
            start[n] = p;
            len[n++] = l;
        }
        p = eol ? eol + 1 : p + l;
    }
    if (error && n > 0 && error < start[0])
        prov_fail_append(err, "\nthe last error in the log of %s:\n  | %.*s", label,
                         (int)(error_len > 2 * LOG_LINE_MAX ? 2 * LOG_LINE_MAX : error_len), error);
    prov_fail_append(err, "\nlast log lines of %s%s:", label,
                        skipped ? " (Java stack frames left out)" : "");
    for (size_t i = 0; i < n; i++)
        prov_fail_append(err, "\n  | %.*s", (int)(len[i] > LOG_LINE_MAX ? LOG_LINE_MAX : len[i]),
                            start[i]);
    stream_output_free(&out);
}
