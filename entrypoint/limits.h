/*
 * limits: how much memory and how many CPUs this container may really use.
 *
 * cassandra-env.sh sizes the heap from `free -m` and /proc/cpuinfo, which in a
 * container describe the HOST.  This module reads what the kernel actually
 * enforces on this process and takes the smaller of that and the machine:
 *
 *   memory = min(cgroup memory limit, MemTotal of <root>/proc/meminfo)
 *   cpus   = min(ceil(cgroup cpu quota / period), online cpus)
 *
 * cgroup v2 (a cgroup.controllers file at <root>/sys/fs/cgroup):
 *   memory.max and cpu.max ("max" = no limit) of the process's cgroup, found
 *   through the "0::PATH" line of <root>/proc/self/cgroup.  With a private
 *   cgroup namespace (Docker's default on v2) PATH is "/" and the container's
 *   own cgroup is mounted at <root>/sys/fs/cgroup; with the host's namespace
 *   PATH names the container's directory below it.  When PATH does not exist
 *   below the mount (or climbs out of it with ".."), the mount root itself is
 *   read.  Every ancestor up to the mount root counts too: a pod-level limit
 *   above the container's cgroup is enforced as well, so the smallest wins.
 * cgroup v1 (a memory/ or cpu/ hierarchy below <root>/sys/fs/cgroup):
 *   memory.limit_in_bytes (a huge value such as 9223372036854771712 = no
 *   limit), then the hierarchical_memory_limit of memory.stat, which includes
 *   the ancestors; cpu.cfs_quota_us (-1 = no quota) / cpu.cfs_period_us.  The
 *   cgroup's path comes from the "N:memory:PATH" / "N:cpu,cpuacct:PATH" lines,
 *   with the same fallback to the hierarchy's root.
 *
 * Missing cgroup files mean "no limit" (cgroups may simply not be mounted).
 * A file that is there but cannot be read (memory.max, cpu.max,
 * memory.limit_in_bytes, cpu.cfs_quota_us, meminfo) is EX_IOERR, one that
 * holds garbage EX_DATAERR, each naming the file; a missing MemTotal with no
 * cgroup limit either is EX_OSFILE: then nothing is known.  Out of memory is
 * EX_OSERR.  (cass-entry starts anyway, with a warning, when the user gave
 * MAX_HEAP_SIZE: that heap needs no memory reading.)
 *
 * Every path is read below `root` ("" or NULL = the real "/"), so tests build
 * fake trees in a temporary directory.
 */
#ifndef ENTRYPOINT_LIMITS_H
#define ENTRYPOINT_LIMITS_H

#include <stddef.h>
#include <stdint.h>

#include "entrypoint/error.h"

struct limits {
    uint64_t mem_bytes;        /* effective memory: min(cgroup limit, MemTotal) */
    uint64_t mem_total_bytes;  /* MemTotal, 0 when /proc/meminfo is unreadable */
    uint64_t cgroup_mem_bytes; /* the cgroup memory limit, 0 = none */
    int cpus;                  /* effective cpus, always >= 1 */
    int online_cpus;           /* the passed-in count, or processors in cpuinfo */
    int64_t cpu_quota_us;      /* the binding cgroup cpu quota, 0 = none */
    int64_t cpu_period_us;
    int cgroup_version;        /* 1 or 2; 0 when no cgroup hierarchy was found */
    /* Why, for the log: e.g. "cgroup v2 memory.max 1.0G", "MemTotal 23.5G",
     * "2 cpus (cgroup v2 cpu.max 150000/100000)", "4 online cpus". */
    char mem_reason[160];
    char cpu_reason[160];
};

/*
 * Fill *out from the files below `root`.  `online_cpus` > 0 is used as the
 * machine's cpu count (main passes the affinity mask's count, which also
 * honours cpusets); 0 means count the "processor" lines of <root>/proc/cpuinfo
 * the way cassandra-env.sh does.
 * Returns 0, or an EX_* code from <sysexits.h> with a message in err.
 */
int limits_read(const char *root, int online_cpus, struct limits *out, entry_error *err);

/* A size for humans: "1.0G", "1.5G", "768M", "512K".  Whole MiB below 1 GiB,
 * one decimal from 1 GiB on (the form the log lines use). */
void limits_format_size(uint64_t bytes, char *buf, size_t len);

#endif
