#!/usr/bin/env python3
"""write_load.py HOST KEYSPACE ROWS [VALUE_BYTES] [CONCURRENCY]

A write load for the end-to-end tests, run in a client container of the image
(PYTHONPATH=/opt/cassandra/pylib: the Python driver cqlsh ships).  Creates
KEYSPACE (SimpleStrategy, RF 3) and KEYSPACE.load, then inserts ROWS rows of
VALUE_BYTES random bytes each at QUORUM through HOST only, CONCURRENCY
requests in flight.  Prints "wrote N rows in S s (R rows/s, M MiB)" and exits
1 if any write failed.
"""
import os
import sys
import time

from cassandra import ConsistencyLevel
from cassandra.cluster import Cluster, ExecutionProfile, EXEC_PROFILE_DEFAULT
from cassandra.concurrent import execute_concurrent_with_args
from cassandra.policies import WhiteListRoundRobinPolicy


def main():
    host, ks, rows = sys.argv[1], sys.argv[2], int(sys.argv[3])
    size = int(sys.argv[4]) if len(sys.argv) > 4 else 1024
    conc = int(sys.argv[5]) if len(sys.argv) > 5 else 32
    profile = ExecutionProfile(load_balancing_policy=WhiteListRoundRobinPolicy([host]),
                               consistency_level=ConsistencyLevel.QUORUM, request_timeout=60)
    cluster = Cluster([host], execution_profiles={EXEC_PROFILE_DEFAULT: profile},
                      protocol_version=4, connect_timeout=30)
    s = cluster.connect()
    s.execute("CREATE KEYSPACE IF NOT EXISTS %s WITH replication = "
              "{'class': 'SimpleStrategy', 'replication_factor': 3}" % ks)
    s.execute("CREATE TABLE IF NOT EXISTS %s.load (k int PRIMARY KEY, v blob)" % ks)
    insert = s.prepare("INSERT INTO %s.load (k, v) VALUES (?, ?)" % ks)
    start = time.time()
    failed = 0
    step = 2000
    for base in range(0, rows, step):
        args = [(k, os.urandom(size)) for k in range(base, min(rows, base + step))]
        for ok, res in execute_concurrent_with_args(s, insert, args, concurrency=conc,
                                                    raise_on_first_error=False):
            if not ok:
                failed += 1
                if failed <= 3:
                    print("write failed: %s" % res, file=sys.stderr)
    took = time.time() - start
    print("wrote %d rows in %.1f s (%.0f rows/s, %.0f MiB), %d failed"
          % (rows - failed, took, rows / took, rows * size / 1048576.0, failed))
    cluster.shutdown()
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
