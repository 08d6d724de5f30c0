#!/usr/bin/env bash
# provision/demo-topology.sh: the original multi-host set-up, for real, on
# this one machine.
#
#   infra    a Docker engine and the private registry (docker-registry on
#            infra's address, port 5000, no auth)
#   swarm-0  a Docker engine, the swarm manager
#   swarm-1  a Docker engine, a swarm worker
#
# Each engine is a dockerd of its own in a network namespace of its own
# (cmh-infra, cmh-swarm-0, cmh-swarm-1) with its own host name (a UTS
# namespace), address, --data-root, --exec-root, unix socket, --pidfile,
# --bip and cgroup parent.  The three namespaces hang on one bridge that
# lives in a fourth namespace, cmh-lan, so that nothing of the host's own
# network changes: no interface, route or iptables rule is added to it (the
# host's FORWARD policy, which Docker sets to DROP, never sees this traffic).
# The addresses are those of the original set-up (the registry at
# 192.168.99.100:5000), reachable only inside these namespaces.  swarm-0 and
# swarm-1 trust the registry as an insecure (plain HTTP) registry.  The host
# talks to the engines through their unix sockets only.
#
# Commands:
#   up                  create what is missing (idempotent), print the env
#   down                remove everything, whatever state it is in (idempotent)
#   status              what exists
#   env                 the variables the tests use (shell syntax)
#   load ENGINE IMAGE.. copy images from the host engine into ENGINE (save/load)
#   stop-engine ENGINE  stop that dockerd (its containers stop with it)
#   start-engine ENGINE start it again (same data: it rejoins the swarm)
#   sock ENGINE         print DOCKER_HOST for ENGINE
#
# Why each piece:
#   - `ip netns exec` gives the command a new mount namespace and a fresh
#     /sys (for the netns), which has no cgroup mounts: dockerd needs them,
#     so the host's cgroup hierarchies are mounted again inside, exactly as
#     the host has them (read from /proc/self/mountinfo).
#   - `unshare --uts` gives each engine its own host name, which becomes the
#     swarm node's host name (otherwise all three would be this machine's).
#   - --cgroup-parent /cmh-NAME puts each engine's containers in cgroups of
#     their own, so `down` can find and stop whatever a killed engine left.
#   - --config-file: an empty one, so no daemon.json of the host applies.
#
# Environment: MH_STATE (default /var/lib/cass-multihost: data roots, logs,
# registry storage), MH_RUN (default /run/cass-multihost: sockets, pid files;
# keep it short, unix socket paths are limited to 107 bytes), MH_LAN (the
# first three octets, default 192.168.99), MH_WAIT (seconds to wait for an
# engine, default 90).
#
# Needs: root, iproute2, util-linux (unshare), dockerd, the docker CLI,
# docker-registry, curl.
set -euo pipefail

MH_STATE=${MH_STATE:-/var/lib/cass-multihost}
MH_RUN=${MH_RUN:-/run/cass-multihost}
MH_LAN=${MH_LAN:-192.168.99}
MH_WAIT=${MH_WAIT:-90}
LAN_NS=cmh-lan
ENGINES=(infra swarm-0 swarm-1)
REGISTRY_PORT=5000

say() { echo "topology: $*" >&2; }
die() { say "error: $*"; exit 1; }

# ---- names and addresses ------------------------------------------------

ns_of()   { echo "cmh-$1"; }
addr_of() {
    case $1 in
        infra) echo "$MH_LAN.100" ;; swarm-0) echo "$MH_LAN.101" ;; swarm-1) echo "$MH_LAN.102" ;;
        *) die "no engine named '$1' (have: ${ENGINES[*]})" ;;
    esac
}
# docker0 of each engine: a subnet of its own (they are in different
# namespaces, but distinct subnets keep `docker network inspect` unambiguous).
bip_of() {
    case $1 in infra) echo 172.31.100.1/24 ;; swarm-0) echo 172.31.101.1/24 ;; swarm-1) echo 172.31.102.1/24 ;; esac
}
sock_of()     { echo "$MH_RUN/$1.sock"; }
host_of()     { echo "unix://$(sock_of "$1")"; }
pidfile_of()  { echo "$MH_RUN/$1.pid"; }
execroot_of() { echo "$MH_RUN/$1"; }
dataroot_of() { echo "$MH_STATE/$1/data"; }
registry()    { echo "$(addr_of infra):$REGISTRY_PORT"; }

dk() { local e=$1; shift; docker -H "$(host_of "$e")" "$@"; }
engine_answers() { [ -S "$(sock_of "$1")" ] && dk "$1" version >/dev/null 2>&1; }
ns_exists() { ip netns list 2>/dev/null | awk '{print $1}' | grep -qx "$1"; }

require_tools() {
    [ "$(id -u)" -eq 0 ] || die "must run as root (network namespaces, dockerd)"
    local t
    for t in ip unshare dockerd docker docker-registry curl; do
        command -v "$t" >/dev/null 2>&1 || die "$t is not installed (image/install-deps.sh installs the test dependencies)"
    done
}

# ---- the network --------------------------------------------------------

make_lan() {
    ns_exists "$LAN_NS" || ip netns add "$LAN_NS"
    ip -n "$LAN_NS" link show br0 >/dev/null 2>&1 || ip -n "$LAN_NS" link add br0 type bridge
    ip -n "$LAN_NS" link set lo up
    ip -n "$LAN_NS" link set br0 up
}

# A namespace for ENGINE with eth0 on the bridge.  The veth is made inside
# the namespaces directly, so no interface ever appears on the host.
make_node_ns() {
    local e=$1 ns port
    ns=$(ns_of "$e")
    port=v-$e
    ns_exists "$ns" || ip netns add "$ns"
    if ! ip -n "$ns" link show eth0 >/dev/null 2>&1; then
        ip -n "$LAN_NS" link del "$port" 2>/dev/null || true
        ip -n "$LAN_NS" link add "$port" type veth peer name eth0 netns "$ns"
    fi
    ip -n "$LAN_NS" link set "$port" master br0 up
    ip -n "$ns" link set lo up
    ip -n "$ns" addr replace "$(addr_of "$e")/24" dev eth0
    ip -n "$ns" link set eth0 up
}

# ---- engines ------------------------------------------------------------

# The mount commands that reproduce the host's cgroup hierarchies under
# /sys/fs/cgroup, one per line (run inside the engine's mount namespace).
cgroup_mounts() {
    echo "mount -t tmpfs -o mode=755 cgroup /sys/fs/cgroup"
    # mountinfo: ... MOUNTPOINT OPTIONS ... - FSTYPE SOURCE SUPEROPTIONS
    awk '{
        for (i = 1; i <= NF; i++) if ($i == "-") break
        fstype = $(i + 1); mp = $5; sup = $(i + 3)
        if (mp !~ "^/sys/fs/cgroup/") next
        if (fstype == "cgroup") {
            gsub(/(^|,)(rw|ro)(,|$)/, ",", sup); gsub(/^,+|,+$/, "", sup)
            printf "mkdir -p %s && mount -t cgroup -o %s cgroup %s\n", mp, sup, mp
        } else if (fstype == "cgroup2") {
            printf "mkdir -p %s && mount -t cgroup2 cgroup2 %s\n", mp, mp
        }
    }' /proc/self/mountinfo
}

start_engine() {
    local e=$1 ns data exec_root log script
    engine_answers "$e" && return 0
    ns=$(ns_of "$e")
    ns_exists "$ns" || die "namespace $ns is missing: run '$0 up'"
    data=$(dataroot_of "$e")
    exec_root=$(execroot_of "$e")
    log=$MH_STATE/$e/dockerd.log
    mkdir -p "$data" "$exec_root" "$MH_STATE/$e"
    echo '{}' >"$MH_STATE/$e/daemon.json"
    rm -f "$(sock_of "$e")" "$(pidfile_of "$e")"
    # containerd's pid file, left by an engine that is gone (a machine restored
    # from a snapshot), would make dockerd wait for a containerd that is not
    # there when its pid now belongs to another process.
    local cpid
    cpid=$(cat "$exec_root/containerd/containerd.pid" 2>/dev/null) || true
    if [ -n "$cpid" ] && [ "$(cat "/proc/$cpid/comm" 2>/dev/null)" != containerd ]; then
        rm -f "$exec_root/containerd/containerd.pid"
    fi
    script="set -e
hostname $e
$(cgroup_mounts)
exec dockerd --host $(host_of "$e") --data-root $data --exec-root $exec_root \
  --pidfile $(pidfile_of "$e") --bip $(bip_of "$e") --cgroup-parent /cmh-$e \
  --config-file $MH_STATE/$e/daemon.json --storage-driver overlay2 --log-level warn \
  --insecure-registry $(registry)"
    # setsid: the engine outlives this script and gets no signal meant for it.
    setsid ip netns exec "$ns" unshare --uts -- sh -c "$script" >>"$log" 2>&1 </dev/null &
    local waited=0
    until engine_answers "$e"; do
        if [ "$waited" -ge "$MH_WAIT" ]; then
            tail -20 "$log" >&2
            die "engine $e did not answer on $(sock_of "$e") within ${MH_WAIT}s (log: $log)"
        fi
        sleep 1
        waited=$((waited + 1))
    done
}

# Stop ENGINE's dockerd: SIGTERM (it stops its containers, each within its
# stop timeout, then exits), then SIGKILL after a bound.
stop_engine() {
    local e=$1 pid pf waited=0
    pf=$(pidfile_of "$e")
    pid=$(cat "$pf" 2>/dev/null || true)
    if [ -z "$pid" ] || ! kill -0 "$pid" 2>/dev/null; then
        rm -f "$pf"
        return 0
    fi
    kill -TERM "$pid" 2>/dev/null || true
    while kill -0 "$pid" 2>/dev/null; do
        if [ "$waited" -ge 150 ]; then
            say "dockerd of $e did not stop within 150 s: killing it"
            kill -KILL "$pid" 2>/dev/null || true
            break
        fi
        sleep 1
        waited=$((waited + 1))
    done
    rm -f "$pf" "$(sock_of "$e")"
}

# ---- registry -----------------------------------------------------------

registry_answers() {
    ns_exists "$(ns_of infra)" &&
        ip netns exec "$(ns_of infra)" curl -fsS -m 5 "http://$(registry)/v2/" >/dev/null 2>&1
}

start_registry() {
    registry_answers && return 0
    local dir=$MH_STATE/infra/registry
    mkdir -p "$dir/storage"
    cat >"$dir/config.yml" <<EOF
version: 0.1
log:
  level: warn
storage:
  filesystem:
    rootdirectory: $dir/storage
  delete:
    enabled: true
http:
  addr: $(registry)
EOF
    setsid ip netns exec "$(ns_of infra)" docker-registry serve "$dir/config.yml" \
        >>"$dir/registry.log" 2>&1 </dev/null &
    echo $! >"$MH_RUN/registry.pid"
    local waited=0
    until registry_answers; do
        [ "$waited" -lt 30 ] || { tail -5 "$dir/registry.log" >&2; die "the registry did not answer on $(registry) within 30 s"; }
        sleep 1
        waited=$((waited + 1))
    done
}

# ---- swarm --------------------------------------------------------------

swarm_state() { dk "$1" info --format '{{.Swarm.LocalNodeState}}' 2>/dev/null || echo unknown; }

make_swarm() {
    local a0 a1 token
    a0=$(addr_of swarm-0)
    a1=$(addr_of swarm-1)
    if [ "$(swarm_state swarm-0)" != active ]; then
        dk swarm-0 swarm init --advertise-addr "$a0" --listen-addr "$a0:2377" >/dev/null
    fi
    if [ "$(swarm_state swarm-1)" != active ]; then
        token=$(dk swarm-0 swarm join-token -q worker)
        dk swarm-1 swarm join --token "$token" --advertise-addr "$a1" --listen-addr "$a1:2377" \
            "$a0:2377" >/dev/null
    fi
    local waited=0
    until [ "$(dk swarm-0 node ls --filter role=worker --format '{{.Status}}' 2>/dev/null)" = Ready ]; do
        [ "$waited" -lt 60 ] || die "swarm-1 did not become a Ready worker of swarm-0's swarm within 60 s"
        sleep 1
        waited=$((waited + 1))
    done
}

# ---- commands -----------------------------------------------------------

cmd_env() {
    echo "MH_REGISTRY=$(registry)"
    echo "MH_INFRA=$(host_of infra)"
    echo "MH_SWARM0=$(host_of swarm-0)"
    echo "MH_SWARM1=$(host_of swarm-1)"
}

cmd_up() {
    require_tools
    # A half-made topology is worse than none: any failure removes it all.
    trap 'say "up failed: removing what was made"; cmd_down' EXIT
    mkdir -p "$MH_STATE" "$MH_RUN"
    make_lan
    local e
    for e in "${ENGINES[@]}"; do make_node_ns "$e"; done
    start_registry
    # The path the engines will pull over: each swarm namespace reaches the
    # registry through the bridge.
    for e in swarm-0 swarm-1; do
        ip netns exec "$(ns_of "$e")" curl -fsS -m 10 "http://$(registry)/v2/" >/dev/null ||
            die "$e cannot reach the registry at $(registry) over the bridge"
    done
    for e in "${ENGINES[@]}"; do start_engine "$e"; done
    make_swarm
    trap - EXIT
    say "up: infra $(addr_of infra) (registry $(registry)), swarm-0 $(addr_of swarm-0) (manager), swarm-1 $(addr_of swarm-1) (worker)"
    cmd_env
}

# Kill every process still in namespace NS (what a killed engine left:
# containerd, shims), by pid.
kill_ns_procs() {
    local ns=$1 pids sig
    ns_exists "$ns" || return 0
    for sig in TERM KILL; do
        pids=$(ip netns pids "$ns" 2>/dev/null || true)
        [ -n "$pids" ] || return 0
        # shellcheck disable=SC2086 # a list of pids
        kill -"$sig" $pids 2>/dev/null || true
        sleep 2
    done
}

# The containers of a killed engine: their processes are in the engine's
# cgroups (--cgroup-parent), not in its network namespace.
kill_cgroup_procs() {
    local e=$1 dir pids sig
    for sig in TERM KILL; do
        pids=$(cat /sys/fs/cgroup/pids/cmh-"$e"/*/cgroup.procs /sys/fs/cgroup/memory/cmh-"$e"/*/cgroup.procs 2>/dev/null | sort -u || true)
        [ -n "$pids" ] || break
        # shellcheck disable=SC2086
        kill -"$sig" $pids 2>/dev/null || true
        sleep 2
    done
    # Remove the (now empty) cgroup directories, deepest first.
    for dir in /sys/fs/cgroup/*/cmh-"$e"; do
        [ -d "$dir" ] || continue
        find "$dir" -depth -type d -exec rmdir {} \; 2>/dev/null || true
    done
}

cmd_down() {
    [ "$(id -u)" -eq 0 ] || die "must run as root"
    local e
    # Leave the swarm and remove containers while the engines answer, so
    # each engine shuts down quickly and cleanly.
    for e in swarm-1 swarm-0 infra; do
        if engine_answers "$e"; then
            dk "$e" swarm leave --force >/dev/null 2>&1 || true
            local ids
            ids=$(dk "$e" ps -aq 2>/dev/null || true)
            # shellcheck disable=SC2086
            [ -z "$ids" ] || dk "$e" rm -f $ids >/dev/null 2>&1 || true
        fi
    done
    for e in "${ENGINES[@]}"; do stop_engine "$e"; done
    if [ -f "$MH_RUN/registry.pid" ]; then
        kill "$(cat "$MH_RUN/registry.pid")" 2>/dev/null || true
        rm -f "$MH_RUN/registry.pid"
    fi
    for e in "${ENGINES[@]}"; do
        kill_ns_procs "$(ns_of "$e")"
        kill_cgroup_procs "$e"
    done
    for e in "${ENGINES[@]}"; do
        ns_exists "$(ns_of "$e")" && ip netns del "$(ns_of "$e")"
    done
    ns_exists "$LAN_NS" && ip netns del "$LAN_NS"
    # The engines' mounts lived in their own mount namespaces, gone with
    # their processes; nothing is mounted under these directories any more.
    rm -rf "$MH_RUN" "$MH_STATE"
    say "down: nothing of the topology is left"
}

cmd_status() {
    local e rc=0
    for e in "${ENGINES[@]}"; do
        if engine_answers "$e"; then
            echo "$e: engine up at $(host_of "$e"), address $(addr_of "$e"), swarm $(swarm_state "$e")"
        else
            echo "$e: engine not answering"
            rc=1
        fi
    done
    if registry_answers; then echo "registry: up at $(registry)"; else echo "registry: not answering"; rc=1; fi
    return $rc
}

cmd_load() {
    local e=$1
    shift
    engine_answers "$e" || die "engine $e does not answer"
    [ $# -gt 0 ] || die "load: no image named"
    docker save "$@" | dk "$e" load >/dev/null
}

main() {
    local cmd=${1:-}
    [ $# -gt 0 ] && shift
    case $cmd in
        up) cmd_up ;;
        down) cmd_down ;;
        status) cmd_status ;;
        env) cmd_env ;;
        load) [ $# -ge 2 ] || die "usage: $0 load ENGINE IMAGE..."; cmd_load "$@" ;;
        stop-engine) [ $# -eq 1 ] || die "usage: $0 stop-engine ENGINE"; addr_of "$1" >/dev/null; stop_engine "$1" ;;
        start-engine) [ $# -eq 1 ] || die "usage: $0 start-engine ENGINE"; addr_of "$1" >/dev/null; start_engine "$1" ;;
        sock) [ $# -eq 1 ] || die "usage: $0 sock ENGINE"; addr_of "$1" >/dev/null; host_of "$1" ;;
        *) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//' >&2; exit 2 ;;
    esac
}

main "$@"
