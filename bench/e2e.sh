#!/usr/bin/env bash
# bench/e2e.sh: the baseline the provisioner must beat, measured on the real
# product image with Cassandra's own start-up (no test shortcuts: default ring
# delay, gossip settling), in one run:
#   1. one node on its own: from `docker run` to UN with CQL answering;
#   2. the original set-up, cass1 cass2 cass3 (`IMAGE cass1`), each started
#      once the previous is ready: from the first `docker run` to three nodes
#      UN (nodetool status in every node) with CQL answering on each;
#   3. memory per node at idle (docker stats --no-stream), after the ring has
#      been left alone for BENCH_IDLE_SECONDS.
# "Ready" is observed from outside, as a script would: CQL OPTIONS answered
# from the host (tests/e2e/cql_ping.py), then `nodetool status` in the node
# lists exactly the started nodes, all UN (tests/e2e/lib.sh, e2e_wait_ready).
# For reference the table also gives, per node, the time from Docker's
# StartedAt to Cassandra's own "Starting listening for CQL clients" log line.
#
# Writes bench/results-e2e.md (RESULTS=FILE to change).  Knobs: BENCH_MEMORY
# (1.5g per node), BENCH_IDLE_SECONDS (60), BENCH_NODE_TIMEOUT (600 s).
# Needs root and what image/build.sh needs; cleans up everything it created.
set -uo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(dirname "$HERE")
cd "$ROOT" || exit 1
RESULTS=${RESULTS:-$HERE/results-e2e.md}
MEM=${BENCH_MEMORY:-1.5g}
IDLE=${BENCH_IDLE_SECONDS:-60}
NODE_TIMEOUT=${BENCH_NODE_TIMEOUT:-600}

E2E_RUN=bench-e2e-$$
E2E_TMP=$(mktemp -d /tmp/cass-entry-bench-e2e.XXXXXX)
# shellcheck source=tests/e2e/lib.sh
. tests/e2e/lib.sh

say() { echo "bench/e2e.sh: $*" >&2; }
die() { say "error: $*"; exit 1; }
cleanup() { e2e_remove "$E2E_LABEL=$E2E_RUN" || true; rm -rf "$E2E_TMP"; }
trap cleanup EXIT
trap 'exit 130' INT TERM

[ "$(id -u)" -eq 0 ] || die "needs root (dockerd, image builds)"
if ! E2E_IMAGE=$(image/build.sh | tail -n 1) || [ -z "$E2E_IMAGE" ]; then die "image/build.sh failed"; fi
VERSION=$(docker image inspect -f '{{range .Config.Env}}{{println .}}{{end}}' "$E2E_IMAGE" | sed -n 's/^CASSANDRA_VERSION=//p')
load_before=$(cut -d' ' -f1-3 /proc/loadavg)

# Seconds from a container's StartedAt to Cassandra's "Starting listening for
# CQL clients" (both UTC, both from this machine's clock).
log_cql_seconds() {
    local started line
    started=$(docker inspect -f '{{.State.StartedAt}}' "$1")
    line=$(docker logs "$1" 2>&1 | grep -m1 'Starting listening for CQL clients' \
           | sed -E 's/^[A-Z]+ +\[[^]]*\] ([0-9-]+ [0-9:]+),([0-9]+) .*/\1.\2/')
    [ -n "$line" ] || { echo "?"; return; }
    awk -v a="$(date -d "$started" +%s.%N)" -v b="$(date -u -d "$line" +%s.%N)" 'BEGIN { printf "%.1f", b - a }'
}

# ---- 1. one node on its own -------------------------------------------------------
say "one node on its own (no fast start flags)"
e2e_network "$E2E_RUN-solo-net" solo >/dev/null || die "could not create a network"
if ! e2e_start_ring "$E2E_RUN-solo-net" solo 1 "$MEM" "$NODE_TIMEOUT" ""; then
    e2e_logs_tail "${E2E_RING[0]:-none}" 20 >&2
    die "the single node did not become ready: $E2E_WHY"
fi
solo=${E2E_RING_READY[0]}
solo_log=$(log_cql_seconds "${E2E_RING[0]}")
say "single node ready after ${solo}s"
e2e_remove "$E2E_SCOPE_LABEL=solo" || die "could not remove the single node"

# ---- 2. the ring ------------------------------------------------------------------
say "ring of 3, one after the other (no fast start flags)"
e2e_network "$E2E_RUN-net" ring >/dev/null || die "could not create a network"
if ! e2e_start_ring "$E2E_RUN-net" ring 3 "$MEM" "$NODE_TIMEOUT" ""; then
    for c in "${E2E_RING[@]}"; do e2e_logs_tail "$c" 15 >&2; done
    die "the ring did not come up: $E2E_WHY"
fi
ring_ready=("${E2E_RING_READY[@]}")
# Every node's own view: 3 x UN, and CQL on each address.
want=$(printf 'UN %s\n' "${E2E_RING_IPS[@]}" | sort)
for i in 0 1 2; do
    [ "$(e2e_ring_rows "${E2E_RING[$i]}")" = "$want" ] || die "${E2E_RING[$i]} does not show 3 x UN"
    e2e_cql_ping "${E2E_RING_IPS[$i]}" || die "CQL does not answer on ${E2E_RING_IPS[$i]}"
done
ring_total=$(e2e_since "$E2E_RING_T0")
ring_log=()
for c in "${E2E_RING[@]}"; do ring_log+=("$(log_cql_seconds "$c")"); done
say "ring ready: ${ring_ready[*]} s (confirmed on every node at ${ring_total}s)"

# ---- 3. memory at idle ------------------------------------------------------------
say "leaving the ring idle for ${IDLE}s"
sleep "$IDLE"
mem=() rss=()
for c in "${E2E_RING[@]}"; do
    mem+=("$(docker stats --no-stream --format '{{.MemUsage}}' "$c")")
    rss+=("$(docker exec "$c" awk '/^VmRSS:/ { printf "%.0f MiB", $2 / 1024 }' /proc/1/status)")
done
heap=$(docker exec "${E2E_RING[0]}" cat /proc/1/cmdline | tr '\0' '\n' | grep '^-Xmx' | tail -n 1)
load_after=$(cut -d' ' -f1-3 /proc/loadavg)

# ---- results ----------------------------------------------------------------------
{
    echo "# End-to-end baseline: a Cassandra $VERSION ring from the product image"
    echo
    echo "Written by \`bench/e2e.sh\` on $(date -u '+%Y-%m-%d %H:%M UTC'). Machine: $(uname -m), $(nproc) CPUs,"
    echo "$(awk '/MemTotal/ { printf "%.1f GiB", $2 / 1048576 }' /proc/meminfo) RAM, Linux $(uname -r);"
    echo "$(docker info --format 'Docker {{.ServerVersion}}, storage {{.Driver}}, cgroup v{{.CgroupVersion}}')."
    echo "Image \`$E2E_IMAGE\` ($(docker image inspect -f '{{.Id}}' "$E2E_IMAGE" | cut -c8-19)), every node \`--memory $MEM\`"
    echo "(heap chosen by cass-entry: \`$heap\`), Cassandra's default start-up: no"
    echo "\`cassandra.ring_delay_ms\` or \`skip_wait_for_gossip_to_settle\` shortcut."
    echo "Load average (1/5/15 min) before: $load_before, after: $load_after (the machine is shared;"
    echo "start-up times are CPU-bound and grow with the load)."
    echo
    echo "| measure | seconds |"
    echo "|---|---|"
    echo "| one node on its own: \`docker run\` to UN with CQL answering | $solo |"
    echo "| ring: first \`docker run\` to cass1 ready | ${ring_ready[0]} |"
    echo "| ring: first \`docker run\` to cass2 ready (2 x UN) | ${ring_ready[1]} |"
    echo "| **ring: first \`docker run\` to three nodes UN with CQL answering** | **${ring_ready[2]}** |"
    echo "| (the same, confirmed once more on every node) | $ring_total |"
    echo
    echo "Cassandra's own log, from Docker's StartedAt to \"Starting listening for CQL clients\":"
    echo "single node $solo_log s; cass1 ${ring_log[0]} s, cass2 ${ring_log[1]} s, cass3 ${ring_log[2]} s"
    echo "(the rest of each figure above is the container start, the polling and the"
    echo "\`nodetool status\` that confirms UN)."
    echo
    echo "Memory at idle, ${IDLE} s after the ring was ready:"
    echo
    echo "| node | docker stats MEM USAGE / LIMIT | JVM resident (VmRSS of PID 1) |"
    echo "|---|---|---|"
    for i in 0 1 2; do echo "| cass$((i + 1)) | ${mem[$i]} | ${rss[$i]} |"; done
    echo
    echo "How: each node is started with \`docker run -d --name cassN --network NET --memory $MEM IMAGE cass1\`"
    echo "(names carry the run id; cassN is a network alias). Ready = CQL OPTIONS answered from the"
    echo "host on the node's address, then \`nodetool status\` run in the node shows exactly the nodes"
    echo "started so far, all UN; the next node starts only then (Cassandra refuses concurrent"
    echo "bootstraps). Polling: 0.5 s for CQL, then one \`nodetool status\` (a JVM, 2-3 s on this machine)."
} >"$RESULTS"
say "wrote $RESULTS"
cat "$RESULTS"
