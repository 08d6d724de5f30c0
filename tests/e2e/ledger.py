#!/usr/bin/env python3
"""ledger.py: no acknowledged write lost, measured with a real driver.

  ledger.py write HOSTS KEYSPACE DIR   writes until DIR/stop exists
  ledger.py check HOSTS KEYSPACE DIR CL

Run in a client container of the image on the cluster's network
(PYTHONPATH=/opt/cassandra/pylib: the Python driver cqlsh ships), with DIR a
directory the test shares with it.  HOSTS is comma-separated (the contact
points; the driver learns the others and balances over them).

write: creates KEYSPACE (SimpleStrategy, RF 3) and KEYSPACE.ledger, then
inserts unique keys at QUORUM, 8 requests in flight, until DIR/stop exists.
Every statement is idempotent (a unique key written once), so the driver may
retry it on another node when its coordinator goes away.  Each key is
appended to DIR/acked once the cluster acknowledged it; failures are counted.
Ends with "acked N, failed F" in DIR/result and on stdout, and exits 0
(failures are reported, not judged: the caller knows what it did).

check: reads every key of DIR/acked at consistency CL (QUORUM or ALL) and
prints "read back N of N acknowledged keys at CL, lost L, read errors E";
exits 1 when a key is missing or a read failed, listing the first ones.
"""
import os
import sys
import threading
import time

from cassandra import ConsistencyLevel
from cassandra.cluster import Cluster, ExecutionProfile, EXEC_PROFILE_DEFAULT
from cassandra.policies import RetryPolicy, RoundRobinPolicy

IN_FLIGHT = 8


def connect(hosts, cl):
    profile = ExecutionProfile(load_balancing_policy=RoundRobinPolicy(),
                               retry_policy=RetryPolicy(),
                               consistency_level=cl, request_timeout=20)
    cluster = Cluster(hosts.split(","), execution_profiles={EXEC_PROFILE_DEFAULT: profile},
                      protocol_version=4, connect_timeout=30)
    return cluster, cluster.connect()


def write(hosts, ks, d):
    cluster, s = connect(hosts, ConsistencyLevel.QUORUM)
    s.execute("CREATE KEYSPACE IF NOT EXISTS %s WITH replication = "
              "{'class': 'SimpleStrategy', 'replication_factor': 3}" % ks)
    s.execute("CREATE TABLE IF NOT EXISTS %s.ledger (k text PRIMARY KEY, n int)" % ks)
    insert = s.prepare("INSERT INTO %s.ledger (k, n) VALUES (?, ?)" % ks)
    insert.is_idempotent = True
    acked = open(os.path.join(d, "acked"), "a")
    lock = threading.Lock()
    slots = threading.Semaphore(IN_FLIGHT)
    counts = {"acked": 0, "failed": 0}
    errors = []
    prefix = "w%d-%d" % (os.getpid(), int(time.time()))

    def done(_, key):
        with lock:
            acked.write(key + "\n")
            acked.flush()
            counts["acked"] += 1
        slots.release()

    def failed(exc, key):
        with lock:
            counts["failed"] += 1
            if len(errors) < 5:
                errors.append("%s: %s" % (key, exc))
        slots.release()

    n = 0
    stop = os.path.join(d, "stop")
    with open(os.path.join(d, "started"), "w") as f:
        f.write("writing\n")
    while not os.path.exists(stop):
        slots.acquire()
        key = "%s-%d" % (prefix, n)
        future = s.execute_async(insert, (key, n))
        future.add_callbacks(done, failed, callback_args=(key,), errback_args=(key,))
        n += 1
    for _ in range(IN_FLIGHT):  # wait for the requests in flight
        slots.acquire()
    acked.close()
    line = "acked %d, failed %d" % (counts["acked"], counts["failed"])
    with open(os.path.join(d, "result"), "w") as f:
        f.write(line + "\n")
        for e in errors:
            f.write("failure: %s\n" % e)
    print(line)
    for e in errors:
        print("failure: %s" % e)
    cluster.shutdown()
    return 0


def check(hosts, ks, d, cl_name):
    cl = {"QUORUM": ConsistencyLevel.QUORUM, "ALL": ConsistencyLevel.ALL}[cl_name]
    cluster, s = connect(hosts, cl)
    select = s.prepare("SELECT k FROM %s.ledger WHERE k = ?" % ks)
    with open(os.path.join(d, "acked")) as f:
        keys = [line.strip() for line in f if line.strip()]
    lost, errors = [], []
    for i in range(0, len(keys), 200):
        futures = [(k, s.execute_async(select, (k,))) for k in keys[i:i + 200]]
        for k, fut in futures:
            try:
                if not fut.result().one():
                    lost.append(k)
            except Exception as e:  # a read that failed is reported, not counted as read
                errors.append("%s: %s" % (k, e))
    print("read back %d of %d acknowledged keys at %s, lost %d, read errors %d"
          % (len(keys) - len(lost) - len(errors), len(keys), cl_name, len(lost), len(errors)))
    for k in lost[:5]:
        print("lost: %s" % k)
    for e in errors[:5]:
        print("read error: %s" % e)
    cluster.shutdown()
    return 1 if lost or errors or not keys else 0


def main():
    if len(sys.argv) == 5 and sys.argv[1] == "write":
        return write(*sys.argv[2:5])
    if len(sys.argv) == 6 and sys.argv[1] == "check":
        return check(*sys.argv[2:6])
    print(__doc__.strip().splitlines()[2], file=sys.stderr)
    print(__doc__.strip().splitlines()[3], file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main())
