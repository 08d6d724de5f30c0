#!/usr/bin/env bash
# tests/suites/torture.sh: allocation failure, every one (issue 11).  Each
# command below runs once to count its heap allocations, then once with the
# Nth allocation failing, for every N (TORTURE=full) or for a stride that
# gives about 400 runs per command (the default).  Every run must end by
# itself (no signal), and either succeed or say why in one line with a
# non-zero status (a run that succeeds must print what the full run prints);
# `yamlpatch -i` must leave the file as it was or as it
# should be, never half-written; and a run that gives up must leave no more
# heap blocks live at exit than the full run does (none, for yamlpatch): a
# failure path that leaks is a failure.  The shim is tests/torture/failmalloc.c.
set -uo pipefail
cd "$ROOT" || exit 1
BD=${BUILD_DIR:-build}
case $BD in /*) ;; *) BD=$PWD/$BD ;; esac
Y=$BD/yamlpatch
E=$BD/cass-entry
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
command -v gcc >/dev/null || { echo "not ok - torture: gcc is needed to build the shim"; exit 1; }
gcc -shared -fPIC -O1 -o "$T/failmalloc.so" tests/torture/failmalloc.c \
    || { echo "not ok - torture: building tests/torture/failmalloc.c failed"; exit 1; }

printf '# a file to edit\ncluster_name: x # name\nseed_provider:\n  - class_name: org.apache.cassandra.locator.SimpleSeedProvider\n    parameters:\n      - seeds: "127.0.0.1"\nlisten_address: localhost\n# broadcast_address: 1.2.3.4\nlist: [1, 2]\n' >"$T/f.yaml"
printf -- '- op: set\n  path: cluster_name\n  value: prod\n- op: uncomment\n  path: broadcast_address\n  value: 10.0.0.9\n- op: delete\n  path: list\n' >"$T/patch.yaml"
mkdir -p "$T/conf"; cp "$T/f.yaml" "$T/conf/cassandra.yaml"

# torture NAME WANT-FILE COMMAND...: the walk over every (or every k-th) allocation
torture() {
    local name=$1 want=$2; shift 2
    [ -n "$want" ] && cp "$T/f.yaml" "$want"
    FAILMALLOC_COUNT=$T/count LD_PRELOAD=$T/failmalloc.so "$@" >"$T/ref.out" 2>"$T/ref.err" \
        || { echo "not ok - torture $name: the run without failures failed"; sed 's/^/# /' "$T/ref.err"; return; }
    local total step n rc bad=0 failed=0 runs=0 live0 live
    read -r total live0 <"$T/count"
    step=1
    [ "${TORTURE:-}" = full ] || step=$(( total / 400 + 1 ))
    for ((n = 1; n <= total; n += step)); do
        [ -n "$want" ] && cp "$T/f.yaml" "$want"
        rm -f "$T/count"
        # env under timeout: the shim is loaded into the command only, not into timeout
        timeout 20 env FAILMALLOC_COUNT="$T/count" FAILMALLOC_AT=$n LD_PRELOAD="$T/failmalloc.so" "$@" \
            >"$T/out" 2>"$T/err"; rc=$?
        runs=$((runs + 1))
        live=$(cut -d' ' -f2 "$T/count" 2>/dev/null)
        if [ $rc -lt 124 ] && [ "${live:-0}" -gt "$live0" ]; then
            bad=$((bad + 1)); echo "# $name: allocation $n: exit $rc with $live heap blocks live at exit (the full run: $live0)"
        fi
        if [ $rc -ge 124 ]; then
            bad=$((bad + 1)); echo "# $name: allocation $n: exit $rc (signal or hang)"
        elif [ $rc -eq 0 ] && ! cmp -s "$T/out" "$T/ref.out"; then
            # going on despite a failed allocation is fine only with the same result
            bad=$((bad + 1)); echo "# $name: allocation $n: exit 0 but another output than the full run's:"
            diff "$T/ref.out" "$T/out" | head -5 | sed 's/^/#   /'
        elif [ $rc -ne 0 ]; then
            failed=$((failed + 1))
            if [ -n "${WANT_RC:-}" ] && [ $rc -ne "$WANT_RC" ]; then
                bad=$((bad + 1)); echo "# $name: allocation $n: exit $rc, not $WANT_RC: $(tail -n 1 "$T/err" | cut -c1-200)"
            fi
            if [ ! -s "$T/err" ]; then bad=$((bad + 1)); echo "# $name: allocation $n: exit $rc without a message"; fi
            if [ -n "$want" ] && ! cmp -s "$want" "$T/f.yaml"; then
                bad=$((bad + 1)); echo "# $name: allocation $n: exit $rc and the file changed"
            fi
        fi
        [ $bad -gt 5 ] && break
    done
    if [ $bad -eq 0 ]; then
        echo "ok - torture $name: $runs runs over $total allocations (every ${step}): $failed failed with a message, none crashed or leaked (live blocks at exit <= $live0), files whole"
    else
        echo "not ok - torture $name: $bad bad runs of $runs"
    fi
}
torture "yamlpatch get" "" "$Y" get "$T/f.yaml" 'seed_provider[0].parameters[0].seeds'
torture "yamlpatch set" "" "$Y" set "$T/f.yaml" cluster_name=prod 'seed_provider[0].parameters[0].seeds=a,b'
torture "yamlpatch set -i" "$T/g.yaml" "$Y" set -i "$T/g.yaml" cluster_name=prod
torture "yamlpatch apply" "" "$Y" apply "$T/f.yaml" "$T/patch.yaml"
WANT_RC=71 torture "cass-entry --dry-run (out of memory: exit 71)" "" "$E" --dry-run --conf "$T/conf" --set cluster_name=prod cass1

# A real cassandra.yaml (5.0.1's from the mirror of upstream files): thousands
# of allocations, every scalar resolved; a stride.
if [ -n "${CASS_CONF_CORPUS:-}" ] && [ -f "$CASS_CONF_CORPUS/5.0.1/conf/cassandra.yaml" ]; then
    cp "$CASS_CONF_CORPUS/5.0.1/conf/cassandra.yaml" "$T/real.yaml"
    torture "yamlpatch set on 5.0.1's cassandra.yaml" "" "$Y" set "$T/real.yaml" num_tokens=16 \
        cluster_name=prod 'seed_provider[0].parameters[0].seeds=10.0.0.1,10.0.0.2' concurrent_reads=64
else
    echo "not ok - torture on a real cassandra.yaml: ${CORPUS_MISSING:-no 5.0.1/conf/cassandra.yaml in CASS_CONF_CORPUS=${CASS_CONF_CORPUS:-}}"
fi

# cass-entry on a copy of 5.0.1's conf dir: a snitch that writes
# cassandra-rackdc.properties, and a secret that --dry-run must mask (a run
# that lost it for want of memory would print it, and differ from the full run).
if [ -n "${CASS_CONF_CORPUS:-}" ] && [ -d "$CASS_CONF_CORPUS/5.0.1/conf" ]; then
    cp -r "$CASS_CONF_CORPUS/5.0.1/conf" "$T/conf501"
    (
        export CASSANDRA_ENDPOINT_SNITCH=GossipingPropertyFileSnitch CASSANDRA_DC=dc1 CASSANDRA_RACK=r1
        WANT_RC=71 torture "cass-entry --dry-run on 5.0.1's conf dir (out of memory: exit 71)" "" "$E" --dry-run --conf "$T/conf501" \
            --set client_encryption_options.keystore_password=torture-s3cret cass1,cass2
    )
    if grep -q 'keystore_password: \*\*\*' "$T/ref.out" && ! grep -q torture-s3cret "$T/ref.out" "$T/ref.err"; then
        echo "ok - cass-entry's full run masks the secret (the walk's runs must print the same)"
    else
        echo "not ok - cass-entry's dry run shows the secret, or no masked keystore_password line"
    fi
else
    echo "not ok - torture on 5.0.1's conf dir: ${CORPUS_MISSING:-no 5.0.1/conf in CASS_CONF_CORPUS=${CASS_CONF_CORPUS:-}}"
fi
