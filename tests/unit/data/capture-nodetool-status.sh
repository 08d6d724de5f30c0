#!/usr/bin/env bash
# tests/unit/data/capture-nodetool-status.sh IMAGE [PART...]: captures real
# `nodetool status` output for tests/unit/test_ring.c from Cassandra nodes run
# from IMAGE (a cass-entry product image, e.g. cass-entry:5.0.1), into this
# directory.  PART is ring, 2dc or onetoken (default: all three):
#
#   nodetool-status-1node.txt     one node, UN
#   nodetool-status-joining.txt   a second node while it bootstraps (UJ), when
#                                 the poll catches it
#   nodetool-status-3nodes.txt    three nodes UN
#   nodetool-status-owns-q.txt    two keyspaces with different replication:
#                                 Owns is "?"
#   nodetool-status-down.txt      the third node stopped: DN
#   nodetool-status-2dc.txt       a second cluster, two data centres
#   nodetool-status-1token.txt    one node with num_tokens 1 (the "Token" layout)
#
# Everything runs on a bridge network it creates; everything it creates is
# removed on exit.  The files are the nodes' own output, unedited.
set -euo pipefail
IMAGE=${1:?usage: $0 IMAGE [ring|2dc|onetoken]...}
shift
PARTS=("$@")
[ ${#PARTS[@]} -gt 0 ] || PARTS=(ring 2dc onetoken)
OUT=$(cd "$(dirname "$0")" && pwd)
P=capture-ring-$$
NET=$P-net
FAST=(-e "JVM_EXTRA_OPTS=-Dcassandra.ring_delay_ms=5000 -Dcassandra.skip_wait_for_gossip_to_settle=0")

cleanup() {
    docker rm -fv "$P-1" "$P-2" "$P-3" "$P-dc1" "$P-dc2" "$P-t1" >/dev/null 2>&1 || true
    docker network rm "$NET" >/dev/null 2>&1 || true
}
trap cleanup EXIT
docker network create "$NET" >/dev/null

# node NAME SEEDS [docker-run options...]
node() {
    local name=$1 seeds=$2; shift 2
    docker run -d --name "$name" --hostname "$name" --network "$NET" --memory 1.5g \
        -e CASSANDRA_SEEDS="$seeds" -e CASSANDRA_CLUSTER_NAME="$P" "${FAST[@]}" "$@" "$IMAGE" >/dev/null
}
# nodetool with a small heap (both variables: cassandra-env.sh insists on pairs)
status() { docker exec -e MAX_HEAP_SIZE=128m -e HEAP_NEWSIZE=32m "$1" nodetool status "${@:2}"; }
# wait_un NAME COUNT: until NAME's nodetool status shows COUNT rows UN.
wait_un() {
    for _ in $(seq 1 120); do
        [ "$(status "$1" 2>/dev/null | grep -c '^UN ')" -ge "$2" ] && return 0
        sleep 2
    done
    echo "capture: $1 never showed $2 nodes UN" >&2; docker logs --tail 20 "$1" >&2; return 1
}

ring() {
    node "$P-1" "$P-1"
    wait_un "$P-1" 1
    status "$P-1" >"$OUT/nodetool-status-1node.txt"

    node "$P-2" "$P-1"
    for _ in $(seq 1 90); do
        s=$(status "$P-1" 2>/dev/null || true)
        if printf '%s\n' "$s" | grep -q '^UJ '; then printf '%s\n' "$s" >"$OUT/nodetool-status-joining.txt"; break; fi
        [ "$(printf '%s\n' "$s" | grep -c '^UN ')" -ge 2 ] && break
        sleep 0.5
    done
    wait_un "$P-1" 2
    node "$P-3" "$P-1"
    wait_un "$P-1" 3
    status "$P-1" >"$OUT/nodetool-status-3nodes.txt"

    for _ in $(seq 1 30); do docker exec "$P-1" cass-entry --probe && break; sleep 2; done
    docker exec "$P-1" cqlsh -e "CREATE KEYSPACE ks1 WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1};
      CREATE KEYSPACE ks2 WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 2};" "$P-1"
    status "$P-1" >"$OUT/nodetool-status-owns-q.txt"

    docker stop -t 120 "$P-3" >/dev/null
    for _ in $(seq 1 60); do
        s=$(status "$P-1" 2>/dev/null || true)
        if printf '%s\n' "$s" | grep -q '^DN '; then printf '%s\n' "$s" >"$OUT/nodetool-status-down.txt"; break; fi
        sleep 2
    done
    docker rm -fv "$P-1" "$P-2" "$P-3" >/dev/null
}

2dc() {
    SNITCH=(-e CASSANDRA_ENDPOINT_SNITCH=GossipingPropertyFileSnitch)
    node "$P-dc1" "$P-dc1" "${SNITCH[@]}" -e CASSANDRA_DC=east -e CASSANDRA_RACK=r1
    wait_un "$P-dc1" 1
    node "$P-dc2" "$P-dc1" "${SNITCH[@]}" -e CASSANDRA_DC=west -e CASSANDRA_RACK=r2
    wait_un "$P-dc1" 2
    status "$P-dc1" >"$OUT/nodetool-status-2dc.txt"
    docker rm -fv "$P-dc1" "$P-dc2" >/dev/null
}

onetoken() {
    node "$P-t1" "$P-t1" -e CASSANDRA_NUM_TOKENS=1
    wait_un "$P-t1" 1
    status "$P-t1" >"$OUT/nodetool-status-1token.txt"
}

for part in "${PARTS[@]}"; do
    case $part in
        ring | 2dc | onetoken) "$part" ;;
        *) echo "capture: unknown part $part (ring, 2dc, onetoken)" >&2; exit 2 ;;
    esac
done
ls -l "$OUT"/nodetool-status-*.txt
