#!/usr/bin/env bash
# corpus suite: yamlpatch over every real cassandra.yaml of every release line
# (tests/corpus/corpus_test.py) and the quoting round-trips through real YAML
# 1.1 and 1.2 resolvers (tests/corpus/quoting_test.py).  Prints TAP lines.
#
# Needs, besides the Debian packages of image/install-deps.sh: ruamel.yaml
# (pinned; pip, into a venv this suite owns under build/) and the real
# cassandra-all jars of each release (Maven Central, cached under
# /var/cache/cass-entry/jars).  What cannot be installed is a failure.
set -uo pipefail
ROOT=${ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
cd "$ROOT" || exit 1
BUILD_DIR=${BUILD_DIR:-build}
CONF_DIR=$("$ROOT/tests/corpus/locate.sh" 2>&1) || { echo "not ok - corpus: $CONF_DIR"; exit 1; }
RUAMEL_VERSION=0.18.17
VENV=$ROOT/build/test-venv


# The venv sees Debian's python3-yaml (PyYAML, the YAML 1.1 resolver) through
# --system-site-packages and holds the pinned ruamel.yaml (YAML 1.2).
if ! "$VENV/bin/python" -c "import yaml, ruamel.yaml, sys; sys.exit(ruamel.yaml.__version__ != '$RUAMEL_VERSION')" 2>/dev/null; then
    rm -rf "$VENV"
    if ! { /usr/bin/python3 -m venv --system-site-packages "$VENV" &&
           "$VENV/bin/python" -m pip install -q "ruamel.yaml==$RUAMEL_VERSION"; } >/tmp/cass-entry-venv.log 2>&1; then
        tail -5 /tmp/cass-entry-venv.log
        echo "not ok - corpus: installing ruamel.yaml==$RUAMEL_VERSION into $VENV failed"; exit 1
    fi
fi
PY=$VENV/bin/python

keep=$BUILD_DIR/corpus-failures
rm -rf "$keep"
rc=0
"$PY" tests/corpus/corpus_test.py --yamlpatch "$BUILD_DIR/yamlpatch" --conf-dir "$CONF_DIR" \
    --keep "$keep" --jobs "$(nproc)" || rc=1
"$PY" tests/corpus/quoting_test.py --yamlpatch "$BUILD_DIR/yamlpatch" || rc=1
[ -d "$keep" ] && echo "# outputs of the failed corpus checks: $keep"
exit $rc
