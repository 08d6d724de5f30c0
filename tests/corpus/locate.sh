#!/usr/bin/env bash
# tests/corpus/locate.sh: print the directory of the local mirror of upstream
# Cassandra config files (one folder per release line: 2.1.9 ... 5.0.1, trunk,
# wild), or fail with ONE line saying what to set.  The only place that knows
# where the mirror is; the suites, the benches and the image build call it.
#
# Looked for, in order:
#   1. $CASS_CONF_CORPUS (when set it must be the mirror: no fall-through);
#   2. ../shared/cassandra-conf beside this checkout (a convenience for
#      machines that keep the mirror there);
#   3. the cache that tests/corpus/fetch.sh fills:
#      ${CASS_ENTRY_CACHE:-/var/cache/cass-entry}/cassandra-conf.
# A folder counts as the mirror when it holds at least one <release>/SOURCE.txt
# (each release line's list of files with their sha256).
set -u
here=$(cd "$(dirname "$0")" && pwd)
checkout=$(cd "$here/../.." && pwd)

is_mirror() { compgen -G "$1/*/SOURCE.txt" >/dev/null 2>&1; }

if [ -n "${CASS_CONF_CORPUS:-}" ]; then
    if is_mirror "$CASS_CONF_CORPUS"; then
        (cd "$CASS_CONF_CORPUS" && pwd); exit 0
    fi
    echo "CASS_CONF_CORPUS=$CASS_CONF_CORPUS is not a mirror of upstream Cassandra conf files (no */SOURCE.txt); run tests/corpus/fetch.sh or point it at one" >&2
    exit 1
fi
for d in "$checkout/../shared/cassandra-conf" "${CASS_ENTRY_CACHE:-/var/cache/cass-entry}/cassandra-conf"; do
    if is_mirror "$d"; then
        (cd "$d" && pwd); exit 0
    fi
done
echo "no mirror of upstream Cassandra conf files: set CASS_CONF_CORPUS to one, or run tests/corpus/fetch.sh (fills ${CASS_ENTRY_CACHE:-/var/cache/cass-entry}/cassandra-conf)" >&2
exit 1
