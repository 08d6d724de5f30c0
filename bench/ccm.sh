#!/usr/bin/env bash
# bench/ccm.sh: a brand-new 3-node cluster on this machine, ccm against
# ./provision.sh, alternating in one run (issue 15).
#
#   ccm          the tool Cassandra's developers use for local clusters, from
#                PyPI (pinned), on the SAME Cassandra distribution: the one in
#                our image (/opt/cassandra, copied out with docker cp), three
#                JVMs on 127.0.0.1-3; timed from `ccm start
#                --wait-for-binary-proto` to its return (CQL answering on
#                every node), heap MAX_HEAP_SIZE (default 768M, what our nodes
#                get from their 1.5 GiB limit).
#   provision    `./provision.sh` on a host where the cluster does not exist:
#                the README's main command, as a user runs it (image build and
#                push checked, cached), until it prints the ring with 3 x UN.
#
# CPU: the seconds of CPU the three nodes used to get there (ccm: the JVMs'
# utime+stime from /proc; ours: each container's cgroup, which includes the
# readiness checks run inside it), per node start.
# Both use Cassandra's default start-up settings (no test flags).
#
# Environment: ROUNDS (2), MAX_HEAP_SIZE (768M), RESULTS (bench/results-ccm.md),
# CCM_VERSION (pinned below).  Needs root, a free 127.0.0.1:9042/7000/7199,
# and no cluster named cass (prefix of provision.sh's default) on the engine.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(dirname "$HERE")
cd "$ROOT"
ROUNDS=${ROUNDS:-2}
HEAP=${MAX_HEAP_SIZE:-768M}
RESULTS=${RESULTS:-$HERE/results-ccm.md}
CCM_VERSION=${CCM_VERSION:-3.1.5}
VERSION=$(cat image/cassandra.version)
IMAGE=cass-entry:$VERSION
WORK=$HERE/work/ccm
VENV=$WORK/venv
DIST=$WORK/cassandra-$VERSION
CCM_DIR=$WORK/config

say() { echo "bench/ccm.sh: $*" >&2; }
die() { say "error: $*"; exit 1; }
now() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }'; }
ccm() { "$VENV/bin/ccm" "$@" --config-dir="$CCM_DIR"; }

# shellcheck disable=SC2317  # run by the trap
cleanup() {
    [ -d "$CCM_DIR/bench" ] && ccm remove bench >/dev/null 2>&1
    ./provision.sh down --volumes >/dev/null 2>&1 || true
}
trap cleanup EXIT

[ "$(id -u)" -eq 0 ] || die "needs root (dockerd, provision.sh)"
command -v java >/dev/null || die "ccm needs java on PATH (Java 11 or 17 for Cassandra $VERSION)"
mkdir -p "$WORK"

# ---- ccm from PyPI, pinned
if [ ! -x "$VENV/bin/ccm" ]; then
    say "installing ccm $CCM_VERSION (pip)"
    python3 -m venv "$VENV" >/dev/null
    "$VENV/bin/pip" install -q --disable-pip-version-check "ccm==$CCM_VERSION" >"$WORK/pip.log" 2>&1 \
        || { tail -5 "$WORK/pip.log" >&2; die "pip install ccm==$CCM_VERSION failed (see $WORK/pip.log)"; }
fi

# ---- the distribution, out of our image (built by the main command if missing)
if ! docker image inspect "$IMAGE" >/dev/null 2>&1; then
    say "building $IMAGE (image/build.sh)"
    image/build.sh >/dev/null || die "image/build.sh failed"
fi
if [ ! -f "$DIST/.from-image" ] || [ "$(cat "$DIST/.from-image")" != "$(docker image inspect -f '{{.Id}}' "$IMAGE")" ]; then
    rm -rf "$DIST"
    cid=$(docker create "$IMAGE")
    docker cp "$cid:/opt/cassandra/." "$DIST" >/dev/null || { docker rm "$cid" >/dev/null; die "docker cp of /opt/cassandra failed"; }
    # The image keeps conf/ in /etc/cassandra (conf is a link to it, as in the
    # official image); ccm wants it in the install dir, and a binary install
    # names its version in 0.version.txt (what ccm writes for its downloads).
    rm -rf "$DIST/conf" "$DIST/data" "$DIST/logs"   # links into the image's own dirs
    docker cp "$cid:/etc/cassandra/." "$DIST/conf" >/dev/null || { docker rm "$cid" >/dev/null; die "docker cp of /etc/cassandra failed"; }
    docker rm "$cid" >/dev/null
    echo "$VERSION" >"$DIST/0.version.txt"
    docker image inspect -f '{{.Id}}' "$IMAGE" >"$DIST/.from-image"
fi
[ -z "$(docker ps -aq --filter label=io.cass-entry.cluster=cass)" ] \
    || die "a cluster 'cass' exists on this engine: the benchmark needs a brand-new one (./provision.sh down --volumes)"

# cpu_of_pids PID...: CPU seconds (utime + stime) of those processes
cpu_of_pids() {
    local tck total=0 p
    tck=$(getconf CLK_TCK)
    for p in "$@"; do
        total=$((total + $(awk '{ print $14 + $15 }' "/proc/$p/stat")))
    done
    awk -v t="$total" -v h="$tck" 'BEGIN { printf "%.1f", t / h }'
}
# cpu_of_containers NAME...: CPU seconds of those containers' cgroups (v1 or v2)
cpu_of_containers() {
    local total=0 id f ns
    for n in "$@"; do
        id=$(docker inspect -f '{{.Id}}' "$n")
        for f in "/sys/fs/cgroup/cpuacct/docker/$id/cpuacct.usage" \
                 "/sys/fs/cgroup/system.slice/docker-$id.scope/cpu.stat" \
                 "/sys/fs/cgroup/docker/$id/cpu.stat"; do
            [ -f "$f" ] || continue
            case $f in
                *cpuacct.usage) ns=$(cat "$f") ;;
                *) ns=$(( $(awk '$1 == "usage_usec" { print $2 }' "$f") * 1000 )) ;;
            esac
            total=$((total + ns))
            break
        done
    done
    awk -v t="$total" 'BEGIN { printf "%.1f", t / 1e9 }'
}

# cql_options_all ADDR...: each ADDR:9042 answers a CQL OPTIONS with SUPPORTED
# within 60 s (polled).
cql_options_all() {
    python3 - "$@" <<'EOF'
import socket, sys, time
deadline = time.time() + 60
for addr in sys.argv[1:]:
    while True:
        try:
            s = socket.create_connection((addr, 9042), timeout=2)
            s.sendall(bytes([4, 0, 0, 0, 5, 0, 0, 0, 0]))
            h = s.recv(9)
            s.close()
            if len(h) == 9 and h[0] == 0x84 and h[4] == 6:
                break
        except OSError:
            pass
        if time.time() > deadline:
            sys.exit(1)
        time.sleep(0.2)
EOF
}

CCM_T=() CCM_CPU=() OURS_T=() OURS_CPU=() OURS_UN=()
for r in $(seq 1 "$ROUNDS"); do
    # ---- ccm
    ccm remove bench >/dev/null 2>&1 || true
    rm -rf "${CCM_DIR:?}/bench"
    mkdir -p "$CCM_DIR"
    ccm create bench --install-dir="$DIST" >"$WORK/ccm-create.log" 2>&1 \
        || { tail -5 "$WORK/ccm-create.log" >&2; die "ccm create failed"; }
    ccm populate -n 3 >>"$WORK/ccm-create.log" 2>&1 || die "ccm populate failed"
    sync
    t=$(now)
    # --root: this benchmark runs as root (as provision.sh does); without it
    # Cassandra's own script refuses to start.
    if ! MAX_HEAP_SIZE=$HEAP HEAP_NEWSIZE=200M ccm start --root --wait-for-binary-proto >"$WORK/ccm-start.log" 2>&1; then
        tail -20 "$WORK/ccm-start.log" >&2; die "ccm start failed (round $r)"
    fi
    # Taken at its word only once every node answers CQL OPTIONS itself.
    cql_options_all 127.0.0.1 127.0.0.2 127.0.0.3 || die "ccm returned but not every node answers CQL (round $r)"
    CCM_T+=("$(since "$t")")
    pids=()
    for f in "$CCM_DIR"/bench/node*/cassandra.pid; do pids+=("$(tr -d "[:space:]" <"$f")"); done   # no final newline
    CCM_CPU+=("$(cpu_of_pids "${pids[@]}")")
    say "round $r: ccm ${CCM_T[-1]} s, CPU ${CCM_CPU[-1]} s"
    ccm stop >/dev/null 2>&1 || true
    ccm remove bench >/dev/null 2>&1 || true

    # ---- ours: the README's main command
    t=$(now)
    ./provision.sh >"$WORK/provision-$r.log" 2>&1 || { tail -30 "$WORK/provision-$r.log" >&2; die "./provision.sh failed (round $r)"; }
    OURS_T+=("$(since "$t")")
    OURS_CPU+=("$(cpu_of_containers cass1 cass2 cass3)")
    OURS_UN+=("$(grep -cE '^\S+\s+cass[123]\s+\S+\s+UN\s' "$WORK/provision-$r.log" || true)")
    say "round $r: provision.sh ${OURS_T[-1]} s (${OURS_UN[-1]} x UN), CPU ${OURS_CPU[-1]} s"
    ./provision.sh down --volumes >/dev/null 2>&1 || die "./provision.sh down --volumes failed"
done

median() { printf '%s\n' "$@" | sort -n | awk '{ a[NR] = $1 } END { print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }
m_ccm=$(median "${CCM_T[@]}"); m_ours=$(median "${OURS_T[@]}")
m_ccm_cpu=$(median "${CCM_CPU[@]}"); m_ours_cpu=$(median "${OURS_CPU[@]}")
ratio=$(awk -v a="$m_ours" -v b="$m_ccm" 'BEGIN { printf "%.2f", a / b }')
{
    echo "# ccm vs ./provision.sh: a brand-new 3-node cluster ($(date -u +%Y-%m-%d), $(nproc) cores)"
    echo
    echo "Written by \`bench/ccm.sh\` (ROUNDS=$ROUNDS). Cassandra $VERSION, the same distribution for"
    echo "both (ccm runs the one copied out of $IMAGE), heap $HEAP, Cassandra's default start-up"
    echo "settings. ccm: \`ccm start --wait-for-binary-proto\` (CQL answers on every node). Ours:"
    echo "\`./provision.sh\` on a host without the cluster, until its ring table (3 x UN, the ring"
    echo "verified, image build and push checked on the way)."
    echo
    echo "| round | ccm s | ccm CPU s per node | provision.sh s | UN rows | provision.sh CPU s per node |"
    echo "|---:|---:|---:|---:|---:|---:|"
    for i in "${!CCM_T[@]}"; do
        echo "| $((i + 1)) | ${CCM_T[$i]} | $(awk -v c="${CCM_CPU[$i]}" 'BEGIN { printf "%.1f", c / 3 }') | ${OURS_T[$i]} | ${OURS_UN[$i]} | $(awk -v c="${OURS_CPU[$i]}" 'BEGIN { printf "%.1f", c / 3 }') |"
    done
    echo
    echo "Medians: ccm $m_ccm s, provision.sh $m_ours s: **ratio $ratio** (provision.sh / ccm; goal <= 1.0)."
    echo "CPU per node start: ccm $(awk -v c="$m_ccm_cpu" 'BEGIN { printf "%.1f", c / 3 }') s, ours $(awk -v c="$m_ours_cpu" 'BEGIN { printf "%.1f", c / 3 }') s."
} >"$RESULTS"
cat "$RESULTS"
