#!/usr/bin/env bash
# bench/appcds.sh: one start-up lever for Cassandra in the product image, a
# JVM class-data-sharing archive of Cassandra's own classes (AppCDS), measured
# against the image as it is, in one run:
#   1. training: one node started with -XX:ArchiveClassesAtExit (a dynamic
#      archive on top of the JDK's own classes.jsa) and -XX:DumpLoadedClassList,
#      until "Starting listening for CQL clients", then `docker stop -t 120` so
#      the JVM exits normally and writes the archive.  The attempts go from the
#      plain flag to what the JVM asks for, and each refusal is recorded
#      word for word: Cassandra's -javaagent (jamm) needs
#      -XX:+AllowArchivingWithJavaAgent (a diagnostic flag), and CDS refuses a
#      non-empty directory before the jars on the class path (Cassandra puts
#      its conf directory first), so the last attempt sources an include file
#      (CASSANDRA_INCLUDE) that moves the conf directory to the end of the
#      class path.  From the same class list a static archive is made too
#      (java -Xshare:dump, same class path), which needs no diagnostic flag;
#   2. BENCH_ROUNDS rounds (3), each a fresh node (new container, new
#      anonymous data volume) WITHOUT an archive, then WITH the dynamic one,
#      then WITH the static one (-XX:SharedArchiveFile, -Xshare:on so that the
#      JVM refuses to start rather than run without it).  Every variant uses
#      the same include file (same class path) and the suites' fast start-up
#      flags (E2E_FAST_OPTS), so the archive is the only difference;
#   3. one diagnostic node per variant with -Xlog:class+load to a file: how
#      many classes came from an archive ("shared objects file", "(top)" for
#      the dynamic layer) and how many from elsewhere (BENCH_DIAG=0 skips it).
# The product image carries the static archive since this measurement
# (image/cassandra.Dockerfile, its CASSANDRA_INCLUDE); the bench still measures
# the lever itself: every measured variant sources this script's own include
# (Cassandra's, conf directory last, no archive option), so WITHOUT maps only
# the JDK's base archive.
# Per node: seconds from Docker's StartedAt to Cassandra's "Starting listening
# for CQL clients" log line, and CPU seconds the container's cgroup used until
# then (cpuacct.usage, or cpu.stat on cgroup v2), read as soon as the line is
# seen in the container's log (polled every 0.5 s, so up to 0.5 s late).
#
# Writes bench/results-appcds.md (RESULTS=FILE to change).  Knobs: BENCH_ROUNDS
# (3), BENCH_MEMORY (1.5g per node), BENCH_NODE_TIMEOUT (300 s), BENCH_DIAG (1).
# Needs root and what image/build.sh needs; run it under the Docker lock the
# other Docker jobs use (flock LOCKFILE bash bench/appcds.sh).  Cleans up
# every container, volume and network it created.
set -uo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(dirname "$HERE")
cd "$ROOT" || exit 1
RESULTS=${RESULTS:-$HERE/results-appcds.md}
MEM=${BENCH_MEMORY:-1.5g}
ROUNDS=${BENCH_ROUNDS:-3}
NODE_TIMEOUT=${BENCH_NODE_TIMEOUT:-300}
DIAG=${BENCH_DIAG:-1}

E2E_RUN=bench-appcds-$$
E2E_TMP=$(mktemp -d /tmp/cass-entry-bench-appcds.XXXXXX)
# shellcheck source=tests/e2e/lib.sh
. tests/e2e/lib.sh

CDS_VOL=$E2E_RUN-cds
NET=$E2E_RUN-net
# Inside the containers: the archive volume, the include file, the archives.
CDS_DIR=/cds
INCLUDE=$CDS_DIR/cassandra.in.sh
DYN=$CDS_DIR/cassandra-dynamic.jsa
STATIC=$CDS_DIR/cassandra-static.jsa
CLASSLIST=$CDS_DIR/classes.lst
AGENT_OPTS="-XX:+UnlockDiagnosticVMOptions -XX:+AllowArchivingWithJavaAgent"

say() { echo "bench/appcds.sh: $*" >&2; }
die() { say "error: $*"; exit 1; }
cleanup() {
    e2e_remove "$E2E_LABEL=$E2E_RUN" || true
    local v
    for v in $(docker volume ls -q --filter "label=$E2E_LABEL=$E2E_RUN" 2>/dev/null); do
        docker volume rm -f "$v" >/dev/null 2>&1 || say "could not remove volume $v"
    done
    rm -rf "$E2E_TMP"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

[ "$(id -u)" -eq 0 ] || die "needs root (dockerd, image builds)"
if ! E2E_IMAGE=$(image/build.sh | tail -n 1) || [ -z "$E2E_IMAGE" ]; then die "image/build.sh failed"; fi
VERSION=$(docker image inspect -f '{{range .Config.Env}}{{println .}}{{end}}' "$E2E_IMAGE" | sed -n 's/^CASSANDRA_VERSION=//p')
IMAGE_ID=$(docker image inspect -f '{{.Id}}' "$E2E_IMAGE" | cut -c8-19)
load_before=$(cut -d' ' -f1-3 /proc/loadavg)

# Seconds from a container's StartedAt to Cassandra's "Starting listening for
# CQL clients" (both UTC, both from this machine's clock); as in bench/e2e.sh.
log_cql_seconds() {
    local started line
    started=$(docker inspect -f '{{.State.StartedAt}}' "$1")
    line=$(docker logs "$1" 2>&1 | grep -m1 'Starting listening for CQL clients' \
           | sed -E 's/^[A-Z]+ +\[[^]]*\] ([0-9-]+ [0-9:]+),([0-9]+) .*/\1.\2/')
    [ -n "$line" ] || { echo "?"; return; }
    awk -v a="$(date -d "$started" +%s.%N)" -v b="$(date -u -d "$line" +%s.%N)" 'BEGIN { printf "%.1f", b - a }'
}

# cpu_file CONTAINER: the file holding the CPU its cgroup used, found from the
# cgroup of its PID 1 (cgroup v1: cpuacct.usage in ns; v2: cpu.stat).
cpu_file() {
    local pid cg
    pid=$(docker inspect -f '{{.State.Pid}}' "$1" 2>/dev/null) || return 1
    [ -n "$pid" ] && [ "$pid" != 0 ] || return 1
    cg=$(awk -F: '$2 ~ /(^|,)cpuacct(,|$)/ { print $3 }' "/proc/$pid/cgroup")
    if [ -n "$cg" ] && [ -r "/sys/fs/cgroup/cpuacct$cg/cpuacct.usage" ]; then
        echo "/sys/fs/cgroup/cpuacct$cg/cpuacct.usage"; return 0
    fi
    cg=$(awk -F: '$1 == "0" { print $3 }' "/proc/$pid/cgroup")
    [ -n "$cg" ] && [ -r "/sys/fs/cgroup$cg/cpu.stat" ] && { echo "/sys/fs/cgroup$cg/cpu.stat"; return 0; }
    return 1
}
# cpu_seconds FILE: CPU seconds in it.
cpu_seconds() {
    case $1 in
        *cpu.stat) awk '$1 == "usage_usec" { printf "%.1f", $2 / 1e6 }' "$1" ;;
        *) awk '{ printf "%.1f", $1 / 1e9 }' "$1" ;;
    esac
}

# start_node NAME JVM_EXTRA_OPTS [docker run options...]: one node of its own
# (seed = itself, as the suites start one), on NET, labelled with the run id.
start_node() {
    local name=$1 jvm=$2
    shift 2
    e2e_labels "$name"
    docker run -d --name "$E2E_RUN-$name" --network "$NET" --network-alias cass1 \
        --memory "$MEM" --stop-timeout 120 "${E2E_LBL[@]}" "$@" \
        -e "JVM_EXTRA_OPTS=$E2E_FAST_OPTS $jvm" "$E2E_IMAGE" cass1 >/dev/null 2>"$E2E_TMP/run.err" \
        || { say "docker run $name failed: $(tr '\n' ' ' <"$E2E_TMP/run.err")"; return 1; }
}

# wait_cql CONTAINER: polls every 0.5 s until the CQL line is in its log; then
# reads its CPU at once.  Sets CPU (seconds, or "?").  Returns 1 when the
# container stopped or NODE_TIMEOUT passed first (WHY says which).
wait_cql() {
    local c=$1 log cf state deadline=$((SECONDS + NODE_TIMEOUT))
    CPU="?" WHY=""
    log=$(docker inspect -f '{{.LogPath}}' "$c" 2>/dev/null)
    cf=$(cpu_file "$c") || cf=""
    while [ $SECONDS -lt $deadline ]; do
        if { [ -r "$log" ] && grep -q 'Starting listening for CQL clients' "$log"; } \
            || { [ ! -r "$log" ] && docker logs "$c" 2>&1 | grep -q 'Starting listening for CQL clients'; }; then
            [ -n "$cf" ] && CPU=$(cpu_seconds "$cf")
            return 0
        fi
        state=$(docker inspect -f '{{.State.Status}} {{.State.ExitCode}} {{.State.OOMKilled}}' "$c" 2>/dev/null)
        if [ "${state%% *}" != running ]; then
            WHY="$c is not running (status, exit code, OOM killed: $state)"
            return 1
        fi
        [ -n "$cf" ] || cf=$(cpu_file "$c") || cf=""
        sleep 0.5
    done
    WHY="no CQL line from $c within ${NODE_TIMEOUT}s"
    return 1
}

# jvm_lines CONTAINER: what the JVM itself said about CDS (its stdout/stderr
# lines, not Cassandra's log lines), at most 8 of them.
jvm_lines() {
    docker logs "$1" 2>&1 | grep -v -E '^(TRACE|DEBUG|INFO|WARN|ERROR) +\[' \
        | grep -E '\[cds\]|CDS|shared archive|Error|error|Cannot have|Must enable|Hint:|AllowArchivingWithJavaAgent|^#|fatal' \
        | grep -v -E '\[warning\]\[cds\] (Skipping|Pre JDK 6)' | head -n 12
}

# ---- 1. training --------------------------------------------------------------------
e2e_network "$NET" net >/dev/null || die "could not create a network"
e2e_labels volume
docker volume create "${E2E_LBL[@]}" "$CDS_VOL" >/dev/null || die "could not create the volume $CDS_VOL"
# The include file: Cassandra's own, then its conf directory moved from the
# front of the class path to the end (no jar has a resource of that
# directory, so the lookups find the same files).  Written as root, the
# volume then handed to the cassandra user (999), who writes the archive.
e2e_labels prepare
docker run --rm "${E2E_LBL[@]}" --network none --entrypoint sh -v "$CDS_VOL:$CDS_DIR" "$E2E_IMAGE" -c "
    cat >$INCLUDE <<'EOF'
# bench/appcds.sh: CDS refuses a non-empty directory before the jars.
. \"\$CASSANDRA_HOME/bin/cassandra.in.sh\"
CLASSPATH=\"\${CLASSPATH#\"\$CASSANDRA_CONF\":}:\$CASSANDRA_CONF\"
EOF
    chown -R 999:999 $CDS_DIR" || die "could not prepare the volume $CDS_VOL"
JAVA_VERSION=$(docker run --rm "${E2E_LBL[@]}" --network none --entrypoint java "$E2E_IMAGE" -version 2>&1 | sed -n 2p)
BASE_JSA=$(docker run --rm "${E2E_LBL[@]}" --network none --entrypoint sh "$E2E_IMAGE" -c \
    'for f in "$(dirname "$(readlink -f "$(command -v java)")")"/../lib/server/classes*.jsa; do [ -e "$f" ] && printf "%s %s; " "$(basename "$f")" "$(du -h "$f" | cut -f1)"; done')

ATTEMPT_NOTE=() ATTEMPT_MSG=()
# train N NOTE JVM_OPTS ARCHIVE [docker run options...]: one training node;
# sets T_SIZE (the archive's size in bytes, empty when there is none).
train() {
    local n=$1 note=$2 jvm=$3 jsa=$4 c=$E2E_RUN-train$1 cql="no" msg
    shift 4
    say "training $n: $note"
    start_node "train$n" "$jvm -XX:ArchiveClassesAtExit=$jsa -XX:DumpLoadedClassList=$CLASSLIST" \
        -v "$CDS_VOL:$CDS_DIR" "$@" || return 1
    if wait_cql "$c"; then
        cql="yes"
        T_CQL=$(log_cql_seconds "$c")
        docker stop -t 120 "$c" >/dev/null
    else
        say "$WHY"
    fi
    T_SIZE=$(docker run --rm "${E2E_LBL[@]}" --network none --entrypoint sh -v "$CDS_VOL:$CDS_DIR:ro" "$E2E_IMAGE" -c \
        "[ -s $jsa ] && stat -c %s $jsa")
    T_WARN=$(docker logs "$c" 2>&1 | grep -c -E '\[warning\]\[cds\] (Skipping|Pre JDK 6)')
    msg="CQL reached: $cql; exit code $(docker inspect -f '{{.State.ExitCode}}' "$c"); archive: ${T_SIZE:-none} bytes"
    ATTEMPT_NOTE+=("$note")
    ATTEMPT_MSG+=("$msg"$'\n'"$(jvm_lines "$c")")
    say "training $n: $msg"
    docker rm -fv "$c" >/dev/null
}
# All three attempts run (each refusal is a result); the runs use the third,
# made with the include file, so every variant has the same class path.
T_SIZE="" T_CQL="?" T_WARN=0
train 1 "as asked: -XX:ArchiveClassesAtExit" "" "$CDS_DIR/attempt1.jsa"
train 2 "+ $AGENT_OPTS (Cassandra's -javaagent)" "$AGENT_OPTS" "$CDS_DIR/attempt2.jsa"
train 3 "+ the include file (conf directory last on the class path)" "$AGENT_OPTS" "$DYN" -e "CASSANDRA_INCLUDE=$INCLUDE"
DYN_SIZE=$T_SIZE

# The static archive, from the class list of the successful training run:
# same class path (the include), same collector; no agent at dump time.
# The JDK of the image crashes archiving lambda proxy classes (SIGSEGV in
# SystemDictionaryShared::adjust_lambda_proxy_class_dictionary); the second
# try leaves the "@lambda-proxy" lines out of the class list.
e2e_labels dump
static_dump() {  # CLASS_LIST: sets STATIC_SIZE, appends to STATIC_NOTE
    local out
    out=$(docker run --rm "${E2E_LBL[@]}" --network none --memory "$MEM" --entrypoint sh \
        -v "$CDS_VOL:$CDS_DIR" "$E2E_IMAGE" -c "
        . $INCLUDE
        [ $1 = $CLASSLIST ] || grep -v '^@lambda-proxy' $CLASSLIST >$1
        java -Xshare:dump -XX:+UseG1GC -XX:SharedClassListFile=$1 -XX:SharedArchiveFile=$STATIC -cp \"\$CLASSPATH\" >$CDS_DIR/dump.log 2>&1
        rc=\$?
        echo \"exit \$rc, \$(grep -c . $1) lines in the class list, \$(grep -c -i warning $CDS_DIR/dump.log) warnings\"
        [ -s $STATIC ] && stat -c %s $STATIC || grep -v -i warning $CDS_DIR/dump.log | grep . | head -n 12")
    STATIC_SIZE=$(echo "$out" | sed -n 2p | grep -E '^[0-9]+$')
    STATIC_NOTE+="$1: $(echo "$out" | sed -n 1p)"$'\n'
    [ -n "$STATIC_SIZE" ] || STATIC_NOTE+="$(echo "$out" | sed -n '2,$p')"$'\n'
    say "static archive from $1: ${STATIC_SIZE:-none}"
}
STATIC_NOTE="" STATIC_SIZE=""
static_dump "$CLASSLIST"
[ -n "$STATIC_SIZE" ] || static_dump "$CDS_DIR/classes-no-lambda-proxy.lst"

# ---- 2. rounds ----------------------------------------------------------------------
variants=(without)
[ -n "$DYN_SIZE" ] && variants+=(dynamic)
[ -n "$STATIC_SIZE" ] && variants+=(static)
[ ${#variants[@]} -gt 1 ] || { say "no archive at all: nothing to measure"; ROUNDS=0 DIAG=0; }
INCL=(-e "CASSANDRA_INCLUDE=$INCLUDE")
variant_opts() {
    case $1 in
        without) echo "" ;;
        dynamic) echo "$AGENT_OPTS -XX:SharedArchiveFile=$DYN -Xshare:on" ;;
        static)  echo "-XX:SharedArchiveFile=$STATIC -Xshare:on" ;;
    esac
}
declare -A WALL CPUS
for ((r = 1; r <= ROUNDS; r++)); do
    for v in "${variants[@]}"; do
        c=$E2E_RUN-r$r-$v
        start_node "r$r-$v" "$(variant_opts "$v")" -v "$CDS_VOL:$CDS_DIR:ro" "${INCL[@]}" || die "could not start $c"
        if ! wait_cql "$c"; then
            e2e_logs_tail "$c" 15 >&2
            die "$WHY"
        fi
        WALL[$r,$v]=$(log_cql_seconds "$c")
        CPUS[$r,$v]=$CPU
        say "round $r, $v: ${WALL[$r,$v]} s to CQL, ${CPUS[$r,$v]} CPU s"
        docker rm -fv "$c" >/dev/null
    done
done

# ---- 3. diagnostics: where the classes came from --------------------------------------
declare -A SRC
if [ "$DIAG" = 1 ]; then
    for v in "${variants[@]}"; do
        c=$E2E_RUN-diag-$v
        start_node "diag-$v" "$(variant_opts "$v") -Xlog:class+load:file=/var/lib/cassandra/class-load.log -Xlog:cds:file=/var/lib/cassandra/cds.log" \
            -v "$CDS_VOL:$CDS_DIR:ro" "${INCL[@]}" || die "could not start $c"
        wait_cql "$c" || { e2e_logs_tail "$c" 15 >&2; die "$WHY"; }
        docker exec "$c" cat /var/lib/cassandra/class-load.log >"$E2E_TMP/$v.classes"
        SRC[$v]=$(sed -n 's/.* source: //p' "$E2E_TMP/$v.classes" | awk '
            /^shared objects file \(top\)/ { top++; next }
            /^shared objects file/         { base++; next }
            /^jrt:/                        { jrt++; next }
            /^(file|jar):/                 { cp++; next }
                                           { other++ }
            END { printf "%d|%d|%d|%d|%d|%d", top, base, jrt, cp, other, top + base + jrt + cp + other }')
        SRC[$v,cp]=$(docker exec "$c" sh -c 'tr "\0" "\n" </proc/$(pgrep -x java | head -n 1)/cmdline' \
            | grep -A1 -x -- '-cp' | tail -n 1 | tr ':' '\n' | sed -n '1p;$p' | tr '\n' ' ')
        SRC[$v,cds]=$(docker exec "$c" grep -E 'Opened archive|Mapped (static|dynamic)  ?region #0' /var/lib/cassandra/cds.log \
            | sed -E 's/^\[[^]]*\]\[[^]]*\]\[[^]]*\] *//; s/ at base .*//' | tr '\n' ';')
        say "diagnostic $v: ${SRC[$v]}"
        docker rm -fv "$c" >/dev/null
    done
fi
load_after=$(cut -d' ' -f1-3 /proc/loadavg)

# ---- results ----------------------------------------------------------------------
median() { tr ' ' '\n' | grep -E '^[0-9.]+$' | sort -n | awk '{ a[NR] = $1 } END { if (NR == 0) { print "?"; exit }
    if (NR % 2) printf "%.1f", a[(NR + 1) / 2]; else printf "%.1f", (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a + 0 > 0 && b + 0 > 0) printf "%.2f", a / b; else print "?" }'; }
declare -A MW MC
for v in "${variants[@]}"; do
    w="" p=""
    for ((r = 1; r <= ROUNDS; r++)); do w+=" ${WALL[$r,$v]}"; p+=" ${CPUS[$r,$v]}"; done
    MW[$v]=$(echo "$w" | median)
    MC[$v]=$(echo "$p" | median)
done
# conclusion: the paragraph, from the figures.  The lever "shows" when a
# variant's median wall time is at least 5 % lower than WITHOUT's and it was
# faster in every round.
conclusion() {
    local v best="" bw=1 rw rc all
    for v in "${variants[@]}"; do
        [ "$v" = without ] && continue
        rw=$(ratio "${MW[$v]}" "${MW[without]}")
        all=1
        for ((r = 1; r <= ROUNDS; r++)); do
            awk -v a="${WALL[$r,$v]}" -v b="${WALL[$r,without]}" 'BEGIN { exit !(a + 0 > 0 && a + 0 < b + 0) }' || all=0
        done
        if [ "$all" = 1 ] && awk -v a="$rw" -v b="$bw" 'BEGIN { exit !(a + 0 > 0 && a + 0 <= 0.95 && a + 0 < b + 0) }'; then
            best=$v bw=$rw
        fi
    done
    if [ ${#variants[@]} -eq 1 ]; then
        echo "No archive could be made in this image (the JVM's words above), so there was nothing to"
        echo "measure: the image stays as it is."
        return
    fi
    if [ -z "$best" ]; then
        echo "No archive shortened the start in every round by 5 % or more of the median: the lever does not"
        echo "show on this machine, and the image stays as it is (no archive, no class-path change)."
        return
    fi
    rc=$(ratio "${MC[$best]}" "${MC[without]}")
    echo "The $best archive shows: median $(awk -v a="${MW[without]}" -v b="${MW[$best]}" 'BEGIN { printf "%.1f s", a - b }')"
    echo "less from StartedAt to CQL (wall ratio $bw, CPU ratio $rc), faster in every round."
    if [ "$best" = dynamic ]; then
        echo "It needs \`$AGENT_OPTS\` at run time, which the JDK"
        echo "calls \"for testing purposes only\", so for the product the static archive is the one to weigh."
    else
        echo "The static archive needs no diagnostic flag."
    fi
    echo "Keeping it means: the conf directory moved to the end of Cassandra's class path in the image,"
    echo "an archive made at image build time from a training start (class list, then \`java -Xshare:dump\`),"
    echo "\`-XX:SharedArchiveFile\` in the JVM options, and a new archive whenever the jars or the JDK change"
    echo "(the JVM checks the class path and its own build: with \`-Xshare:auto\` it silently starts without"
    echo "the archive, with \`-Xshare:on\` it refuses to start)."
}
mib() { awk -v b="$1" 'BEGIN { if (b + 0 > 0) printf "%.1f MiB", b / 1048576; else print "none" }'; }
{
    echo "# AppCDS: a class-data-sharing archive for Cassandra $VERSION in the product image"
    echo
    echo "Written by \`bench/appcds.sh\` on $(date -u '+%Y-%m-%d %H:%M UTC'). Machine: $(uname -m), $(nproc) CPUs,"
    echo "$(awk '/MemTotal/ { printf "%.1f GiB", $2 / 1048576 }' /proc/meminfo) RAM, Linux $(uname -r);"
    echo "$(docker info --format 'Docker {{.ServerVersion}}, storage {{.Driver}}, cgroup v{{.CgroupVersion}}')."
    echo "Image \`$E2E_IMAGE\` ($IMAGE_ID), $JAVA_VERSION; the JDK's own base archive: ${BASE_JSA:-none}."
    echo "Every node \`--memory $MEM\`, alone on its own network, with the suites' start-up flags"
    echo "(\`$E2E_FAST_OPTS\`)."
    echo "Load average (1/5/15 min) before: $load_before, after: $load_after (the machine is shared;"
    echo "start-up times are CPU-bound and grow with the load)."
    echo
    echo "## Making the archive"
    echo
    echo "Training node: \`JVM_EXTRA_OPTS=... -XX:ArchiveClassesAtExit=$DYN -XX:DumpLoadedClassList=$CLASSLIST\`,"
    echo "until \"Starting listening for CQL clients\", then \`docker stop -t 120\`. The JVM's own words, attempt by attempt:"
    echo
    for i in "${!ATTEMPT_NOTE[@]}"; do
        echo "$((i + 1)). ${ATTEMPT_NOTE[$i]}:"
        echo
        echo '```'
        echo "${ATTEMPT_MSG[$i]}"
        echo '```'
        echo
    done
    echo "Dynamic archive (the layer on top of the JDK's base archive): **$(mib "$DYN_SIZE")**; the training node"
    echo "reached CQL after $T_CQL s; at exit the JVM left out $T_WARN classes with a warning (\"Pre JDK 6 class\" or"
    echo "\"Old class has been linked\": class files older than Java 6 that the verifier cannot archive)."
    echo "Static archive (JDK and Cassandra classes in one file, \`java -Xshare:dump\` from the class list,"
    echo "same class path, no agent at dump time, no diagnostic flag): **$(mib "$STATIC_SIZE")**. The dumps:"
    echo
    echo '```'
    printf '%s' "$STATIC_NOTE"
    echo '```'
    echo
    echo "The dynamic archive must be used with the flags it was made with: \`$AGENT_OPTS\`"
    echo "at run time too (otherwise: \"The setting of the AllowArchivingWithJavaAgent is different from the"
    echo "setting in the shared archive.\"), and the JVM then prints \"This archive was created with"
    echo "AllowArchivingWithJavaAgent. It should be used for testing purposes only and should not be used"
    echo "in a production environment\"."
    echo
    if [ "$ROUNDS" -gt 0 ]; then
    echo "## Start-up, WITHOUT and WITH the archive"
    echo
    echo "Seconds from Docker's StartedAt to \"Starting listening for CQL clients\" (wall), and CPU seconds"
    echo "of the container's cgroup when that line was seen (polled every 0.5 s). Fresh container and data"
    echo "volume every time, in this order within each round. Every variant sources the same include"
    echo "file (conf directory last on the class path); WITH adds \`-XX:SharedArchiveFile=... -Xshare:on\`"
    echo "(the JVM refuses to start if it cannot use the archive), the dynamic one also \`$AGENT_OPTS\`."
    echo
    printf '| round |'; for v in "${variants[@]}"; do printf ' %s: wall | %s: CPU |' "$v" "$v"; done; echo
    printf '|---|'; for _ in "${variants[@]}"; do printf -- '---:|---:|'; done; echo
    for ((r = 1; r <= ROUNDS; r++)); do
        printf '| %d |' "$r"
        for v in "${variants[@]}"; do printf ' %s | %s |' "${WALL[$r,$v]}" "${CPUS[$r,$v]}"; done
        echo
    done
    printf '| **median** |'; for v in "${variants[@]}"; do printf ' **%s** | **%s** |' "${MW[$v]}" "${MC[$v]}"; done; echo
    echo
    echo "| WITH / WITHOUT (medians) | wall | CPU |"
    echo "|---|---:|---:|"
    for v in "${variants[@]}"; do
        [ "$v" = without ] && continue
        echo "| $v archive | $(ratio "${MW[$v]}" "${MW[without]}") | $(ratio "${MC[$v]}" "${MC[without]}") |"
    done
    fi
    if [ "$DIAG" = 1 ]; then
        echo
        echo "## Where the classes came from"
        echo
        echo "One more node per variant with \`-Xlog:class+load:file=...\`, classes loaded until the CQL line:"
        echo
        echo "| variant | shared objects file (top) = dynamic archive | shared objects file = base or static archive | jrt:/ (JDK modules) | file:/jar: (class path) | other (generated, proxies) | total |"
        echo "|---|---:|---:|---:|---:|---:|---:|"
        for v in "${variants[@]}"; do echo "| $v | ${SRC[$v]//|/ | } |"; done
        echo
        for v in "${variants[@]}"; do
            echo "- $v: class path \`${SRC[$v,cp]% }\` (first and last entry); -Xlog:cds: ${SRC[$v,cds]:-nothing mapped}"
        done
    fi
    echo
    echo "## Conclusion"
    echo
    conclusion
} >"$RESULTS"
say "wrote $RESULTS"
cat "$RESULTS"
