#!/usr/bin/env bash
# bench/yamlpatch.sh: yamlpatch side by side with sed, mikefarah yq and
# ruamel.yaml on the same 5 edits of the largest cassandra.yaml of the corpus
# and of the 5.0 one, in one run; plus the floor, one libyaml parse.
# Writes bench/results-yamlpatch.md.  A benchmark, not a test: it judges
# nothing by exit code, it reports against the goals of issue 2.
#
# Installs what it needs: Debian packages (hyperfine, time, valgrind, golang-go when no
# go is installed), yq with `go install` at a pinned version, ruamel.yaml with
# pip into a venv; everything it builds or installs lives in bench/work/
# (git-ignored).
#
# Environment: YAMLPATCH=binary (default: build it), BENCH_RUNS=n (min runs
# per tool, default 30), CASS_CONF_CORPUS (the mirror of upstream conf files; see tests/corpus/locate.sh).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
WORK=$ROOT/bench/work
CONF_DIR=$("$ROOT/tests/corpus/locate.sh" 2>&1) || { echo "bench/yamlpatch.sh: $CONF_DIR" >&2; exit 1; }
YQ_VERSION=v4.54.3
RUAMEL_VERSION=0.18.17
RUNS=${BENCH_RUNS:-30}
mkdir -p "$WORK/bin"

need=()
command -v hyperfine >/dev/null || need+=(hyperfine)
[ -x /usr/bin/time ] || need+=(time)
command -v go >/dev/null || need+=(golang-go)
command -v valgrind >/dev/null || need+=(valgrind)
dpkg-query -W -f='${Status}' libyaml-dev 2>/dev/null | grep -q "ok installed" || need+=(libyaml-dev)
/usr/bin/python3 -c 'import venv, yaml' 2>/dev/null || need+=(python3-venv python3-yaml)
if [ ${#need[@]} -gt 0 ]; then
    echo "bench: installing ${need[*]}" >&2
    DEBIAN_FRONTEND=noninteractive apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi

# yamlpatch as `make` builds it, unless YAMLPATCH names a binary to measure.
if [ -z "${YAMLPATCH:-}" ]; then
    make -s build/yamlpatch
    YAMLPATCH=$ROOT/build/yamlpatch
fi

# The floor: a parse-only libyaml program.
cc -std=c11 -Wall -Wextra -Werror -O2 -o "$WORK/parse_floor" bench/parse_floor.c -lyaml

# mikefarah yq, pinned; its module cache stays in bench/work.
if ! "$WORK/bin/yq" --version 2>/dev/null | grep -q "${YQ_VERSION#v}"; then
    echo "bench: go install github.com/mikefarah/yq/v4@$YQ_VERSION" >&2
    GOPATH=$WORK/go GOBIN=$WORK/bin GOFLAGS=-modcacherw GOTOOLCHAIN=local \
        go install "github.com/mikefarah/yq/v4@$YQ_VERSION"
fi

# ruamel.yaml, pinned, in a venv that also sees Debian's PyYAML (used by the
# expected-output builder shared with the corpus test).
if ! "$WORK/venv/bin/python" -c "import yaml, ruamel.yaml, sys; sys.exit(ruamel.yaml.__version__ != '$RUAMEL_VERSION')" 2>/dev/null; then
    rm -rf "$WORK/venv"
    /usr/bin/python3 -m venv --system-site-packages "$WORK/venv"
    "$WORK/venv/bin/python" -m pip install -q "ruamel.yaml==$RUAMEL_VERSION"
fi

exec "$WORK/venv/bin/python" bench/bench.py \
    --yamlpatch "$YAMLPATCH" --yq "$WORK/bin/yq" --yq-version "$YQ_VERSION" \
    --python "$WORK/venv/bin/python" --ruamel-version "$RUAMEL_VERSION" \
    --floor "$WORK/parse_floor" --conf-dir "$CONF_DIR" --workdir "$WORK/run" \
    --runs "$RUNS" --report "$ROOT/bench/results-yamlpatch.md"
