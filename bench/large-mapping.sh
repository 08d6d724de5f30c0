#!/usr/bin/env bash
# bench/large-mapping.sh: one mapping with many keys (a generated file, not a
# cassandra.yaml): yamlpatch set and get against mikefarah yq and ruamel.yaml
# (round-trip), the same pinned tools as bench/yamlpatch.sh, in one run.
# Sizes: 10,000, 40,000 and 200,000 keys (SIZES).  Each number is the best of
# ROUNDS (3) runs, wall time.  Writes bench/results-large-mapping.md (RESULTS=).
# The point: editing time grows linearly with the mapping (issue 11: before,
# set took 22 s at 40,000 keys).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
WORK=$ROOT/bench/work
RESULTS=${RESULTS:-$ROOT/bench/results-large-mapping.md}
SIZES=${SIZES:-10000 40000 200000}
ROUNDS=${ROUNDS:-3}
YQ_VERSION=$(sed -n 's/^YQ_VERSION=//p' bench/yamlpatch.sh)
RUAMEL_VERSION=$(sed -n 's/^RUAMEL_VERSION=//p' bench/yamlpatch.sh)
mkdir -p "$WORK/large"
make -s build/yamlpatch
Y=$ROOT/build/yamlpatch
if ! "$WORK/bin/yq" --version 2>/dev/null | grep -q "${YQ_VERSION#v}"; then
    GOPATH=$WORK/go GOBIN=$WORK/bin GOFLAGS=-modcacherw GOTOOLCHAIN=local \
        go install "github.com/mikefarah/yq/v4@$YQ_VERSION" >&2
fi
if ! "$WORK/venv/bin/python" -c "import ruamel.yaml, sys; sys.exit(ruamel.yaml.__version__ != '$RUAMEL_VERSION')" 2>/dev/null; then
    rm -rf "$WORK/venv"
    /usr/bin/python3 -m venv --system-site-packages "$WORK/venv"
    "$WORK/venv/bin/python" -m pip install -q "ruamel.yaml==$RUAMEL_VERSION"
fi

# best SECONDS of ROUNDS runs of a command (output discarded)
best() {
    local b="" t0 t
    for _ in $(seq 1 "$ROUNDS"); do
        t0=$(date +%s.%N)
        "$@" >/dev/null 2>&1 || { echo "failed"; return; }
        t=$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.3f", b - a }')
        b=$(awk -v x="$t" -v y="$b" 'BEGIN { print (y == "" || x < y) ? x : y }')
    done
    echo "$b"
}
ruamel_set() {
    "$WORK/venv/bin/python" - "$1" <<'PY'
import sys
from ruamel.yaml import YAML
y = YAML()
with open(sys.argv[1]) as f:
    d = y.load(f)
d["cluster_name"] = "prod"
y.dump(d, sys.stdout)
PY
}
rows=()
for n in $SIZES; do
    f=$WORK/large/keys-$n.yaml
    [ -f "$f" ] || python3 -c "print('cluster_name: x'); [print(f'k{i}: v{i}') for i in range($n)]" >"$f"
    yp_set=$(best "$Y" set "$f" cluster_name=prod)
    yp_get=$(best "$Y" get "$f" "k$((n - 1))")
    yq_set=$(best "$WORK/bin/yq" '.cluster_name = "prod"' "$f")
    yq_get=$(best "$WORK/bin/yq" ".k$((n - 1))" "$f")
    ru_set=$(best ruamel_set "$f")
    rows+=("| $n | $yp_set | $yp_get | $yq_set | $yq_get | $ru_set | $(awk -v a="$yq_set" -v b="$yp_set" 'BEGIN { printf "%.1f", a / b }') |")
    echo "bench: $n keys: yamlpatch set $yp_set s, get $yp_get s; yq set $yq_set s, get $yq_get s; ruamel set $ru_set s" >&2
done
{
    echo "# One large mapping: yamlpatch vs yq and ruamel.yaml ($(date -u +%Y-%m-%d), $(nproc) cores)"
    echo
    echo "Written by \`bench/large-mapping.sh\`: best of $ROUNDS runs, wall seconds; yq $YQ_VERSION, ruamel.yaml $RUAMEL_VERSION."
    echo "The file is \`cluster_name: x\` and N keys \`kI: vI\`; set changes cluster_name, get reads the last key."
    echo
    echo "| keys | yamlpatch set | yamlpatch get | yq set | yq get | ruamel set | yq set / yamlpatch set |"
    echo "|---:|---:|---:|---:|---:|---:|---:|"
    printf '%s\n' "${rows[@]}"
} >"$RESULTS"
cat "$RESULTS"
