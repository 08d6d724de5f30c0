#!/usr/bin/env bash
# provision.sh: from a fresh Debian machine to a running Cassandra cluster, in
# one command, as root:
#
#   ./provision.sh              # 3 nodes
#   ./provision.sh -n 5         # 5 nodes (or 2 more on a running 3-node cluster)
#   ./provision.sh status       # the ring table
#   ./provision.sh down         # drain and remove the cluster (data volumes kept)
#
# What `up` (the default) does, each step skipped when already done:
#   1. image/install-deps.sh     the Debian packages (build tools, libcurl,
#                                jansson, libarchive, docker-registry...)
#   2. image/dockerd.sh          a Docker engine (docker.io installed and
#                                started when none answers)
#   3. a registry on REGISTRY    when none answers there and REGISTRY is on
#                                the loopback: `docker-registry serve` with its
#                                own config (no auth), storage in
#                                /var/lib/cass-entry/registry
#   4. image/build.sh            base image, Cassandra image, static
#                                cass-entry, product image cass-entry:<version>
#   5. make                      build/cass-provision
#   6. cass-provision push       tag and push to REGISTRY, print the digest
#   7. cass-provision up -n N    the cluster, from the registry's image; ends
#                                with the ring table
#
# Options (up):
#   -n, --nodes N         node count (default 3)
#   --registry HOST:PORT  registry (default 127.0.0.1:5000)
#   --sequential          new nodes one at a time, even on a brand-new cluster
#                         (which otherwise starts all at once: see cass-provision --help)
#   --fresh               insist on the all-at-once start (an error over kept data)
#   --publish             publish cass1's CQL port on 127.0.0.1:9042
#   --auth                a superuser "admin" instead of cassandra/cassandra, its
#                         password made once in ~/.cass-provision/cass/superuser-password
#                         (mode 0600; the nodes get it as CASSANDRA_PASSWORD_FILE)
#   --skip-build          steps 3, 5, 6, 7 only: use the images already built
#   -- ARGS...            passed to `cass-provision up` as they are
# Several hosts (Docker swarm mode; the nodes become services, each pinned to
# the swarm node that holds its data, on an attachable overlay network):
#   --swarm HOST          deploy on the swarm whose manager's engine is HOST (a
#                         DOCKER_HOST value, e.g. tcp://10.0.0.5:2376 with the
#                         usual DOCKER_TLS_VERIFY/DOCKER_CERT_PATH); --registry
#                         must then be an address every swarm node can pull from
#                         (and trusts), not the loopback
#   --engine HOST         the engine of another swarm node, repeatable: the
#                         provisioner checks each node through exec where it runs
#   --place LIST          swarm nodes (host names or ids) for the new nodes, in
#                         turn (default: spread over the swarm)
#   --push-engine HOST    the engine that pushes to --registry (default this
#                         machine's); the image is copied to it first (docker
#                         save | load), e.g. a host that trusts that registry
#   --demo-multihost      the original topology on this machine, for real:
#                         provision/demo-topology.sh makes three engines in
#                         network namespaces, "infra" (registry
#                         192.168.99.100:5000), "swarm-0" (manager) and "swarm-1"
#                         (worker); the image is pushed from infra and the
#                         cluster spread over swarm-0 and swarm-1.  With status
#                         and down too (`down --demo-multihost` also removes the
#                         topology).
# Other commands:
#   down [--volumes]      `cass-provision down`
#   status                `cass-provision status`
#   registry              step 3 alone (used by tests/suites/provision.sh)
# Environment: PROVISION_REGISTRY_DIR (storage, default /var/lib/cass-entry/registry),
# PROVISION_REGISTRY_LOG (default /var/log/cass-entry-registry.log).
set -euo pipefail
cd "$(dirname "$0")"

say() { echo "provision.sh: $*" >&2; }
die() { say "error: $*"; exit 1; }

REGISTRY=127.0.0.1:5000
NODES=3
PROVISION_REGISTRY_DIR=${PROVISION_REGISTRY_DIR:-/var/lib/cass-entry/registry}
PROVISION_REGISTRY_LOG=${PROVISION_REGISTRY_LOG:-/var/log/cass-entry-registry.log}
PROVISION=build/cass-provision

usage() { sed -n '2,/^set -euo/p' "$0" | sed -e '$d' -e 's/^# \{0,1\}//'; }

registry_answers() { curl -sf -m 3 "http://$REGISTRY/v2/" >/dev/null 2>&1; }

# Step 3: a registry answering on $REGISTRY, started here when it is ours to
# start (an address of this machine's loopback).
ensure_registry() {
    registry_answers && { say "registry $REGISTRY answers"; return 0; }
    local host=${REGISTRY%:*} port=${REGISTRY##*:}
    case $host in
        127.* | localhost) ;;
        *) die "no registry answers at $REGISTRY (only a registry on 127.0.0.0/8 is started here)" ;;
    esac
    command -v docker-registry >/dev/null || die "docker-registry is not installed (image/install-deps.sh installs it)"
    mkdir -p "$PROVISION_REGISTRY_DIR" "$(dirname "$PROVISION_REGISTRY_LOG")"
    # Debian's packaged config turns on htpasswd auth (every request: 401);
    # this one has no auth section and listens on the loopback only.
    local config=$PROVISION_REGISTRY_DIR/../registry-$port.yml
    cat >"$config" <<EOF
version: 0.1
log:
  level: warn
storage:
  filesystem:
    rootdirectory: $PROVISION_REGISTRY_DIR
  delete:
    enabled: true
http:
  addr: $host:$port
EOF
    say "starting docker-registry on $REGISTRY (storage $PROVISION_REGISTRY_DIR, log $PROVISION_REGISTRY_LOG)"
    # setsid: the registry outlives this script, like dockerd.  It gets no
    # descriptor but 0-2: a caller's `flock FILE ./provision.sh` lock would
    # otherwise be held for the registry's life.
    (
        for fd in /proc/self/fd/*; do
            n=${fd##*/}
            [ "$n" -gt 2 ] 2>/dev/null && eval "exec $n>&-"
        done
        exec setsid docker-registry serve "$config" >>"$PROVISION_REGISTRY_LOG" 2>&1 </dev/null
    ) &
    local pid=$!
    echo "$pid" >"$PROVISION_REGISTRY_DIR/../registry-$port.pid"
    for _ in $(seq 1 100); do
        registry_answers && { say "registry $REGISTRY answers (pid $pid)"; return 0; }
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.1
    done
    tail -n 15 "$PROVISION_REGISTRY_LOG" >&2 || true
    die "docker-registry did not answer on $REGISTRY; see $PROVISION_REGISTRY_LOG"
}

build_provisioner() {
    make -s "$PROVISION" >/dev/null || die "building $PROVISION failed (run make to see why)"
}

cmd=up
case ${1:-} in
    up | down | status | registry) cmd=$1; shift ;;
    -h | --help) usage; exit 0 ;;
esac

skip_build=
up_args=()
down_args=()
SWARM=
PUSH_ENGINE=
DEMO=
swarm_args=()   # --engine and --place, for up, status and down
while [ $# -gt 0 ]; do
    case $1 in
        -n | --nodes) [ $# -ge 2 ] || die "$1 needs a value"; NODES=$2; shift 2 ;;
        --registry) [ $# -ge 2 ] || die "$1 needs a value"; REGISTRY=$2; shift 2 ;;
        --fresh | --sequential | --publish | --auth) up_args+=("$1"); shift ;;
        --skip-build) skip_build=1; shift ;;
        --volumes) down_args+=("$1"); shift ;;
        --swarm) [ $# -ge 2 ] || die "$1 needs a value"; SWARM=$2; shift 2 ;;
        --engine) [ $# -ge 2 ] || die "$1 needs a value"; swarm_args+=("$1" "$2"); shift 2 ;;
        --place) [ $# -ge 2 ] || die "$1 needs a value"; up_args+=("$1" "$2"); shift 2 ;;
        --push-engine) [ $# -ge 2 ] || die "$1 needs a value"; PUSH_ENGINE=$2; shift 2 ;;
        --demo-multihost) DEMO=1; shift ;;
        --) shift; up_args+=("$@"); break ;;
        -h | --help) usage; exit 0 ;;
        *) die "unknown option $1 (see $0 --help)" ;;
    esac
done
case $NODES in '' | *[!0-9]*) die "-n $NODES: expected a node count" ;; esac
case $REGISTRY in *:*) ;; *) die "--registry $REGISTRY: expected HOST:PORT" ;; esac

[ "$(id -u)" -eq 0 ] || die "run as root (it installs packages and starts dockerd)"

# The demonstration topology: its engines and registry, as topology.sh
# reports them (`env`), after making them (`up`) for the up command.
TOPOLOGY=provision/demo-topology.sh
demo_topology() {
    local topo_env
    topo_env=$("$TOPOLOGY" "$1") || return 1
    topo() { sed -n "s/^$1=//p" <<<"$topo_env"; }
    REGISTRY=$(topo MH_REGISTRY) SWARM=$(topo MH_SWARM0) PUSH_ENGINE=$(topo MH_INFRA)
    swarm_args+=(--engine "$(topo MH_SWARM1)")
}
if [ -n "$DEMO" ]; then
    [ -z "$SWARM$PUSH_ENGINE" ] || die "--demo-multihost makes its own swarm: no --swarm or --push-engine with it"
    [ "$cmd" = up ] || demo_topology env
fi
check_swarm_registry() {
    case ${REGISTRY%:*} in
        127.* | localhost) die "--swarm: the registry $REGISTRY is each swarm node's own loopback: give --registry an address every swarm node reaches" ;;
    esac
}
[ -z "$SWARM" ] || check_swarm_registry

case $cmd in
    registry)
        ensure_registry
        exit 0 ;;
    down | status)
        image/dockerd.sh
        build_provisioner
        if [ -n "$SWARM" ]; then
            rc=0
            DOCKER_HOST=$SWARM "$PROVISION" "$cmd" "${down_args[@]}" "${swarm_args[@]}" || rc=$?
            if [ -n "$DEMO" ] && [ "$cmd" = down ]; then
                "$TOPOLOGY" down || rc=1
            fi
            exit $rc
        fi
        exec "$PROVISION" "$cmd" "${down_args[@]}" ;;
esac

start=$SECONDS
step() {  # NAME COMMAND...: one step, timed
    local name=$1 t=$SECONDS
    shift
    say "== $name"
    "$@" || die "$name failed"
    say "$name: $((SECONDS - t)) s"
}

step "packages" image/install-deps.sh
step "engine" image/dockerd.sh
if [ -n "$DEMO" ]; then
    step "topology (engines infra, swarm-0, swarm-1 in network namespaces)" demo_topology up
fi
[ -n "$SWARM" ] || step "registry" ensure_registry
if [ -z "$skip_build" ]; then
    # stdout of build.sh is the image's name
    IMAGE=$(image/build.sh) || die "image/build.sh failed"
    say "image $IMAGE built"
else
    VERSION=$(cat image/cassandra.version)
    IMAGE=cass-entry:$VERSION
fi
step "provisioner" build_provisioner
TAG=${IMAGE##*:}
if [ -z "$SWARM" ]; then
    step "push" "$PROVISION" push --image "$IMAGE" --registry "$REGISTRY"
    step "up" "$PROVISION" up -n "$NODES" --image "$REGISTRY/cass-entry:$TAG" "${up_args[@]}"
    say "done in $((SECONDS - start)) s: $NODES node(s) from $REGISTRY/cass-entry:$TAG"
    exit 0
fi
# On a swarm: push from PUSH_ENGINE (the image copied there first), then the
# services, pinned to the digest the push returned.
digest_file=$(mktemp)
trap 'rm -f "$digest_file"' EXIT
if [ -n "$PUSH_ENGINE" ]; then
    copy_image() { docker save "$IMAGE" | docker -H "$PUSH_ENGINE" load >/dev/null; }
    step "copy the image to $PUSH_ENGINE" copy_image
fi
step "push" env ${PUSH_ENGINE:+DOCKER_HOST="$PUSH_ENGINE"} "$PROVISION" push --image "$IMAGE" \
    --registry "$REGISTRY" --digest-file "$digest_file"
PINNED=$(cat "$digest_file")
step "up" env DOCKER_HOST="$SWARM" "$PROVISION" up -n "$NODES" --image "$PINNED" \
    "${swarm_args[@]}" "${up_args[@]}"
say "done in $((SECONDS - start)) s: $NODES node(s) on the swarm of $SWARM from $PINNED"
