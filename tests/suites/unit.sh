#!/usr/bin/env bash
# The cmocka unit tests: every $BUILD_DIR/tests/test_* binary, in TAP mode.
set -uo pipefail
cd "$ROOT"
status=0
shopt -s nullglob
bins=("$BUILD_DIR"/tests/test_*)
[ ${#bins[@]} -gt 0 ] || { echo "not ok - no unit test binaries in $BUILD_DIR/tests (did make run?)"; exit 1; }
for t in "${bins[@]}"; do
    echo "# $(basename "$t")"
    CMOCKA_MESSAGE_OUTPUT=TAP "$t" 2>&1
    rc=$?
    # cmocka exits with the number of failures; a crash is a failure too
    if [ $rc -ge 128 ]; then echo "not ok - $(basename "$t") crashed (status $rc)"; status=1; fi
done
exit $status
