# tests/e2e/lib.sh: helpers shared by tests/suites/e2e.sh, firststart.sh, tls.sh and bench/e2e.sh.
# Sourced, not run.  The caller sets E2E_RUN (a run id, lowercase, unique per
# process), E2E_IMAGE (the product image) and E2E_TMP (a scratch directory).
#
# Every object a run creates (containers, networks, images) carries two labels:
#   cass-entry.e2e=<run id>          what the run's final clean-up removes;
#   cass-entry.e2e.scope=<scope>     what one test removes when it ends.
# Anonymous volumes (the image's VOLUME /var/lib/cassandra) go with their
# container (docker rm -v); e2e_remove checks that they are really gone.
# shellcheck shell=bash
# shellcheck disable=SC2034  # E2E_* variables are set here for the caller

E2E_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
E2E_LABEL=cass-entry.e2e
E2E_SCOPE_LABEL=cass-entry.e2e.scope
# Test-only start-up shortcuts (benchmarks never use them): a 5 s ring delay
# instead of 30 s, and no wait for gossip to settle.
E2E_FAST_OPTS="-Dcassandra.ring_delay_ms=5000 -Dcassandra.skip_wait_for_gossip_to_settle=0"

e2e_now()   { date +%s.%N; }
e2e_since() { awk -v a="$1" -v b="$(e2e_now)" 'BEGIN { printf "%.1f", b - a }'; }

# e2e_labels SCOPE: sets the array E2E_LBL to the --label options of SCOPE.
e2e_labels() {
    E2E_LBL=(--label "$E2E_LABEL=$E2E_RUN" --label "$E2E_SCOPE_LABEL=$1")
}

# e2e_remove LABEL=VALUE: removes every container (with its anonymous
# volumes), network and image carrying that label.  Returns 1, naming what is
# left on stderr, when something could not be removed.
e2e_remove() {
    local f=label=$1 ids vols left=""
    ids=$(docker ps -aq --filter "$f" 2>/dev/null)
    if [ -n "$ids" ]; then
        # shellcheck disable=SC2086  # one id per word
        vols=$(docker inspect -f '{{range .Mounts}}{{if eq .Type "volume"}}{{.Name}} {{end}}{{end}}' $ids 2>/dev/null)
        # shellcheck disable=SC2086
        docker rm -fv $ids >/dev/null 2>&1
        for v in $vols; do
            docker volume inspect "$v" >/dev/null 2>&1 && left+=" volume:$v"
        done
    fi
    ids=$(docker network ls -q --filter "$f" 2>/dev/null)
    # shellcheck disable=SC2086
    [ -n "$ids" ] && docker network rm $ids >/dev/null 2>&1
    ids=$(docker image ls -q --filter "$f" 2>/dev/null | sort -u)
    # shellcheck disable=SC2086
    [ -n "$ids" ] && docker rmi -f $ids >/dev/null 2>&1
    left+=$(docker ps -aq --filter "$f" | sed 's/^/ container:/' | tr -d '\n')
    left+=$(docker network ls -q --filter "$f" | sed 's/^/ network:/' | tr -d '\n')
    left+=$(docker image ls -q --filter "$f" | sed 's/^/ image:/' | tr -d '\n')
    if [ -n "$left" ]; then
        echo "e2e: left behind for $1:$left" >&2
        return 1
    fi
    return 0
}

# e2e_network NAME SCOPE: a user-defined bridge network with a subnet of our
# own choosing (a fixed --ip, as test 4 needs, only works on such a network).
# Tries random 10.214.X.0/24 subnets until one does not overlap.  Prints the
# subnet.
e2e_network() {
    local i subnet
    e2e_labels "$2"
    for i in 1 2 3 4 5 6 7 8 9 10; do
        subnet=10.214.$(( (RANDOM + i) % 250 + 1 )).0/24
        if docker network create --driver bridge --subnet "$subnet" "${E2E_LBL[@]}" "$1" >/dev/null 2>&1; then
            echo "$subnet"
            return 0
        fi
    done
    docker network create --driver bridge "${E2E_LBL[@]}" "$1" 2>&1 | sed 's/^/# /' >&2
    return 1
}

# e2e_ip CONTAINER NETWORK: the container's address on that network.
e2e_ip() {
    docker inspect -f "{{with index .NetworkSettings.Networks \"$2\"}}{{.IPAddress}}{{end}}" "$1" 2>/dev/null
}

# e2e_cql_ping ADDRESS: the native transport answers OPTIONS (checked from the
# host, not with cass-entry's own probe).
e2e_cql_ping() { python3 "$E2E_DIR/cql_ping.py" "$1" 9042 2 2>/dev/null; }

# e2e_ring_rows CONTAINER: `nodetool status` run in the node, as "STATE ADDRESS"
# lines (UN 10.214.3.2), sorted.  Rows match ^([UD?])([NJLM])\s+(\S+).
e2e_ring_rows() {
    docker exec "$1" nodetool status 2>/dev/null \
        | awk '$1 ~ /^[UD?][NJLM]$/ { print $1, $2 }' | sort
}

# e2e_logs_tail CONTAINER [N]: cass-entry's own last lines (the reason it
# stopped a node is often above Cassandra's shutdown lines), then the last N
# log lines, as TAP comments.
e2e_logs_tail() {
    local log
    log=$(docker logs "$1" 2>&1)
    grep '^cass-entry' <<<"$log" | tail -n 12 | cut -c1-220 | sed 's/^/#   /'
    echo "#   -- the last ${2:-25} lines:"
    tail -n "${2:-25}" <<<"$log" | cut -c1-220 | sed 's/^/#   /'
}

# e2e_wait_ready CONTAINER NETWORK TIMEOUT_S ADDRESS...: waits until the
# container runs, CQL answers on its address, and ITS `nodetool status` lists
# exactly the given addresses, every one UN (no UJ, no D, no stranger).
# Returns 0 when ready; 1 otherwise, with the reason in E2E_WHY.
# E2E_READY_AT gets the moment (e2e_now) readiness was seen.
e2e_wait_ready() {
    local c=$1 net=$2 timeout=$3 ip want rows="" state
    shift 3
    want=$(for a in "$@"; do echo "UN $a"; done | sort)
    E2E_WHY="" E2E_READY_AT=""
    local deadline=$((SECONDS + timeout))
    while [ $SECONDS -lt $deadline ]; do
        state=$(docker inspect -f '{{.State.Status}} {{.State.ExitCode}} {{.State.OOMKilled}}' "$c" 2>/dev/null) \
            || { E2E_WHY="container $c does not exist"; return 1; }
        if [ "${state%% *}" != running ]; then
            E2E_WHY="container $c is not running (status, exit code, OOM killed: $state)"
            return 1
        fi
        ip=$(e2e_ip "$c" "$net")
        if [ -n "$ip" ] && e2e_cql_ping "$ip"; then
            rows=$(e2e_ring_rows "$c")
            if [ "$rows" = "$want" ]; then
                E2E_READY_AT=$(e2e_now)
                return 0
            fi
            sleep 1
        else
            sleep 0.5
        fi
    done
    E2E_WHY="$c not ready within ${timeout}s: want [$(echo "$want" | tr '\n' ' ')], nodetool status says [$(echo "$rows" | tr '\n' ' ')]"
    return 1
}

# e2e_start_ring NETWORK SCOPE COUNT MEMORY TIMEOUT_S JVM_EXTRA_OPTS
# Starts cass1..cassCOUNT exactly as the original set-up did,
#     docker run -d --name cass1 IMAGE cass1    (then cass2, cass3: same seed)
# one after the other, each once the previous is ready (e2e_wait_ready over
# every node started so far).  The container names carry the run id so runs
# never clash; inside the network each node is also known by its short name
# (network alias cass1...), which is what the seed argument names.
# Sets E2E_RING (container names), E2E_RING_IPS, E2E_RING_T0 (just before
# the first docker run) and E2E_RING_READY (seconds from T0 at which each
# node was seen ready).  Returns 1 with E2E_WHY on the first failure.
e2e_start_ring() {
    local net=$1 scope=$2 count=$3 mem=$4 timeout=$5 jvm=$6 i name env=()
    E2E_RING=() E2E_RING_IPS=() E2E_RING_READY=()
    [ -n "$jvm" ] && env=(-e "JVM_EXTRA_OPTS=$jvm")
    e2e_labels "$scope"
    E2E_RING_T0=$(e2e_now)
    for ((i = 1; i <= count; i++)); do
        name=$E2E_RUN-cass$i
        if ! docker run -d --name "$name" --network "$net" --network-alias "cass$i" \
                --memory "$mem" --stop-timeout 120 "${E2E_LBL[@]}" "${env[@]}" \
                "$E2E_IMAGE" cass1 >/dev/null 2>"$E2E_TMP/run.err"; then
            E2E_WHY="docker run cass$i failed: $(tr '\n' ' ' <"$E2E_TMP/run.err")"
            return 1
        fi
        E2E_RING+=("$name")
        E2E_RING_IPS+=("$(e2e_ip "$name" "$net")")
        e2e_wait_ready "$name" "$net" "$timeout" "${E2E_RING_IPS[@]}" || return 1
        E2E_RING_READY+=("$(awk -v a="$E2E_RING_T0" -v b="$E2E_READY_AT" 'BEGIN { printf "%.1f", b - a }')")
    done
    return 0
}

# e2e_suite_begin SUITE NETWORK_KIND: how a Docker suite of one-node tests
# (firststart, tls) begins.  Defines the TAP helpers ok, not_ok, fatal and
# comment; on exit removes what the run labelled and E2E_TMP; needs root;
# reports shellcheck of tests/suites/SUITE.sh; builds the image (E2E_IMAGE,
# from image/build.sh) and creates the network $NET (its subnet in SUBNET).
e2e_suite_begin() {
    local suite=$1 kind=$2
    ok()      { echo "ok - $*"; }
    not_ok()  { echo "not ok - $*"; }
    fatal()   { not_ok "$*"; exit 1; }
    comment() { sed 's/^/# /'; }
    # shellcheck disable=SC2317  # run by the trap
    e2e_suite_end() {
        local rc=$?
        e2e_remove "$E2E_LABEL=$E2E_RUN" 2>&1 | comment
        rm -rf "$E2E_TMP"
        exit "$rc"
    }
    trap e2e_suite_end EXIT
    [ "$(id -u)" -eq 0 ] || fatal "the $suite suite needs root (it starts dockerd and builds images)"
    if command -v shellcheck >/dev/null && shellcheck -x "tests/suites/$suite.sh" >"$E2E_TMP/sc" 2>&1; then
        ok "shellcheck clean: tests/suites/$suite.sh"
    else
        comment <"$E2E_TMP/sc"; not_ok "shellcheck findings (or no shellcheck) in tests/suites/$suite.sh"
    fi
    E2E_IMAGE=$(image/build.sh 2>"$E2E_TMP/build.err" | tail -n 1)
    [ -n "$E2E_IMAGE" ] || { tail -20 "$E2E_TMP/build.err" | comment; fatal "image/build.sh failed"; }
    SUBNET=$(e2e_network "$NET" "$kind") || fatal "could not create the network $NET"
}
