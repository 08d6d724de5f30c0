#!/usr/bin/env bash
# fuzz suite: builds the libFuzzer target for the yamlpatch library
# ($BUILD_DIR/fuzz_yamlpatch: clang, ASan + UBSan + LeakSanitizer, see
# tests/fuzz/fuzz_yamlpatch.c for what it checks) and runs it on a seed corpus.
# By default the run is reproducible: FUZZ_RUNS executions (default 30000, about
# a minute) from the fixed random seed FUZZ_SEED (default 1), so the same commit
# gives the same verdict here, in CI and on a laptop, and a red CI is replayed
# exactly.  Exploring is a separate, longer job: FUZZ_SECONDS=N runs for N
# seconds from a random seed (what found every regress-* seed).  The corpus: every YAML file of the Cassandra corpus, as is
# and with a few fixed edit programs in front, plus tests/fuzz/seeds/ (with
# regress-*: the reproducers of fixed findings, so every run replays them).  The
# corpus lives in a temporary directory, or in FUZZ_CORPUS_DIR when set (kept,
# so that runs build on each other).  Prints TAP.  A crash, leak, timeout or broken invariant is a failure; its reproducer
# stays in $BUILD_DIR/fuzz-crashes/ and the full log in $BUILD_DIR/fuzz.log.
set -uo pipefail
ROOT=${ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
cd "$ROOT" || exit 1
BUILD_DIR=${BUILD_DIR:-build}
CONF_DIR=$("$ROOT/tests/corpus/locate.sh" 2>&1) || { echo "not ok - fuzz: $CONF_DIR"; exit 1; }
FUZZ_SECONDS=${FUZZ_SECONDS:-}
FUZZ_RUNS=${FUZZ_RUNS:-30000}
FUZZ_SEED=${FUZZ_SEED:-1}
FUZZ=$BUILD_DIR/fuzz_yamlpatch
ART=$BUILD_DIR/fuzz-crashes
LOG=$BUILD_DIR/fuzz.log

for v in FUZZ_RUNS FUZZ_SEED; do
    case ${!v} in ''|*[!0-9]*) echo "not ok - fuzz: $v must be a whole number, not '${!v}'"; exit 1;; esac
done
case $FUZZ_SECONDS in *[!0-9]*) echo "not ok - fuzz: FUZZ_SECONDS must be a number of seconds, not '$FUZZ_SECONDS'"; exit 1;; esac
command -v "${CC_FUZZ:-clang}" >/dev/null || {
    echo "not ok - fuzz: ${CC_FUZZ:-clang} not found (image/install-deps.sh installs clang and libclang-rt-14-dev)"; exit 1; }
mkdir -p "$BUILD_DIR"
if ! make -s B="$BUILD_DIR" "$FUZZ" >"$BUILD_DIR/fuzz-build.log" 2>&1; then
    echo "not ok - fuzz: building $FUZZ failed"
    tail -20 "$BUILD_DIR/fuzz-build.log" | sed 's/^/# /'
    exit 1
fi
echo "ok - fuzz: built $FUZZ (clang, libFuzzer, ASan/UBSan/LSan)"

T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
CORPUS=${FUZZ_CORPUS_DIR:-$T/corpus}
mkdir -p "$CORPUS"

# Edit programs put in front of the real files (the harness reads bytes before a
# NUL in the first 64 as the program; see its header).  Each: an options byte,
# then edits of op byte, path selector and value selector (bit 1 of the options:
# one yp_apply batch, checked against the edits one by one).  Literal paths (0x03,
# length, text) and values (0x80, length, text) keep them readable.
programs=(
    # single: set-uncomment broadcast_address = 10.0.0.1 (AUTO); delete num_tokens
    '\x04\x22\x03\x11broadcast_address\x80\x0810.0.0.1\x01\x03\x0anum_tokens\x01'
    # batch: seeds = "10.0.0.1,10.0.0.2" (STRING)
    '\x06\x04\x03\x24seed_provider[0].parameters[0].seeds\x80\x1110.0.0.1,10.0.0.2'
    # batch: cluster_name, rpc_address only if they exist (EXISTING); a new key
    '\x06\x60\x03\x0ccluster_name\x80\x02c2\x60\x03\x0brpc_address\x80\x070.0.0.0 \x03\x05added\x01'
    # batch: data_file_directories = [/d1, /d2] (YAML); delete commitlog_directory
    '\x06\x14\x03\x15data_file_directories\x80\x0a[/d1, /d2]\x01\x03\x13commitlog_directory\x01'
    # single: hinted_handoff_enabled = no (BOOL); listen_address = null (NULL)
    '\x04\x0c\x03\x16hinted_handoff_enabled\x80\x02no\x10\x03\x0elisten_address\x01'
    # batch: a new nested key (AUTO); concurrent_reads = 64 (INT); an existing path to null
    '\x06 \x03\x0cnew.key.leaf\x80\x03abc\x08\x03\x10concurrent_reads\x80\x0264\x10\x047\x01\x05'
    # single, duplicates allowed: delete, set (STRING) and add a child under existing paths
    '\x05\x01\x08\x99\x02\x01\x04\x04\x21\x033 \x02\x10\x01\x05A'
    # batch: an existing path to a YAML flow value; set-uncomment listen_interface if templated
    '\x06\x14\x04B\x01\x80\x16{a: [1, 2], b: {c: d}}b\x03\x10listen_interface\x80\x04eth1'
)
n=0
add_seed() { # add_seed FILE NAME: the file as is, and once behind every program
    cp "$1" "$CORPUS/$2"
    local i=0 p
    for p in "${programs[@]}"; do
        { printf "$p"; printf '\0'; cat "$1"; } >"$CORPUS/$2.prog$i"
        i=$((i + 1))
    done
    n=$((n + 1))
}
while IFS= read -r f; do
    rel=${f#"$CONF_DIR"/}
    add_seed "$f" "${rel//\//_}"
done < <(find "$CONF_DIR" -name '*.yaml' -type f | sort)
for f in tests/fuzz/seeds/*; do add_seed "$f" "seed_$(basename "$f")"; done
echo "# seed corpus: $n files, $(ls "$CORPUS" | wc -l) inputs in $CORPUS"

rm -rf "$ART"
mkdir -p "$ART"
run=("$(cd "$(dirname "$FUZZ")" && pwd)/$(basename "$FUZZ")")
if [ -n "$FUZZ_SECONDS" ]; then # exploring: a random seed, for a time
    limit=(-max_total_time="$FUZZ_SECONDS")
    [ "$FUZZ_SECONDS" -eq 0 ] && limit=(-runs=0) # only the seeds
    what_ran="for ${FUZZ_SECONDS}s from a random seed"
else
    # Reproducible: a number of executions from a fixed seed, and nothing else
    # that varies between runs: no re-reading of the corpus (on a clock), no
    # address randomization (libFuzzer learns from the values its target
    # compares, pointers among them), the same environment and arguments (they
    # sit on the stack).
    limit=(-runs="$FUZZ_RUNS" -seed="$FUZZ_SEED" -reload=0)
    cp "$FUZZ" "$T/fuzz_yamlpatch"
    run=(env -i PATH=/usr/bin:/bin ./fuzz_yamlpatch)
    what_ran="with seed $FUZZ_SEED"
    if setarch "$(uname -m)" -R true 2>/dev/null; then
        run=(setarch "$(uname -m)" -R "${run[@]}")
    else
        what_ran+=" (address randomization could not be turned off: not reproducible)"
    fi
fi
mkdir -p "$T/crashes"
[ "$CORPUS" = "$T/corpus" ] && corpus_arg=corpus || corpus_arg=$CORPUS
(cd "$T" && "${run[@]}" -max_len=200000 -timeout=10 "${limit[@]}" -print_final_stats=1 \
    -artifact_prefix=crashes/ "$corpus_arg") >"$LOG" 2>&1
rc=$?
cp "$T"/crashes/* "$ART"/ 2>/dev/null
sed -i "s|Test unit written to crashes/|Test unit written to $ART/|" "$LOG"

execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$LOG" | tail -1)
stats=$(grep -o 'cov: [0-9]* ft: [0-9]* corp: [0-9]*/[0-9]*[a-zA-Z]*' "$LOG" | tail -1)
if [ "$rc" -eq 0 ]; then
    echo "ok - fuzz: yamlpatch $what_ran: ${execs:-?} executions, ${stats:-no coverage line}, no crash, leak, timeout or broken invariant"
    exit 0
fi
repro=$(sed -n 's/.*Test unit written to \(.*\)$/\1/p' "$LOG" | tail -1)
what=$(grep -m1 -oE 'invariant violated|ERROR: (AddressSanitizer|LeakSanitizer|UndefinedBehaviorSanitizer|libFuzzer): [a-zA-Z -]+|runtime error|timeout after' "$LOG")
echo "not ok - fuzz: yamlpatch $what_ran: ${what:-exit status $rc} after ${execs:-?} executions; reproducer: ${repro:-none written}"
# the first lines of the report, without the libFuzzer banner, the coverage lines
# and the stack frames of libFuzzer, libc and the harness's abort()
grep -vE '^(INFO:|#[0-9]+ )|fuzzer::|__sanitizer_print_stack_trace|libc\.so|abort\.c|raise\.c|pthread_kill|libc-start|libc_start|in _start |in violation ' "$LOG" |
    grep -m1 -A20 -E 'invariant violated|ERROR:|runtime error|ALARM|out-of-memory' |
    sed '/^NOTE: libFuzzer has rudimentary/,$d; /^$/d; s/^/# /'
[ -n "$repro" ] && echo "# rerun with: YP_FUZZ_TRACE=1 $FUZZ $repro"
echo "# full log: $LOG"
exit 1
