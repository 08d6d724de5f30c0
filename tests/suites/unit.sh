#!/usr/bin/env bash
# Suite "unit": every cmocka test binary, with its TAP output.
#
# The expected binaries are named after the sources: tests/unit/test_NAME.c
# must have built $BUILD_DIR/tests/test_NAME (a missing one is a failure, not
# a skip), and every other $BUILD_DIR/tests/test_* binary runs too.  cmocka
# prints "ok N - test" / "not ok N - test" and reports skips as "not ok", so a
# skip never counts as a pass.  A binary that crashes, exits non-zero without
# a failing line, or prints fewer results than its "1..N" plan adds a
# "not ok" line of its own.
set -uo pipefail
cd "$(dirname "$0")/../.." || exit 1
BUILD_DIR=${BUILD_DIR:-build}
# test_version reads the mirror of upstream conf files from CASS_CONF_CORPUS;
# without one it fails with locate.sh's line (CORPUS_MISSING).
if [ -z "${CASS_CONF_CORPUS:-}" ]; then
    if CASS_CONF_CORPUS=$(tests/corpus/locate.sh 2>/dev/null); then export CASS_CONF_CORPUS
    else CORPUS_MISSING=$(tests/corpus/locate.sh 2>&1); export CORPUS_MISSING; unset CASS_CONF_CORPUS; fi
fi

declare -A seen=()
binaries=()
for src in tests/unit/test_*.c; do
    [ -e "$src" ] || continue
    name=$(basename "$src" .c)
    seen[$name]=1
    binaries+=("$BUILD_DIR/tests/$name")
done
for bin in "$BUILD_DIR"/tests/test_*; do
    [ -e "$bin" ] || continue
    name=$(basename "$bin")
    [ -n "${seen[$name]:-}" ] && continue
    case "$name" in *.*) continue ;; esac # objects, logs: not test programs
    seen[$name]=1
    binaries+=("$bin")
done

if [ ${#binaries[@]} -eq 0 ]; then
    echo "not ok - unit: no test sources in tests/unit and no binaries in $BUILD_DIR/tests"
    exit 1
fi

status=0
for bin in "${binaries[@]}"; do
    name=$(basename "$bin")
    if [ ! -x "$bin" ]; then
        echo "not ok - $name: $bin was not built (run make)"
        status=1
        continue
    fi
    out=$(CMOCKA_MESSAGE_OUTPUT=TAP "$bin" 2>&1)
    rc=$?
    printf '%s\n' "$out"
    plan=$(printf '%s\n' "$out" | sed -n 's/^1\.\.\([0-9][0-9]*\)$/\1/p' | head -1)
    oks=$(printf '%s\n' "$out" | grep -c '^ok ')
    fails=$(printf '%s\n' "$out" | grep -c '^not ok ')
    if [ "$rc" -ge 128 ]; then
        echo "not ok - $name: killed by signal $((rc - 128))"
        status=1
    elif [ "$rc" -ne 0 ] && [ "$fails" -eq 0 ]; then
        echo "not ok - $name: exited with status $rc without a failing test"
        status=1
    elif [ -z "$plan" ] || [ $((oks + fails)) -ne "$plan" ]; then
        echo "not ok - $name: planned ${plan:-no} tests, reported $((oks + fails))"
        status=1
    elif [ "$rc" -ne 0 ]; then
        status=1
    fi
done

# test_oom's failing allocations must leak nothing: the same run under
# valgrind (image/install-deps.sh installs it; `make asan` runs it under
# LeakSanitizer too).  An error path that forgets a free fails here.
oom=$BUILD_DIR/tests/test_oom
if [ -x "$oom" ] && [ "$BUILD_DIR" = build ]; then
    if ! command -v valgrind >/dev/null; then
        echo "not ok - test_oom under valgrind: valgrind is not installed (image/install-deps.sh installs it)"
        status=1
    elif vg=$(valgrind -q --leak-check=full --errors-for-leak-kinds=definite,indirect \
                  --error-exitcode=9 "$oom" 2>&1); then
        echo "ok - test_oom under valgrind: no leak on any of its failing allocations"
    else
        printf '%s\n' "$vg" | grep -E 'lost|==[0-9]+== +(at|by) ' | head -20 | sed 's/^/# /'
        echo "not ok - test_oom under valgrind: a leak or a memory error (above)"
        status=1
    fi
fi
exit $status
