#!/usr/bin/env bash
# The heap reaches Cassandra.
#
# For every release line of the conf corpus (tests/corpus/locate.sh), the
# REAL cassandra-env.sh of that line is run on a temporary copy of its conf dir
# with a stub `java` first on PATH: `java -version` answers like the Java that
# line needs (8 for 2.x/3.x, 11 for 4.x, 17 for 5.0/trunk), any other call
# records its arguments (the JVM command line) to a file.  The environment is
# what cass-entry produces: $BUILD_DIR/tests/heap-env (the same calls as
# cass-entry: limits_read, version_detect, version_read_jvm_opts, heap_decide)
# run on a fake /proc + /sys/fs/cgroup tree.  The suite then checks the -Xms,
# -Xmx and -Xmn that reached java, against sizes computed HERE, in shell, from
# the fake limits (independently of the C code), and that cassandra-env.sh did
# not stop with its "set ... in pairs" error.
#
# How cassandra-env.sh is started: 4.1.7, 5.0.1 and trunk ship bin/ in the
# corpus, and their real bin/cassandra -f -R runs (it sources cassandra.in.sh,
# which reads the jvm*-server.options, then cassandra-env.sh, then execs java).
# 4.0.14 has no bin/ in the corpus: it runs under 4.1.7's bin/ (the same
# cassandra.in.sh logic for Java 8/11), with its own conf/cassandra-env.sh.
# 2.x and 3.x read their options in cassandra-env.sh itself: a three-line
# launcher sources it and execs java with $JVM_OPTS, as their bin/cassandra does.
#
# Controls: under CMS, MAX_HEAP_SIZE alone (what a naive entrypoint exports)
# must make the same run fail with "in pairs", and with no heap variables the
# script must size the heap from this machine, not from the fake limits; so a
# pass above means the exported values made the difference.
set -uo pipefail
ROOT=${ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
cd "$ROOT" || exit 1
BUILD_DIR=${BUILD_DIR:-build}
DRIVER=$ROOT/$BUILD_DIR/tests/heap-env
[ "${BUILD_DIR#/}" != "$BUILD_DIR" ] && DRIVER=$BUILD_DIR/tests/heap-env
CORPUS=$("$ROOT/tests/corpus/locate.sh" 2>&1) || { echo "not ok - heap: $CORPUS"; exit 1; }

if [ ! -x "$DRIVER" ]; then
    echo "not ok - heap-env driver missing: $DRIVER (run make)"; exit 1
fi

TMP=$(mktemp -d /tmp/cass-heap-suite.XXXXXX)
trap 'rm -rf "$TMP"' EXIT

ok()    { echo "ok - $*"; }
notok() { echo "not ok - $*"; }

# ---- the stub java -----------------------------------------------------------
mkdir -p "$TMP/stubbin"
cat >"$TMP/stubbin/java" <<'EOF'
#!/bin/sh
# `java -version` like the Java in $STUB_JAVA; anything else: record the arguments.
if [ "$1" = "-version" ]; then
    case "$STUB_JAVA" in
    8)  echo 'openjdk version "1.8.0_402"'
        echo 'OpenJDK Runtime Environment (build 1.8.0_402-b06)'
        echo 'OpenJDK 64-Bit Server VM (build 25.402-b06, mixed mode)' ;;
    11) echo 'openjdk version "11.0.25" 2024-10-15'
        echo 'OpenJDK Runtime Environment (build 11.0.25+9-post-Debian-1deb11u1)'
        echo 'OpenJDK 64-Bit Server VM (build 11.0.25+9-post-Debian-1deb11u1, mixed mode, sharing)' ;;
    *)  echo 'openjdk version "17.0.13" 2024-10-15'
        echo 'OpenJDK Runtime Environment (build 17.0.13+11-Debian-2deb12u1)'
        echo 'OpenJDK 64-Bit Server VM (build 17.0.13+11-Debian-2deb12u1, mixed mode, sharing)' ;;
    esac >&2
    exit 0
fi
for a in "$@"; do printf '%s\n' "$a"; done >"$STUB_JAVA_ARGS"
exit 0
EOF
chmod +x "$TMP/stubbin/java"

# The launcher of 2.x/3.x: what their bin/cassandra does around cassandra-env.sh.
cat >"$TMP/launch-env-sh" <<'EOF'
JAVA=`command -v java`
. "$CASSANDRA_CONF/cassandra-env.sh"
exec "$JAVA" $JVM_OPTS -Dcassandra-foreground=yes -cp "$CASSANDRA_CONF" org.apache.cassandra.service.CassandraDaemon
EOF

# ---- fake container trees ------------------------------------------------------
# A 64 GiB, 8-processor host as /proc shows it; cgroup files as given.
make_host() { # DIR
    mkdir -p "$1/proc/self"
    echo "MemTotal:       67108864 kB" >"$1/proc/meminfo"
    for i in 0 1 2 3 4 5 6 7; do printf 'processor\t: %d\nmodel name\t: stub\n\n' "$i"; done >"$1/proc/cpuinfo"
}
make_v2() { # DIR MEMORY_MAX CPU_MAX
    make_host "$1"
    echo "0::/" >"$1/proc/self/cgroup"
    mkdir -p "$1/sys/fs/cgroup"
    echo "cpuset cpu io memory pids" >"$1/sys/fs/cgroup/cgroup.controllers"
    echo "$2" >"$1/sys/fs/cgroup/memory.max"
    echo "$3" >"$1/sys/fs/cgroup/cpu.max"
}
make_v1() { # DIR LIMIT_IN_BYTES QUOTA PERIOD
    make_host "$1"
    printf '4:memory:/docker/c1\n3:cpu,cpuacct:/docker/c1\n' >"$1/proc/self/cgroup"
    mkdir -p "$1/sys/fs/cgroup/memory/docker/c1" "$1/sys/fs/cgroup/cpu,cpuacct/docker/c1"
    echo 9223372036854771712 >"$1/sys/fs/cgroup/memory/memory.limit_in_bytes"
    echo "$2" >"$1/sys/fs/cgroup/memory/docker/c1/memory.limit_in_bytes"
    echo "$3" >"$1/sys/fs/cgroup/cpu,cpuacct/docker/c1/cpu.cfs_quota_us"
    echo "$4" >"$1/sys/fs/cgroup/cpu,cpuacct/docker/c1/cpu.cfs_period_us"
}
TREE_V2=$TMP/root-v2; make_v2 "$TREE_V2" 1610612736 "150000 100000" # 1.5 GiB, 1.5 cpus
TREE_V1=$TMP/root-v1; make_v1 "$TREE_V1" 3221225472 100000 100000   # 3 GiB, 1 cpu

# ---- the expected sizes, computed here -----------------------------------------
# calculate_heap_sizes() in shell arithmetic, on the container's MiB and cpus.
formula() { # MEM_MB CPUS -> sets HEAP YOUNG
    local half=$(( $1 / 2 )) quarter cpus=$2
    quarter=$(( half / 2 ))
    [ "$half" -gt 1024 ] && half=1024
    [ "$quarter" -gt 8192 ] && quarter=8192
    if [ "$half" -gt "$quarter" ]; then HEAP=$half; else HEAP=$quarter; fi
    [ "$cpus" -lt 1 ] && cpus=1
    YOUNG=$(( HEAP / 4 )); [ "$YOUNG" -gt $(( 100 * cpus )) ] && YOUNG=$(( 100 * cpus ))
}
# The container's cpus: ceil(quota / period), at most the 8 host processors.
ceil_cpus() { local c=$(( ($1 + $2 - 1) / $2 )); [ "$c" -gt 8 ] && c=8; echo "$c"; }
V2_MB=$(( 1610612736 / 1048576 )); V2_CPUS=$(ceil_cpus 150000 100000)
V1_MB=$(( 3221225472 / 1048576 )); V1_CPUS=$(ceil_cpus 100000 100000)

# ---- one run -------------------------------------------------------------------
# start_scripts DIR VERSION JAVA EXPORTS [VAR=VALUE...]: start the real scripts
# of VERSION on DIR/conf with the shell lines EXPORTS eval'ed first.  Leaves
# $OUT (their output), $RC and $ARGS (the file with java's argv, if started).
start_scripts() {
    local dir=$1 version=$2 java=$3 exports=$4 bin=; shift 4
    case "$version" in
        4.1.*|5.*|trunk) bin=$CORPUS/$version/bin ;;
        4.0.*)           bin=$CORPUS/4.1.7/bin ;;
    esac
    ARGS=$dir/java-args; rm -f "$ARGS"
    OUT=$(env -i PATH="$TMP/stubbin:/usr/bin:/bin" HOME="$dir" STUB_JAVA="$java" \
              STUB_JAVA_ARGS="$ARGS" CASSANDRA_HOME="$dir/home" CASSANDRA_CONF="$dir/conf" \
              "$@" sh -c '
        eval "$1"; shift
        if [ -n "$1" ]; then
            mkdir -p "$CASSANDRA_HOME/bin" && cp "$1/cassandra" "$1/cassandra.in.sh" "$CASSANDRA_HOME/bin/"
            exec sh "$CASSANDRA_HOME/bin/cassandra" -f -R
        fi
        . "$2"' heap-run "$exports" "$bin" "$TMP/launch-env-sh" 2>&1)
    RC=$?
}

# copy_conf CASE VERSION: a fresh DIR=$TMP/CASE with a writable copy of the conf.
copy_conf() {
    DIR=$TMP/$1
    rm -rf "$DIR"; mkdir -p "$DIR/home/logs"
    cp -r "$CORPUS/$2/conf" "$DIR/conf"; chmod -R u+w "$DIR/conf"
}

# run CASE VERSION JAVA TREE [VAR=VALUE...]: copy the conf, ask heap-env (with
# the VAR=VALUEs as the user's environment), start the real scripts with its
# exports and the same user environment.  Leaves $EXPORTS, $DRV_RC, $DRV_LOG
# and what start_scripts leaves.  CONF_EDIT, when set, is a function run on
# the conf copy first.
run() {
    local case=$1 version=$2 java=$3 tree=$4; shift 4
    copy_conf "$case" "$version"
    [ -n "${CONF_EDIT:-}" ] && "$CONF_EDIT" "$DIR/conf"
    EXPORTS=$(env -i PATH=/usr/bin:/bin "$@" "$DRIVER" --root "$tree" --conf "$DIR/conf" \
              --java "$java" 2>"$DIR/heap-env.err")
    DRV_RC=$?
    DRV_LOG=$(cat "$DIR/heap-env.err")
    OUT='' RC=1 ARGS=$DIR/java-args
    rm -f "$ARGS"
    [ "$DRV_RC" -eq 0 ] || return 0
    start_scripts "$DIR" "$version" "$java" "$EXPORTS" "$@"
}

# The values of one option in java's argv: `opt_values -Xmx` -> "768M" per line.
opt_values() { [ -f "$ARGS" ] && grep -E "^$1" "$ARGS" | sed "s/^$1//"; }

# check NAME HEAP YOUNG: HEAP = the -Xms/-Xmx value, YOUNG = the -Xmn value or "".
check() {
    local name=$1 heap=$2 young=$3 why=()
    if [ "$DRV_RC" -ne 0 ]; then
        notok "$name: heap-env failed ($DRV_RC): $DRV_LOG"; return
    fi
    [ "$RC" -eq 0 ] || why+=("the scripts exited $RC")
    [ -f "$ARGS" ] || why+=("java was never started")
    grep -q "in pairs" <<<"$OUT" && why+=("cassandra-env.sh: $(grep 'in pairs' <<<"$OUT")")
    local xmx xms xmn
    xmx=$(opt_values -Xmx | tr '\n' ' '); xms=$(opt_values -Xms | tr '\n' ' ')
    xmn=$(opt_values -Xmn | tr '\n' ' ')
    [ "$xmx" = "$heap " ] || why+=("-Xmx: got '${xmx% }', want '$heap'")
    [ "$xms" = "$heap " ] || why+=("-Xms: got '${xms% }', want '$heap'")
    if [ -n "$young" ]; then
        [ "$xmn" = "$young " ] || why+=("-Xmn: got '${xmn% }', want '$young'")
    else
        [ -z "$xmn" ] || why+=("-Xmn passed under G1: '${xmn% }'")
        grep -q "^export HEAP_NEWSIZE" <<<"$EXPORTS" && why+=("HEAP_NEWSIZE exported under G1")
    fi
    if [ ${#why[@]} -eq 0 ]; then
        ok "$name: java got -Xms$heap -Xmx$heap${young:+ -Xmn$young}"
    else
        notok "$name: $(IFS=';'; echo "${why[*]}" | sed 's/;/; /g')"
        sed 's/^/#   heap-env: /' <<<"$DRV_LOG"
        sed 's/^/#   exports: /' <<<"$EXPORTS"
        tail -5 <<<"$OUT" | sed 's/^/#   scripts: /'
    fi
}

# ---- the release lines -------------------------------------------------------
java_for() { case "$1" in 2.*|3.*) echo 8 ;; 4.*) echo 11 ;; *) echo 17 ;; esac; }
uses_g1()  { case "$1" in 5.*|trunk) return 0 ;; *) return 1 ;; esac; }

uncomment_xmx() { # the jvm options template lines users uncomment
    local f=$1/jvm-server.options; [ -f "$f" ] || f=$1/jvm.options
    sed -i 's/^#-Xms4G$/-Xms4G/; s/^#-Xmx4G$/-Xmx4G/' "$f"
}
g1_in_jvm11() { # 4.x: switch the Java 11 file to G1, leave Java 8's on CMS
    sed -i 's/^-XX:+UseConcMarkSweepGC/#&/; s/^#-XX:+UseG1GC/-XX:+UseG1GC/' "$1/jvm11-server.options"
}

versions=()
for d in "$CORPUS"/*/conf; do versions+=("$(basename "$(dirname "$d")")"); done
[ ${#versions[@]} -gt 0 ] || { notok "no release line in $CORPUS"; exit 1; }

for v in "${versions[@]}"; do
    java=$(java_for "$v")
    young_if_cms() { if uses_g1 "$v"; then echo ""; else echo "$1"; fi; }

    # 1. cgroup v2 limits, nothing set by the user.
    formula "$V2_MB" "$V2_CPUS"
    run "$v-v2" "$v" "$java" "$TREE_V2"
    check "$v cgroup v2 memory.max 1.5G cpu.max 1.5" "${HEAP}M" "$(young_if_cms "${YOUNG}M")"

    # 2. cgroup v1 limits.
    formula "$V1_MB" "$V1_CPUS"
    run "$v-v1" "$v" "$java" "$TREE_V1"
    check "$v cgroup v1 memory.limit_in_bytes 3G quota 1 cpu" "${HEAP}M" "$(young_if_cms "${YOUNG}M")"

    # 3. MAX_HEAP_SIZE from the user, alone: kept, and completed under CMS.
    y=$(( 600 / 4 )); [ "$y" -gt $(( 100 * V2_CPUS )) ] && y=$(( 100 * V2_CPUS ))
    run "$v-user" "$v" "$java" "$TREE_V2" MAX_HEAP_SIZE=600M
    check "$v MAX_HEAP_SIZE=600M given" "600M" "$(young_if_cms "${y}M")"

    # 4. -Xms4G/-Xmx4G uncommented in the options file (3.0 on): the file wins.
    case "$v" in 2.*) ;; *)
        y=$(( 4096 / 4 )); [ "$y" -gt $(( 100 * V2_CPUS )) ] && y=$(( 100 * V2_CPUS ))
        CONF_EDIT=uncomment_xmx run "$v-xmx" "$v" "$java" "$TREE_V2"
        check "$v -Xmx4G/-Xms4G in the options file" "4G" "$(young_if_cms "${y}M")" ;;
    esac

    # Controls: with nothing exported the heap must be this machine's, not the
    # container's; under CMS, MAX_HEAP_SIZE alone (no HEAP_NEWSIZE) must make
    # the same run fail with "in pairs".  So the passes above are the exports' doing.
    formula "$V2_MB" "$V2_CPUS"
    copy_conf "$v-control" "$v"
    start_scripts "$DIR" "$v" "$java" ""
    got=$(opt_values -Xmx | head -1)
    if [ "$RC" -eq 0 ] && [ -n "$got" ] && [ "$got" != "${HEAP}M" ]; then
        ok "$v control: without cass-entry the script sizes the heap from the host (-Xmx$got)"
    else
        notok "$v control: without cass-entry got -Xmx'$got' (rc $RC), the container's ${HEAP}M or nothing"
    fi
    if ! uses_g1 "$v"; then
        start_scripts "$DIR" "$v" "$java" "" MAX_HEAP_SIZE=768M
        if [ "$RC" -ne 0 ] && grep -q "in pairs" <<<"$OUT" && [ ! -f "$ARGS" ]; then
            ok "$v control: MAX_HEAP_SIZE alone makes cassandra-env.sh refuse (rc $RC)"
        else
            notok "$v control: MAX_HEAP_SIZE alone was accepted (rc $RC): the pair check would catch nothing"
        fi
    fi
done

# 5. 4.x: the GC of the Java in use decides -Xmn (jvm11 switched to G1, jvm8 on CMS).
for v in "${versions[@]}"; do
    case "$v" in 4.*) ;; *) continue ;; esac
    formula "$V2_MB" "$V2_CPUS"
    CONF_EDIT=g1_in_jvm11 run "$v-g1-11" "$v" 11 "$TREE_V2"
    check "$v G1 in jvm11-server.options, Java 11" "${HEAP}M" ""
    CONF_EDIT=g1_in_jvm11 run "$v-g1-8" "$v" 8 "$TREE_V2"
    check "$v same conf, Java 8 (jvm8-server.options: CMS)" "${HEAP}M" "${YOUNG}M"
done
exit 0
