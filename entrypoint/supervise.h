/*
 * supervise: cass-entry as a minimal init (as tini is), only while there is
 * first-start work to do.
 *
 * Why not a short-lived child next to an exec'ed Cassandra: after exec the
 * JVM is PID 1, and a child that exits is never waited for by it - a zombie
 * for the container's life.  So when there is work, cass-entry stays PID 1:
 * Cassandra runs as one child, the work as another; every signal cass-entry
 * gets is passed to Cassandra (so `docker stop` drains it as before), every
 * child or orphan is reaped, and the container's exit status is Cassandra's.
 * If the work fails, Cassandra is stopped (SIGTERM) and the status is the
 * work's.  When there is no work, cass-entry execs Cassandra as always.
 */
#ifndef ENTRYPOINT_SUPERVISE_H
#define ENTRYPOINT_SUPERVISE_H

/* The work, run in its own process: 0 or an exit status. */
typedef int (*supervise_work)(void *ud);

/* Start argv and the work; return when Cassandra has exited, with the
 * status the container should have.  say logs one line. */
int supervise_run(char *const argv[], supervise_work work, void *ud, void (*say)(const char *line));

#endif
