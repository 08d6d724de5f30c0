#!/usr/bin/env bash
# tests/suites/image.sh: the images are real.  Starts the engine, builds
# cass-entry/base:bookworm and cass-entry/cassandra:<version> (clean the first
# time, then again to prove the cache), checks the official image's layout, then
# runs ONE Cassandra node from the image on a bridge network it creates and
# waits for `nodetool status` UN and for cqlsh, from inside the node and from a
# second container over the network.  Prints TAP lines and "# time" lines.
#
# The image has no entrypoint yet, so this suite does by hand what cass-entry
# will have to do (see image/README-notes.md):
#   - run as the cassandra user (Cassandra 4+ refuses root without -R);
#   - MAX_HEAP_SIZE, or cassandra-env.sh sizes the heap from the HOST's memory;
#   - listen_address and rpc_address = the container's address (here through
#     -Dcassandra.settings.*, which works for top-level scalar keys);
#   - the seeds list = that address: a nested key, which -Dcassandra.settings.*
#     silently ignores, so cassandra.yaml is edited (docker cp out, sed, cp in).
#
# IMAGE_SUITE_CLEAN=1 removes both images and the download cache first, to time
# a clean build.  Everything the suite creates is removed on exit, even on failure.
set -euo pipefail
cd "$(dirname "$0")/../.."

# Our part of the project-wide cache (other parts keep theirs beside it).
CACHE=${CASS_ENTRY_CACHE:-/var/cache/cass-entry}/image
VERSION=$(cat image/cassandra.version)
IMAGE=cass-entry/cassandra:$VERSION
BASE=cass-entry/base:bookworm
RUN_ID=cass-entry-image-$$
NET=$RUN_ID-net
NODE=$RUN_ID-node
UN_TIMEOUT=${IMAGE_SUITE_UN_TIMEOUT:-240}

ok()     { echo "ok - $*"; }
not_ok() { echo "not ok - $*"; }
# A step the rest depends on failed: report it and stop (the trap cleans up).
fatal()  { not_ok "$*"; exit 1; }
timing() { echo "# time: $*"; }
now()    { date +%s.%N; }
since()  { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }'; }

tmp=$(mktemp -d)
cleanup() {
    docker rm -fv "$NODE" "$RUN_ID-client" >/dev/null 2>&1 || true
    docker network rm "$NET" >/dev/null 2>&1 || true
    rm -rf "$tmp"
}
trap cleanup EXIT

[ "$(id -u)" -eq 0 ] || fatal "image suite needs root (dockerd, debootstrap); run as root"
[ -n "$VERSION" ] || fatal "could not read image/cassandra.version"

# ---- the scripts themselves
scripts=(image/dockerd.sh image/build-base.sh image/build-cassandra.sh image/fetch-cassandra.sh image/dist-extra/bin/cqlsh tests/suites/image.sh)
if ! command -v shellcheck >/dev/null 2>&1; then
    not_ok "shellcheck is not installed (image/install-deps.sh installs it)"
elif shellcheck "${scripts[@]}" >"$tmp/sc.out" 2>&1; then
    ok "shellcheck clean: ${scripts[*]}"
else
    sed 's/^/# /' "$tmp/sc.out"; not_ok "shellcheck findings in the image scripts"
fi

# ---- engine
t=$(now)
if image/dockerd.sh 2>"$tmp/dockerd.err"; then
    ok "dockerd.sh: engine answers ($(docker info --format 'Engine {{.ServerVersion}}, {{.Driver}}'))"
    timing "dockerd.sh $(since "$t")s"
else
    sed 's/^/# /' "$tmp/dockerd.err"; fatal "dockerd.sh: no engine"
fi

if [ -n "${IMAGE_SUITE_CLEAN:-}" ]; then
    docker rmi -f "$IMAGE" "$BASE" >/dev/null 2>&1 || true
    rm -rf "$CACHE"
    echo "# IMAGE_SUITE_CLEAN: removed $IMAGE, $BASE and $CACHE"
fi

# ---- builds (first run: clean or cached, whichever state the machine is in)
t=$(now)
if image/build-base.sh 2>"$tmp/base.err"; then
    ok "build-base.sh builds $BASE"
    timing "build-base.sh $(since "$t")s"
else
    sed 's/^/# /' "$tmp/base.err"; fatal "build-base.sh failed"
fi
sed 's/^/# /' "$tmp/base.err"

t=$(now)
if image/build-cassandra.sh 2>"$tmp/cassandra.err"; then
    ok "build-cassandra.sh builds $IMAGE"
    timing "build-cassandra.sh $(since "$t")s"
else
    sed 's/^/# /' "$tmp/cassandra.err"; fatal "build-cassandra.sh failed"
fi
grep -v '^build-base.sh' "$tmp/cassandra.err" | sed 's/^/# /'
echo "# sizes: $BASE $(docker image inspect "$BASE" --format '{{.Size}}' | numfmt --to=iec)," \
     "$IMAGE $(docker image inspect "$IMAGE" --format '{{.Size}}' | numfmt --to=iec)"
echo "# distribution: $(docker image inspect "$IMAGE" --format '{{index .Config.Labels "cass-entry.cassandra-source"}}')"

# ---- PyPI taken away (Maven's jars from the cache the build just filled): one line
closed=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
m2=${CASS_ENTRY_CACHE:-/var/cache/cass-entry}/image/m2
CASS_ENTRY_CACHE=$tmp/nopip CASSANDRA_ROUTES=assemble MAVEN_ARGS="-o -Dmaven.repo.local=$m2" \
    PIP_INDEX_URL="http://127.0.0.1:$closed/simple" PIP_NO_CACHE_DIR=1 \
    image/fetch-cassandra.sh "$tmp/nopip-dist" >"$tmp/nopip.out" 2>"$tmp/nopip.err" && rc=0 || rc=$?   # set -e: a failure is the point
if [ "$rc" -eq 1 ] && [ "$(grep -c 'error:' "$tmp/nopip.err")" -eq 1 ] \
   && grep -q 'error: pip could not fetch the pinned cqlsh wheels' "$tmp/nopip.err" && [ ! -e "$tmp/nopip-dist" ]; then
    ok "fetch-cassandra.sh with PyPI unreachable: exit 1, one error line saying pip could not fetch cqlsh"
else
    sed 's/^/# /' "$tmp/nopip.err" | tail -n 8; not_ok "fetch-cassandra.sh with PyPI unreachable (exit $rc)"
fi

# ---- a clone with neither the mirror nor a reachable Apache or Maven: one line, quickly
printf '<settings><mirrors><mirror><id>closed</id><mirrorOf>*</mirrorOf><url>http://127.0.0.1:%s/maven2</url></mirror></mirrors></settings>\n' \
    "$closed" >"$tmp/closed-settings.xml"
cass_before=$(docker image inspect "$IMAGE" --format '{{.Id}}')
t0=$SECONDS
CASS_CONF_CORPUS=$tmp/no-mirror CASS_ENTRY_CACHE=$tmp/nothing CASSANDRA_ROUTES="apache maven assemble" \
    CASSANDRA_MIRROR="http://127.0.0.1:$closed/" MAVEN_ARGS="-s $tmp/closed-settings.xml" \
    image/build-cassandra.sh >"$tmp/nothing.out" 2>"$tmp/nothing.err" && rc=0 || rc=$?
took=$((SECONDS - t0))
if [ "$rc" -ne 0 ] && [ $took -lt 120 ] && grep 'error:' "$tmp/nothing.err" | grep -q 'no route gave Cassandra' \
   && grep 'error: no route' "$tmp/nothing.err" | grep -q CASSANDRA_MIRROR \
   && grep 'error: no route' "$tmp/nothing.err" | grep -q CASS_CONF_CORPUS \
   && [ "$(docker image inspect "$IMAGE" --format '{{.Id}}')" = "$cass_before" ]; then
    ok "build-cassandra.sh with no mirror, Apache and Maven unreachable: exit $rc in ${took}s, one line naming CASSANDRA_MIRROR and CASS_CONF_CORPUS, the image untouched"
else
    sed 's/^/# /' "$tmp/nothing.err" | tail -n 8; not_ok "build-cassandra.sh with nothing reachable (exit $rc, ${took}s)"
fi

# ---- the cache: a second run rebuilds nothing and is quick
base_id=$(docker image inspect "$BASE" --format '{{.Id}}')
cass_id=$(docker image inspect "$IMAGE" --format '{{.Id}}')
t=$(now)
if ! { image/build-base.sh && image/build-cassandra.sh; } 2>/dev/null; then fatal "second build run failed"; fi
second=$(since "$t")
timing "cached rebuild (both scripts) ${second}s"
if [ "$(docker image inspect "$BASE" --format '{{.Id}}')" = "$base_id" ] \
   && [ "$(docker image inspect "$IMAGE" --format '{{.Id}}')" = "$cass_id" ] \
   && awk -v s="$second" 'BEGIN { exit !(s < 20) }'; then
    ok "cached rebuild keeps both image ids and takes ${second}s (< 20s)"
else
    not_ok "cached rebuild: ids changed or took ${second}s"
fi

# ---- the base image
if docker run --rm "$BASE" sh -c 'java -version 2>&1 | head -1; python3 --version; ps --version; ldconfig -p | grep libjemalloc' >"$tmp/base.out" 2>&1 \
   && grep -q '^openjdk version "17' "$tmp/base.out" && grep -q '^Python 3' "$tmp/base.out" && grep -q procps "$tmp/base.out" \
   && grep -q 'libjemalloc\.so' "$tmp/base.out"; then
    ok "base image runs OpenJDK 17, python3 and procps, and has libjemalloc"
else
    sed 's/^/# /' "$tmp/base.out"; not_ok "base image lacks java 17, python3, procps or libjemalloc"
fi

# ---- the official image's layout
cfg() { docker image inspect "$IMAGE" --format "$1"; }
check_cfg() {  # what, go template, expected
    local got
    got=$(cfg "$2")
    if [ "$got" = "$3" ]; then ok "image $1: $got"; else not_ok "image $1: got '$got', want '$3'"; fi
}
check_cfg "has no entrypoint" '{{json .Config.Entrypoint}}' null
check_cfg "CMD" '{{json .Config.Cmd}}' '["cassandra","-f"]'
# shellcheck disable=SC2016  # Go templates, not shell expansions
check_cfg "exposed ports" '{{range $p, $_ := .Config.ExposedPorts}}{{$p}} {{end}}' \
    '7000/tcp 7001/tcp 7199/tcp 9042/tcp 9160/tcp '
# shellcheck disable=SC2016  # Go templates, not shell expansions
check_cfg "volumes" '{{range $v, $_ := .Config.Volumes}}{{$v}} {{end}}' '/var/lib/cassandra '
env_has() {
    if cfg '{{range .Config.Env}}{{println .}}{{end}}' | grep -qx "$1"; then ok "image env has $1"
    else not_ok "image env lacks $1"; fi
}
env_has 'CASSANDRA_HOME=/opt/cassandra'
env_has 'CASSANDRA_CONF=/etc/cassandra'
env_has 'PATH=/opt/cassandra/bin:.*'

layout=$(docker run --rm "$IMAGE" sh -c '
    echo "user $(id -u cassandra):$(id -g cassandra)"
    echo "conf $(readlink /opt/cassandra/conf)"
    echo "data $(readlink /opt/cassandra/data)"
    echo "logs $(readlink /opt/cassandra/logs)"
    echo "yaml $(test -f /etc/cassandra/cassandra.yaml && echo present)"
    echo "dirs $(stat -c "%U:%G:%a" /etc/cassandra /var/lib/cassandra /var/log/cassandra | tr "\n" " ")"
    echo "jar $(ls /opt/cassandra/lib/apache-cassandra-*.jar)"
    echo "version $(cassandra -v)"
    echo "tools $(command -v nodetool) $(command -v cqlsh)"' 2>&1) || true
expect_line() {  # what, exact line
    if grep -qxF "$2" <<<"$layout"; then ok "image $1 ($2)"; else not_ok "image $1: want '$2'"; fi
}
expect_line "user cassandra is uid/gid 999" "user 999:999"
expect_line "CASSANDRA_HOME/conf links to /etc/cassandra" "conf /etc/cassandra"
expect_line "CASSANDRA_HOME/data links to /var/lib/cassandra" "data /var/lib/cassandra"
expect_line "CASSANDRA_HOME/logs links to /var/log/cassandra" "logs /var/log/cassandra"
expect_line "cassandra.yaml in CASSANDRA_CONF" "yaml present"
expect_line "conf, data, log dirs owned by cassandra, mode 1777" \
    "dirs cassandra:cassandra:1777 cassandra:cassandra:1777 cassandra:cassandra:1777 "
expect_line "Cassandra jar named as in the release" "jar /opt/cassandra/lib/apache-cassandra-$VERSION.jar"
expect_line "cassandra -v reports $VERSION" "version $VERSION"
expect_line "nodetool and cqlsh on PATH" "tools /opt/cassandra/bin/nodetool /opt/cassandra/bin/cqlsh"

# ---- class-data sharing: the archive maps (-Xshare:on refuses to start
# otherwise) on the class path Cassandra's include gives, and serves its classes
# shellcheck disable=SC2016  # expanded in the container
cds=$(docker run --rm "$IMAGE" sh -c '
    . "$CASSANDRA_INCLUDE"
    echo "last $(echo "$CLASSPATH" | tr : "\n" | tail -n 1)"
    echo "opts $(echo "$JVM_OPTS" | grep -o -- "-XX:SharedArchiveFile=[^ ]* -Xshare:auto")"
    echo "size $(stat -c %s "$CASSANDRA_HOME/cds/cassandra.jsa")"
    echo "shared $(java -Xshare:on -XX:SharedArchiveFile="$CASSANDRA_HOME/cds/cassandra.jsa" -Xlog:class+load=info \
        -cp "$CLASSPATH" org.apache.cassandra.tools.GetVersion | grep -c "org\.apache\.cassandra\..* source: shared objects file")"' 2>&1) || true
size=$(sed -n 's/^size //p' <<<"$cds") shared=$(sed -n 's/^shared //p' <<<"$cds")
if grep -qx "last /etc/cassandra" <<<"$cds" &&
   grep -qx "opts -XX:SharedArchiveFile=/opt/cassandra/cds/cassandra.jsa -Xshare:auto" <<<"$cds" &&
   [ "${size:-0}" -gt 10000000 ] && [ "${shared:-0}" -gt 20 ]; then
    ok "image CDS archive: $size bytes, mapped with -Xshare:on on the include's class path (conf last); GetVersion took $shared of Cassandra's classes from it"
else
    printf '%s\n' "$cds" | sed 's/^/# /'; not_ok "image CDS archive"
fi

# ---- one node on a user-defined bridge network
# A fixed address needs a network with a subnet we chose; pick a random /24
# and try again when it overlaps one that exists.
net_ok=
for _ in 1 2 3 4 5 6 7 8; do
    subnet=10.213.$((RANDOM % 250 + 1)).0/24
    if docker network create --driver bridge --subnet "$subnet" "$NET" >/dev/null 2>"$tmp/net.err"; then
        net_ok=1; break
    fi
done
[ -n "$net_ok" ] || { sed 's/^/# /' "$tmp/net.err"; fatal "could not create a bridge network"; }
ip=${subnet%.0/24}.10
ok "created bridge network $NET ($subnet)"

jvm_opts="-Dcassandra.ring_delay_ms=5000 -Dcassandra.skip_wait_for_gossip_to_settle=0"
jvm_opts+=" -Dcassandra.config.allow_system_properties=true"
jvm_opts+=" -Dcassandra.settings.listen_address=$ip -Dcassandra.settings.rpc_address=$ip"
docker create --name "$NODE" --hostname "$NODE" --network "$NET" --ip "$ip" --memory 1.5g \
    --user cassandra -e MAX_HEAP_SIZE=512M -e HEAP_NEWSIZE=128M -e JVM_EXTRA_OPTS="$jvm_opts" \
    "$IMAGE" >/dev/null || fatal "docker create of the node failed"
docker cp "$NODE:/etc/cassandra/cassandra.yaml" "$tmp/cassandra.yaml"
sed -i "s/^\( *- seeds: \)\"[^\"]*\"/\1\"$ip:7000\"/" "$tmp/cassandra.yaml"
grep -q "^ *- seeds: \"$ip:7000\"" "$tmp/cassandra.yaml" || fatal "could not set the seeds in cassandra.yaml"
docker cp "$tmp/cassandra.yaml" "$NODE:/etc/cassandra/cassandra.yaml"

node_logs() { docker logs "$NODE" 2>&1 | tail -n "${1:-30}" | cut -c1-240 | sed 's/^/# /'; }
started=$(now)
docker start "$NODE" >/dev/null || fatal "docker start of the node failed"
# The log line is cheap to watch; nodetool (a JVM start, ~2 s) confirms it.
un=
deadline=$((SECONDS + UN_TIMEOUT))
while [ $SECONDS -lt $deadline ]; do
    if [ "$(docker inspect -f '{{.State.Running}}' "$NODE")" != true ]; then
        node_logs 40
        fatal "the node exited before reaching UN (exit code $(docker inspect -f '{{.State.ExitCode}}' "$NODE"), OOM killed: $(docker inspect -f '{{.State.OOMKilled}}' "$NODE"))"
    fi
    if docker logs "$NODE" 2>&1 | grep -q 'state jump to NORMAL' \
       && docker exec "$NODE" nodetool status 2>/dev/null | grep -Eq "^UN +$ip "; then
        un=$(since "$started"); break
    fi
    sleep 1
done
if [ -n "$un" ]; then
    ok "node $ip is UN in nodetool status"
    timing "node start to UN ${un}s"
    # shellcheck disable=SC2016  # expanded in the container
    cmdline=$(docker exec "$NODE" sh -c 'tr "\0" " " </proc/$(pgrep -f CassandraDaemon | head -n 1)/cmdline' 2>&1)
    if grep -q -- "-XX:SharedArchiveFile=/opt/cassandra/cds/cassandra.jsa -Xshare:auto" <<<"$cmdline"; then
        ok "the node's JVM was started with the CDS archive"
    else
        echo "$cmdline" | cut -c1-400 | sed 's/^/# /'; not_ok "the node's JVM has no -XX:SharedArchiveFile"
    fi
else
    node_logs 40; fatal "node not UN within ${UN_TIMEOUT}s"
fi

query="select release_version from system.local"
cql_ok=
deadline=$((SECONDS + 60))
while [ $SECONDS -lt $deadline ]; do
    if docker exec "$NODE" cqlsh "$ip" -e "$query" >"$tmp/cql.out" 2>&1; then cql_ok=1; break; fi
    sleep 1
done
if [ -n "$cql_ok" ] && grep -qx " *$VERSION" "$tmp/cql.out"; then
    ok "cqlsh inside the node: release_version $VERSION"
    timing "node start to cqlsh answer $(since "$started")s"
else
    sed 's/^/# /' "$tmp/cql.out"; not_ok "cqlsh inside the node did not return release_version $VERSION"
fi

# A second container on the network, by the node's name: the address
# Cassandra serves CQL on is the one other containers reach.
if docker run --name "$RUN_ID-client" --rm --network "$NET" --user cassandra "$IMAGE" \
       cqlsh "$NODE" -e "$query" >"$tmp/cql2.out" 2>&1 \
   && grep -qx " *$VERSION" "$tmp/cql2.out"; then
    ok "cqlsh from another container reaches $NODE over $NET"
else
    sed 's/^/# /' "$tmp/cql2.out"; not_ok "cqlsh from another container could not query $NODE"
fi
# bin/cassandra preloads jemalloc when it finds it: the JVM must have it mapped.
if docker exec "$NODE" sh -c 'grep -l libjemalloc /proc/[0-9]*/maps' >"$tmp/jemalloc.out" 2>/dev/null \
   && ! docker logs "$NODE" 2>&1 | grep -q 'jemalloc shared library could not be preloaded'; then
    ok "Cassandra runs with jemalloc preloaded ($(head -1 "$tmp/jemalloc.out"))"
else
    not_ok "Cassandra does not have jemalloc preloaded"
fi
echo "# memory of the node: $(docker stats --no-stream --format '{{.MemUsage}}' "$NODE")"
# What the node complained about: what an entrypoint or the image could still fix.
docker logs "$NODE" 2>&1 | grep '^WARN ' | cut -d' ' -f6- | cut -c1-200 | sed 's/^/# node warning: /'
