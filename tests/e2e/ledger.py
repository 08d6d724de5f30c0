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

check: reads the whole ledger table at consistency CL (QUORUM or ALL: a
paged range scan, each page reconciled from CL's replicas) and looks for
every key of DIR/acked in it; prints "read back N of N acknowledged keys at
CL, lost L, read errors E"; exits 1 when a key is missing or the scan failed
(three times), listing the first ones.
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


def scan(s, ks, cl, tries=3):
    """Every key of KEYSPACE.ledger, read with a paged range scan at CL (each
    page reconciled from CL's replicas, as a read of each key would be).
    Returns (keys, None), or (None, the last error) after `tries` scans."""
    from cassandra.query import SimpleStatement
    last = None
    for _ in range(tries):
        try:
            stmt = SimpleStatement("SELECT k FROM %s.ledger" % ks, fetch_size=5000,
                                   consistency_level=cl)
            return set(row.k for row in s.execute(stmt)), None
        except Exception as e:  # a page that failed: the whole scan again
            last = e
            time.sleep(2)
    return None, last


def check(hosts, ks, d, cl_name):
    cl = {"QUORUM": ConsistencyLevel.QUORUM, "ALL": ConsistencyLevel.ALL}[cl_name]
    cluster, s = connect(hosts, cl)
    with open(os.path.join(d, "acked")) as f:
        keys = [line.strip() for line in f if line.strip()]
    # One scan of the table rather than a read per key: the same answer
    # (is each acknowledged key there, at CL?) in a fraction of the time.
    present, error = scan(s, ks, cl)
    lost, errors = [], []
    if present is None:
        errors.append("the scan at %s failed 3 times: %s" % (cl_name, error))
    else:
        lost = [k for k in keys if k not in present]
    read = len(keys) - len(lost) if present is not None else 0
    print("read back %d of %d acknowledged keys at %s, lost %d, read errors %d"
          % (read, len(keys), cl_name, len(lost), len(errors)))
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
