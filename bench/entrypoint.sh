#!/usr/bin/env bash
# bench/entrypoint.sh: how long an entrypoint takes from its own exec to the
# exec of Cassandra, and how much memory it needs, side by side in one run:
#   - cass-entry, the static musl build (`make static`, what the image ships)
#     and the glibc build, a real run (no --dry-run): addresses, heap from the
#     cgroup limits, cassandra.yaml through yamlpatch, rackdc, chown, drop to
#     uid 999, seed resolution, exec;
#   - bench/entrypoint-start.sh: the original start.sh's four seds, as root;
#   - bench/entrypoint-official.sh: the steps of the official image's
#     docker-entrypoint.sh (bash, ip, sed through a temp file per key, rackdc,
#     chown, re-exec through gosu as cassandra);
#   - the floor: exec of the fake Cassandra alone.
# "Cassandra" is a symbolic link to /bin/true, so a run ends when the
# entrypoint has exec'd it.  Every run starts from a fresh copy of 5.0.1's
# conf dir (hyperfine --prepare, not timed).  Each entrypoint first runs once
# with a recording fake Cassandra and its result is checked, so a broken
# script can't look fast.
#
# Runs in its own network/UTS/mount namespaces: host name benchnode with one
# veth address 10.98.0.7, and /etc/hosts (benchnode, the seed cass1),
# /etc/passwd and /etc/group (a cassandra user, uid 999) bind-mounted for the
# namespace only, so every contender sees the same machine.
#
# Writes bench/results-entrypoint.md (RESULTS=FILE to change).  RUNS (200)
# timed runs per contender, RSS_RUNS (20) runs under /usr/bin/time -v.
# Needs root, hyperfine, GNU time, gosu (image/install-deps.sh installs them).
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(dirname "$HERE")
SELF=$HERE/$(basename "$0")
RESULTS=${RESULTS:-$HERE/results-entrypoint.md}
RUNS=${RUNS:-200}
RSS_RUNS=${RSS_RUNS:-20}
CORPUS=$("$ROOT/tests/corpus/locate.sh" 2>&1) || { echo "bench/entrypoint.sh: $CORPUS" >&2; exit 1; }
VERSION=${BENCH_CONF_VERSION:-5.0.1}
SRC=$CORPUS/$VERSION/conf

if [ -z "${CASS_ENTRY_BENCH_IN_NS:-}" ]; then
    [ "$(id -u)" -eq 0 ] || { echo "bench/entrypoint.sh: needs root (namespaces, mount, chown, setuid)" >&2; exit 1; }
    [ -f "$SRC/cassandra.yaml" ] || { echo "bench/entrypoint.sh: no $SRC/cassandra.yaml" >&2; exit 1; }
    "$ROOT/image/install-deps.sh"
    for tool in hyperfine gosu unshare ip python3; do
        command -v "$tool" >/dev/null || { echo "bench/entrypoint.sh: $tool missing" >&2; exit 1; }
    done
    [ -x /usr/bin/time ] || { echo "bench/entrypoint.sh: GNU time (/usr/bin/time) missing" >&2; exit 1; }
    make -C "$ROOT" -s -j"$(nproc)" build/cass-entry build/yamlpatch
    make -C "$ROOT" -s static >/dev/null || echo "bench/entrypoint.sh: make static failed; benchmarking the glibc build only" >&2
    CASS_ENTRY_BENCH_IN_NS=1 exec unshare --mount --net --uts --propagation private bash "$SELF" "$@"
fi

# ---- the machine every contender sees ------------------------------------------
hostname benchnode
ip link set lo up
ip link add v0 type veth peer name v1
ip addr add 10.98.0.7/24 dev v0
ip link set v0 up
ip link set v1 up

W=$(mktemp -d /tmp/cass-entry-bench.XXXXXX)
chmod 755 "$W"   # the official-style script re-runs itself as uid 999 from here
cleanup() {
    for f in hosts passwd group; do umount "/etc/$f" 2>/dev/null || true; done
    rm -rf "$W"
}
trap cleanup EXIT

mkdir -p "$W"/{etc,bin,verify-bin,data,log,home,rec}
chmod 777 "$W/rec"   # the recording Cassandra may run as uid 999
printf '127.0.0.1\tlocalhost\n10.98.0.7\tbenchnode\n10.98.0.9\tcass1\n' >"$W/etc/hosts"
cp /etc/passwd "$W/etc/passwd"; cp /etc/group "$W/etc/group"
grep -q '^cassandra:' "$W/etc/passwd" || echo 'cassandra:x:999:999::/home/cassandra:/usr/sbin/nologin' >>"$W/etc/passwd"
grep -q '^cassandra:' "$W/etc/group" || echo 'cassandra:x:999:' >>"$W/etc/group"
for f in hosts passwd group; do mount --bind "$W/etc/$f" "/etc/$f"; done

ln -s /bin/true "$W/bin/cassandra"
cat >"$W/verify-bin/cassandra" <<EOF
#!/bin/sh
echo "uid=\$(id -u) args=\$*" >"$W/rec/verify.record"
EOF
chmod 755 "$W/verify-bin/cassandra"
cp "$HERE/entrypoint-start.sh" "$HERE/entrypoint-official.sh" "$W/"

export PATH=$W/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
export CASSANDRA_CONF=$W/conf CASSANDRA_HOME=$W/home
export CASS_ENTRY_DATA_DIR=$W/data CASS_ENTRY_LOG_DIR=$W/log     # cass-entry's
export CASSANDRA_DATA_DIR=$W/data CASSANDRA_LOG_DIR=$W/log       # the official-style script's
export CASSANDRA_CLUSTER_NAME=Bench CASSANDRA_NUM_TOKENS=8 CASSANDRA_SEEDS=cass1
export CASSANDRA_ENDPOINT_SNITCH=GossipingPropertyFileSnitch CASSANDRA_DC=benchdc CASSANDRA_RACK=rack9
unset MAX_HEAP_SIZE HEAP_NEWSIZE JVM_OPTS

# name | command (hyperfine -N: split into words, no shell)
NAMES=() CMDS=()
if [ -x "$ROOT/build/static/cass-entry" ]; then
    NAMES+=("cass-entry (static musl)"); CMDS+=("$ROOT/build/static/cass-entry")
fi
NAMES+=("cass-entry (glibc)");            CMDS+=("$ROOT/build/cass-entry")
NAMES+=("original start.sh (4 seds)");    CMDS+=("$W/entrypoint-start.sh cass1")
NAMES+=("official-style shell entrypoint"); CMDS+=("$W/entrypoint-official.sh cassandra -f")
NAMES+=("floor: exec of the fake Cassandra"); CMDS+=("cassandra -f")
# the corpus files are read-only (0444); an image's conf files are 0644
PREPARE="sh -c 'rm -rf $W/conf && cp -r $SRC $W/conf && chmod -R u+w $W/conf'"
fresh_conf() { rm -rf "$W/conf" && cp -r "$SRC" "$W/conf" && chmod -R u+w "$W/conf"; }

# ---- each contender does its job -------------------------------------------------
Y=$ROOT/build/yamlpatch
yget() { "$Y" get "$W/conf/cassandra.yaml" "$1" 2>&1 || true; }
verify() { # verify INDEX: one run with the recording Cassandra, then its result
    local name=${NAMES[$1]} cmd=${CMDS[$1]} problems=()
    fresh_conf; rm -f "$W/rec/verify.record"
    # shellcheck disable=SC2086
    PATH=$W/verify-bin:$PATH $cmd >"$W/verify.out" 2>&1 || problems+=("exit status $?")
    [ -s "$W/rec/verify.record" ] || problems+=("Cassandra was not exec'd")
    case $name in
    cass-entry*|official*)
        [ "$(yget listen_address)" = 10.98.0.7 ] || problems+=("listen_address $(yget listen_address)")
        [ "$(yget broadcast_rpc_address)" = 10.98.0.7 ] || problems+=("broadcast_rpc_address $(yget broadcast_rpc_address)")
        [ "$(yget cluster_name)" = Bench ] || problems+=("cluster_name $(yget cluster_name)")
        [ "$(yget num_tokens)" = 8 ] || problems+=("num_tokens $(yget num_tokens)")
        [ "$(yget endpoint_snitch)" = GossipingPropertyFileSnitch ] || problems+=("endpoint_snitch")
        grep -qx 'dc=benchdc' "$W/conf/cassandra-rackdc.properties" || problems+=("rackdc dc")
        grep -q '^uid=999 ' "$W/rec/verify.record" 2>/dev/null || problems+=("not run as uid 999") ;;
    original*)
        [ "$(yget rpc_address)" = 0.0.0.0 ] || problems+=("rpc_address $(yget rpc_address)")
        [ "$(yget broadcast_rpc_address)" = 10.98.0.7 ] || problems+=("broadcast_rpc_address $(yget broadcast_rpc_address)") ;;
    esac
    case $name in floor*) ;; *)
        [ "$(yget 'seed_provider[0].parameters[0].seeds')" = cass1 ] || problems+=("seeds $(yget 'seed_provider[0].parameters[0].seeds')") ;;
    esac
    if [ ${#problems[@]} -gt 0 ]; then
        echo "bench/entrypoint.sh: $name did not do its job: ${problems[*]}" >&2
        sed 's/^/    /' "$W/verify.out" >&2
        return 1
    fi
    echo "verified: $name"
}
for i in "${!NAMES[@]}"; do verify "$i"; done

# ---- wall time: hyperfine, every contender in one run ------------------------------
hf=(hyperfine -N --warmup 10 --runs "$RUNS" --export-json "$W/hyperfine.json" --style basic)
for i in "${!NAMES[@]}"; do hf+=(--prepare "$PREPARE" --command-name "${NAMES[$i]}" "${CMDS[$i]}"); done
load_before=$(cut -d' ' -f1-3 /proc/loadavg)
"${hf[@]}"
load_after=$(cut -d' ' -f1-3 /proc/loadavg)

# ---- peak RSS: /usr/bin/time -v, largest process of the run ------------------------
: >"$W/rss.tsv"
for i in "${!NAMES[@]}"; do
    for _ in $(seq "$RSS_RUNS"); do
        fresh_conf
        # shellcheck disable=SC2086
        /usr/bin/time -v ${CMDS[$i]} >/dev/null 2>"$W/time.out"
        kb=$(awk -F': ' '/Maximum resident set size/ { print $2 }' "$W/time.out")
        printf '%s\t%s\n' "$i" "$kb" >>"$W/rss.tsv"
    done
done

# ---- the report -------------------------------------------------------------------
static_size=$( [ -x "$ROOT/build/static/cass-entry" ] && stat -c %s "$ROOT/build/static/cass-entry" || echo "")
python3 - "$W/hyperfine.json" "$W/rss.tsv" "$RESULTS" "$RUNS" "$RSS_RUNS" "$VERSION" "$static_size" \
    "$load_before" "$load_after" "${NAMES[@]}" <<'PY'
import json, platform, os, statistics, subprocess, sys, time
hjson, rss_tsv, out, runs, rss_runs, version, static_size, load_before, load_after = sys.argv[1:10]
names = sys.argv[10:]
res = {r["command"]: r for r in json.load(open(hjson))["results"]}
rss = {}
for line in open(rss_tsv):
    i, kb = line.split()
    rss.setdefault(names[int(i)], []).append(int(kb))
official = res["official-style shell entrypoint"]["median"]
cpu = lambda r: r["user"] + r["system"]
official_cpu = cpu(res["official-style shell entrypoint"])
ms = lambda s: "%.2f" % (s * 1000)
hf_version = subprocess.run(["hyperfine", "--version"], capture_output=True, text=True).stdout.strip()
rows = []
for n in names:
    r = res[n]
    kb = rss[n]
    rows.append("| %s | %s | %s ± %s | %s | %s | %d | %d | %.1fx | %.1fx |" % (
        n, ms(r["median"]), ms(r["mean"]), ms(r["stddev"]), ms(r["min"]), ms(cpu(r)),
        max(kb), int(statistics.median(kb)), official / r["median"], official_cpu / cpu(r)))
goals = []
for n in names:
    if not n.startswith("cass-entry"):
        continue
    t, peak = res[n]["median"], max(rss[n])
    c = cpu(res[n])
    goals.append("- %s: median %s ms = 1/%.1f of the official-style entrypoint's %s ms "
                 "(goal <= 1/10: **%s**; CPU time 1/%.1f); peak RSS %d KiB = %.2f MiB "
                 "(goal <= 4 MiB: **%s**)" % (
                 n, ms(t), official / t, ms(official), "met" if t <= official / 10 else "NOT met",
                 official_cpu / c, peak, peak / 1024, "met" if peak <= 4096 else "NOT met"))
with open(out, "w") as f:
    f.write("""# cass-entry vs the shell entrypoints: time to exec Cassandra, peak memory

Written by `bench/entrypoint.sh` on %s. Machine: %s, %d CPUs, Linux %s; %s.
Conf dir: %s's, copied fresh before every run (not timed). "Cassandra" is a
link to /bin/true, so a run is the time from the exec of the entrypoint to the
exec of Cassandra (plus the exit of /bin/true, the floor row). All contenders
run as root in the same network namespace (host name benchnode, one address
10.98.0.7) with the same variables: CASSANDRA_CLUSTER_NAME, NUM_TOKENS,
ENDPOINT_SNITCH, DC, RACK, SEEDS=cass1 (start.sh: the argument cass1).

| entrypoint | median ms | mean ± σ ms | min ms | CPU ms (user+sys) | peak RSS KiB (max of %s) | median RSS KiB | official-style / this (median) | official-style / this (CPU) |
|---|---|---|---|---|---|---|---|---|
%s

Wall time: hyperfine -N (no shell), 10 warm-up runs, %s timed runs each, the
contenders one after the other in one invocation; CPU is hyperfine's mean user +
system time of the run's processes. Load average (1/5/15 min) before: %s, after: %s
(the machine is shared: wall times under load are long-tailed, CPU times less so).
Peak RSS: `/usr/bin/time -v`
"Maximum resident set size", the largest single process of the run (the
kernel keeps the high-water mark across exec, so cass-entry's row covers
cass-entry and then /bin/true).

## Goals (issue 3)
%s

## What each contender does
- **cass-entry**: a real run, no `--dry-run`: reads this node's addresses, /etc/hosts,
  the cgroup limits and /proc/meminfo, detects the version from the conf files, computes
  the heap, edits cassandra.yaml through yamlpatch (seeds, listen/broadcast/rpc/
  broadcast_rpc addresses, cluster_name, num_tokens, endpoint_snitch) and
  cassandra-rackdc.properties, checks its host limits, resolves the seed cass1,
  chowns the conf/data/log dirs, drops to uid 999, execs `cassandra -f`.%s
- **original start.sh** (`bench/entrypoint-start.sh`): four `sed -i` and `hostname -i`,
  exec as root.
- **official-style** (`bench/entrypoint-official.sh`): the official docker-entrypoint.sh's
  steps: `find ... -exec chown`, re-exec through gosu as cassandra, the address from
  `ip`, the default chain, one sed through a temporary file per set key (seeds + 7
  keys) and per rackdc property (2), exec.
""" % (time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()), platform.processor() or platform.machine(),
       os.cpu_count(), platform.release(), hf_version, version, rss_runs, "\n".join(rows), runs,
       load_before, load_after, "\n".join(goals),
       (" The static binary is %s bytes." % static_size) if static_size else ""))
print(open(out).read())
PY
