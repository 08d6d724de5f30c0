/* provision/clock.h: monotonic seconds and a sleep that survives signals,
 * for the readiness loops of cluster.c and swarm.c (header only: two small
 * functions). */
#ifndef CASS_PROVISION_CLOCK_H
#define CASS_PROVISION_CLOCK_H

#include <errno.h>
#include <time.h>

/* Seconds on the monotonic clock (wall-clock changes do not move it). */
static inline double clock_now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Sleep s seconds; a signal that interrupts it does not cut it short. */
static inline void clock_sleep_s(double s)
{
    struct timespec ts = {(time_t)s, (long)((s - (double)(time_t)s) * 1e9)};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
    }
}

#endif
