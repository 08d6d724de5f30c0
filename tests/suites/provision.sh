#!/usr/bin/env bash
# tests/suites/provision.sh: cass-provision against the real local engine and a
# real docker-registry this suite starts on a port of its own.  Prints TAP.
#
#   build (through the API) and a build that fails; push, checked in the
#   registry's own /v2/ catalog, tags and manifest digest; `up` pulling the
#   image from the registry; up 3, status, re-run (nothing changes), add a
#   node (up -n 4); kill -9 of a node and a rolling restart (restart), each under
#   a write load whose acknowledged keys are all read back; a node that fails its start; down (volumes kept) and
#   replace (a killed node replaced on a new volume under the write load; a running
#   node and a seed refused);
#   remove (a scale-down by decommission: refused over a keyspace of RF 4, or a seed;
#   done under the write load, every acknowledged key read back at QUORUM and ALL);
#   upgrade (a canary failing on its new image rolled back; a rolling upgrade
#   under the write load, each container's spec kept);
#   down --volumes; up on a brand-new cluster without a flag, which starts
#   all at once (initial tokens checked against an independent computation,
#   the nodes' own tokens, auto_bootstrap) and a node added to it later;
#   up --sequential (the one-at-a-time start of the first ring); --publish from the host; error paths: unreachable daemon, image
#   missing, --fresh over old data, a stopped registry.
#
# Everything it creates (containers, networks, volumes labelled with its own
# prefixes, image tags, the registry and its storage) is removed on exit,
# even on failure.  Nodes use the fast start flags (ring delay 5 s, no wait
# for gossip to settle).
# The bash -c checks get their values as arguments, on purpose.
# shellcheck disable=SC2016
set -uo pipefail
cd "$(dirname "$0")/../.." || exit 1
BUILD_DIR=${BUILD_DIR:-build}
PROV=$BUILD_DIR/cass-provision
RUN_ID=pt$$
P=$RUN_ID            # the sequential cluster: pt<pid>1..
PF=${RUN_ID}f        # the --fresh cluster
PA=${RUN_ID}a        # the --auth cluster
TAG=cass-entry:provision-test-$$
BASE=cass-entry/cassandra:$(cat image/cassandra.version)
FAST="-Dcassandra.ring_delay_ms=5000 -Dcassandra.skip_wait_for_gossip_to_settle=0"
TIMEOUT=${PROVISION_SUITE_NODE_TIMEOUT:-400}

ok()     { echo "ok - $*"; }
not_ok() { echo "not ok - $*"; }
fatal()  { not_ok "$*"; exit 1; }
show()   { sed 's/^/# /' "$@" | tail -n 40; }
# check WHAT COMMAND...: ok when the command succeeds
check()  { local what=$1; shift; if "$@"; then ok "$what"; else not_ok "$what"; fi; }
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

tmp=$(mktemp -d)
REG_PID=
# shellcheck disable=SC2317  # run by the trap
cleanup() {
    local pre
    for pre in "$P" "$PF" "$PA"; do
        docker ps -aq --filter "label=io.cass-entry.cluster=$pre" | xargs -r docker rm -fv >/dev/null 2>&1
        docker network ls -q --filter "label=io.cass-entry.cluster=$pre" | xargs -r docker network rm >/dev/null 2>&1
        docker volume ls -q --filter "label=io.cass-entry.cluster=$pre" | xargs -r docker volume rm >/dev/null 2>&1
    done
    docker images --format '{{.Repository}}:{{.Tag}}' | grep -E "(^$TAG\$|/cass-entry:$RUN_ID\$|^cass-entry:provision-upgrade(-bad)?-$$\$)" \
        | xargs -r docker rmi >/dev/null 2>&1
    [ -n "$REG_PID" ] && kill "$REG_PID" 2>/dev/null
    rm -rf "$tmp"
}
trap cleanup EXIT

# up ARGS...: cass-provision up with the suite's defaults; output in $tmp/out
up() { "$PROV" up --image "$IMAGE" --jvm-extra-opts "$FAST" --timeout "$TIMEOUT" "$@" >"$tmp/out" 2>&1; }
ids() { docker ps -aq --no-trunc --filter "label=io.cass-entry.cluster=$1" | sort; }
started_at() { ids "$1" | xargs -r docker inspect -f '{{.Name}} {{.State.StartedAt}}' 2>/dev/null | sort; }
# un_rows FILE: how many ring-table rows are UN
un_rows() { grep -cE '^\S+\s+\S+\s+\S+\s+UN\s' "$1"; }

# ---- preconditions
[ "$(id -u)" -eq 0 ] || fatal "the provision suite needs root (dockerd, registry)"
[ -x "$PROV" ] || fatal "$PROV was not built (run make)"
command -v docker-registry >/dev/null || fatal "docker-registry is not installed (image/install-deps.sh installs it)"
image/dockerd.sh >"$tmp/dockerd.log" 2>&1 || { show "$tmp/dockerd.log"; fatal "no Docker engine (image/dockerd.sh failed)"; }

if command -v shellcheck >/dev/null; then
    check "shellcheck clean: provision.sh, bench/provision.sh, this suite, the capture script" \
        shellcheck provision.sh bench/provision.sh tests/suites/provision.sh tests/unit/data/capture-nodetool-status.sh
else
    not_ok "shellcheck is not installed (image/install-deps.sh installs it)"
fi

# ---- command line
"$PROV" --help >"$tmp/help" 2>&1
check "--help exits 0 and names every command" \
    bash -c "grep -q build '$tmp/help' && grep -q push '$tmp/help' && grep -q 'up ' '$tmp/help' && grep -q status '$tmp/help' && grep -q down '$tmp/help'"
"$PROV" up --bogus >"$tmp/out" 2>&1; rc=$?
check "an unknown option: exit 2, one line with the program, the command and the option ($(head -1 "$tmp/out"))" \
    bash -c '[ "$1" -eq 2 ] && [ "$(head -1 "$2")" = "cass-provision: up: unknown option '"'"'--bogus'"'"'" ]' _ "$rc" "$tmp/out"
"$PROV" up -n >"$tmp/out" 2>&1; rc=$?
check "an option without its value: exit 2, naming it ($(head -1 "$tmp/out"))" \
    bash -c '[ "$1" -eq 2 ] && [ "$(head -1 "$2")" = "cass-provision: up: option '"'"'-n'"'"' needs a value" ]' _ "$rc" "$tmp/out"
"$PROV" up -n 0 >"$tmp/out" 2>&1; rc=$?
check "up -n 0: usage error, exit 2 ($(head -1 "$tmp/out"))" [ "$rc" -eq 2 ]
"$PROV" up --fresh --sequential >"$tmp/out" 2>&1; rc=$?
check "up --fresh --sequential: usage error, exit 2 ($(head -1 "$tmp/out"))" \
    bash -c "[ $rc -eq 2 ] && grep -q -- '--sequential' '$tmp/out'"
"$PROV" frobnicate >"$tmp/out" 2>&1; rc=$?
check "unknown command: exit 2" [ "$rc" -eq 2 ]
"$PROV" status --fresh >"$tmp/out" 2>&1; rc=$?
check "an option of up given to status: exit 2" [ "$rc" -eq 2 ]

# ---- registry (provision.sh's own step, on a port of ours)
PORT=$(free_port)
REG=127.0.0.1:$PORT
# under a lock of the caller's, as `flock FILE ./provision.sh` holds one
PROVISION_REGISTRY_DIR=$tmp/registry PROVISION_REGISTRY_LOG=$tmp/registry.log \
    flock "$tmp/caller.lock" ./provision.sh registry --registry "$REG" >"$tmp/reg.out" 2>&1 || { show "$tmp/reg.out" "$tmp/registry.log"; fatal "provision.sh registry: no registry on $REG"; }
REG_PID=$(cat "$tmp/registry-$PORT.pid")
check "provision.sh registry: docker-registry answers on $REG without auth (pid $REG_PID)" \
    curl -sf "http://$REG/v2/" -o /dev/null
held=$(for fd in /proc/"$REG_PID"/fd/*; do readlink "$fd"; done 2>/dev/null | grep -c "caller.lock")
check "the registry holds no descriptor of its caller's (a caller's flock lock is released when the caller ends)" \
    bash -c "[ '$held' = 0 ] && flock -n '$tmp/caller.lock' true"

# ---- build through the API
if [ -z "$(docker images -q "$BASE")" ] || [ ! -x build/static/cass-entry ]; then
    echo "# $BASE or the static binaries missing: image/build.sh"
    image/build.sh >"$tmp/build.sh.log" 2>&1 || { show "$tmp/build.sh.log"; fatal "image/build.sh failed"; }
fi
t=$SECONDS
if "$PROV" build -t "$TAG" --base-image "$BASE" >"$tmp/build.out" 2>&1; then
    ok "build: $TAG from the repository's Dockerfile on $BASE in $((SECONDS - t)) s"
else
    show "$tmp/build.out"; fatal "build of $TAG failed"
fi
check "build: progress lines shown (Step N/M), the image has cass-entry as ENTRYPOINT" \
    bash -c "grep -q '^Step 1/' '$tmp/build.out' && docker image inspect -f '{{json .Config.Entrypoint}}' '$TAG' | grep -q /usr/local/bin/cass-entry"

mkdir -p "$tmp/badctx"
printf 'FROM %s\nRUN echo provision-suite-fails >&2; exit 3\n' "$BASE" >"$tmp/badctx/Dockerfile"
"$PROV" build --context "$tmp/badctx" -t "cass-entry:provision-bad-$$" >"$tmp/out" 2>&1; rc=$?
check "build failing in a RUN (HTTP 200 stream with an error): exit 1, daemon's message ($(grep error "$tmp/out" | head -1 | cut -c1-150))" \
    bash -c "[ $rc -eq 1 ] && grep -q 'non-zero code: 3' '$tmp/out'"
docker rmi "cass-entry:provision-bad-$$" >/dev/null 2>&1

# build arguments and labels (what image/build-cassandra.sh passes), and
# image-label, the scripts' cache check
mkdir -p "$tmp/argctx"
# shellcheck disable=SC2016  # $GREETING is for the Dockerfile, not this shell
printf 'FROM %s\nARG GREETING\nRUN test "$GREETING" = "hello there"\n' "$BASE" >"$tmp/argctx/Dockerfile"
"$PROV" build --context "$tmp/argctx" --build-arg "GREETING=hello there" --label "suite.run=$RUN_ID" \
    --label "suite.note=a=b c" -t "cass-entry:provision-args-$$" >"$tmp/out" 2>&1; rc=$?
check "build --build-arg (read by a RUN) and --label: exit 0" bash -c "[ $rc -eq 0 ]"
check "image-label prints each label as given (values with '=' and spaces)" \
    bash -c "[ \"\$('$PROV' image-label cass-entry:provision-args-$$ suite.run)\" = '$RUN_ID' ] && [ \"\$('$PROV' image-label cass-entry:provision-args-$$ suite.note)\" = 'a=b c' ] && [ \"\$(docker image inspect -f '{{index .Config.Labels \"suite.run\"}}' cass-entry:provision-args-$$)\" = '$RUN_ID' ]"
check "image-label of a label the image lacks: an empty line, exit 0" \
    bash -c "out=\$('$PROV' image-label cass-entry:provision-args-$$ no.such) && [ -z \"\$out\" ]"
"$PROV" image-label "cass-entry:no-such-$$" suite.run >"$tmp/out" 2>&1; rc=$?
check "image-label of a missing image: exit 4, one line naming it" \
    bash -c "[ $rc -eq 4 ] && [ \$(wc -l <'$tmp/out') -eq 1 ] && grep -q 'cass-entry:no-such-$$ is not on the engine' '$tmp/out'"
"$PROV" build --context "$tmp/argctx" --label novalue >"$tmp/out" 2>&1; rc=$?
check "build --label without '=': usage error, exit 2" bash -c "[ $rc -eq 2 ] && grep -q 'expected KEY=VALUE' '$tmp/out'"
docker rmi "cass-entry:provision-args-$$" >/dev/null 2>&1

# import: a root filesystem tar on stdin (what build-base.sh sends), --change applied
mkdir -p "$tmp/rootfs/bin"
cp build/static/cass-entry "$tmp/rootfs/bin/"
tar -C "$tmp/rootfs" -c . | "$PROV" import --change 'LABEL suite.run="'"$RUN_ID"' x"' \
    --change 'CMD ["/bin/cass-entry", "--version"]' "cass-entry:provision-import-$$" >"$tmp/out" 2>&1; rc=$?
check "import: exit 0, the label and CMD given as --change, the image runs its CMD" \
    bash -c "[ $rc -eq 0 ] && [ \"\$('$PROV' image-label cass-entry:provision-import-$$ suite.run)\" = '$RUN_ID x' ] && docker run --rm cass-entry:provision-import-$$ | grep -q '^cass-entry '"
echo 'not a tar' | "$PROV" import "cass-entry:provision-import-bad-$$" >"$tmp/out" 2>&1; rc=$?
check "import of something that is not a tar: exit 1 with the daemon's reason" \
    bash -c "[ $rc -eq 1 ] && grep -q 'importing cass-entry:provision-import-bad-$$' '$tmp/out'"
docker rmi "cass-entry:provision-import-$$" "cass-entry:provision-import-bad-$$" >/dev/null 2>&1

# ---- push, checked in the registry
if "$PROV" push --image "$TAG" --registry "$REG" --repo "cass-entry:$RUN_ID" --digest-file "$tmp/digest" >"$tmp/push.out" 2>&1; then
    ok "push: $REG/cass-entry:$RUN_ID"
else
    show "$tmp/push.out"; fatal "push to $REG failed"
fi
digest=$(sed -n 's/^digest //p' "$tmp/push.out")
curl -s "http://$REG/v2/_catalog" >"$tmp/catalog"
curl -s "http://$REG/v2/cass-entry/tags/list" >"$tmp/tags"
reg_digest=$(curl -sI -H 'Accept: application/vnd.docker.distribution.manifest.v2+json' \
    "http://$REG/v2/cass-entry/manifests/$RUN_ID" | tr -d '\r' | sed -n 's/^[Dd]ocker-[Cc]ontent-[Dd]igest: //p')
check "registry /v2/_catalog lists cass-entry: $(cat "$tmp/catalog")" grep -q '"cass-entry"' "$tmp/catalog"
check "registry tags/list has $RUN_ID: $(cat "$tmp/tags")" grep -q "\"$RUN_ID\"" "$tmp/tags"
check "the digest printed ($digest) is the registry's manifest digest, and in --digest-file" \
    bash -c "[ -n '$digest' ] && [ '$digest' = '$reg_digest' ] && grep -qx '$REG/cass-entry@$digest' '$tmp/digest'"

# ---- errors before anything is created
IMAGE=$REG/cass-entry:$RUN_ID
DOCKER_HOST=unix:///nonexistent "$PROV" up -n 1 --prefix "$P" --image "$IMAGE" >"$tmp/out" 2>&1; rc=$?
check "unreachable daemon (unix:///nonexistent): exit 3, names the socket ($(head -1 "$tmp/out" | cut -c1-140))" \
    bash -c "[ $rc -eq 3 ] && grep -q 'unix:///nonexistent' '$tmp/out'"
DOCKER_HOST=tcp://127.0.0.1:$(free_port) "$PROV" status --prefix "$P" >"$tmp/out" 2>&1; rc=$?
check "unreachable daemon (tcp, nothing listening): exit 3" [ "$rc" -eq 3 ]
"$PROV" up -n 1 --prefix "$P" --image "cass-entry:no-such-tag-$$" >"$tmp/out" 2>&1; rc=$?
check "image missing locally: exit 4 ($(head -1 "$tmp/out" | cut -c1-140))" \
    bash -c "[ $rc -eq 4 ] && grep -q 'not on the engine' '$tmp/out'"
"$PROV" up -n 1 --prefix "$P" --image "$REG/cass-entry:no-such-tag" >"$tmp/out" 2>&1; rc=$?
check "image missing locally and in the registry: exit 4 ($(head -1 "$tmp/out" | cut -c1-140))" \
    bash -c "[ $rc -eq 4 ] && grep -q 'pulling it failed' '$tmp/out'"
check "nothing was created by the failed commands" \
    bash -c "[ -z \"\$(docker ps -aq --filter label=io.cass-entry.cluster=$P)\" ] && [ -z \"\$(docker network ls -q --filter label=io.cass-entry.cluster=$P)\" ]"

# ---- up 3, from the registry (the local tag is removed: up pulls it)
docker rmi "$IMAGE" >/dev/null 2>&1
t=$SECONDS
if up -n 3 --sequential --prefix "$P" --cluster-name "suite $RUN_ID"; then
    ok "up -n 3 --sequential in $((SECONDS - t)) s"
    show "$tmp/out"
else
    show "$tmp/out"; fatal "up -n 3 --sequential failed"
fi
cp "$tmp/out" "$tmp/up3"
check "up pulled the missing image from the registry" grep -q "pulling it from $REG" "$tmp/up3"
check "--sequential: one at a time, a progress line per node with its time" bash -c "[ \$(grep -c 'ready after' '$tmp/up3') -eq 3 ]"
check "the final ring table: 3 rows UN, named ${P}1..3" \
    bash -c "[ \$(grep -cE '^\S+\s+${P}[123]\s+\S+\s+UN\s' '$tmp/up3') -eq 3 ]"
for i in 1 2 3; do
    docker exec "$P$i" cass-entry --probe >/dev/null 2>&1 || echo "$P$i" >>"$tmp/noprobe"
done
check "every node answers CQL (cass-entry --probe inside each)" test ! -s "$tmp/noprobe"
docker exec "$P"1 cqlsh -e "SELECT cluster_name FROM system.local" "$P"1 >"$tmp/cql" 2>&1
check "cqlsh through the network: cluster_name is 'suite $RUN_ID'" grep -q "suite $RUN_ID" "$tmp/cql"
docker inspect -f '{{.HostConfig.Memory}} {{.HostConfig.MemorySwap}} {{.Config.StopTimeout}} {{.HostConfig.RestartPolicy.Name}} {{range .Mounts}}{{.Name}}:{{.Destination}}{{end}} {{index .Config.Labels "io.cass-entry.node"}} {{index .Config.Labels "io.cass-entry.seeds"}}' "$P"2 >"$tmp/insp"
check "node 2: 1.5 GiB, no swap, stop timeout 120 s, unless-stopped, ${P}2-data, labels ($(cat "$tmp/insp"))" \
    grep -qx "1610612736 1610612736 120 unless-stopped ${P}2-data:/var/lib/cassandra 2 ${P}1" "$tmp/insp"
check "network ${P}-net is a labelled bridge" \
    bash -c "[ \"\$(docker network inspect -f '{{.Driver}} {{index .Labels \"io.cass-entry.cluster\"}}' ${P}-net)\" = 'bridge $P' ]"

# ---- status
"$PROV" status --prefix "$P" >"$tmp/status" 2>&1; rc=$?
check "status: exit 0, 3 rows UN" bash -c "[ $rc -eq 0 ] && [ $(un_rows "$tmp/status") -eq 3 ]"
show "$tmp/status"

# ---- re-run: nothing changes
before=$(started_at "$P")
up -n 3 --prefix "$P"; rc=$?
after=$(started_at "$P")
check "re-run of up -n 3: exit 0, nothing created or restarted" \
    bash -c "[ $rc -eq 0 ] && grep -q '3 running, 0 to start, 0 to create' '$tmp/out' && [ '$before' = '$after' ]"

# ---- add a node
before=$(started_at "$P")
t=$SECONDS
up -n 4 --prefix "$P"; rc=$?
cp "$tmp/out" "$tmp/up4"
check "up -n 4 adds ${P}4 in $((SECONDS - t)) s: 4 rows UN" \
    bash -c "[ $rc -eq 0 ] && [ \$(grep -cE '^\S+\s+${P}[1234]\s+\S+\s+UN\s' '$tmp/up4') -eq 4 ]"
[ "$rc" -eq 0 ] || show "$tmp/up4"
after=$(started_at "$P" | grep -v "/${P}4 ")
check "up -n 4 left ${P}1..3 as they were" [ "$before" = "$after" ]

# ---- no acknowledged write lost: kill -9 of a node and its return, then a
# rolling restart, each under a write load (tests/e2e/ledger.py, the Python
# driver of the image, QUORUM, RF 3), every acknowledged key read back
HOSTS="${P}1,${P}2,${P}3,${P}4"
# ledger_start NAME: a writer in a client container; its files in $tmp/NAME
ledger_start() {
    mkdir -p "$tmp/$1" && chmod 777 "$tmp/$1"
    docker run -d --rm --init --name "$P-$1" --network "$P-net" --memory 512m \
        --label "io.cass-entry.cluster=$P" -v "$PWD/tests/e2e:/e2e:ro" -v "$tmp/$1:/ledger" \
        -e PYTHONPATH=/opt/cassandra/pylib --entrypoint python3 "$IMAGE" \
        /e2e/ledger.py write "$HOSTS" ledger_suite /ledger >/dev/null 2>"$tmp/$1.err" || return 1
    local i
    for i in $(seq 120); do # until it has written for a while
        [ -s "$tmp/$1/acked" ] && [ "$(wc -l <"$tmp/$1/acked")" -ge 200 ] && return 0
        docker inspect "$P-$1" >/dev/null 2>&1 || break
        sleep 0.5
    done
    docker logs "$P-$1" 2>&1 | show
    return 1
}
# ledger_stop NAME: stop the writer; "acked N, failed F" in $tmp/NAME/result
ledger_stop() {
    touch "$tmp/$1/stop"
    timeout 120 docker wait "$P-$1" >/dev/null 2>&1
    [ -s "$tmp/$1/result" ]
}
# ledger_check NAME CL: every acknowledged key of NAME read back at CL
ledger_check() {
    docker run --rm --init --network "$P-net" --memory 512m --label "io.cass-entry.cluster=$P" \
        -v "$PWD/tests/e2e:/e2e:ro" -v "$tmp/$1:/ledger" -e PYTHONPATH=/opt/cassandra/pylib \
        --entrypoint python3 "$IMAGE" /e2e/ledger.py check "$HOSTS" ledger_suite /ledger "$2" \
        >"$tmp/$1.$2" 2>&1
}
if ledger_start kill; then
    docker kill -s KILL "${P}2" >/dev/null
    sleep 3
    t=$SECONDS
    up -n 4 --prefix "$P"; rc=$?
    cp "$tmp/out" "$tmp/upkill"
    check "kill -s KILL ${P}2 under the write load: up -n 4 has it back in $((SECONDS - t)) s, 4 rows UN" \
        bash -c "[ $rc -eq 0 ] && [ \$(grep -cE '^\S+\s+${P}[1234]\s+\S+\s+UN\s' '$tmp/upkill') -eq 4 ]"
    [ "$rc" -eq 0 ] || show "$tmp/upkill"
    sleep 3
    ledger_stop kill
    ledger_check kill QUORUM; rc=$?
    check "kill -9: $(head -1 "$tmp/kill/result" 2>/dev/null); $(head -1 "$tmp/kill.QUORUM")" \
        bash -c "[ $rc -eq 0 ]"
    [ "$rc" -eq 0 ] || show "$tmp/kill.QUORUM" "$tmp/kill/result"
    # the check itself can fail: a key never written is reported lost
    mkdir -p "$tmp/fake" && chmod 777 "$tmp/fake"
    { cat "$tmp/kill/acked"; echo never-written-key; } >"$tmp/fake/acked"
    ledger_check fake QUORUM; rc=$?
    check "the ledger check finds a key that was never written: exit $rc, $(head -1 "$tmp/fake.QUORUM")" \
        bash -c "[ $rc -eq 1 ] && grep -q 'lost 1,' '$tmp/fake.QUORUM' && grep -q 'lost: never-written-key' '$tmp/fake.QUORUM'"
else
    not_ok "the ledger writer did not start: $(tail -1 "$tmp/kill.err" 2>/dev/null)"
fi

hostids() { docker exec "${P}1" nodetool status 2>/dev/null | awk '/^U|^D/ {print $2, $7}' | sort; }
ids_before=$(hostids)
if ledger_start restart; then
    t=$SECONDS
    "$PROV" restart --prefix "$P" --timeout "$TIMEOUT" >"$tmp/restart.out" 2>&1; rc=$?
    took=$((SECONDS - t))
    check "restart under the write load: exit 0 in ${took} s, 4 nodes each drained, stopped and ready in turn, 4 rows UN" \
        bash -c "[ $rc -eq 0 ] && [ \$(grep -c 'drained in' '$tmp/restart.out') -eq 4 ] && [ \$(grep -c 'ready after' '$tmp/restart.out') -eq 4 ] && [ \$(grep -cE '^\S+\s+${P}[1234]\s+\S+\s+UN\s' '$tmp/restart.out') -eq 4 ]"
    [ "$rc" -eq 0 ] || show "$tmp/restart.out"
    check "restart: one node at a time (each started after the one before was ready), the same host ids" \
        bash -c "[ \"\$(grep -oE '${P}[1-4] +(draining|ready after)' '$tmp/restart.out' | awk '{print \$1, \$2}' | tr '\n' ' ')\" = '${P}1 draining ${P}1 ready ${P}2 draining ${P}2 ready ${P}3 draining ${P}3 ready ${P}4 draining ${P}4 ready ' ] && [ '$ids_before' = \"\$(docker exec ${P}1 nodetool status 2>/dev/null | awk '/^U|^D/ {print \$2, \$7}' | sort)\" ]"
    ledger_stop restart
    ledger_check restart QUORUM; rc=$?
    failed=$(sed -n 's/^acked [0-9]*, failed \([0-9]*\)$/\1/p' "$tmp/restart/result" 2>/dev/null)
    check "rolling restart: $(head -1 "$tmp/restart/result" 2>/dev/null) (goal: 0 failed); $(head -1 "$tmp/restart.QUORUM")" \
        bash -c "[ $rc -eq 0 ] && [ '${failed:-x}' = 0 ]"
    if [ "$rc" -ne 0 ] || [ "${failed:-x}" != 0 ]; then show "$tmp/restart.QUORUM" "$tmp/restart/result"; fi
    ledger_check kill ALL; rc=$?
    check "the ring whole again: every key acknowledged during the kill, read at ALL: $(head -1 "$tmp/kill.ALL")" \
        bash -c "[ $rc -eq 0 ]"
else
    not_ok "the ledger writer did not start: $(tail -1 "$tmp/restart.err" 2>/dev/null)"
fi
# ---- replace: a dead node (its data lost) replaced on a new volume, under the write load
"$PROV" replace 4 --prefix "$P" --image "$IMAGE" >"$tmp/out" 2>&1; rc=$?
check "replace of a running node: exit 1, says it runs, nothing changed" \
    bash -c "[ $rc -eq 1 ] && grep -q 'it runs; replace is for a dead node' '$tmp/out' && [ \"\$(docker inspect -f '{{.State.Running}}' ${P}4)\" = true ]"
"$PROV" replace 1 --prefix "$P" --image "$IMAGE" >"$tmp/out" 2>&1; rc=$?
check "replace of a seed (${P}1): exit 1, says it is a seed" bash -c "[ $rc -eq 1 ] && grep -q 'is a seed' '$tmp/out'"
if ledger_start replace; then
    old_ip=$(docker inspect -f "{{(index .NetworkSettings.Networks \"$P-net\").IPAddress}}" "${P}4")
    old_id=$(hostids | awk -v ip="$old_ip" '$1 == ip {print $2}')
    docker kill -s KILL "${P}4" >/dev/null
    t=$SECONDS
    # Not $FAST's 5 s ring delay: a replacement on the same address sleeps
    # ring_delay before it checks that its gossip has seen a seed (5.0.1,
    # StorageService.prepareForBootstrap, then bootstrap: "Unable to contact
    # any seeds"); Cassandra's default ring delay here, as users have it.
    "$PROV" replace "${P}4" --prefix "$P" --image "$IMAGE" \
        --jvm-extra-opts "-Dcassandra.skip_wait_for_gossip_to_settle=0" --timeout "$TIMEOUT" \
        >"$tmp/replace.out" 2>&1; rc=$?
    check "replace ${P}4 (killed) under the write load: exit 0 in $((SECONDS - t)) s, replace_address_first_boot=$old_ip, 4 rows UN and no other row" \
        bash -c "[ $rc -eq 0 ] && grep -q 'replace_address_first_boot=$old_ip' '$tmp/replace.out' && [ \$(grep -cE '^\S+\s+\S+\s+\S+\s+UN\s' '$tmp/replace.out') -eq 4 ] && [ \$(grep -cE '^\S+\s+\S+\s+\S+\s+[UD?][NJLM]\s' '$tmp/replace.out') -eq 4 ]"
    if [ "$rc" -ne 0 ]; then
        show "$tmp/replace.out"
        # Why, in more than the last error (2 of 4 full runs failed here with
        # "Unable to contact any seeds" after a 30 s ring delay, while the
        # shadow round had reached the seed): every start of the kept
        # container and what its gossip saw, then the seed's lines on the address.
        docker logs "${P}4" 2>&1 | grep -E '^cass-entry: running|Gathering node replacement|Starting up server gossip|is now (UP|DOWN|part of the cluster)|JOINING:|Sleeping for|Exception|Unable to|Not marking|pause|ERROR' \
            | cut -c1-250 | head -n 60 | sed 's/^/#   replacement: /'
        docker logs "${P}1" 2>&1 | grep -E "$old_ip|ERROR|Exception" | tail -n 30 | cut -c1-250 | sed 's/^/#   seed: /'
    fi
    new_vol=$(docker volume inspect -f '{{.CreatedAt}}' "${P}4-data" 2>/dev/null)
    new_ip=$(docker inspect -f "{{(index .NetworkSettings.Networks \"$P-net\").IPAddress}}" "${P}4" 2>/dev/null)
    new_id=$(hostids | awk -v ip="$new_ip" '$1 == ip {print $2}')
    check "replace: ${P}4 runs on a new volume (made $new_vol) at $new_ip, host id ${new_id:0:8} (was ${old_id:0:8} at $old_ip)" \
        bash -c "[ -n '$new_vol' ] && [ -n '$new_id' ] && [ \"\$(docker inspect -f '{{.State.Running}}' ${P}4)\" = true ]"
    ledger_stop replace
    ledger_check replace QUORUM; rc=$?
    check "replace under load: $(head -1 "$tmp/replace/result" 2>/dev/null); $(head -1 "$tmp/replace.QUORUM")" \
        bash -c "[ $rc -eq 0 ]"
    [ "$rc" -eq 0 ] || show "$tmp/replace.QUORUM" "$tmp/replace/result"
    ledger_check replace ALL; rc=$?
    check "after the replace, every acknowledged key reads back at ALL: $(head -1 "$tmp/replace.ALL")" \
        bash -c "[ $rc -eq 0 ]"
else
    not_ok "the ledger writer did not start: $(tail -1 "$tmp/replace.err" 2>/dev/null)"
fi
"$PROV" restart --prefix "$P" --poll x >"$tmp/out" 2>&1; rc=$?
check "restart with a bad option value: exit 2" [ "$rc" -eq 2 ]
"$PROV" restart --prefix "${RUN_ID}none" >"$tmp/out" 2>&1; rc=$?
check "restart of a cluster that does not exist: exit 1, one line ($(head -1 "$tmp/out"))" \
    bash -c "[ $rc -eq 1 ] && grep -q 'has no node' '$tmp/out'"

# ---- a node that fails its start
before=$(started_at "$P")
t=$SECONDS
up -n 5 --prefix "$P" -e CASSANDRA_LISTEN_ADDRESS=256.1.1.1; rc=$?
cp "$tmp/out" "$tmp/up5"
show "$tmp/up5"
check "a node that fails its start: exit 1 in $((SECONDS - t)) s, message names ${P}5 and quotes its log" \
    bash -c "[ $rc -eq 1 ] && grep -q 'error: ${P}5' '$tmp/up5' && grep -q '| cass-entry: CASSANDRA_LISTEN_ADDRESS' '$tmp/up5'"
after=$(started_at "$P" | grep -v "/${P}5 ")
check "...and ${P}1..4 are left running as they were" \
    bash -c "[ '$before' = '$after' ] && [ \$(docker ps -q --filter label=io.cass-entry.cluster=$P | wc -l) -eq 4 ]"
check "...and ${P}5 is stopped and kept for inspection" \
    bash -c "[ \"\$(docker inspect -f '{{.State.Running}}' ${P}5)\" = false ]"
"$PROV" status --prefix "$P" >"$tmp/status" 2>&1; rc=$?
check "status with a stopped node: exit 1, says so, still prints 4 rows UN" \
    bash -c "[ $rc -eq 1 ] && grep -q '^${P}5 .*exited' '$tmp/status' && [ $(un_rows "$tmp/status") -eq 4 ]"

# ---- down
t=$SECONDS
"$PROV" down --prefix "$P" >"$tmp/down" 2>&1; rc=$?
show "$tmp/down"
check "down: exit 0 in $((SECONDS - t)) s, each running node drained" \
    bash -c "[ $rc -eq 0 ] && [ \$(grep -c 'drained in' '$tmp/down') -eq 4 ]"
check "down removed every container and the network" \
    bash -c "[ -z \"\$(docker ps -aq --filter label=io.cass-entry.cluster=$P)\" ] && ! docker network inspect ${P}-net >/dev/null 2>&1"
check "down kept the 5 data volumes" \
    bash -c "[ \$(docker volume ls -q --filter label=io.cass-entry.cluster=$P | wc -l) -eq 5 ]"
"$PROV" up -n 3 --fresh --prefix "$P" --image "$IMAGE" >"$tmp/out" 2>&1; rc=$?
check "up --fresh over kept data volumes: refused, exit 1, nothing created" \
    bash -c "[ $rc -eq 1 ] && grep -q 'brand-new' '$tmp/out' && [ -z \"\$(docker ps -aq --filter label=io.cass-entry.cluster=$P)\" ]"
"$PROV" down --prefix "$P" --volumes >"$tmp/down" 2>&1; rc=$?
check "down --volumes removes the volumes" \
    bash -c "[ $rc -eq 0 ] && [ -z \"\$(docker volume ls -q --filter label=io.cass-entry.cluster=$P)\" ]"

# ---- up --fresh, with the CQL port published
PUB=$(free_port)
t=$SECONDS
if up -n 3 --prefix "$PF" --publish="1:$PUB"; then
    ok "up -n 3 of a brand-new cluster, no flag, in $((SECONDS - t)) s"
    show "$tmp/out"
else
    show "$tmp/out"; fatal "up -n 3 of a brand-new cluster failed"
fi
cp "$tmp/out" "$tmp/fresh"
check "brand-new cluster without a flag: all at once, nodes started at once, ring 3 x UN" \
    bash -c "grep -q 'to create all at once (brand-new cluster)' '$tmp/fresh' && grep -q 'started at once' '$tmp/fresh' && [ \$(grep -cE '^\S+\s+${PF}[123]\s+\S+\s+UN\s' '$tmp/fresh') -eq 3 ]"
# The tokens, computed here independently: k-th of 48 = -2^63 + floor(k*2^64/48);
# node i (0-based) owns k = i, i+3, ..., each node's tokens as the node reports them.
for i in 0 1 2; do
    python3 -c "n,t,i=3,16,$i; print('\n'.join(str(-2**63 + (k*2**64)//(n*t)) for k in range(i, n*t, n)))" >"$tmp/want$i"
    docker exec -e MAX_HEAP_SIZE=128m -e HEAP_NEWSIZE=32m "$PF$((i + 1))" nodetool info -T 2>/dev/null \
        | sed -n 's/^Token *: *//p' | sort -n >"$tmp/got$i"
    sort -n "$tmp/want$i" -o "$tmp/want$i"
    docker exec "$PF$((i + 1))" sed -n 's/^auto_bootstrap: //p' /etc/cassandra/cassandra.yaml >"$tmp/ab$i"
done
check "brand-new: each node runs with exactly its 16 evenly interleaved tokens" \
    bash -c "for i in 0 1 2; do [ -s '$tmp/got'\$i ] && cmp -s '$tmp/want'\$i '$tmp/got'\$i || exit 1; done"
check "brand-new: auto_bootstrap false on the initial nodes, every node a seed" \
    bash -c "[ \"\$(cat '$tmp/ab0' '$tmp/ab1' '$tmp/ab2' | sort -u)\" = false ] && [ \"\$(docker inspect -f '{{index .Config.Labels \"io.cass-entry.seeds\"}}' ${PF}2)\" = '${PF}1,${PF}2,${PF}3' ]"
python3 - "$PUB" >"$tmp/pub" 2>&1 <<'EOF'
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=10)
s.sendall(bytes([4, 0, 0, 0, 5, 0, 0, 0, 0]))   # OPTIONS, protocol v4
h = s.recv(9)
print("reply", h.hex())
sys.exit(0 if len(h) == 9 and h[0] == 0x84 and h[4] == 6 else 1)
EOF
rc=$?
check "--publish=1:$PUB: CQL OPTIONS from the host answers SUPPORTED ($(cat "$tmp/pub"))" [ "$rc" -eq 0 ]
check "--publish binds 127.0.0.1 only" \
    bash -c "docker port ${PF}1 9042 | grep -qx '127.0.0.1:$PUB'"

t=$SECONDS
up -n 4 --fresh --prefix "$PF"; rc=$?
cp "$tmp/out" "$tmp/fresh4"
check "a node added with --fresh to an existing cluster joins normally (bootstrap, no initial_token): 4 x UN in $((SECONDS - t)) s" \
    bash -c "[ $rc -eq 0 ] && grep -q 'join one at a time' '$tmp/fresh4' && [ \$(grep -cE '^\S+\s+${PF}[1234]\s+\S+\s+UN\s' '$tmp/fresh4') -eq 4 ] && ! docker inspect -f '{{json .Config.Env}}' ${PF}4 | grep -q INITIAL_TOKEN"
[ "$rc" -eq 0 ] || show "$tmp/fresh4"
# ---- remove: a scale-down by one node (nodetool decommission), refused while a
# keyspace needs every node, then done under the write load
cql_pf() { docker exec "${PF}1" cqlsh -e "$1" >"$tmp/cql" 2>&1 || { show "$tmp/cql"; return 1; }; }
pf_state() { docker ps -a --filter "label=io.cass-entry.cluster=$PF" --format '{{.Names}} {{.State}}' | sort; docker volume ls -q --filter "label=io.cass-entry.cluster=$PF" | sort; }
cql_pf "CREATE KEYSPACE rf4 WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 4}"
before=$(pf_state)
"$PROV" remove "${PF}4" --prefix "$PF" >"$tmp/out" 2>&1; rc=$?
check "remove ${PF}4 while keyspace rf4 has replication factor 4: exit 1, says so in one line, nothing changed" \
    bash -c "[ $rc -eq 1 ] && grep -q 'keyspace rf4 has replication factor 4 in datacenter1, and 3 node(s) would remain' '$tmp/out' && [ \"\$(grep -c error: '$tmp/out')\" -eq 1 ] && [ '$before' = \"\$(docker ps -a --filter label=io.cass-entry.cluster=$PF --format '{{.Names}} {{.State}}' | sort; docker volume ls -q --filter label=io.cass-entry.cluster=$PF | sort)\" ]"
[ "$rc" -eq 1 ] || show "$tmp/out"
"$PROV" remove "${PF}2" --prefix "$PF" >"$tmp/out" 2>&1; rc=$?
check "remove of a seed (${PF}2): exit 1, says it is a seed" bash -c "[ $rc -eq 1 ] && grep -q 'is a seed' '$tmp/out'"
"$PROV" remove 9 --prefix "$PF" >"$tmp/out" 2>&1; rc=$?
check "remove of a node the cluster lacks (9): exit 1, names ${PF}9" bash -c "[ $rc -eq 1 ] && grep -q 'has no node ${PF}9' '$tmp/out'"
cql_pf "DROP KEYSPACE rf4"
if P=$PF HOSTS="${PF}1,${PF}2,${PF}3" ledger_start remove; then
    t=$SECONDS
    "$PROV" remove 4 --prefix "$PF" --timeout "$TIMEOUT" >"$tmp/remove.out" 2>&1; rc=$?
    check "remove 4 under the write load: exit 0 in $((SECONDS - t)) s, ${PF}4 decommissioned, 3 rows UN, ${PF}4 not in the ring" \
        bash -c "[ $rc -eq 0 ] && grep -q '${PF}4 *decommissioned in' '$tmp/remove.out' && [ \$(grep -cE '^\S+\s+${PF}[123]\s+\S+\s+UN\s' '$tmp/remove.out') -eq 3 ] && [ \$(grep -cE '^\S+\s+\S+\s+\S+\s+[UD][NJLM]\s' '$tmp/remove.out') -eq 3 ]"
    [ "$rc" -eq 0 ] || show "$tmp/remove.out"
    check "remove: ${PF}4's container and data volume are gone, ${PF}1-3 and theirs kept" \
        bash -c "[ \"\$(docker ps -a --filter label=io.cass-entry.cluster=$PF --format '{{.Names}}' | grep -v -- '-remove\$' | sort | tr '\n' ' ')\" = '${PF}1 ${PF}2 ${PF}3 ' ] && [ \"\$(docker volume ls -q --filter label=io.cass-entry.cluster=$PF | sort | tr '\n' ' ')\" = '${PF}1-data ${PF}2-data ${PF}3-data ' ]"
    P=$PF ledger_stop remove
    P=$PF HOSTS="${PF}1,${PF}2,${PF}3" ledger_check remove QUORUM; rc=$?
    check "decommission under load: $(head -1 "$tmp/remove/result" 2>/dev/null); $(head -1 "$tmp/remove.QUORUM")" \
        bash -c "[ $rc -eq 0 ]"
    [ "$rc" -eq 0 ] || show "$tmp/remove.QUORUM" "$tmp/remove/result"
    P=$PF HOSTS="${PF}1,${PF}2,${PF}3" ledger_check remove ALL; rc=$?
    check "after the decommission, every acknowledged key reads back at ALL: $(head -1 "$tmp/remove.ALL")" \
        bash -c "[ $rc -eq 0 ]"
else
    not_ok "the ledger writer did not start: $(tail -1 "$tmp/remove.err" 2>/dev/null)"
fi
# ---- upgrade: a rolling upgrade to another image, under the write load; a
# canary that fails on its new image is rolled back and the others are left
# as they were
UPG=cass-entry:provision-upgrade-$$
BAD=cass-entry:provision-upgrade-bad-$$
mkdir -p "$tmp/upgctx" "$tmp/badupgctx"
printf 'FROM %s\nENV CASS_ENTRY_UPGRADE_TEST=%s\nLABEL io.cass-entry.upgrade-test=%s\n' "$IMAGE" "$RUN_ID" "$RUN_ID" >"$tmp/upgctx/Dockerfile"
# a broken release: its own ENV is a setting cass-entry refuses (exit 78)
printf 'FROM %s\nENV CASSANDRA_CFG_YAML_NUM_TOKENS=abc\n' "$IMAGE" >"$tmp/badupgctx/Dockerfile"
"$PROV" build --context "$tmp/upgctx" -t "$UPG" >"$tmp/out" 2>&1 || show "$tmp/out"
"$PROV" build --context "$tmp/badupgctx" -t "$BAD" >"$tmp/out" 2>&1 || show "$tmp/out"
image_of() { docker inspect -f '{{.Image}}' "$1" 2>/dev/null; }
spec_of() { # what must survive an upgrade: env (less the image's), mounts, hostname, labels, policy, network
    docker inspect -f '{{.Config.Hostname}} {{range .Mounts}}{{.Name}}:{{.Destination}} {{end}}{{.HostConfig.RestartPolicy.Name}} {{.HostConfig.Memory}} {{index .Config.Labels "io.cass-entry.cluster"}} {{range $k, $v := .NetworkSettings.Networks}}{{$k}}{{end}}' "$1"
    docker inspect -f '{{range .Config.Env}}{{println .}}{{end}}' "$1" | grep -E '^CASSANDRA_|^JVM_EXTRA_OPTS=' | sort
}
before=$(for n in 1 2 3; do image_of "${PF}$n"; done)
"$PROV" upgrade --prefix "$PF" --image "$BAD" --timeout 120 >"$tmp/upgbad.out" 2>&1; rc=$?
after=$(for n in 1 2 3; do image_of "${PF}$n"; done)
check "upgrade to an image that fails (its ENV makes cass-entry exit 78): exit 1, ${PF}1 (the canary) rolled back and ready, ${PF}2-3 untouched, 3 nodes on the old image" \
    bash -c "[ $rc -eq 1 ] && grep -q 'rolled back to its image' '$tmp/upgbad.out' && grep -q 'left as they were' '$tmp/upgbad.out' && [ '$before' = '$after' ] && ! grep -q '${PF}2 *draining' '$tmp/upgbad.out'"
[ "$rc" -eq 1 ] || show "$tmp/upgbad.out"
spec_before=$(for n in 1 2 3; do spec_of "${PF}$n"; done)
if P=$PF HOSTS="${PF}1,${PF}2,${PF}3" ledger_start upgrade; then
    t=$SECONDS
    "$PROV" upgrade --prefix "$PF" --image "$UPG" --timeout "$TIMEOUT" >"$tmp/upgrade.out" 2>&1; rc=$?
    took=$((SECONDS - t))
    want=$(docker image inspect -f '{{.Id}}' "$UPG")
    check "upgrade to $UPG under the write load: exit 0 in ${took} s, one node at a time, 3 rows UN, every node on the new image" \
        bash -c "[ $rc -eq 0 ] && [ \"\$(grep -oE '${PF}[1-3] +(draining|ready after)' '$tmp/upgrade.out' | awk '{print \$1, \$2}' | tr '\n' ' ')\" = '${PF}1 draining ${PF}1 ready ${PF}2 draining ${PF}2 ready ${PF}3 draining ${PF}3 ready ' ] && [ \$(grep -cE '^\S+\s+${PF}[123]\s+\S+\s+UN\s' '$tmp/upgrade.out') -eq 3 ] && [ \"\$(for n in 1 2 3; do docker inspect -f '{{.Image}}' ${PF}\$n; done | sort -u)\" = '$want' ]"
    [ "$rc" -eq 0 ] || show "$tmp/upgrade.out"
    spec_after=$(for n in 1 2 3; do spec_of "${PF}$n"; done)
    check "upgrade: each container keeps its spec (env, data volume, hostname, restart policy, memory, labels, network) and takes the new image's own ENV" \
        bash -c '[ "$1" = "$2" ] && docker inspect -f "{{range .Config.Env}}{{println .}}{{end}}" "$3" | grep -qx "CASS_ENTRY_UPGRADE_TEST=$4"' \
        _ "$spec_before" "$spec_after" "${PF}2" "$RUN_ID"
    [ "$spec_before" = "$spec_after" ] || diff <(echo "$spec_before") <(echo "$spec_after") | show
    P=$PF ledger_stop upgrade
    P=$PF HOSTS="${PF}1,${PF}2,${PF}3" ledger_check upgrade QUORUM; rc=$?
    failed=$(sed -n 's/^acked [0-9]*, failed \([0-9]*\)$/\1/p' "$tmp/upgrade/result" 2>/dev/null)
    check "rolling upgrade: $(head -1 "$tmp/upgrade/result" 2>/dev/null) (goal: 0 failed); $(head -1 "$tmp/upgrade.QUORUM")" \
        bash -c "[ $rc -eq 0 ] && [ '${failed:-x}' = 0 ]"
    if [ "$rc" -ne 0 ] || [ "${failed:-x}" != 0 ]; then show "$tmp/upgrade.QUORUM" "$tmp/upgrade/result"; fi
    P=$PF HOSTS="${PF}1,${PF}2,${PF}3" ledger_check upgrade ALL; rc=$?
    check "after the upgrade, every acknowledged key reads back at ALL: $(head -1 "$tmp/upgrade.ALL")" \
        bash -c "[ $rc -eq 0 ]"
else
    not_ok "the ledger writer did not start: $(tail -1 "$tmp/upgrade.err" 2>/dev/null)"
fi
"$PROV" upgrade --prefix "$PF" --image "$UPG" --timeout "$TIMEOUT" >"$tmp/out" 2>&1; rc=$?
check "upgrade again to the same image: exit 0, every node skipped (runs it already), nothing restarted" \
    bash -c "[ $rc -eq 0 ] && [ \$(grep -c 'runs $UPG already' '$tmp/out') -eq 3 ] && ! grep -q draining '$tmp/out'"
docker rmi "$BAD" >/dev/null 2>&1
"$PROV" down --prefix "$PF" --volumes >"$tmp/down" 2>&1; rc=$?
check "down --volumes of the brand-new cluster" \
    bash -c "[ $rc -eq 0 ] && [ -z \"\$(docker ps -aq --filter label=io.cass-entry.cluster=$PF)\" ] && [ -z \"\$(docker volume ls -q --filter label=io.cass-entry.cluster=$PF)\" ]"

# ---- --auth: a superuser that is not cassandra, its password in a 0600 file
PWF=$tmp/auth/superuser-password
t=$SECONDS
up -n 1 --prefix "$PA" --auth --password-file "$PWF"; rc=$?
cp "$tmp/out" "$tmp/auth.out"
if [ $rc -eq 0 ] && [ "$(stat -c %a "$PWF" 2>/dev/null)" = 600 ] && [ "$(stat -c %a "$tmp/auth")" = 700 ] &&
   grep -q "superuser admin: its password is in $PWF (mode 0600, made now)" "$tmp/auth.out"; then
    ok "up --auth: a 1-node ring in $((SECONDS - t)) s, the password made in a 0600 file (in a 0700 dir)"
else
    show "$tmp/auth.out"; not_ok "up --auth (exit $rc), the password file's mode $(stat -c %a "$PWF" 2>/dev/null)"
fi
env_of=$(docker inspect -f '{{json .Config.Env}}' "${PA}1" 2>/dev/null)
check "the node gets CASSANDRA_PASSWORD_FILE and a read-only bind mount, never the password itself" \
    bash -c '[[ $1 == *CASSANDRA_PASSWORD_FILE=/run/secrets/cassandra-password* && $1 != *"$(cat "$2")"* ]] &&
             docker inspect -f "{{range .Mounts}}{{.Destination}} {{.RW}};{{end}}" "$3" | grep -q "/run/secrets/cassandra-password false"' \
    _ "$env_of" "$PWF" "${PA}1"
ip=$(docker inspect -f '{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}' "${PA}1")
for _ in $(seq 1 90); do
    docker logs "${PA}1" 2>&1 | grep -c 'first start: done' | grep -qx 1 && break
    sleep 1
done
out=$(docker exec "${PA}1" cqlsh -u cassandra -p cassandra "$ip" -e 'SELECT role FROM system_auth.roles' 2>&1)
check "cqlsh as cassandra/cassandra is refused" grep -q 'not permitted to log in' <<<"$out"
out=$(docker exec "${PA}1" cqlsh -u admin -p "$(cat "$PWF")" "$ip" -e 'SELECT role, is_superuser FROM system_auth.roles' 2>&1)
check "cqlsh as admin with the file's password: a superuser" grep -Eq 'admin \| +True' <<<"$out"
pw_before=$(cat "$PWF")
up -n 1 --prefix "$PA" --auth --password-file "$PWF"; rc=$?
check "up --auth again: the same password file, kept (exit $rc)" \
    bash -c '[ "$1" -eq 0 ] && [ "$(cat "$2")" = "$3" ] && ! grep -q "made now" "$4"' _ "$rc" "$PWF" "$pw_before" "$tmp/out"
chmod 644 "$PWF"
"$PROV" up -n 1 --prefix "$PA" --image "$IMAGE" --auth --password-file "$PWF" >"$tmp/out" 2>&1; rc=$?
check "a password file others may read is refused: exit 2, one line naming it ($(head -1 "$tmp/out" | cut -c1-120))" \
    bash -c '[ "$1" -eq 2 ] && grep -q "$2: mode 644 lets others read the password" "$3"' _ "$rc" "$PWF" "$tmp/out"
"$PROV" down --prefix "$PA" --volumes >/dev/null 2>&1

# ---- a stopped registry (last: the registry goes away)
kill "$REG_PID" 2>/dev/null
REG_PID=
for _ in $(seq 1 50); do curl -sf "http://$REG/v2/" -o /dev/null || break; sleep 0.1; done
"$PROV" push --image "$TAG" --registry "$REG" --repo "cass-entry:$RUN_ID" >"$tmp/out" 2>&1; rc=$?
check "push to a stopped registry: exit 1, the daemon's reason and the registry named ($(grep error "$tmp/out" | cut -c1-200))" \
    bash -c "[ $rc -eq 1 ] && grep -q 'connection refused' '$tmp/out' && grep -q 'registry at $REG' '$tmp/out'"
exit 0
