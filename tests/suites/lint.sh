#!/usr/bin/env bash
# tests/suites/lint.sh: shellcheck (warnings and errors) of every shell script
# of the repository: *.sh, tests/run, .ci/run, and any tracked file whose
# first line runs sh or bash.  One TAP line per script.
set -uo pipefail
cd "$ROOT" || exit 1
command -v shellcheck >/dev/null \
    || { echo "not ok - shellcheck is not installed (image/install-deps.sh installs it)"; exit 1; }
mapfile -t scripts < <(git ls-files | while read -r f; do
    [ -f "$f" ] || continue
    case $f in
        *.sh | tests/run | .ci/run) echo "$f" ;;
        *) head -n 1 "$f" 2>/dev/null | grep -qE '^#!.*\b(ba)?sh\b' && echo "$f" ;;
    esac
done | sort -u)
[ ${#scripts[@]} -gt 10 ] || { echo "not ok - found only ${#scripts[@]} scripts (is this a git checkout?)"; exit 1; }
for f in "${scripts[@]}"; do
    if out=$(shellcheck -x -S warning -f gcc "$f" 2>&1); then
        echo "ok - shellcheck $f"
    else
        echo "not ok - shellcheck $f"
        sed 's/^/# /' <<<"$out" | head -n 10
    fi
done
