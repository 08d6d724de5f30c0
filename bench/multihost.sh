#!/usr/bin/env bash
# bench/multihost.sh: time from an empty swarm to 3 x UN (CQL answering)
# across two hosts, against the same on one host, on the original topology
# reproduced on this machine (provision/demo-topology.sh: engines infra,
# swarm-0 manager, swarm-1 worker, registry on infra).
#
# Variants, each from nothing (no service, container or volume of the
# cluster), each ended with `down --volumes`, in this order:
#   1. two hosts, cold: `up -n 3` spread over swarm-0 and swarm-1, swarm-1
#      pulling the image from the infra registry for the first time;
#   2. one host, swarm: `up -n 3 --place swarm-0` (services, overlay);
#   3. two hosts, warm: as 1, the image already on both hosts;
#   4. one host, plain engine: `up -n 3` against infra's engine, which is
#      in no swarm (containers on a bridge network, image pulled from the
#      registry beforehand);
#   and with FRESH=1 (default) the same with `up --fresh` for 2, 3 and 4
#   (all nodes at once, precomputed tokens).
# ROUNDS (default 2) repeats the warm variants (the ratios use medians).
#
# All "hosts" are namespaces of this one machine: they share its CPUs and
# disk.  There is no more hardware for two hosts to gain from; what the
# comparison shows is the cost of swarm mode itself (scheduling, overlay
# network, the pull on a second host) against one engine.
#
# Every variant: same pinned image, 1.5 GiB per node, the fast-start JVM
# flags (BENCH_JVM_OPTS).  Writes bench/results-multihost.md (RESULTS=FILE).
# CASS_PROVISION: the provisioner binary (default build/cass-provision).
# Needs root; creates and removes the topology (nothing is left behind).
set -uo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(dirname "$HERE")
cd "$ROOT" || exit 1
RESULTS=${RESULTS:-$HERE/results-multihost.md}
ROUNDS=${ROUNDS:-2}
FRESH=${FRESH:-1}
JVM=${BENCH_JVM_OPTS:--Dcassandra.ring_delay_ms=5000 -Dcassandra.skip_wait_for_gossip_to_settle=0}
PROV=${CASS_PROVISION:-$ROOT/build/cass-provision}
TOPO=$ROOT/provision/demo-topology.sh
MEM=1.5g

say() { echo "bench/multihost.sh: $*" >&2; }
die() { say "error: $*"; exit 1; }
now() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }'; }

tmp=$(mktemp -d)
# shellcheck disable=SC2317  # run by the trap
cleanup() { "$TOPO" down >/dev/null 2>&1; rm -rf "$tmp"; }
trap cleanup EXIT
trap 'exit 130' INT TERM

[ "$(id -u)" -eq 0 ] || die "needs root"
[ -x "$PROV" ] || die "$PROV missing: run make"
IMAGE=$(image/build.sh 2>"$tmp/build.err" | tail -n 1) || { tail "$tmp/build.err" >&2; die "image/build.sh failed"; }
load_before=$(cut -d' ' -f1-3 /proc/loadavg)

"$TOPO" down >/dev/null 2>&1
t=$(now)
"$TOPO" up >"$tmp/env" 2>"$tmp/topo.err" || { cat "$tmp/topo.err" >&2; die "topology.sh up failed"; }
topo_s=$(since "$t")
# shellcheck disable=SC1091
. "$tmp/env"
t=$(now)
"$TOPO" load swarm-0 "$IMAGE" || die "loading $IMAGE into swarm-0"
load_s=$(since "$t")
t=$(now)
DOCKER_HOST=$MH_SWARM0 "$PROV" push --image "$IMAGE" --registry "$MH_REGISTRY" --digest-file "$tmp/digest" \
    >"$tmp/push.out" 2>&1 || { cat "$tmp/push.out" >&2; die "push failed"; }
push_s=$(since "$t")
PINNED=$(cat "$tmp/digest")
say "topology ${topo_s}s, image into swarm-0 ${load_s}s, push ${push_s}s: $PINNED"

rows=()
declare -A WALL=()   # variant key -> wall times, for the ratios
# run KEY NAME DOCKER_HOST EXTRA_ARGS...: up -n 3, then down --volumes; one table row
run() {
    local key=$1 name=$2 host=$3 t wall ready down_args=()
    shift 3
    [ "$host" = "$MH_INFRA" ] || down_args=("${ENG[@]}")
    say "$name"
    t=$(now)
    if ! DOCKER_HOST=$host "$PROV" up -n 3 --image "$PINNED" --memory "$MEM" --jvm-extra-opts "$JVM" \
            --timeout 600 "$@" >"$tmp/up.out" 2>&1; then
        cat "$tmp/up.out" >&2
        rows+=("| $name | failed | - | - |")
    else
        wall=$(since "$t")
        # per node: "cassN on HOST ready after X s" (swarm) or "cassN ready after
        # X s" (one engine); with --fresh "CQL answers after X s"
        ready=$(sed -nE 's/^  (cass[0-9]+) +on +([^ ]+) +(ready|CQL answers) after +([0-9.]+) s.*/\1@\2 \4/p;
                         s/^  (cass[0-9]+) +(ready|CQL answers) after +([0-9.]+) s.*/\1 \3/p' "$tmp/up.out" |
                tr '\n' ',' | sed 's/,$//; s/,/, /g')
        # rows of the ring table: an address, then the status column
        rows+=("| $name | $wall | $(grep -cE ' [0-9a-f.:]+ +UN ' "$tmp/up.out") | ${ready:--} |")
        WALL[$key]="${WALL[$key]:-} $wall"
        say "$name: ${wall}s"
    fi
    t=$(now)
    DOCKER_HOST=$host "$PROV" down --volumes "${down_args[@]}" >"$tmp/down.out" 2>&1 || { cat "$tmp/down.out" >&2; die "down failed after $name"; }
    say "down: $(since "$t")s"
}
ENG=(--engine "$MH_SWARM1")   # swarm-1's engine, for exec in its nodes

run cold "two hosts, cold (swarm-1 pulls the image)" "$MH_SWARM0" "${ENG[@]}"
# infra's engine is in no swarm: the single-engine provisioner runs there
DOCKER_HOST=$MH_INFRA docker pull "$PINNED" >/dev/null 2>&1 || die "pulling $PINNED into infra"
for r in $(seq 1 "$ROUNDS"); do
    run one "one host, swarm (--place swarm-0), round $r" "$MH_SWARM0" "${ENG[@]}" --place swarm-0 --sequential
    run two "two hosts, warm, round $r" "$MH_SWARM0" "${ENG[@]}" --sequential
    run plain "one host, plain engine (infra, bridge network), round $r" "$MH_INFRA" --sequential
    if [ "$FRESH" = 1 ]; then
        run one-fresh "one host, swarm, \`--fresh\`, round $r" "$MH_SWARM0" "${ENG[@]}" --place swarm-0 --fresh
        run two-fresh "two hosts, warm, \`--fresh\`, round $r" "$MH_SWARM0" "${ENG[@]}" --fresh
        run plain-fresh "one host, plain engine, \`--fresh\`, round $r" "$MH_INFRA" --fresh
    fi
done
median() { tr ' ' '\n' <<<"${WALL[$1]:-}" | sed '/^$/d' | sort -n | awk '{ v[NR] = $1 } END { if (NR) print (NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2) }'; }
ratio() {  # LABEL KEY_A KEY_B
    local a b
    a=$(median "$2") b=$(median "$3")
    [ -n "$a" ] && [ -n "$b" ] || return 0
    awk -v l="$1" -v a="$a" -v b="$b" 'BEGIN { printf "- %s: %s / %s = **%.2f**\n", l, a, b, a / b }'
}
load_after=$(cut -d' ' -f1-3 /proc/loadavg)

{
    echo "# cass-provision on a swarm: from an empty swarm to 3 x UN, two hosts vs one"
    echo
    echo "Written by \`bench/multihost.sh\` on $(date -u '+%Y-%m-%d %H:%M') UTC. Machine: $(uname -m),"
    echo "$(nproc) CPUs, $(awk '/MemTotal/ { printf "%.1f GiB", $2 / 1048576 }' /proc/meminfo),"
    echo "Docker $(docker version -f '{{.Server.Version}}' 2>/dev/null) (four engines: the host's and the"
    echo "topology's three), image \`$PINNED\`."
    echo "Nodes: $MEM each, JVM_EXTRA_OPTS=\`$JVM\`. Load average before: $load_before, after: $load_after"
    echo "(the machine is shared with other work: times vary from run to run)."
    echo
    echo "Topology (provision/demo-topology.sh up): ${topo_s} s; image into swarm-0 (save/load):"
    echo "${load_s} s; \`cass-provision push\` to the infra registry: ${push_s} s (not in the times below)."
    echo
    echo "| variant | wall time s | UN rows in the final table | per node: ready after s (as \`up\` reports it) |"
    echo "|---|---|---|---|"
    printf '%s\n' "${rows[@]}"
    echo
    echo "## Two hosts against one (medians of $ROUNDS round(s))"
    ratio "sequential \`up\`: two hosts / one host, swarm" two one
    ratio "sequential \`up\`: two hosts / one host, plain engine" two plain
    ratio "\`up --fresh\`: two hosts / one host, swarm" two-fresh one-fresh
    ratio "\`up --fresh\`: two hosts / one host, plain engine" two-fresh plain-fresh
    ratio "the first pull on swarm-1: two hosts cold / warm" cold two
    echo
    echo "Wall time: from \`cass-provision up\` to its exit (after the ring table).  Sequential"
    echo "variants start a node only when the one before is UN with CQL answering; \`--fresh\`"
    echo "starts all three at once with precomputed tokens.  All hosts are network namespaces of"
    echo "one 2-CPU machine: two hosts share the same CPUs, so the difference is the cost of swarm"
    echo "mode (task scheduling, overlay network, the first pull on a second host), not a gain"
    echo "from more hardware."
} >"$RESULTS"
say "wrote $RESULTS"
cat "$RESULTS"
