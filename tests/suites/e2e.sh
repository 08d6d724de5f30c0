#!/usr/bin/env bash
# tests/suites/e2e.sh: the product image against a real Cassandra 5.0.1, end to
# end, as issue 4 lists it.  Builds everything with image/build.sh (cached),
# then on a user-defined bridge network, every node limited with --memory:
#
#  1. cass1, cass2, cass3 started as in the original set-up (`IMAGE cass1`),
#     one after the other, each once the previous is ready; `nodetool status`
#     on every node: 3 x UN; Docker's HEALTHCHECK reports them healthy.
#  2. The -Xmx of each JVM (/proc/1/cmdline) equals the heap THIS SCRIPT
#     computes from the --memory limit with 5.0.1's cassandra-env.sh formula;
#     after a write load (QUORUM, RF 3) no container was OOM-killed.
#  3. cqlsh: a keyspace with RF 3, rows written at QUORUM through cass1, read
#     back through cass3.
#  5. cassandra.yaml in each node differs from the image's only in the
#     intended values (byte diff + parse, tests/e2e/yaml_intended.py).
#  7. The static cass-entry alone in a FROM scratch image resolves a peer by
#     name over Docker's DNS (see test7 for how, and why that way).
#  4. docker stop -t 120 cass2 is graceful; another container takes its old
#     address; cass2 restarts with a new one, its cassandra.yaml follows, it
#     is UN again and the rows of test 3 are still there.
#  6. Single-node clusters, each on its own network, removed after: conf dir
#     bind-mounted read-only; --user 999; a bad variable (exit 78 at once).
#
# 1-5 and 7 share one ring (started once, fast start flags from
# tests/e2e/lib.sh); it is removed before 6 runs.  Everything is labelled with
# this run's id; each test removes what it created when it ends, and the run
# removes everything left on exit, whatever the exit.  TAP lines; "# time:"
# lines; the suite's total time last.
#
# Knobs: E2E_MEMORY (1.5g per node), E2E_NODE_TIMEOUT (300 s per node start),
# E2E_LOAD_ROWS (50000 rows of 1 KiB for the write load).
set -uo pipefail
cd "$(dirname "$0")/../.." || exit 1
ROOT=$PWD

E2E_RUN=e2e-$$-$(date +%s)
E2E_TMP=$(mktemp -d /tmp/cass-entry-e2e.XXXXXX)
# shellcheck source=tests/e2e/lib.sh
. tests/e2e/lib.sh

MEM=${E2E_MEMORY:-1.5g}
NODE_TIMEOUT=${E2E_NODE_TIMEOUT:-300}
LOAD_ROWS=${E2E_LOAD_ROWS:-50000}
NET=$E2E_RUN-net

ok()      { echo "ok - $*"; }
not_ok()  { echo "not ok - $*"; }
fatal()   { not_ok "$*"; exit 1; }
timing()  { echo "# time: $*"; }
comment() { sed 's/^/# /'; }

suite_t0=$(e2e_now)
finish() {
    local rc=$?
    e2e_remove "$E2E_LABEL=$E2E_RUN" 2>&1 | comment
    rm -rf "$E2E_TMP"
    timing "suite e2e $(e2e_since "$suite_t0")s"
    exit $rc
}
trap finish EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# in_scope SCOPE FUNCTION [ARGS]: run one test in a subshell that removes the
# objects labelled with SCOPE when it ends, however it ends.  Interrupted, the
# subshell cleans up and exits 130/143; bash then skips its parent's own INT
# trap (the child "handled" the signal), so the parent stops here itself.
in_scope() {
    local scope=$1 rc
    shift
    (
        trap 'e2e_remove "$E2E_SCOPE_LABEL=$scope" 2>"$E2E_TMP/rm.err" ||
                { comment <"$E2E_TMP/rm.err"; not_ok "$scope: its clean-up left objects behind"; }' EXIT
        trap 'exit 130' INT
        trap 'exit 143' TERM
        "$@"
    )
    rc=$?
    if [ $rc -eq 130 ] || [ $rc -eq 143 ]; then
        not_ok "$scope: interrupted"
        exit $rc
    fi
}

# ---- preconditions: each failure is a `not ok` that says what is missing --------
[ "$(id -u)" -eq 0 ] || fatal "the e2e suite needs root (it starts dockerd and builds images)"
command -v python3 >/dev/null || fatal "python3 is missing (tests/e2e/*.py need it; image/install-deps.sh installs it)"
python3 -c 'import yaml' 2>/dev/null || fatal "python3-yaml is missing (tests/e2e/yaml_intended.py; image/install-deps.sh installs it)"

mine=(image/build.sh tests/suites/e2e.sh tests/e2e/lib.sh bench/e2e.sh)
if ! command -v shellcheck >/dev/null; then
    not_ok "shellcheck is missing (image/install-deps.sh installs it)"
elif shellcheck -x "${mine[@]}" >"$E2E_TMP/sc.out" 2>&1; then
    ok "shellcheck clean: ${mine[*]}"
else
    comment <"$E2E_TMP/sc.out"; not_ok "shellcheck findings in ${mine[*]}"
fi

t=$(e2e_now)
if ! E2E_IMAGE=$(image/build.sh 2>"$E2E_TMP/build.err" | tail -n 1) || [ -z "$E2E_IMAGE" ]; then
    tail -n 30 "$E2E_TMP/build.err" | comment
    why=$(sed -n 's/^build.sh: error: //p' "$E2E_TMP/build.err" | tail -n 1)
    fatal "image/build.sh could not build the product image: ${why:-see above}"
fi
ok "image/build.sh builds $E2E_IMAGE (engine: $(docker info --format 'Docker {{.ServerVersion}}, {{.Driver}}, cgroup v{{.CgroupVersion}}' 2>/dev/null))"
grep '^build.sh: ' "$E2E_TMP/build.err" | comment
timing "image/build.sh $(e2e_since "$t")s"
docker info >/dev/null 2>&1 || fatal "the Docker engine stopped answering after image/build.sh"

# The second run must be the cached one: same image, seconds.
id1=$(docker image inspect -f '{{.Id}}' "$E2E_IMAGE")
t=$(e2e_now)
image/build.sh >/dev/null 2>&1; rc=$?
second=$(e2e_since "$t")
if [ $rc -eq 0 ] && [ "$(docker image inspect -f '{{.Id}}' "$E2E_IMAGE")" = "$id1" ] \
   && awk -v s="$second" 'BEGIN { exit !(s < 20) }'; then
    ok "image/build.sh again: cached, same image id, ${second}s (< 20s)"
else
    not_ok "image/build.sh again: status $rc, ${second}s, image id $(docker image inspect -f '{{.Id}}' "$E2E_IMAGE" | cut -c1-19) (was ${id1:0:19})"
fi

VERSION=$(docker image inspect -f '{{range .Config.Env}}{{println .}}{{end}}' "$E2E_IMAGE" \
          | sed -n 's/^CASSANDRA_VERSION=//p')
[ -n "$VERSION" ] || fatal "$E2E_IMAGE has no CASSANDRA_VERSION in its environment"
if [ "$VERSION" = "$(cat image/cassandra.version)" ]; then
    ok "$E2E_IMAGE runs Cassandra $VERSION, the version in image/cassandra.version"
else
    not_ok "$E2E_IMAGE runs Cassandra $VERSION, image/cassandra.version says $(cat image/cassandra.version)"
fi
# An image that sets ENTRYPOINT clears the CMD it inherits: ours states it.
cmd=$(docker image inspect -f '{{json .Config.Entrypoint}} {{json .Config.Cmd}}' "$E2E_IMAGE")
if [ "$cmd" = '["/usr/local/bin/cass-entry"] ["cassandra","-f"]' ]; then
    ok "entrypoint cass-entry, CMD [\"cassandra\",\"-f\"] stated ($cmd)"
else
    not_ok "entrypoint and CMD: $cmd"
fi

SUBNET=$(e2e_network "$NET" ring) || fatal "could not create the bridge network $NET"
ok "bridge network $NET ($SUBNET)"

# ---- test 1: the ring, as in the original set-up --------------------------------
RING_OK=
t=$(e2e_now)
if e2e_start_ring "$NET" ring 3 "$MEM" "$NODE_TIMEOUT" "$E2E_FAST_OPTS"; then
    RING_OK=1
else
    for c in "${E2E_RING[@]}"; do echo "# $c:"; e2e_logs_tail "$c" 20; done
fi
for i in "${!E2E_RING_READY[@]}"; do
    ok "1 ring: cass$((i + 1)) (\`$E2E_IMAGE cass1\`, --memory $MEM) ready after ${E2E_RING_READY[$i]}s: CQL answers, its nodetool status shows $((i + 1)) x UN"
done
[ -n "$RING_OK" ] || not_ok "1 ring: cass$((${#E2E_RING_READY[@]} + 1)) not ready: $E2E_WHY"
timing "ring of 3 (fast start flags) $(e2e_since "$t")s"

C1=$E2E_RUN-cass1 C2=$E2E_RUN-cass2 C3=$E2E_RUN-cass3
if [ -n "$RING_OK" ]; then
    IP1=${E2E_RING_IPS[0]} IP2=${E2E_RING_IPS[1]} IP3=${E2E_RING_IPS[2]}
    want=$(printf 'UN %s\n' "$IP1" "$IP2" "$IP3" | sort)
    for c in "$C1" "$C2" "$C3"; do
        rows=$(e2e_ring_rows "$c")
        if [ "$rows" = "$want" ]; then
            ok "1 ring: nodetool status on ${c#"$E2E_RUN"-}: 3 x UN ($(echo "$rows" | awk '{print $2}' | tr '\n' ' '))"
        else
            not_ok "1 ring: nodetool status on ${c#"$E2E_RUN"-}: [$(echo "$rows" | tr '\n' ' ')], want [$(echo "$want" | tr '\n' ' ')]"
        fi
    done
    # The HEALTHCHECK (cass-entry --probe, every 10 s) must agree.
    deadline=$((SECONDS + 40))
    while :; do
        health=$(for c in "$C1" "$C2" "$C3"; do docker inspect -f '{{.State.Health.Status}}' "$c"; done | tr '\n' ' ')
        [ "$health" = "healthy healthy healthy " ] || [ $SECONDS -ge $deadline ] && break
        sleep 2
    done
    if [ "$health" = "healthy healthy healthy " ]; then ok "1 ring: docker reports the 3 nodes healthy (HEALTHCHECK cass-entry --probe)"
    else not_ok "1 ring: docker health of the 3 nodes: $health"; fi
fi

# ---- test 2: the heap, and a write load without OOM kill ------------------------
# The heap 5.0.1's cassandra-env.sh would compute if it read the container's
# limit: max(min(RAM/2, 1024), min(RAM/4, 8192)) MiB, integer division as in
# its shell arithmetic.
expected_heap_mb() {
    local mb=$1 half quarter
    half=$((mb / 2)); [ $half -gt 1024 ] && half=1024
    quarter=$((mb / 4)); [ $quarter -gt 8192 ] && quarter=8192
    echo $((half > quarter ? half : quarter))
}
# The last -Xmx on PID 1's command line (the JVM takes the last one), in MiB.
xmx_mb() {
    docker exec "$1" cat /proc/1/cmdline | tr '\0' '\n' | sed -n 's/^-Xmx//p' | tail -n 1 \
        | awk '/^[0-9]+[kK]$/ { printf "%d\n", $0 / 1024; next }
               /^[0-9]+[mM]$/ { printf "%d\n", $0; next }
               /^[0-9]+[gG]$/ { printf "%d\n", $0 * 1024; next }
               /^[0-9]+$/     { printf "%d\n", $0 / 1048576; next }
               { print "unparsable:" $0 }'
}
oom_check() {  # WHEN CONTAINER...: none was OOM-killed, all still run, none restarted
    local when=$1 c st peak
    shift
    for c in "$@"; do
        st=$(docker inspect -f '{{.State.Running}} {{.State.OOMKilled}} {{.RestartCount}}' "$c" 2>&1)
        # Peak memory of the container's cgroup (v1 or v2), for the record.
        id=$(docker inspect -f '{{.Id}}' "$c")
        peak=$(cat "/sys/fs/cgroup/memory/docker/$id/memory.max_usage_in_bytes" \
                   "/sys/fs/cgroup/system.slice/docker-$id.scope/memory.peak" 2>/dev/null | head -n 1)
        if [ "$st" = "true false 0" ]; then
            ok "2 $when: ${c#"$E2E_RUN"-} not OOM-killed (State.OOMKilled false), running, never restarted${peak:+; peak memory $(numfmt --to=iec "$peak") of $MEM}"
        else
            not_ok "2 $when: ${c#"$E2E_RUN"-}: running, OOMKilled, restarts = $st"
        fi
    done
}
test2() {
    local c lim mb want got load
    for c in "$C1" "$C2" "$C3"; do
        lim=$(docker inspect -f '{{.HostConfig.Memory}}' "$c")
        mb=$((lim / 1048576))
        want=$(expected_heap_mb "$mb")
        got=$(xmx_mb "$c")
        if [ "$lim" -gt 0 ] && [ "$got" = "$want" ]; then
            ok "2 heap: ${c#"$E2E_RUN"-} runs with -Xmx ${got}M = max(min($mb/2,1024), min($mb/4,8192)) for --memory $MEM"
        else
            not_ok "2 heap: ${c#"$E2E_RUN"-}: -Xmx from /proc/1/cmdline is '${got}' MiB, the formula gives $want MiB for a limit of $lim bytes"
        fi
    done
    e2e_labels t2
    local t0
    t0=$(e2e_now)
    # --init: a signal (an interrupted run) reaches python, not ignored by PID 1.
    if load=$(docker run --rm --init --network "$NET" --memory 512m "${E2E_LBL[@]}" \
                  -v "$ROOT/tests/e2e:/e2e:ro" -e PYTHONPATH=/opt/cassandra/pylib \
                  "$E2E_IMAGE" python3 /e2e/write_load.py cass1 e2e_load "$LOAD_ROWS" 1024 32 2>&1); then
        ok "2 load: $(echo "$load" | tail -n 1) at QUORUM through cass1"
    else
        echo "$load" | tail -n 10 | comment
        not_ok "2 load: the write load failed"
    fi
    timing "write load $(e2e_since "$t0")s"
    oom_check "after the load" "$C1" "$C2" "$C3"
}

# ---- test 3: cqlsh, RF 3, QUORUM write through one node, read through another ---
cqlsh_via() {  # NODE_ALIAS CQLSH_ARGS...: cqlsh in a client container of the image
    e2e_labels t3
    docker run --rm --init --network "$NET" --memory 512m "${E2E_LBL[@]}" -v "$E2E_TMP/t3:/cql:ro" \
        "$E2E_IMAGE" cqlsh "$@"
}
# The rows of e2e.rows as "id value" lines, sorted, from cqlsh's table output.
cql_rows() { awk -F'|' '/^ *[0-9]+ \| / { gsub(/ /, "", $1); gsub(/^ +| +$/, "", $2); print $1, $2 }' | sort; }
test3() {
    mkdir -p "$E2E_TMP/t3"
    local i out
    {
        echo "CREATE KEYSPACE e2e WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 3};"
        echo "CREATE TABLE e2e.rows (id int PRIMARY KEY, val text);"
        echo "CONSISTENCY QUORUM;"
    } >"$E2E_TMP/t3/write.cql"
    for i in $(seq 1 100); do
        echo "$i v$i-$(od -An -N6 -tx1 /dev/urandom | tr -d ' \n')"
    done >"$E2E_TMP/t3/expected"
    sort -o "$E2E_TMP/t3/expected" "$E2E_TMP/t3/expected"
    awk '{ printf "INSERT INTO e2e.rows (id, val) VALUES (%s, '\''%s'\'');\n", $1, $2 }' \
        "$E2E_TMP/t3/expected" >>"$E2E_TMP/t3/write.cql"
    if out=$(cqlsh_via cass1 -f /cql/write.cql 2>&1) && ! grep -qiE 'error|exception' <<<"$out"; then
        ok "3 cqlsh: connected to cass1, created keyspace e2e (SimpleStrategy, RF 3), wrote 100 rows at QUORUM"
    else
        echo "$out" | tail -n 10 | comment
        not_ok "3 cqlsh: writing through cass1 failed"
        return
    fi
    out=$(cqlsh_via cass3 -e "SELECT replication FROM system_schema.keyspaces WHERE keyspace_name = 'e2e';" 2>&1)
    if grep -q "'replication_factor': '3'" <<<"$out"; then ok "3 cqlsh: cass3 sees keyspace e2e with replication_factor 3"
    else echo "$out" | comment; not_ok "3 cqlsh: cass3 does not see e2e with RF 3"; fi
    if ! grep -q 'WARNING' <<<"$out"; then ok "3 cqlsh: no version warning (it is the cqlsh of this server's release)"
    else grep WARNING <<<"$out" | comment; not_ok "3 cqlsh printed a warning"; fi
    out=$(cqlsh_via cass3 -e "CONSISTENCY QUORUM; SELECT id, val FROM e2e.rows;" 2>&1)
    if [ "$(cql_rows <<<"$out")" = "$(cat "$E2E_TMP/t3/expected")" ]; then
        ok "3 cqlsh: the 100 rows read back at QUORUM through cass3 are the rows written"
    else
        echo "$out" | tail -n 5 | comment
        not_ok "3 cqlsh: read through cass3 returned $(cql_rows <<<"$out" | wc -l) rows, not the 100 written"
    fi
}

# ---- test 5: cassandra.yaml differs from the image's only where intended -------
# The conf dir Cassandra really uses: the one directory on its classpath
# (cassandra.in.sh puts $CASSANDRA_CONF first; the image's CASSANDRA_INCLUDE
# moves it last, for the CDS archive; /proc/1/environ is not readable across
# uids).
conf_dir_of() {
    docker exec "$1" cat /proc/1/cmdline | tr '\0' '\n' | grep -A1 -xE -- '-cp|-classpath' | tail -n 1 |
        tr ':' '\n' | grep -v -e '\.jar$' -e '\*' -e '^$' | head -n 1
}
yaml_check() {  # TEST CONTAINER IP: the intended values computed here from the container's facts
    local c=$2 ip=$3 conf
    conf=$(conf_dir_of "$c")
    if ! docker exec "$c" cat "$conf/cassandra.yaml" >"$E2E_TMP/node.yaml" 2>"$E2E_TMP/cat.err"; then
        comment <"$E2E_TMP/cat.err"; not_ok "$1: cannot read $conf/cassandra.yaml in ${c#"$E2E_RUN"-}"; return
    fi
    if python3 "$E2E_DIR/yaml_intended.py" "$E2E_TMP/orig.yaml" "$E2E_TMP/node.yaml" \
           "listen_address=$ip" "broadcast_address=$ip" "rpc_address=0.0.0.0" \
           "broadcast_rpc_address=$ip" "seed_provider[0].parameters[0].seeds=cass1" >"$E2E_TMP/yd.out"; then
        ok "$1: ${c#"$E2E_RUN"-}'s $conf/cassandra.yaml = the image's but for listen/broadcast/broadcast_rpc_address $ip, rpc_address 0.0.0.0, seeds cass1 ($(tail -n 1 "$E2E_TMP/yd.out" | sed 's/^# //'))"
    else
        comment <"$E2E_TMP/yd.out"; not_ok "$1: ${c#"$E2E_RUN"-}'s cassandra.yaml differs from the image's in more than the intended values"
    fi
}
test5() {
    if ! docker run --rm --entrypoint cat "$E2E_IMAGE" /etc/cassandra/cassandra.yaml >"$E2E_TMP/orig.yaml" 2>&1; then
        not_ok "5 yaml: cannot read the image's own /etc/cassandra/cassandra.yaml"; return
    fi
    yaml_check "5 yaml" "$C1" "$IP1"
    yaml_check "5 yaml" "$C2" "$IP2"
    yaml_check "5 yaml" "$C3" "$IP3"
}

# ---- test 7: the static binary alone resolves a peer by name --------------------
# cass-entry has no resolve command.  What it has: a listen address given as
# a host name is resolved (getaddrinfo, musl) and must be one of the node's own
# addresses; a peer's name fails that check with a message naming the address
# it resolved to.  So a FROM scratch container on the ring's network, told
# CASSANDRA_LISTEN_ADDRESS=cass1, must exit 78 naming cass1's address (taken
# here from docker inspect); a name that exists nowhere must not resolve; and
# cass1 is not in the container's /etc/hosts, so the answer came from Docker's
# embedded DNS through /etc/resolv.conf.
test7() {
    local ctx=$E2E_TMP/scratch img=cass-entry-e2e-scratch:$E2E_RUN out code c
    mkdir -p "$ctx"
    cp "$ROOT/build/static/cass-entry" "$ctx/" || { not_ok "7 scratch: build/static/cass-entry missing"; return; }
    printf 'FROM scratch\nCOPY cass-entry /cass-entry\nENTRYPOINT ["/cass-entry"]\n' >"$ctx/Dockerfile"
    e2e_labels t7
    if ! DOCKER_BUILDKIT=0 docker build -q "${E2E_LBL[@]}" -t "$img" "$ctx" >"$E2E_TMP/t7.build" 2>&1; then
        comment <"$E2E_TMP/t7.build"; not_ok "7 scratch: docker build of a FROM scratch image failed"; return
    fi
    c=$E2E_RUN-t7-peer
    docker create --name "$c" --network "$NET" "${E2E_LBL[@]}" -e CASSANDRA_LISTEN_ADDRESS=cass1 "$img" >/dev/null
    docker start "$c" >/dev/null
    code=$(timeout 30 docker wait "$c")
    out=$(docker logs "$c" 2>&1)
    docker cp "$c:/etc/hosts" - 2>/dev/null | tar -xO >"$E2E_TMP/t7.hosts" 2>/dev/null
    echo "$out" | comment
    if [ "$code" = 78 ] && grep -qF "resolves to $IP1," <<<"$out" && [ -s "$E2E_TMP/t7.hosts" ] \
       && ! grep -qF "$IP1" "$E2E_TMP/t7.hosts"; then
        ok "7 scratch: static cass-entry alone (FROM scratch) resolved the peer cass1 to $IP1 through Docker's DNS (not in its /etc/hosts)"
    else
        not_ok "7 scratch: exit $code; want 78 and cass1 resolved to $IP1, with $IP1 absent from /etc/hosts ($(tr '\n' ' ' <"$E2E_TMP/t7.hosts"))"
    fi
    out=$(docker run --rm --network "$NET" "${E2E_LBL[@]}" -e "CASSANDRA_LISTEN_ADDRESS=nosuchpeer-$$" "$img" 2>&1)
    code=$?
    if [ $code = 78 ] && grep -q "does not resolve" <<<"$out"; then
        ok "7 scratch: control: a name no container has does not resolve (exit 78)"
    else
        echo "$out" | comment; not_ok "7 scratch: control: an unknown name gave exit $code"
    fi
}

# ---- test 4: stop cass2, lose its address, start it again ----------------------
test4() {
    local old new t0 took code out squat=$E2E_RUN-t4-squatter
    old=$(e2e_ip "$C2" "$NET")
    t0=$(e2e_now)
    docker stop -t 120 "$C2" >/dev/null
    took=$(e2e_since "$t0")
    code=$(docker inspect -f '{{.State.ExitCode}}' "$C2")
    echo "# docker stop -t 120 cass2: ${took}s, exit code $code, OOMKilled $(docker inspect -f '{{.State.OOMKilled}}' "$C2")"
    # Graceful: Cassandra's own shutdown hook ran to its end (drain), the peers
    # were told (gossip "shutdown" state, not a failure detector conviction),
    # and Docker did not have to SIGKILL it (137) at the 120 s deadline.
    # (Logs captured first: grep -q would stop reading early, and under
    # pipefail the writer's SIGPIPE would fail the pipeline.)
    local log2 log1
    log2=$(docker logs "$C2" 2>&1)
    log1=$(docker logs --since 5m "$C1" 2>&1)
    if grep -q 'StorageServiceShutdownHook.*Cassandra shutdown complete' <<<"$log2" \
       && grep -qF "Node /$old:7000 state jump to shutdown" <<<"$log1" \
       && [ "$code" != 137 ] && awk -v s="$took" 'BEGIN { exit !(s < 120) }'; then
        ok "4 restart: docker stop -t 120 cass2 was graceful in ${took}s (log: shutdown hook complete; cass1 saw state shutdown), exit code $code"
    else
        e2e_logs_tail "$C2" 10
        not_ok "4 restart: docker stop of cass2 not graceful (${took}s, exit code $code)"
    fi
    e2e_labels t4
    if docker run -d --name "$squat" --network "$NET" --ip "$old" "${E2E_LBL[@]}" \
           --entrypoint sleep "$E2E_IMAGE" infinity >/dev/null 2>"$E2E_TMP/t4.err" \
       && [ "$(e2e_ip "$squat" "$NET")" = "$old" ]; then
        ok "4 restart: another container took cass2's old address $old"
    else
        comment <"$E2E_TMP/t4.err"; not_ok "4 restart: could not start a container on $old"
    fi
    t0=$(e2e_now)
    docker start "$C2" >/dev/null 2>"$E2E_TMP/t4.err" || comment <"$E2E_TMP/t4.err"
    new=$(e2e_ip "$C2" "$NET")
    if [ -n "$new" ] && [ "$new" != "$old" ]; then ok "4 restart: cass2 started again with a new address $new (was $old)"
    else not_ok "4 restart: cass2's address after the restart is '$new' (was $old)"; fi
    if e2e_wait_ready "$C2" "$NET" "$NODE_TIMEOUT" "$IP1" "$new" "$IP3"; then
        local want rows bad="" tries
        want=$(printf 'UN %s\n' "$IP1" "$new" "$IP3" | sort)
        # The other nodes learn the new address by gossip, a few seconds after
        # cass2 itself is ready: their views must converge, within 60 s.
        for tries in $(seq 1 30); do
            bad=""
            for c in "$C1" "$C3"; do
                rows=$(e2e_ring_rows "$c")
                [ "$rows" = "$want" ] || bad+=" ${c#"$E2E_RUN"-}:[$(echo "$rows" | tr '\n' ' ')]"
            done
            [ -z "$bad" ] && break
            [ "$tries" -lt 30 ] && sleep 2
        done
        if [ -z "$bad" ]; then ok "4 restart: cass2 is UN again at $new after $(e2e_since "$t0")s; every node shows 3 x UN, $old gone"
        else not_ok "4 restart: cass2 is UN but other nodes disagree:$bad"; fi
    else
        e2e_logs_tail "$C2" 20
        not_ok "4 restart: $E2E_WHY"
    fi
    yaml_check "4 restart: cassandra.yaml follows" "$C2" "$new"
    local out
    out=$(cqlsh_via cass2 -e "CONSISTENCY QUORUM; SELECT id, val FROM e2e.rows;" 2>&1)
    if [ -s "$E2E_TMP/t3/expected" ] && [ "$(cql_rows <<<"$out")" = "$(cat "$E2E_TMP/t3/expected")" ]; then
        ok "4 restart: the 100 rows of test 3 are still there (QUORUM read through cass2)"
    else
        echo "$out" | tail -n 5 | comment
        not_ok "4 restart: reading test 3's rows through cass2 gave $(cql_rows <<<"$out" | wc -l) rows, want 100"
    fi
    # cass2's own replica survived on its volume: sstables of e2e.rows, flushed by the drain.
    if docker exec "$C2" sh -c 'ls /var/lib/cassandra/data/e2e/rows-*/*-Data.db' >/dev/null 2>&1; then
        ok "4 restart: cass2's volume kept its own sstables of e2e.rows"
    else
        not_ok "4 restart: no sstable of e2e.rows on cass2's volume"
    fi
}

if [ -n "$RING_OK" ]; then
    in_scope t2 test2
    in_scope t3 test3
    in_scope t5 test5
    in_scope t7 test7
    in_scope t4 test4
    oom_check "at the end" "$C1" "$C2" "$C3"
else
    for t in "2 heap and load" "3 cqlsh" "5 yaml" "7 scratch" "4 restart"; do
        not_ok "$t: not run, the ring did not come up"
    done
fi
t=$(e2e_now)
if e2e_remove "$E2E_SCOPE_LABEL=ring" 2>"$E2E_TMP/rm.err"; then
    ok "the ring removed: its 3 containers, their volumes, the network"
else
    comment <"$E2E_TMP/rm.err"; not_ok "removing the ring left objects behind"
fi
timing "ring tests and removal $(e2e_since "$suite_t0")s since the suite started"

# ---- test 6: single-node clusters ----------------------------------------------
# single NAME [docker run options...]: a node on its own network, no seed
# argument (it seeds itself); waits until it alone is UN.  Sets NODE, NODE_IP.
single() {
    local name=$1
    shift
    NODE=$E2E_RUN-$name
    e2e_network "$NODE-net" "$name" >/dev/null || { not_ok "6 $name: no network"; return 1; }
    e2e_labels "$name"
    local t0
    t0=$(e2e_now)
    if ! docker run -d --name "$NODE" --network "$NODE-net" --memory "$MEM" "${E2E_LBL[@]}" \
             -e "JVM_EXTRA_OPTS=$E2E_FAST_OPTS" "$@" "$E2E_IMAGE" >/dev/null 2>"$E2E_TMP/run.err"; then
        comment <"$E2E_TMP/run.err"; not_ok "6 $name: docker run failed"; return 1
    fi
    NODE_IP=$(e2e_ip "$NODE" "$NODE-net")
    if e2e_wait_ready "$NODE" "$NODE-net" "$NODE_TIMEOUT" "$NODE_IP"; then
        echo "# $name: UN and CQL after $(e2e_since "$t0")s"
        return 0
    fi
    e2e_logs_tail "$NODE" 20
    not_ok "6 $name: $E2E_WHY"
    return 1
}
manifest() { (cd "$1" && find . -printf '%p %m %u %s\n' | sort && find . -type f -print0 | sort -z | xargs -0 sha256sum); }
test6_ro_conf() {
    local host=$E2E_TMP/t6-conf tmpc=$E2E_RUN-t6-ro-src conf
    e2e_labels t6-ro
    if ! docker create --name "$tmpc" "${E2E_LBL[@]}" "$E2E_IMAGE" >/dev/null \
       || ! docker cp "$tmpc:/etc/cassandra" "$host"; then
        not_ok "6 ro-conf: could not copy the image's /etc/cassandra to $host"; return
    fi
    # A value only the host's copy has, to tell its files from the image's.
    sed -i "s/^cluster_name: .*/cluster_name: 'e2e ro $$'/" "$host/cassandra.yaml"
    manifest "$host" >"$E2E_TMP/t6-before"
    single t6-ro -v "$host:/etc/cassandra:ro" || return
    ok "6 ro-conf: a node with /etc/cassandra bind-mounted read-only from the host is UN ($NODE_IP)"
    conf=$(conf_dir_of "$NODE")
    docker exec "$NODE" cat "$conf/cassandra.yaml" >"$E2E_TMP/t6.yaml" 2>/dev/null
    docker exec "$NODE" nodetool describecluster >"$E2E_TMP/t6.describe" 2>&1
    if [ -n "$conf" ] && [ "$conf" != /etc/cassandra ] && grep -qx "listen_address: $NODE_IP" "$E2E_TMP/t6.yaml" \
       && grep -qx "cluster_name: 'e2e ro $$'" "$E2E_TMP/t6.yaml" \
       && grep -qx "[[:space:]]*Name: e2e ro $$" "$E2E_TMP/t6.describe"; then
        ok "6 ro-conf: Cassandra runs on a copy of the host's files in $conf (the host's cluster_name, listen_address $NODE_IP)"
    else
        grep -E '^(cluster_name|listen_address):' "$E2E_TMP/t6.yaml" | comment
        head -n 3 "$E2E_TMP/t6.describe" | comment
        not_ok "6 ro-conf: Cassandra's conf dir is '$conf'; want a runtime copy of the host's files with listen_address $NODE_IP"
    fi
    if manifest "$host" | cmp -s - "$E2E_TMP/t6-before"; then
        ok "6 ro-conf: the host's files are unchanged (names, modes, owners, sizes, sha256)"
    else
        manifest "$host" | diff "$E2E_TMP/t6-before" - | head -n 10 | comment
        not_ok "6 ro-conf: the host's conf files changed"
    fi
}
test6_user() {
    local ids
    single t6-user --user 999 || return
    ids=$(docker exec "$NODE" cat /proc/1/status | awk '/^Uid:|^Gid:/ { print $2, $3, $4, $5 }' | tr '\n' ' ')
    if [ "$ids" = "999 999 999 999 999 999 999 999 " ]; then
        ok "6 user: a node started with --user 999 is UN ($NODE_IP), Cassandra runs as uid/gid 999"
    else
        not_ok "6 user: the node with --user 999 is UN but PID 1's uid/gid are: $ids"
    fi
}
test6_auth() {
    local conf yaml_auth i out=""
    single t6-auth -e CASSANDRA_AUTHENTICATOR=PasswordAuthenticator \
        -e CASSANDRA_AUTHORIZER=CassandraAuthorizer -e CASSANDRA_ALLOW_DEFAULT_SUPERUSER=yes || return
    conf=$(conf_dir_of "$NODE")
    yaml_auth=$(docker exec "$NODE" sh -c "grep -A1 -E '^(authenticator|authorizer):' '$conf/cassandra.yaml'" 2>&1 | tr '\n' ' ')
    if [[ $yaml_auth == *"authenticator:   class_name : PasswordAuthenticator"* && $yaml_auth == *"authorizer: CassandraAuthorizer"* ]]; then
        ok "6 auth: 5.0.1's map form set as authenticator.class_name, authorizer as a scalar ($yaml_auth)"
    else
        not_ok "6 auth: cassandra.yaml has: $yaml_auth"
    fi
    out=$(docker exec "$NODE" cqlsh "$NODE_IP" -e 'SELECT role FROM system_auth.roles' 2>&1)
    if grep -q 'AuthenticationFailed' <<<"$out"; then
        ok "6 auth: the node is UN and wants credentials: cqlsh without them is refused (AuthenticationFailed)"
    else
        echo "$out" | tail -n 3 | comment; not_ok "6 auth: cqlsh without credentials was not refused"
    fi
    # Cassandra creates the default superuser a few seconds after it starts.
    for i in $(seq 1 60); do
        out=$(docker exec "$NODE" cqlsh -u cassandra -p cassandra "$NODE_IP" \
            -e 'SELECT role, is_superuser FROM system_auth.roles' 2>&1) && grep -q 'cassandra | *True' <<<"$out" && break
        sleep 2
    done
    if grep -q 'cassandra | *True' <<<"$out"; then
        ok "6 auth: cqlsh as the default superuser reads system_auth.roles (after ~$((i * 2))s)"
    else
        echo "$out" | tail -n 3 | comment; not_ok "6 auth: the default superuser could not log in"
    fi
}
test6_bad() {
    local c=$E2E_RUN-t6-bad t0 code took out
    e2e_network "$c-net" t6-bad >/dev/null || { not_ok "6 bad variable: no network"; return; }
    e2e_labels t6-bad
    t0=$(e2e_now)
    docker run -d --name "$c" --network "$c-net" --memory "$MEM" "${E2E_LBL[@]}" \
        -e CASSANDRA_LISTEN_ADDRESS=0.0.0.0 "$E2E_IMAGE" >/dev/null
    code=$(timeout 60 docker wait "$c")
    took=$(e2e_since "$t0")
    out=$(docker logs "$c" 2>&1)
    echo "$out" | tail -n 3 | comment
    if [ "$code" = 78 ] && awk -v s="$took" 'BEGIN { exit !(s < 10) }' \
       && grep 'CASSANDRA_LISTEN_ADDRESS' <<<"$out" | grep -qF '0.0.0.0' \
       && ! grep -q '^INFO ' <<<"$out"; then
        ok "6 bad variable: CASSANDRA_LISTEN_ADDRESS=0.0.0.0 exits with 78 after ${took}s, message in docker logs, Cassandra never started"
    else
        not_ok "6 bad variable: exit code '$code' after ${took}s; want 78 at once with the variable named in docker logs"
    fi
}
t=$(e2e_now)
in_scope t6-ro test6_ro_conf
in_scope t6-user test6_user
in_scope t6-auth test6_auth
in_scope t6-bad test6_bad
timing "single-node tests $(e2e_since "$t")s"

if e2e_remove "$E2E_LABEL=$E2E_RUN" 2>"$E2E_TMP/rm.err"; then
    ok "clean-up: no container, volume, network or image of run $E2E_RUN is left"
else
    comment <"$E2E_TMP/rm.err"; not_ok "clean-up: objects of run $E2E_RUN left behind"
fi
