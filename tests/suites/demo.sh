#!/usr/bin/env bash
# Checks pass their values as arguments and cleanup runs from the trap.
# shellcheck disable=SC2317
# tests/suites/demo.sh: the main command's multi-host path, as a user runs it
# (issue 6): `provision.sh --demo-multihost` makes the original topology on
# this machine (provision/demo-topology.sh: engines infra, swarm-0, swarm-1
# in network namespaces, the registry on infra), copies the image to infra,
# pushes it there and starts 3 nodes spread over swarm-0 and swarm-1; then
# `status`, a re-run that changes nothing, and `down --volumes`, which also
# removes the topology.  The multihost suite covers cass-provision's swarm
# behaviour in depth; this one proves that provision.sh wires it together.
#
# The nodes start with the test start-up flags (ring delay 5 s), passed after
# `--` as a user would pass any cass-provision option.  Needs root; network
# traffic stays in the topology's namespaces.
set -uo pipefail
cd "$(dirname "$0")/../.." || exit 1
ROOT=$PWD
TOPO=$ROOT/provision/demo-topology.sh
FAST_OPTS="-Dcassandra.ring_delay_ms=5000 -Dcassandra.skip_wait_for_gossip_to_settle=0"
TMP=$(mktemp -d)

ok()      { echo "ok - $*"; }
not_ok()  { echo "not ok - $*"; }
fatal()   { not_ok "$*"; exit 1; }
comment() { sed 's/^/#   /' | tail -n "${1:-30}"; }

cleanup() {
    local rc=$?
    "$TOPO" down >"$TMP/down.log" 2>&1 || comment <"$TMP/down.log"
    rm -rf "$TMP"
    exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM

[ "$(id -u)" -eq 0 ] || fatal "the demo suite needs root (network namespaces, dockerd)"
command -v shellcheck >/dev/null || fatal "shellcheck is missing (image/install-deps.sh installs it)"
if shellcheck tests/suites/demo.sh >"$TMP/sc" 2>&1; then ok "shellcheck clean: demo.sh"
else comment <"$TMP/sc"; not_ok "shellcheck findings in demo.sh"; fi
"$TOPO" down >/dev/null 2>&1 # what an interrupted earlier run may have left

# ---- options that can't work are refused before anything is made ------------------
./provision.sh --demo-multihost --swarm unix:///nonexistent.sock >"$TMP/bad1" 2>&1; rc=$?
if [ $rc -eq 1 ] && grep -q 'error: --demo-multihost makes its own swarm' "$TMP/bad1" && ! ip netns list | grep -q '^cmh-'; then
    ok "--demo-multihost with --swarm: exit 1, one line, nothing made"
else comment <"$TMP/bad1"; not_ok "--demo-multihost with --swarm (exit $rc)"; fi
./provision.sh --swarm unix:///nonexistent.sock >"$TMP/bad2" 2>&1; rc=$?
if [ $rc -eq 1 ] && grep -q "error: --swarm: the registry 127.0.0.1:5000 is each swarm node's own loopback" "$TMP/bad2"; then
    ok "--swarm with the loopback registry: exit 1, says why"
else comment <"$TMP/bad2"; not_ok "--swarm with the loopback registry (exit $rc)"; fi

# ---- up: from nothing to a ring over two hosts -------------------------------------------
ring_rows() { grep -cE '^datacenter1 +cass[1-3] +swarm-[01] +[0-9.]+ +UN ' "$1"; }
t0=$SECONDS
./provision.sh --demo-multihost -- --jvm-extra-opts "$FAST_OPTS" >"$TMP/up.out" 2>&1; rc=$?
hosts=$(grep -oE '^datacenter1 +cass[1-3] +swarm-[01]' "$TMP/up.out" | awk '{print $3}' | sort -u | tr '\n' ' ')
if [ $rc -eq 0 ] && [ "$(ring_rows "$TMP/up.out")" = 3 ] && [ "$hosts" = "swarm-0 swarm-1 " ] &&
   grep -q 'done in .* 3 node(s) on the swarm of unix:///run/cass-multihost/swarm-0.sock from 192.168.99.100:5000/cass-entry@sha256:' "$TMP/up.out"; then
    ok "provision.sh --demo-multihost: exit 0 in $((SECONDS - t0))s, 3 x UN over swarm-0 and swarm-1, image pinned by digest from the infra registry"
else
    comment 40 <"$TMP/up.out"; fatal "provision.sh --demo-multihost (exit $rc)"
fi
# shellcheck disable=SC1090 # the topology's own variables
. <("$TOPO" env)
svc=$(docker -H "$MH_SWARM0" service ls --format '{{.Name}} {{.Image}}' | sort)
if [ "$(grep -cE '^cass[1-3] 192\.168\.99\.100:5000/cass-entry@sha256:[0-9a-f]{64}$' <<<"$svc")" = 3 ]; then
    ok "the swarm manager holds services cass1-3, each on the pushed digest"
else echo "$svc" | comment; not_ok "services on swarm-0"; fi

# ---- status, and a re-run that changes nothing ----------------------------------------------
./provision.sh status --demo-multihost >"$TMP/status.out" 2>&1; rc=$?
if [ $rc -eq 0 ] && [ "$(ring_rows "$TMP/status.out")" = 3 ]; then ok "status --demo-multihost: exit 0, 3 x UN with their hosts"
else comment <"$TMP/status.out"; not_ok "status --demo-multihost (exit $rc)"; fi
tasks_before=$(docker -H "$MH_SWARM0" service ps -q cass1 cass2 cass3 | sort)
./provision.sh --demo-multihost --skip-build -- --jvm-extra-opts "$FAST_OPTS" >"$TMP/again.out" 2>&1; rc=$?
tasks_after=$(docker -H "$MH_SWARM0" service ps -q cass1 cass2 cass3 | sort)
if [ $rc -eq 0 ] && grep -q '3 running, 0 not running, 0 to create' "$TMP/again.out" && [ "$tasks_before" = "$tasks_after" ]; then
    ok "a second provision.sh --demo-multihost: exit 0, '3 running, 0 to create', the same tasks"
else comment <"$TMP/again.out"; not_ok "re-run of provision.sh --demo-multihost (exit $rc)"; fi

# ---- down --volumes: the cluster, then the topology ------------------------------------------
./provision.sh down --demo-multihost --volumes >"$TMP/down.out" 2>&1; rc=$?
left=$( { ip netns list | grep -E '^cmh-'; ls -d /run/cass-multihost /var/lib/cass-multihost /sys/fs/cgroup/*/cmh-* 2>/dev/null
          pgrep -f 'cass-multihost'; } 2>/dev/null)
if [ $rc -eq 0 ] && [ -z "$left" ] && grep -q "cluster 'cass' down" "$TMP/down.out"; then
    ok "down --demo-multihost --volumes: exit 0, the cluster drained and removed, nothing of the topology left"
else
    { cat "$TMP/down.out"; echo "left: $left"; } | comment; not_ok "down --demo-multihost --volumes (exit $rc)"
fi
