#!/usr/bin/env bash
# cass-entry from the outside: the REAL binary on a copy of every release
# line's conf dir in the corpus (tests/corpus/locate.sh: */conf, found, not
# listed here), with
#   - a fake CASSANDRA_HOME whose bin/cassandra (first on PATH) records its uid,
#     gid, arguments and environment into a file and exits;
#   - a fake root (CASS_ENTRY_ROOT) holding etc/passwd + etc/group with a
#     cassandra user (uid/gid 999), etc/hosts mapping this node's host name,
#     proc/meminfo and sys/fs/cgroup/{memory.max,cpu.max}: known limits;
#   - its own network and UTS namespaces (unshare): host name "cassnode" and
#     two veth addresses, 10.99.0.5 (v0) and 10.98.0.7 (v1).  The fake
#     etc/hosts maps cassnode to 10.98.0.7, so "auto" must pick that one (the
#     /etc/hosts rule) rather than the first interface address; and a private
#     mount namespace, so the bind mounts of the read-only tests vanish with
#     the suite even if it is killed.
# Every expected value (addresses, heap sizes, changed lines) is computed here
# from those fakes, never taken from cass-entry's output.
#
# cass-entry's internal variables used here (they exist for tests like this):
#   CASS_ENTRY_ROOT           root for etc/passwd, etc/group, etc/hosts, proc/, sys/
#   CASS_ENTRY_RUNTIME_DIR    where an input-only conf dir is copied
#   CASS_ENTRY_DATA_DIR       Cassandra's data dir (data/ below it = "has data")
#   CASS_ENTRY_LOG_DIR        Cassandra's log dir (chowned)
#   CASS_ENTRY_USER           the user to become
#   CASS_ENTRY_PROBE_TIMEOUT_MS  --probe's timeout
# Needs root (namespaces, mount, chown, setuid), ip(8) and python3 (the fake
# CQL server of the --probe tests).
set -uo pipefail
SELF=$(cd "$(dirname "$0")" && pwd)/$(basename "$0")
ROOT=${ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
cd "$ROOT" || exit 1
BUILD_DIR=${BUILD_DIR:-build}
case $BUILD_DIR in /*) BD=$BUILD_DIR ;; *) BD=$ROOT/$BUILD_DIR ;; esac
BIN=$BD/cass-entry
Y=$BD/yamlpatch
CORPUS=$("$ROOT/tests/corpus/locate.sh" 2>&1) || { echo "not ok - entrypoint: $CORPUS"; exit 1; }

# ---- into private namespaces --------------------------------------------------
if [ -z "${CASS_ENTRY_SUITE_IN_NS:-}" ]; then
    [ "$(id -u)" -eq 0 ] || { echo "not ok - the entrypoint suite needs root (namespaces, mount, chown, setuid)"; exit 1; }
    for tool in unshare ip mount python3 cmp diff; do
        command -v "$tool" >/dev/null || { echo "not ok - the entrypoint suite needs $tool"; exit 1; }
    done
    CASS_ENTRY_SUITE_IN_NS=1 ROOT=$ROOT BUILD_DIR=$BUILD_DIR \
        unshare --mount --net --uts --propagation private bash "$SELF" "$@"
    rc=$?
    [ $rc -eq 0 ] || echo "not ok - the suite in its namespaces ended with status $rc"
    exit $rc
fi

[ -x "$BIN" ] || { echo "not ok - $BIN missing (run make)"; exit 1; }
[ -x "$Y" ] || { echo "not ok - $Y missing (run make)"; exit 1; }

HOSTNAME_=cassnode
HOST_IP=10.98.0.7     # what the fake etc/hosts maps cassnode to
OTHER_IP=10.99.0.5    # the other interface address (a restart "with a new IP")
{
    hostname "$HOSTNAME_" &&
    ip link set lo up &&
    ip link add v0 type veth peer name v1 &&
    ip addr add "$OTHER_IP/24" dev v0 && ip addr add "$HOST_IP/24" dev v1 &&
    ip link set v0 up && ip link set v1 up
} || { echo "not ok - setting up the test network namespace (veth) failed"; exit 1; }

T=$(mktemp -d /tmp/cass-entry-suite.XXXXXX)
chmod 755 "$T"   # the fake cassandra runs as uid 999 and must reach its files
SERVER_PID=
cleanup() {
    [ -n "$SERVER_PID" ] && kill "$SERVER_PID" 2>/dev/null
    for m in $(awk -v t="$T" 'index($5, t) == 1 { print $5 }' /proc/self/mountinfo | sort -r); do
        umount "$m" 2>/dev/null
    done
    rm -rf "$T"
}
trap cleanup EXIT

# ---- helpers ---------------------------------------------------------------------
LAST_FAIL=""
ok()    { echo "ok - $*"; LAST_FAIL=""; }
notok() { echo "not ok - $*"; [ -n "$LAST_FAIL" ] && printf '%s\n' "$LAST_FAIL" | sed 's/^/#   /'; LAST_FAIL=""; }
# check DESCRIPTION COMMAND...: ok when the command succeeds
check() {
    local what=$1; shift
    if "$@"; then ok "$what"; else notok "$what"; fi
}
# eq WANT GOT: equal strings, with a note on failure
eq() { [ "$1" = "$2" ] || { LAST_FAIL="want [$1], got [$2]"; return 1; }; }
yget() { "$Y" get "$1" "$2" 2>&1; }
rec() { grep -m1 "^$2=" "$1" 2>/dev/null | cut -d= -f2-; }
has_rec_var() { grep -q "^$2=" "$1" 2>/dev/null; }
show_err() { LAST_FAIL="exit $RC; stderr:
$(cat "$N/err")"; }
rc_is() { [ "$RC" -eq "$1" ] || { show_err; return 1; }; }
# exit 0 and the fake cassandra ran
started() { [ "$RC" -eq 0 ] && [ -s "$N/rec/record" ] || { show_err; return 1; }; }

CPUS_ONLINE=$(nproc)   # the affinity mask's count, as cass-entry counts

# new_node NAME VERSION [SCENARIO]: a fresh node dir $N with a copy of
# VERSION's conf, a fake CASSANDRA_HOME, a fake root with memory scenario
# SCENARIO (0-3) and empty data/log dirs.  Sets N, V, ORIG and the expected
# heap (WANT_MAX, WANT_NEW: "" = must be unset).
new_node() {
    N=$T/$1; V=$2; ORIG=$CORPUS/$V/conf
    local sc=${3:-0}
    rm -rf "$N"; mkdir -p "$N"/{home/bin,rec,data,log,runtime} "$N"/root/{etc,proc/self,sys/fs/cgroup}
    cp -r "$ORIG" "$N/conf"
    chmod 777 "$N/rec"
    cat >"$N/home/bin/cassandra" <<EOF
#!/bin/sh
# fake Cassandra: record who runs it, how and with what environment; exit
{ echo "uid=\$(id -u)"; echo "gid=\$(id -g)"; echo "groups=\$(id -G)"; echo "args=\$*"; echo "ppid=\$PPID"; env; } >"$N/rec/record"
EOF
    chmod 755 "$N/home/bin/cassandra"
    printf 'root:x:0:0:root:/root:/bin/sh\ncassandra:x:999:999::/home/cassandra:/bin/sh\n' >"$N/root/etc/passwd"
    printf 'root:x:0:\ncassandra:x:999:\n' >"$N/root/etc/group"
    printf '127.0.0.1\tlocalhost\n%s\t%s\n' "$HOST_IP" "$HOSTNAME_" >"$N/root/etc/hosts"
    # memory/cpu scenarios (MiB): exercise each branch of the formula and both
    # sources of the limit (cgroup memory.max, MemTotal)
    local cg_mb total_mb=65536 quota period=100000 cpus=$CPUS_ONLINE
    case $sc in
    0) cg_mb=1536;  quota=50000 ;;   # half branch; quota 0.5 cpu -> 1
    1) cg_mb=6144;  quota=250000 ;;  # quarter branch; 2.5 cpus -> 3, then the online count
    2) cg_mb=40000; quota=max ;;     # quarter capped at 8192
    3) cg_mb=max;   total_mb=3000; quota= ;;  # no cgroup limit: MemTotal, no cpu.max file
    esac
    printf 'MemTotal:       %d kB\nMemFree:        1000 kB\n' $((total_mb * 1024)) >"$N/root/proc/meminfo"
    printf '0::/\n' >"$N/root/proc/self/cgroup"
    : >"$N/root/sys/fs/cgroup/cgroup.controllers"
    if [ "$cg_mb" = max ]; then echo max; else echo $((cg_mb * 1048576)); fi >"$N/root/sys/fs/cgroup/memory.max"
    [ -n "$quota" ] && echo "$quota $period" >"$N/root/sys/fs/cgroup/cpu.max"
    # the expected heap, cassandra-env.sh's calculate_heap_sizes on these limits
    local mem=$total_mb
    [ "$cg_mb" != max ] && [ "$cg_mb" -lt "$mem" ] && mem=$cg_mb
    if [ -n "$quota" ] && [ "$quota" != max ]; then
        local q=$(( (quota + period - 1) / period )); [ $q -lt 1 ] && q=1
        [ $q -lt "$cpus" ] && cpus=$q
    fi
    local half=$((mem / 2)) quarter=$((mem / 4))
    [ $half -gt 1024 ] && half=1024
    [ $quarter -gt 8192 ] && quarter=8192
    local max=$half; [ $quarter -gt $max ] && max=$quarter
    local new=$((100 * cpus)); [ $((max / 4)) -lt $new ] && new=$((max / 4))
    WANT_MAX=${max}M
    WANT_SRC=$([ "$cg_mb" = max ] && echo MemTotal || echo memory.max)
    # G1 when an option file of this line turns it on (5.0, trunk); else CMS
    if grep -qs '^-XX:+UseG1GC' "$N"/conf/jvm*.options; then WANT_NEW=""; GC=G1; else WANT_NEW=${new}M; GC=CMS; fi
}

# entry [VAR=VALUE...] -- ARGS...: run cass-entry for node $N in a clean
# environment; stdout in $N/out, stderr in $N/err, status in RC.
entry() {
    local vars=()
    while [ $# -gt 0 ] && [ "$1" != -- ]; do vars+=("$1"); shift; done
    shift
    rm -f "$N/rec/record"
    env -i PATH="$N/home/bin:/usr/local/bin:/usr/bin:/bin" HOME=/root LANG=C \
        CASSANDRA_HOME="$N/home" CASSANDRA_CONF="$N/conf" \
        CASS_ENTRY_ROOT="$N/root" CASS_ENTRY_DATA_DIR="$N/data" CASS_ENTRY_LOG_DIR="$N/log" \
        CASS_ENTRY_RUNTIME_DIR="$N/runtime/conf" CASS_ENTRY_USER=cassandra CASS_ENTRY_STATE_DIR="$N/state" \
        CASSANDRA_SEED_WAIT=0 "${vars[@]}" "$BIN" "$@" >"$N/out" 2>"$N/err"
    RC=$?
}

# changed_lines OLD NEW: "NOLD NNEW" lines removed/added; fails if diff
# reports anything but in-place changes (no line added or deleted)
only_in_place() {
    local cmds; cmds=$(diff "$1" "$2" | grep -E '^[0-9]')
    if echo "$cmds" | grep -qv '^[0-9,]*c[0-9,]*$'; then
        LAST_FAIL="lines added or deleted: $(echo "$cmds" | grep -v c | tr '\n' ' ')"; return 1
    fi
}
count_changed() { diff "$1" "$2" | grep -c "^$3 "; }
# every '>' line of the diff is one of the keys in $2 (a regex alternation)
changed_keys_are() {
    local bad; bad=$(diff "$1" "$2" | grep '^> ' | grep -Ev "^> *(- )?($3) *:")
    [ -z "$bad" ] || { LAST_FAIL="unexpected changed lines: $bad"; return 1; }
}
same_tree() { diff -r "$1" "$2" >/dev/null || { LAST_FAIL=$(diff -rq "$1" "$2"); return 1; }; }
no_record() { [ ! -e "$N/rec/record" ] || { LAST_FAIL="cassandra was started"; return 1; }; }
# the error is one line, the last of stderr, matching a regex
error_line() {
    local last; last=$(tail -n1 "$N/err")
    echo "$last" | grep -Eq "$1" || { LAST_FAIL="last stderr line: $last"; return 1; }
    [ "$(grep -Ec "$1" "$N/err")" -eq 1 ] || { LAST_FAIL="message not on exactly one line: $(cat "$N/err")"; return 1; }
}
mtime_ino() { stat -c '%y %i' "$1"; }
printed_hi() { rc_is 0 && eq hi "$(cat "$N/out")"; }

fail_case() { # fail_case WHAT MESSAGE-REGEX [VAR=VALUE...] -- ARGS...
    local what=$1 re=$2; shift 2
    new_node "fail-$V" "$V" "$scenario"
    [ -n "${BREAK_YAML:-}" ] && sed -i "${BREAK_YAML}s/.*/key: @x/" "$N/conf/cassandra.yaml"
    cp -r "$N/conf" "$N/conf.before"
    entry CASSANDRA_DC=east-1 "$@"
    check "$V: $what: exit 78" rc_is 78
    check "$V: $what: one line naming it" error_line "$re"
    check "$V: $what: no file changed" same_tree "$N/conf.before" "$N/conf"
    check "$V: $what: cassandra not started" no_record
}

mapfile -t VERSIONS < <(cd "$CORPUS" && for f in */conf/cassandra.yaml; do echo "${f%%/*}"; done | sort -V)
[ ${#VERSIONS[@]} -gt 0 ] || { echo "not ok - no */conf/cassandra.yaml in $CORPUS"; exit 1; }
echo "# release lines: ${VERSIONS[*]}"

# TLS material (issue 14), made with openssl once: a CA, a node certificate
# it signs, a key of no certificate.
TLS=$T/tls
mkdir -p "$TLS"
if ! (cd "$TLS" &&
      openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.pem -days 30 -subj /CN=suite-ca &&
      openssl req -newkey rsa:2048 -nodes -keyout node.key -out node.csr -subj /CN=node &&
      openssl x509 -req -in node.csr -CA ca.pem -CAkey ca.key -CAcreateserial -out node.pem -days 5 &&
      openssl req -newkey rsa:2048 -nodes -keyout stray.key -out /dev/null -subj /CN=stray) >"$T/openssl.log" 2>&1; then
    echo "not ok - openssl could not make the TLS test certificates"; sed 's/^/#   /' "$T/openssl.log"
fi
TLS_ENV=(CASSANDRA_TLS_CERT_FILE="$TLS/node.pem" CASSANDRA_TLS_CA_FILE="$TLS/ca.pem"
         CASSANDRA_CLIENT_ENCRYPTION=required CASSANDRA_INTERNODE_ENCRYPTION=all)
tls_ok() { # tls_ok: the PEM files 0600, Cassandra's, and the yaml pointing at them
    local f
    for f in cass-entry-keystore.pem cass-entry-truststore.pem; do
        eq "600 999" "$(stat -c '%a %u' "$N/conf/$f" 2>&1)" || return 1
    done
    eq "org.apache.cassandra.security.PEMBasedSslContextFactory" \
        "$(yget "$N/conf/cassandra.yaml" client_encryption_options.ssl_context_factory.class_name)" &&
    eq "$N/conf/cass-entry-keystore.pem" "$(yget "$N/conf/cassandra.yaml" server_encryption_options.keystore)" &&
    eq all "$(yget "$N/conf/cassandra.yaml" server_encryption_options.internode_encryption)" &&
    eq false "$(yget "$N/conf/cassandra.yaml" client_encryption_options.optional)"
}

tls_second_start() { # the same secrets again: no byte of the conf dir changes, nothing rewritten
    local before after
    before=$(cd "$N/conf" && for f in cassandra.yaml cass-entry-*; do printf '%s %s\n' "$(sha256sum <"$f")" "$(mtime_ino "$f")"; done)
    sleep 0.01
    entry "${TLS_ENV[@]}" CASSANDRA_TLS_KEY_FILE="$TLS/node.key" -- cass1
    after=$(cd "$N/conf" && for f in cassandra.yaml cass-entry-*; do printf '%s %s\n' "$(sha256sum <"$f")" "$(mtime_ino "$f")"; done)
    check "$V: TLS: a second start with the same secrets: started, the yaml and the stores unchanged (bytes, mtime, inode)" \
        bash -c '[ "$1" = "$2" ] && [ -n "$1" ] && grep -q "already up to date" "$3"' _ "$before" "$after" "$N/err"
}
tls_p12_ok() { # tls_p12_ok: the PKCS#12 stores (and the probe's PEM copies) 0600, Cassandra's,
    # the yaml on them with their password, no PEM factory
    local f pw
    for f in cass-entry-keystore.p12 cass-entry-truststore.p12 cass-entry-keystore.pem cass-entry-truststore.pem; do
        eq "600 999" "$(stat -c '%a %u' "$N/conf/$f" 2>&1)" || return 1
    done
    pw=$(yget "$N/conf/cassandra.yaml" server_encryption_options.keystore_password)
    [[ $pw =~ ^[0-9a-f]{30}$ ]] || { echo "# keystore_password: '$pw'"; return 1; }
    ! grep -qF "$pw" "$N/out" "$N/err" || { echo "# the password is in cass-entry's output"; return 1; }
    eq "$N/conf/cass-entry-keystore.p12" "$(yget "$N/conf/cassandra.yaml" server_encryption_options.keystore)" &&
    eq "$N/conf/cass-entry-truststore.p12" "$(yget "$N/conf/cassandra.yaml" client_encryption_options.truststore)" &&
    eq "$pw" "$(yget "$N/conf/cassandra.yaml" client_encryption_options.truststore_password)" &&
    eq PKCS12 "$(yget "$N/conf/cassandra.yaml" client_encryption_options.store_type)" &&
    eq all "$(yget "$N/conf/cassandra.yaml" server_encryption_options.internode_encryption)" &&
    ! grep -q PEMBasedSslContextFactory "$N/conf/cassandra.yaml"
}

# The keys the main run must change, and nothing else.
MAIN_KEYS='seeds|listen_address|broadcast_address|rpc_address|broadcast_rpc_address|cluster_name|num_tokens|concurrent_reads|concurrent_writes|endpoint_snitch'
MAIN_ENV=(CASSANDRA_CLUSTER_NAME="Ring one" CASSANDRA_NUM_TOKENS=8
          CASSANDRA_CFG_YAML_CONCURRENT_READS=48 CASSANDRA_DC=east-1 CASSANDRA_RACK=r7)
MAIN_ARGS=(--set concurrent_writes=40 cass1)

idx=0
for V in "${VERSIONS[@]}"; do
    scenario=$((idx % 4)); idx=$((idx + 1))
    new_node "main-$V" "$V" "$scenario"
    echo "# $V: $GC, expected heap MAX_HEAP_SIZE=$WANT_MAX HEAP_NEWSIZE=${WANT_NEW:-(unset)} (scenario $scenario)"
    Yf=$N/conf/cassandra.yaml

    # ---- the first start ----
    entry "${MAIN_ENV[@]}" -- "${MAIN_ARGS[@]}"
    check "$V: cass-entry cass1 exits 0 and starts cassandra" started
    check "$V: seeds from the argument" eq cass1 "$(yget "$Yf" 'seed_provider[0].parameters[0].seeds')"
    check "$V: listen_address auto = the host name's /etc/hosts address" eq "$HOST_IP" "$(yget "$Yf" listen_address)"
    check "$V: broadcast_address = listen_address" eq "$(yget "$Yf" listen_address)" "$(yget "$Yf" broadcast_address)"
    check "$V: broadcast_rpc_address = broadcast_address" eq "$(yget "$Yf" broadcast_address)" "$(yget "$Yf" broadcast_rpc_address)"
    check "$V: rpc_address 0.0.0.0" eq 0.0.0.0 "$(yget "$Yf" rpc_address)"
    check "$V: cluster_name from CASSANDRA_CLUSTER_NAME" eq "Ring one" "$(yget "$Yf" cluster_name)"
    check "$V: num_tokens from CASSANDRA_NUM_TOKENS" eq 8 "$(yget "$Yf" num_tokens)"
    check "$V: CASSANDRA_CFG_YAML_CONCURRENT_READS" eq 48 "$(yget "$Yf" concurrent_reads)"
    check "$V: --set concurrent_writes=40" eq 40 "$(yget "$Yf" concurrent_writes)"
    check "$V: empty data dir + DC/rack -> GossipingPropertyFileSnitch" \
        eq GossipingPropertyFileSnitch "$(yget "$Yf" endpoint_snitch)"
    check "$V: the snitch change is logged" grep -q 'endpoint_snitch.*GossipingPropertyFileSnitch' "$N/err"
    nkeys=$(echo "$MAIN_KEYS" | tr '|' '\n' | wc -l)
    check "$V: diff: exactly $nkeys lines changed, $nkeys removed" \
        bash -c "[ \$(diff '$ORIG/cassandra.yaml' '$Yf' | grep -c '^> ') -eq $nkeys ] && [ \$(diff '$ORIG/cassandra.yaml' '$Yf' | grep -c '^< ') -eq $nkeys ]"
    check "$V: diff: every change in place (commented template lines replaced, nothing added)" only_in_place "$ORIG/cassandra.yaml" "$Yf"
    check "$V: diff: only the intended keys changed" changed_keys_are "$ORIG/cassandra.yaml" "$Yf" "$MAIN_KEYS"
    check "$V: no other file of the conf dir changed" \
        eq "Files $ORIG/cassandra-rackdc.properties and $N/conf/cassandra-rackdc.properties differ
Files $ORIG/cassandra.yaml and $N/conf/cassandra.yaml differ" "$(diff -rq "$ORIG" "$N/conf")"
    R=$N/conf/cassandra-rackdc.properties
    check "$V: rackdc: dc=east-1 (no spaces)" grep -qx 'dc=east-1' "$R"
    check "$V: rackdc: rack=r7" grep -qx 'rack=r7' "$R"
    check "$V: rackdc: only the dc and rack lines changed, in place" \
        bash -c "[ \$(diff '$ORIG/cassandra-rackdc.properties' '$R' | grep -c '^> ') -eq 2 ] && [ \$(wc -l <'$ORIG/cassandra-rackdc.properties') -eq \$(wc -l <'$R') ]"
    check "$V: cassandra runs as uid 999" eq 999 "$(rec "$N/rec/record" uid)"
    check "$V: cassandra runs as gid 999" eq 999 "$(rec "$N/rec/record" gid)"
    check "$V: no supplementary group left (root's dropped)" eq 999 "$(rec "$N/rec/record" groups)"
    check "$V: command is cassandra -f" eq -f "$(rec "$N/rec/record" args)"
    # exec, not fork: cassandra's parent is this shell, which started cass-entry
    check "$V: cassandra replaces cass-entry (exec: its parent is the test shell)" eq "$$" "$(rec "$N/rec/record" ppid)"
    check "$V: CASSANDRA_CONF is the conf dir" eq "$N/conf" "$(rec "$N/rec/record" CASSANDRA_CONF)"
    check "$V: MAX_HEAP_SIZE from the fake limits" eq "$WANT_MAX" "$(rec "$N/rec/record" MAX_HEAP_SIZE)"
    if [ -z "$WANT_NEW" ]; then
        check "$V: G1: HEAP_NEWSIZE not set" bash -c "! grep -q '^HEAP_NEWSIZE=' '$N/rec/record'"
    else
        check "$V: CMS: HEAP_NEWSIZE = min(100*cpus, max/4)" eq "$WANT_NEW" "$(rec "$N/rec/record" HEAP_NEWSIZE)"
    fi
    check "$V: the heap log line names its source ($WANT_SRC)" grep -Eq "heap ${WANT_MAX}.*$WANT_SRC" "$N/err"
    check "$V: data and log dirs given to uid 999" eq "999 999" "$(stat -c %u "$N/data") $(stat -c %u "$N/log")"
    check "$V: one log line per change (listen_address -> $HOST_IP)" grep -q "listen_address: localhost -> $HOST_IP" "$N/err"

    # ---- the second start: nothing changes ----
    cp "$Yf" "$N/after1.yaml"; cp "$R" "$N/after1.rackdc"
    before_y=$(mtime_ino "$Yf"); before_r=$(mtime_ino "$R")
    sleep 0.01
    entry "${MAIN_ENV[@]}" -- "${MAIN_ARGS[@]}"
    check "$V: second start exits 0 and starts cassandra" started
    check "$V: second start: cassandra.yaml bytes unchanged" cmp -s "$N/after1.yaml" "$Yf"
    check "$V: second start: cassandra.yaml not rewritten (mtime, inode)" eq "$before_y" "$(mtime_ino "$Yf")"
    check "$V: second start: rackdc untouched" bash -c "cmp -s '$N/after1.rackdc' '$R' && [ '$before_r' = \"\$(stat -c '%y %i' '$R')\" ]"
    check "$V: second start: the log says nothing changed" grep -q 'already up to date' "$N/err"
    check "$V: second start: no change line in the log" bash -c "! grep -q ' -> ' '$N/err'"
    check "$V: second start: still uid 999" eq 999 "$(rec "$N/rec/record" uid)"

    # ---- a restart with a new IP gets the new IP (start.sh could not) ----
    printf '127.0.0.1\tlocalhost\n%s\t%s\n' "$OTHER_IP" "$HOSTNAME_" >"$N/root/etc/hosts"
    entry "${MAIN_ENV[@]}" -- "${MAIN_ARGS[@]}"
    check "$V: new IP: listen/broadcast/broadcast_rpc follow it" \
        eq "$OTHER_IP $OTHER_IP $OTHER_IP" "$(yget "$Yf" listen_address) $(yget "$Yf" broadcast_address) $(yget "$Yf" broadcast_rpc_address)"
    check "$V: new IP: only those three lines differ from the first start" \
        bash -c "[ \$(diff '$N/after1.yaml' '$Yf' | grep -c '^> ') -eq 3 ]"

    # ---- DC/rack on a node with data: the snitch is left alone, with a warning ----
    new_node "data-$V" "$V" "$scenario"
    mkdir -p "$N/data/data/system"
    entry CASSANDRA_DC=east-1 CASSANDRA_RACK=r7 -- cass1
    check "$V: node with data: exit 0" rc_is 0
    check "$V: node with data: endpoint_snitch unchanged" \
        eq "$(yget "$ORIG/cassandra.yaml" endpoint_snitch)" "$(yget "$N/conf/cassandra.yaml" endpoint_snitch)"
    check "$V: node with data: a warning about the snitch" grep -Eq 'warning:.*snitch' "$N/err"
    check "$V: node with data: rackdc still written" grep -qx 'dc=east-1' "$N/conf/cassandra-rackdc.properties"

    # ---- --dry-run: the diff and the command, secrets masked, nothing written ----
    new_node "dry-$V" "$V" "$scenario"
    printf 'S3cretRing\n' >"$N/secret"
    entry CASSANDRA_CLUSTER_NAME_FILE="$N/secret" CASSANDRA_DC=east-1 \
          CASSANDRA_CFG_YAML_CLIENT_ENCRYPTION_OPTIONS__KEYSTORE_PASSWORD=EnvPw77 \
        -- --dry-run --set server_encryption_options.keystore_password=Hunter2Pw cass1
    check "$V: dry-run exits 0" rc_is 0
    check "$V: dry-run prints a unified diff of cassandra.yaml" \
        bash -c "grep -q '^--- .*cassandra.yaml' '$N/out' && grep -q '^+++ .*cassandra.yaml' '$N/out' && grep -q '^@@ ' '$N/out'"
    check "$V: dry-run diff shows the listen_address change" grep -qx "+listen_address: $HOST_IP" "$N/out"
    check "$V: dry-run diff shows the rackdc change" grep -qx '+dc=east-1' "$N/out"
    check "$V: dry-run prints the command" grep -q '^exec: cassandra -f' "$N/out"
    check "$V: dry-run: _FILE value never shown" bash -c "! grep -q S3cretRing '$N/out' '$N/err'"
    check "$V: dry-run: *password* values never shown" bash -c "! grep -Eq 'Hunter2Pw|EnvPw77' '$N/out' '$N/err'"
    check "$V: dry-run: secrets shown as ***" \
        bash -c "grep -Eq '^\+cluster_name:.*\*\*\*' '$N/out' && [ \$(grep -Ec '^\+ *keystore_password: *\*\*\*' '$N/out') -eq 2 ]"
    check "$V: dry-run: conf dir untouched" same_tree "$ORIG" "$N/conf"
    check "$V: dry-run: cassandra not started" no_record
    check "$V: dry-run: no runtime copy, no chown" \
        bash -c "[ ! -e '$N/runtime/conf' ] && [ \$(stat -c %u '$N/data') -eq 0 ]"

    # ---- authentication: the class where this release line keeps it ----
    # (a scalar up to 4.1; 5.0 made authenticator a map with class_name, trunk
    # the authorizer too): read the form from the original file, as a user would
    # a new node with PasswordAuthenticator and no password: 78, nothing written
    new_node "auth-nopw-$V" "$V" "$scenario"
    entry CASSANDRA_AUTHENTICATOR=PasswordAuthenticator -- cass1
    check "$V: PasswordAuthenticator on a new node without CASSANDRA_PASSWORD: exit 78, one line, conf untouched" \
        bash -c "[ $RC -eq 78 ] && [ \$(grep -c 'with no password given: the superuser would be cassandra/cassandra' '$N/err') -eq 1 ] && diff -r '$ORIG' '$N/conf' >/dev/null"
    new_node "auth-$V" "$V" "$scenario"
    entry CASSANDRA_AUTHENTICATOR=PasswordAuthenticator CASSANDRA_AUTHORIZER=CassandraAuthorizer \
        CASSANDRA_ALLOW_DEFAULT_SUPERUSER=yes -- cass1
    for key in authenticator authorizer; do
        want=$([ $key = authenticator ] && echo PasswordAuthenticator || echo CassandraAuthorizer)
        if "$Y" get "$ORIG/cassandra.yaml" "$key.class_name" >/dev/null 2>&1; then path=$key.class_name; else path=$key; fi
        check "$V: CASSANDRA_${key^^}: $path = $want" eq "$want" "$(yget "$N/conf/cassandra.yaml" "$path")"
    done
    check "$V: auth: exactly the two class lines changed for it (2 out, 2 in)" \
        bash -c "diff '$ORIG/cassandra.yaml' '$N/conf/cassandra.yaml' | grep -E '^[<>]' | grep -cE 'Authenticator|Authorizer' | grep -qx 4"
    # an override of the same key wins over the named variable, without a conflict
    new_node "auth-ovr-$V" "$V" "$scenario"
    if "$Y" get "$ORIG/cassandra.yaml" authenticator.class_name >/dev/null 2>&1; then ovr=CASSANDRA_CFG_YAML_AUTHENTICATOR__CLASS_NAME; p=authenticator.class_name
    else ovr=CASSANDRA_CFG_YAML_AUTHENTICATOR; p=authenticator; fi
    entry CASSANDRA_AUTHENTICATOR=PasswordAuthenticator "$ovr=AllowAllAuthenticator" -- cass1
    check "$V: $ovr wins over CASSANDRA_AUTHENTICATOR ($p)" \
        bash -c "[ $RC -eq 0 ] && [ \"\$('$Y' get '$N/conf/cassandra.yaml' $p)\" = AllowAllAuthenticator ]"

    # ---- a mistyped variable: a warning with the name meant, and nothing else changes ----
    new_node "typo-$V" "$V" "$scenario"
    entry CASSANDRA_SEED=cass9 -- --dry-run
    check "$V: CASSANDRA_SEED (a typo): exit 0, one warning naming CASSANDRA_SEEDS, seeds not taken from it" \
        bash -c "[ $RC -eq 0 ] && grep -qx 'cass-entry: warning: CASSANDRA_SEED is set but neither cass-entry nor Cassandra reads it (did you mean CASSANDRA_SEEDS?)' '$N/err' && ! grep -q cass9 '$N/out'"

    # ---- a read-only bind-mounted conf dir: input only ----
    new_node "ro-$V" "$V" "$scenario"
    mkdir -p "$N/mnt"
    if mount --bind "$N/conf" "$N/mnt" && mount -o remount,bind,ro "$N/mnt"; then
        entry CASSANDRA_CONF="$N/mnt" "${MAIN_ENV[@]}" -- "${MAIN_ARGS[@]}"
        RTC=$N/runtime/conf
        check "$V: read-only conf: exit 0, cassandra started" started
        check "$V: read-only conf: the original is untouched" same_tree "$ORIG" "$N/conf"
        check "$V: read-only conf: CASSANDRA_CONF points to the runtime copy" eq "$RTC" "$(rec "$N/rec/record" CASSANDRA_CONF)"
        check "$V: read-only conf: the copy has the edits" \
            eq "$HOST_IP cass1" "$(yget "$RTC/cassandra.yaml" listen_address) $(yget "$RTC/cassandra.yaml" 'seed_provider[0].parameters[0].seeds')"
        check "$V: read-only conf: the copy's diff is the same as a writable node's" \
            cmp -s "$T/main-$V/after1.yaml" "$RTC/cassandra.yaml"
        check "$V: read-only conf: the copy has the rackdc edit" grep -qx 'dc=east-1' "$RTC/cassandra-rackdc.properties"
        check "$V: read-only conf: the copy holds every file of the conf dir" \
            eq "$(cd "$ORIG" && find . -type f | sort)" "$(cd "$RTC" && find . -type f | sort)"
        check "$V: read-only conf: the log says so" grep -q "copied to $RTC" "$N/err"
        check "$V: read-only conf: the copy belongs to uid 999" eq 999 "$(stat -c %u "$RTC/cassandra.yaml")"
        umount "$N/mnt"
    else
        notok "$V: read-only conf: mount --bind / remount ro failed"
    fi

    # ---- a writable bind mount (a host file shared by nodes): input only too ----
    new_node "bind-$V" "$V" "$scenario"
    mkdir -p "$N/mnt"
    if mount --bind "$N/conf" "$N/mnt"; then
        entry CASSANDRA_CONF="$N/mnt" "${MAIN_ENV[@]}" -- "${MAIN_ARGS[@]}"
        check "$V: bind-mounted conf: exit 0" rc_is 0
        check "$V: bind-mounted conf: the host's files are untouched" same_tree "$ORIG" "$N/conf"
        check "$V: bind-mounted conf: CASSANDRA_CONF points to the runtime copy" \
            eq "$N/runtime/conf" "$(rec "$N/rec/record" CASSANDRA_CONF)"
        umount "$N/mnt"
    else
        notok "$V: bind-mounted conf: mount --bind failed"
    fi

    # ---- failures: exit 78, one line naming the variable or file:line:col, nothing written ----
    fail_case "CASSANDRA_LISTEN_ADDRESS=0.0.0.0" '^cass-entry: CASSANDRA_LISTEN_ADDRESS: .*wildcard' \
        CASSANDRA_LISTEN_ADDRESS=0.0.0.0 -- cass1
    fail_case "a listen address not of this node" '^cass-entry: CASSANDRA_LISTEN_ADDRESS: 10\.55\.0\.1 ' \
        CASSANDRA_LISTEN_ADDRESS=10.55.0.1 -- cass1
    fail_case "an empty seed list" '^cass-entry: CASSANDRA_SEEDS: .*empty' CASSANDRA_SEEDS=' , ' --
    fail_case "CASSANDRA_AUTHENTICATOR not a class name" '^cass-entry: CASSANDRA_AUTHENTICATOR=Password Authenticator: not a Java class name' \
        'CASSANDRA_AUTHENTICATOR=Password Authenticator' -- cass1
    fail_case "CASSANDRA_CQL_PORT_NUMBER=abc" '^cass-entry: CASSANDRA_CQL_PORT_NUMBER: ' \
        CASSANDRA_CQL_PORT_NUMBER=abc -- cass1
    # line 30 becomes "key: @x": '@' is reserved in YAML and cannot start a
    # scalar, so the error is at line 30, column 6
    BREAK_YAML=30 fail_case "broken YAML" "^cass-entry: $N/conf/cassandra.yaml:30:6: " -- cass1

    # ---- TLS from PEM secrets: PEM files on 4.1 and later, PKCS#12 stores before ----
    if [ "$(printf '%s\n' 4.1 "$V" | sort -V | head -1)" = 4.1 ]; then
        new_node "tls-$V" "$V" "$scenario"
        entry "${TLS_ENV[@]}" CASSANDRA_TLS_KEY_FILE="$TLS/node.key" -- cass1
        check "$V: TLS: started" started
        check "$V: TLS: the PEM files 0600 and Cassandra's, the yaml on the PEM factory" tls_ok
        tls_second_start
        fail_case "TLS with a key of another certificate" \
            '^cass-entry: CASSANDRA_TLS_KEY_FILE does not match the first certificate of CASSANDRA_TLS_CERT_FILE$' \
            "${TLS_ENV[@]}" CASSANDRA_TLS_KEY_FILE="$TLS/stray.key" -- cass1
    else
        # before 4.1: PKCS#12 stores (CASSANDRA_TLS_STORE=auto); pem is refused
        new_node "tls-$V" "$V" "$scenario"
        entry "${TLS_ENV[@]}" CASSANDRA_TLS_KEY_FILE="$TLS/node.key" -- cass1
        check "$V: TLS: started" started
        check "$V: TLS: PKCS#12 stores 0600 and Cassandra's, the yaml on them (store_type PKCS12, no factory)" tls_p12_ok
        tls_second_start
        fail_case "TLS with CASSANDRA_TLS_STORE=pem before 4.1" \
            '^cass-entry: CASSANDRA_TLS_STORE=pem needs Cassandra 4\.1 or later \(its PEM key files\); this is ' \
            "${TLS_ENV[@]}" CASSANDRA_TLS_KEY_FILE="$TLS/node.key" CASSANDRA_TLS_STORE=pem -- cass1
    fi

    # ---- passthrough: run untouched, no configuration ----
    new_node "pass-$V" "$V" "$scenario"
    entry -- -- echo hi
    check "$V: cass-entry -- echo hi runs echo" printed_hi
    check "$V: cass-entry -- echo hi: no configuration" \
        bash -c "diff -r '$ORIG' '$N/conf' >/dev/null && [ ! -s '$N/err' ] && [ \$(stat -c %u '$N/data') -eq 0 ]"
    entry -- echo hi
    check "$V: cass-entry echo hi runs echo" printed_hi
    check "$V: cass-entry echo hi: no configuration" \
        bash -c "diff -r '$ORIG' '$N/conf' >/dev/null && [ ! -s '$N/err' ] && [ ! -e '$N/rec/record' ]"
    rm -rf "$T"/*-"$V"
done

# ---- a hostile uid 999 and the runtime copy (issue 11) ----------------------------
# The runtime copy belongs to uid 999 between starts; at the next start
# cass-entry is root again and must follow none of the links or files that
# uid 999 left there.
as999() { setpriv --reuid=999 --regid=999 --clear-groups "$@"; }
ro_node() {  # ro_node NAME: a node whose conf dir is a read-only bind mount at $N/mnt
    new_node "$1" 5.0.1
    mkdir -p "$N/mnt"
    mount --bind "$N/conf" "$N/mnt" && mount -o remount,bind,ro "$N/mnt"
}
if ! command -v setpriv >/dev/null; then
    notok "hostile uid 999: setpriv (util-linux) is missing"
elif ro_node hostile-files; then
    entry CASSANDRA_CONF="$N/mnt" -- cass1
    check "hostile: first start on a read-only conf: exit 0, copy owned by 999" \
        bash -c "[ $RC -eq 0 ] && [ \$(stat -c %u '$N/runtime/conf/cassandra.yaml') -eq 999 ]"
    echo ORIG >"$T/victim"; rm -f "$T/new"
    as999 sh -c "rm '$N/runtime/conf/cassandra.yaml'; ln -s '$T/victim' '$N/runtime/conf/cassandra.yaml';
                 rm -f '$N/runtime/conf/cassandra-rackdc.properties'; ln -s '$T/new' '$N/runtime/conf/cassandra-rackdc.properties'"
    entry CASSANDRA_CONF="$N/mnt" CASSANDRA_DC=dc1 -- cass1
    check "hostile: links planted by uid 999 in the copy: root wrote through none of them (victim intact, nothing created)" \
        bash -c "[ $RC -eq 0 ] && [ \"\$(cat '$T/victim')\" = ORIG ] && [ ! -e '$T/new' ] && [ \$(stat -c %u '$T/victim') -eq 0 ]"
    check "hostile: the copy is made anew: regular files with the edits" \
        bash -c "[ -f '$N/runtime/conf/cassandra.yaml' ] && [ ! -L '$N/runtime/conf/cassandra.yaml' ] && grep -qx 'dc=dc1' '$N/runtime/conf/cassandra-rackdc.properties' && [ \"\$('$Y' get '$N/runtime/conf/cassandra.yaml' listen_address)\" = '$HOST_IP' ]"
    umount "$N/mnt"

    # runtime/conf itself a link (to a tree of root's): replaced, never chowned through
    ro_node hostile-dirlink
    mkdir -p "$T/victimdir"; echo secret >"$T/victimdir/file"
    ln -s "$T/victimdir" "$N/runtime/conf"
    entry CASSANDRA_CONF="$N/mnt" -- cass1
    check "hostile: runtime/conf a symbolic link: exit 0, the link replaced by a directory, its target not chowned" \
        bash -c "[ $RC -eq 0 ] && [ -d '$N/runtime/conf' ] && [ ! -L '$N/runtime/conf' ] && [ \$(stat -c %u '$T/victimdir/file') -eq 0 ] && [ \$(stat -c %u '$T/victimdir') -eq 0 ]"
    umount "$N/mnt"

    # the runtime dir's parent owned by uid 999 (made before the first start in /tmp)
    ro_node hostile-parent
    rm -rf "$N/runtime"; mkdir -p "$N/runtime"; chown 999:999 "$N/runtime"
    as999 ln -s "$T/victimdir" "$N/runtime/conf"
    entry CASSANDRA_CONF="$N/mnt" -- cass1
    check "hostile: the runtime dir's parent owned by uid 999: exit 73, one line naming CASS_ENTRY_RUNTIME_DIR, nothing chowned" \
        bash -c "[ $RC -eq 73 ] && tail -n 1 '$N/err' | grep -q 'owned by uid 999.*CASS_ENTRY_RUNTIME_DIR' && [ \$(stat -c %u '$T/victimdir/file') -eq 0 ] && [ ! -e '$N/rec/record' ]"
    umount "$N/mnt"

    # runtime/conf left by another uid, mode 0777, with a file of its own
    ro_node hostile-dir
    mkdir -p "$N/runtime/conf"; chown 1234:1234 "$N/runtime/conf"; chmod 0777 "$N/runtime/conf"
    echo planted >"$N/runtime/conf/planted.yaml"
    entry CASSANDRA_CONF="$N/mnt" -- cass1
    check "hostile: a runtime/conf of another uid, mode 0777: made anew (its file gone, the dir 0755)" \
        bash -c "[ $RC -eq 0 ] && [ ! -e '$N/runtime/conf/planted.yaml' ] && [ \$(stat -c %a '$N/runtime/conf') = 755 ]"
    umount "$N/mnt"

    # a hard link in the data dir to a file of root's
    new_node hostile-hardlink 5.0.1
    echo secret >"$T/shadowish"; chmod 600 "$T/shadowish"
    ln "$T/shadowish" "$N/data/innocent"
    entry -- cass1
    check "hostile: a hard link in the data dir to root's file: not chowned, one warning naming it" \
        bash -c "[ $RC -eq 0 ] && [ \$(stat -c %u '$T/shadowish') -eq 0 ] && grep -q 'warning: 1 hard-linked file(s) owned by another user left as they are (first: $N/data/innocent)' '$N/err'"

    # non-root (uid 999) with a read-only conf dir and a 0444 cassandra.yaml: the copy is writable
    new_node hostile-0444 5.0.1
    chmod 0444 "$N/conf/cassandra.yaml"
    mkdir -p "$N/mnt"; chown 999:999 "$N/runtime" "$N/data" "$N/log"
    if mount --bind "$N/conf" "$N/mnt" && mount -o remount,bind,ro "$N/mnt"; then
        rm -f "$N/rec/record"
        as999 env -i PATH="$N/home/bin:/usr/local/bin:/usr/bin:/bin" LANG=C CASSANDRA_HOME="$N/home" \
            CASSANDRA_CONF="$N/mnt" CASS_ENTRY_ROOT="$N/root" CASS_ENTRY_DATA_DIR="$N/data" \
            CASS_ENTRY_LOG_DIR="$N/log" CASS_ENTRY_RUNTIME_DIR="$N/runtime/conf" CASSANDRA_SEED_WAIT=0 \
            "$BIN" cass1 >"$N/out" 2>"$N/err"
        RC=$?
        check "non-root, read-only conf dir, 0444 cassandra.yaml: exit 0, the copy edited" \
            bash -c "[ $RC -eq 0 ] && [ \"\$('$Y' get '$N/runtime/conf/cassandra.yaml' listen_address)\" = '$HOST_IP' ]"
        umount "$N/mnt"
    else
        notok "non-root 0444: mount failed"
    fi
else
    notok "hostile uid 999: mount --bind / remount ro failed"
fi

# ---- who Cassandra runs as is settled before any file is written (issue 11) --------
user_case() {  # user_case WHAT REGEX SETUP [VAR=VALUE...]: exit 78, one line, nothing written
    local what=$1 re=$2 setup=$3; shift 3
    new_node "user-$what" 5.0.1
    eval "$setup"
    cp -r "$N/conf" "$N/conf.before"
    entry "$@" -- cass1
    check "user: $what: exit 78, one line, cassandra.yaml and rackdc untouched, nothing started" \
        bash -c "[ $RC -eq 78 ] && tail -n 1 '$N/err' | grep -Eq '$re' && diff -r '$N/conf.before' '$N/conf' >/dev/null && [ ! -e '$N/rec/record' ]"
}
user_case "unknown user" 'nosuchuser' ':' CASS_ENTRY_USER=nosuchuser CASSANDRA_DC=dc9
user_case "no passwd file" 'passwd' 'rm "$N/root/etc/passwd"' CASSANDRA_DC=dc9
user_case "a user of uid 0" 'uid 0' 'echo "toor:x:0:0::/root:/bin/sh" >>"$N/root/etc/passwd"' CASS_ENTRY_USER=toor CASSANDRA_DC=dc9
user_case "a broken passwd line" 'passwd' 'printf "cassandra:x:notanumber:999::/:/bin/sh\n" >"$N/root/etc/passwd"' CASSANDRA_DC=dc9

# ---- the host's own files: junk is 65 (EX_DATAERR), missing is 72 (EX_OSFILE) ----
new_node "junk-cgroup" 5.0.1
echo "lots" >"$N/root/sys/fs/cgroup/memory.max"
cp -r "$N/conf" "$N/conf.before"
entry -- cass1
check "junk in the cgroup memory limit: exit 65, one line naming the file, nothing written" \
    bash -c "[ $RC -eq 65 ] && tail -n 1 '$N/err' | grep -q 'memory.max: not a byte count' && diff -r '$N/conf.before' '$N/conf' >/dev/null && [ ! -e '$N/rec/record' ]"
new_node "no-meminfo" 5.0.1 3
rm "$N/root/proc/meminfo"
cp -r "$N/conf" "$N/conf.before"
entry -- cass1
check "no cgroup limit and no /proc/meminfo: exit 72, one line naming it, nothing written" \
    bash -c "[ $RC -eq 72 ] && tail -n 1 '$N/err' | grep -q 'meminfo' && diff -r '$N/conf.before' '$N/conf' >/dev/null && [ ! -e '$N/rec/record' ]"
entry MAX_HEAP_SIZE=1G HEAP_NEWSIZE=200M -- cass1
check "no memory to read, but MAX_HEAP_SIZE given: starts (exit 0) with it (G1: no HEAP_NEWSIZE) and a warning" \
    bash -c "[ $RC -eq 0 ] && grep -qx 'MAX_HEAP_SIZE=1G' '$N/rec/record' && grep -q 'warning: .*meminfo.*MAX_HEAP_SIZE is used as given' '$N/err'"
new_node "hosts-unreadable" 5.0.1
rm "$N/root/etc/hosts" && mkdir "$N/root/etc/hosts"
cp -r "$N/conf" "$N/conf.before"
entry -- cass1
check "an /etc/hosts that cannot be read: exit 74 (EX_IOERR), one line naming it, nothing written" \
    bash -c "[ $RC -eq 74 ] && tail -n 1 '$N/err' | grep -q 'etc/hosts: read error' && diff -r '$N/conf.before' '$N/conf' >/dev/null && [ ! -e '$N/rec/record' ]"

# ---- a host file that is there but cannot be read is 74 (EX_IOERR), never "no limit" ----
for f in sys/fs/cgroup/memory.max proc/meminfo; do
    new_node "unreadable-${f##*/}" 5.0.1
    rm "$N/root/$f" && mkdir "$N/root/$f"
    cp -r "$N/conf" "$N/conf.before"
    entry -- cass1
    check "$f that cannot be read (a directory): exit 74 (EX_IOERR), one line naming it, nothing written" \
        bash -c "[ $RC -eq 74 ] && tail -n 1 '$N/err' | grep -q '$N/root/$f: Is a directory' && diff -r '$N/conf.before' '$N/conf' >/dev/null && [ ! -e '$N/rec/record' ]"
done
new_node "unreadable-jvm-options" 5.0.1
rm "$N/conf/jvm-server.options" && mkdir "$N/conf/jvm-server.options"
entry -- cass1
check "a jvm options file that cannot be read (a directory): exit 74 (EX_IOERR), one line naming it, nothing started" \
    bash -c "[ $RC -eq 74 ] && tail -n 1 '$N/err' | grep -q 'jvm-server.options: Is a directory' && [ ! -e '$N/rec/record' ]"

# ---- the heap the user gave needs no memory reading: junk or unreadable memory files do not stop it ----
new_node "heap-given-junk" 4.1.7
echo "lots" >"$N/root/sys/fs/cgroup/memory.max"
entry MAX_HEAP_SIZE=1G HEAP_NEWSIZE=200M -- cass1
check "junk cgroup memory.max, MAX_HEAP_SIZE and HEAP_NEWSIZE given (CMS): starts (exit 0) with both as given and a warning naming the file" \
    bash -c "[ $RC -eq 0 ] && grep -qx 'MAX_HEAP_SIZE=1G' '$N/rec/record' && grep -qx 'HEAP_NEWSIZE=200M' '$N/rec/record' && grep -q 'warning: .*memory.max.*MAX_HEAP_SIZE is used as given' '$N/err'"
new_node "heap-given-unreadable" 4.1.7
rm "$N/root/sys/fs/cgroup/memory.max" && mkdir "$N/root/sys/fs/cgroup/memory.max"
entry MAX_HEAP_SIZE=1G HEAP_NEWSIZE=200M -- cass1
check "unreadable cgroup memory.max, MAX_HEAP_SIZE and HEAP_NEWSIZE given (CMS): starts (exit 0) with both as given and a warning naming the file" \
    bash -c "[ $RC -eq 0 ] && grep -qx 'MAX_HEAP_SIZE=1G' '$N/rec/record' && grep -qx 'HEAP_NEWSIZE=200M' '$N/rec/record' && grep -q 'warning: .*memory.max: Is a directory: MAX_HEAP_SIZE is used as given' '$N/err'"

# ---- the other exit statuses of the README: 64 usage, 126/127 the command ----
new_node "codes" 5.0.1
entry -- --set nonsense cass1
check "a malformed option (--set without =): exit 64 (EX_USAGE), one line naming it" \
    bash -c "[ $RC -eq 64 ] && grep -q -- '--set nonsense: expected PATH=VALUE' '$N/err'"
entry -- -- no-such-command-anywhere
check "a command that does not exist: exit 127, naming it" \
    bash -c "[ $RC -eq 127 ] && grep -q 'cannot execute no-such-command-anywhere' '$N/err'"
printf 'not a program\n' >"$N/notexec"; chmod 644 "$N/notexec"
entry -- -- "$N/notexec"
check "a command that cannot be executed: exit 126, naming it" \
    bash -c "[ $RC -eq 126 ] && grep -q 'cannot execute $N/notexec' '$N/err'"

# ---- first-boot JVM options: only while the data dir is empty -------------------
new_node "firstboot" 5.0.1
entry JVM_EXTRA_OPTS=-Dmine=1 CASS_ENTRY_FIRST_BOOT_JVM_OPTS=-Dfirst=1 -- cass1
check "first boot (empty data dir): CASS_ENTRY_FIRST_BOOT_JVM_OPTS appended to JVM_EXTRA_OPTS, not passed on itself" \
    bash -c "[ $RC -eq 0 ] && grep -qx 'JVM_EXTRA_OPTS=-Dmine=1 -Dfirst=1' '$N/rec/record' && ! grep -q CASS_ENTRY_FIRST_BOOT '$N/rec/record' && grep -q 'first boot' '$N/err'"
mkdir -p "$N/data/data/system"
entry JVM_EXTRA_OPTS=-Dmine=1 CASS_ENTRY_FIRST_BOOT_JVM_OPTS=-Dfirst=1 -- cass1
check "a restart (data present): the first-boot options are not applied" \
    bash -c "[ $RC -eq 0 ] && grep -qx 'JVM_EXTRA_OPTS=-Dmine=1' '$N/rec/record' && ! grep -q CASS_ENTRY_FIRST_BOOT '$N/rec/record'"

# ---- an override that leaves no seed is a 78 like an empty seed list (issue 11) ----
for set_args in "seed_provider=[]" "seed_provider[0].parameters=[]" "seed_provider[0].parameters[0].seeds=''"; do
    new_node "noseed" 5.0.1
    cp -r "$N/conf" "$N/conf.before"
    entry -- --set "$set_args" --set 'seed_provider[0].parameters[0].seeds=x' cass1
    [ "$set_args" = "seed_provider[0].parameters[0].seeds=''" ] && entry -- --set "$set_args" cass1
    check "--set '$set_args': exit 78 naming seed_provider, files untouched, nothing started" \
        bash -c "[ $RC -eq 78 ] && tail -n 1 '$N/err' | grep -q 'seed' && diff -r '$N/conf.before' '$N/conf' >/dev/null && [ ! -e '$N/rec/record' ]"
done

# ---- secrets never shown (issue 11) -----------------------------------------------
# A distinctive secret through every variable of the table as NAME_FILE, and
# through secret-looking keys (CASSANDRA_CFG_YAML_*, --set with a nested flow
# mapping), valid or not (error paths too), in --dry-run and in a real start:
# it appears in no output and not in the exec'd process's environment.
SECRET=Zq9xSecretValue
SECRET2=Wv7ySecretOther
leaks() {  # leaks: the outputs and the recorded environment that contain a secret
    grep -l -e "$SECRET" -e "$SECRET2" "$N/out" "$N/err" "$N/rec/record" 2>/dev/null | tr '\n' ' '
}
mapfile -t TABLE_VARS < <("$BIN" --help | grep -oE '^  (CASSANDRA|MAX|HEAP)[A-Z_]+' | tr -d ' ' | grep -vx 'CASSANDRA_CONF\|CASSANDRA_CFG_YAML_')
[ ${#TABLE_VARS[@]} -ge 15 ] || notok "secrets: only ${#TABLE_VARS[@]} variables in --help"
printf '%s\n' "$SECRET" >"$T/secret.txt"
chmod 644 "$T/secret.txt"
leaked=()
for var in "${TABLE_VARS[@]}"; do
    for mode in --dry-run run; do
        new_node "secret-$var" 5.0.1
        if [ "$mode" = run ]; then entry "${var}_FILE=$T/secret.txt" CASSANDRA_SEED_WAIT=1 -- cass1
        else entry "${var}_FILE=$T/secret.txt" -- --dry-run cass1; fi
        l=$(leaks); [ -n "$l" ] && leaked+=("${var}_FILE $mode (rc $RC): $l")
    done
done
check "secrets: each of the ${#TABLE_VARS[@]} variables given as NAME_FILE, dry run and real start: the value in no output and not in Cassandra's environment" \
    bash -c "[ ${#leaked[@]} -eq 0 ] || { printf '# leaked: %s\n' \"\${@}\"; exit 1; }" _ "${leaked[@]}"
new_node secret-dc 5.0.1
entry CASSANDRA_DC_FILE="$T/secret.txt" -- cass1
check "secrets: CASSANDRA_DC_FILE still reaches cassandra-rackdc.properties (masking hides, never drops)" \
    bash -c "[ $RC -eq 0 ] && grep -qx 'dc=$SECRET' '$N/conf/cassandra-rackdc.properties' && grep -q 'dc=\*\*\*' '$N/err'"
new_node secret-cfg 5.0.1
entry CASSANDRA_CFG_YAML_SERVER_ENCRYPTION_OPTIONS__KEYSTORE_PASSWORD="$SECRET" -- cass1
check "secrets: CASSANDRA_CFG_YAML_..._KEYSTORE_PASSWORD: applied, in no output, not passed on to Cassandra" \
    bash -c "[ $RC -eq 0 ] && [ -z \"\$1\" ] && grep -q 'keystore_password: $SECRET' '$N/conf/cassandra.yaml' && ! grep -q CASSANDRA_CFG_YAML_SERVER_ENCRYPTION '$N/rec/record'" _ "$(leaks)"
new_node secret-set 5.0.1
entry -- --dry-run --set "server_encryption_options={internode_encryption: none, keystore: conf/.keystore, keystore_password: $SECRET, truststore_password: \"$SECRET2\"}" cass1
check "secrets: --set with passwords inside a flow mapping: neither value shown" \
    bash -c "[ $RC -eq 0 ] && [ -z \"\$1\" ] && grep -q 'keystore_password: \*\*\*' '$N/out'" _ "$(leaks)"
check "secrets: the old passwords the diff removes are hidden too (5.0.1's keystore_password: cassandra)" \
    bash -c "grep -q '^-.*keystore_password' '$N/out' && ! grep -Eq 'password: *cassandra' '$N/out'"
new_node secret-bad 5.0.1
entry CASSANDRA_CFG_YAML_SEED_PROVIDER__0__PARAMETERS__0__SEEDS_FILE="$T/secret.txt" CASSANDRA_LISTEN_ADDRESS=0.0.0.0 -- cass1
check "secrets: a failing start (exit 78) with a secret seed list: the value in no output" \
    bash -c "[ $RC -eq 78 ] && [ -z \"\$1\" ]" _ "$(leaks)"

# ---- waiting for seeds, host limits ---------------------------------------------
# In this network namespace no name server is reachable, so a name that is in no
# hosts file never resolves (and nothing leaves the machine).
new_node seeds 5.0.1 0
start_s=$(date +%s)
entry CASSANDRA_SEED_WAIT=2 -- never-resolves-seed.invalid
took=$(( $(date +%s) - start_s ))
check "seed wait: an unresolvable seed is a warning, Cassandra still starts" started
check "seed wait: the warning names the seed and the wait" \
    grep -q "warning: seed never-resolves-seed.invalid does not resolve after 2s" "$N/err"
check "seed wait: progress is shown while waiting" grep -q "waiting for seed never-resolves-seed.invalid" "$N/err"
check "seed wait: bounded by CASSANDRA_SEED_WAIT (took ${took}s)" test "$took" -ge 2 -a "$took" -le 10
entry CASSANDRA_SEED_WAIT=30 -- "$HOSTNAME_"
check "seed wait: this node's own name is not waited for" \
    bash -c "[ $RC -eq 0 ] && ! grep -q 'waiting for seed' '$N/err'"
entry CASSANDRA_SEED_WAIT=30 -- localhost,127.0.0.1
check "seed wait: a seed that resolves (localhost) and an IP start at once" \
    bash -c "[ $RC -eq 0 ] && ! grep -q 'waiting for seed' '$N/err'"

mkdir -p "$N/root/proc/sys/vm"
echo 65530 >"$N/root/proc/sys/vm/max_map_count"
entry -- cass1
check "host limits: vm.max_map_count below 1048575 is one warning line" \
    bash -c "[ \$(grep -c 'warning: vm.max_map_count is 65530' '$N/err') -eq 1 ]"
echo 1048575 >"$N/root/proc/sys/vm/max_map_count"
entry -- cass1
check "host limits: no warning when vm.max_map_count is as recommended" \
    bash -c "! grep -q 'vm.max_map_count' '$N/err'"
( ulimit -n 4096; entry -- cass1; echo "$RC" >"$N/rc" )
check "host limits: an open-files limit below 100000 is one warning line" \
    bash -c "[ \$(cat '$N/rc') -eq 0 ] && [ \$(grep -c 'warning: open files limit is 4096' '$N/err') -eq 1 ]"
( ulimit -l 64; entry -- cass1 )
check "host limits: a memlock limit is one warning line" grep -q "warning: memlock limit is 64 KiB" "$N/err"

# ---- --probe against a fake CQL server ------------------------------------------
# The server answers an OPTIONS request (v4: 04 00 SS SS 05 + length 0) with a
# SUPPORTED frame (84 00 SS SS 06 + uint32 length + [string multimap]), as the
# native protocol describes it; mode "error" answers with an ERROR frame.
cat >"$T/cqlserver.py" <<'PY'
import socket, struct, sys
mode, portfile, reqfile = sys.argv[1], sys.argv[2], sys.argv[3]
def string(s): b = s.encode(); return struct.pack(">H", len(b)) + b
def multimap(d):
    out = struct.pack(">H", len(d))
    for k, vs in d.items():
        out += string(k) + struct.pack(">H", len(vs)) + b"".join(string(v) for v in vs)
    return out
srv = socket.socket(); srv.bind(("127.0.0.1", 0)); srv.listen(8)
open(portfile, "w").write(str(srv.getsockname()[1]))
while True:
    c, _ = srv.accept()
    c.settimeout(5)
    req = b""
    try:
        while len(req) < 9:
            chunk = c.recv(9 - len(req))
            if not chunk: break
            req += chunk
    except OSError:
        pass
    open(reqfile, "ab").write(req.hex().encode() + b"\n")
    if len(req) == 9 and req[0] == 0x04 and req[4] == 0x05 and req[5:9] == b"\0\0\0\0":
        if mode == "supported":
            body = multimap({"CQL_VERSION": ["3.4.7"], "COMPRESSION": ["lz4", "snappy"],
                             "PROTOCOL_VERSIONS": ["3/v3", "4/v4", "5/v5-beta"]})
            c.sendall(bytes([0x84, 0]) + req[2:4] + bytes([0x06]) + struct.pack(">I", len(body)) + body)
        else:
            body = struct.pack(">i", 0x000A) + string("protocol error")
            c.sendall(bytes([0x84, 0]) + req[2:4] + bytes([0x00]) + struct.pack(">I", len(body)) + body)
    c.close()
PY

# start_server MODE: the fake server in the background; sets SERVER_PID, PORT
start_server() {
    rm -f "$T/port" "$T/requests"
    python3 "$T/cqlserver.py" "$1" "$T/port" "$T/requests" &
    SERVER_PID=$!
    for _ in $(seq 100); do [ -s "$T/port" ] && break; sleep 0.05; done
    PORT=$(cat "$T/port" 2>/dev/null)
}
stop_server() { kill "$SERVER_PID" 2>/dev/null; wait "$SERVER_PID" 2>/dev/null; SERVER_PID=; }
probe() { # probe CONF-DIR [RUNTIME-DIR]: cass-entry --probe; stdout/stderr in $T/probe.*
    env -i PATH=/usr/bin:/bin CASSANDRA_CONF="$1" CASS_ENTRY_RUNTIME_DIR="${2:-$T/no-runtime}" \
        CASS_ENTRY_STATE_DIR="$T/probe/state" CASS_ENTRY_PROBE_TIMEOUT_MS=2000 "$BIN" --probe \
        >"$T/probe.out" 2>"$T/probe.err"
    RC=$?
}

PV=${VERSIONS[${#VERSIONS[@]}-1]}
mkdir -p "$T/probe"
cp -r "$CORPUS/$PV/conf" "$T/probe/conf"
start_server supported
if [ -z "$PORT" ]; then
    notok "--probe: the fake CQL server did not start"
else
    "$Y" set -i "$T/probe/conf/cassandra.yaml" native_transport_port="$PORT" rpc_address=127.0.0.1
    probe "$T/probe/conf"
    LAST_FAIL=$(cat "$T/probe.err")
    check "--probe: SUPPORTED from the native port in cassandra.yaml ($PORT): exit 0" test "$RC" -eq 0
    check "--probe: it sent an OPTIONS v4 frame with an empty body" \
        grep -Eq '^04[0-9a-f]{2}[0-9a-f]{4}0500000000$' "$T/requests"
    check "--probe: reports the server's CQL version" grep -q '3\.4\.7' "$T/probe.out"
    # first-start work pending (cass-entry as init, the superuser or scripts not done yet): not ready
    mkdir -p "$T/probe/state" && : >"$T/probe/state/first-start-pending"
    probe "$T/probe/conf"
    check "--probe while first-start work is pending: exit 1, says so" \
        bash -c "[ $RC -eq 1 ] && grep -q 'not ready: first-start work pending' '$T/probe.err'"
    rm -f "$T/probe/state/first-start-pending"
    "$Y" set -i "$T/probe/conf/cassandra.yaml" rpc_address=0.0.0.0
    probe "$T/probe/conf"
    check "--probe: rpc_address 0.0.0.0 -> probes 127.0.0.1: exit 0" eq 0 "$RC"
    # the runtime copy (an input-only conf dir's edits) wins over the conf dir
    mkdir -p "$T/probe/runtime"
    cp "$T/probe/conf/cassandra.yaml" "$T/probe/runtime/cassandra.yaml"
    "$Y" set -i "$T/probe/conf/cassandra.yaml" native_transport_port=1
    probe "$T/probe/conf" "$T/probe/runtime"
    check "--probe: reads the runtime copy's cassandra.yaml first" eq 0 "$RC"
    stop_server
    start_server error
    "$Y" set -i "$T/probe/conf/cassandra.yaml" native_transport_port="$PORT"
    probe "$T/probe/conf"
    check "--probe: an ERROR frame instead of SUPPORTED: exit 1" eq 1 "$RC"
    stop_server
    start=$(date +%s%N)
    probe "$T/probe/conf"
    elapsed=$(( ($(date +%s%N) - start) / 1000000 ))
    check "--probe: nothing listening: exit 1" eq 1 "$RC"
    check "--probe: nothing listening: a one-line reason on stderr" bash -c "[ \$(wc -l <'$T/probe.err') -eq 1 ]"
    check "--probe: nothing listening: answers within the timeout (${elapsed} ms)" test "$elapsed" -lt 2500
fi

# ---- cass-entry's own variables: every one the code reads is in --help and the README ----
mapfile -t OWN_VARS < <(grep -rhoE '"CASS_ENTRY_[A-Z_]+"' "$ROOT/entrypoint" "$ROOT/cql" | tr -d '"' | sort -u)
help_text=$("$BIN" --help)
missing=()
for v in "${OWN_VARS[@]}"; do
    grep -q "$v" <<<"$help_text" && grep -q "^| \`$v\` |" "$ROOT/README.md" || missing+=("$v")
done
check "cass-entry's own variables (${#OWN_VARS[@]} read by the code) are all in --help and the README's table${missing:+; missing: ${missing[*]}}" \
    test "${#OWN_VARS[@]}" -ge 8 -a "${#missing[@]}" -eq 0
exit 0
