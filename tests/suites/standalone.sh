#!/usr/bin/env bash
# tests/suites/standalone.sh: a clone stands on its own.
#   - the mirror of upstream conf files is found only through
#     tests/corpus/locate.sh (CASS_CONF_CORPUS, ../shared/cassandra-conf beside
#     the checkout, the cache of tests/corpus/fetch.sh), and a suite that needs
#     it and finds none fails with ONE line naming CASS_CONF_CORPUS and the
#     fetch command, never a pass and never a bare exit;
#   - tests/corpus/fetch.sh rebuilds the mirror from upstream, checked against
#     tests/corpus/pins.txt: run against a loopback HTTP server laid out like
#     the upstream raw-file host, serving the real mirror's files (so the pins
#     are proven to be the mirror's), then a tampered file and a 404;
#   - no absolute path of a machine and no package registry's host in any
#     tracked file.
set -uo pipefail
cd "$ROOT" || exit 1
T=$(mktemp -d)
SERVER_PID=
# shellcheck disable=SC2317  # run by the trap
cleanup() { [ -n "$SERVER_PID" ] && kill "$SERVER_PID" 2>/dev/null; rm -rf "$T"; }
trap cleanup EXIT
check() { # check DESCRIPTION COMMAND...
    local what=$1; shift
    if "$@"; then echo "ok - $what"; else echo "not ok - $what"; sed 's/^/# /' "$T/err" 2>/dev/null | tail -n 6; fi
}
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
: >"$T/err"

# ---- locate.sh, in a copy of the checkout's layout with no mirror beside it
mkdir -p "$T/clone/repo/tests/corpus"
cp tests/corpus/locate.sh "$T/clone/repo/tests/corpus/"
env -u CASS_CONF_CORPUS CASS_ENTRY_CACHE="$T/nocache" "$T/clone/repo/tests/corpus/locate.sh" >"$T/out" 2>"$T/err"; rc=$?
check "a clone without a mirror: locate.sh exit 1, one line naming CASS_CONF_CORPUS and tests/corpus/fetch.sh" \
    bash -c "[ $rc -eq 1 ] && [ ! -s '$T/out' ] && [ \$(wc -l <'$T/err') -eq 1 ] && grep -q CASS_CONF_CORPUS '$T/err' && grep -q tests/corpus/fetch.sh '$T/err'"
CASS_CONF_CORPUS=$T/none tests/corpus/locate.sh >"$T/out" 2>"$T/err"; rc=$?
check "CASS_CONF_CORPUS set to no mirror: an error naming it, no fall-through to another place" \
    bash -c "[ $rc -eq 1 ] && [ ! -s '$T/out' ] && grep -q 'CASS_CONF_CORPUS=$T/none' '$T/err'"

# ---- every suite that needs the mirror, without one
for suite in corpus fuzz heap entrypoint; do
    CASS_CONF_CORPUS=$T/none bash "tests/suites/$suite.sh" >"$T/out" 2>&1; rc=$?
    cp "$T/out" "$T/err"
    check "suite $suite without a mirror: exit $rc, one 'not ok' line naming CASS_CONF_CORPUS and the fetch command, no 'ok'" \
        bash -c "[ $rc -ne 0 ] && [ \$(grep -c '^not ok' '$T/out') -eq 1 ] && ! grep -q '^ok' '$T/out' && grep '^not ok' '$T/out' | grep -q CASS_CONF_CORPUS && grep '^not ok' '$T/out' | grep -q tests/corpus/fetch.sh"
done
if [ -x "$BUILD_DIR/tests/test_version" ]; then
    env -u CASS_CONF_CORPUS CORPUS_MISSING="$(CASS_CONF_CORPUS=$T/none tests/corpus/locate.sh 2>&1)" \
        "$BUILD_DIR/tests/test_version" >"$T/out" 2>&1; rc=$?
    cp "$T/out" "$T/err"
    check "unit test_version without a mirror: fails (exit $rc) with locate.sh's line" \
        bash -c "[ $rc -ne 0 ] && grep -q 'CASS_CONF_CORPUS=$T/none' '$T/out'"
else
    echo "not ok - $BUILD_DIR/tests/test_version was not built (run make)"
fi

# ---- fetch.sh against a loopback upstream made of the mirror's own files
if MIRROR=$(tests/corpus/locate.sh 2>"$T/err"); then
    while read -r dir repo commit path _ saved; do
        case $dir in ''|'#'*) continue ;; esac
        mkdir -p "$(dirname "$T/up/$repo/$commit/$path")"
        cp "$MIRROR/$dir/$saved" "$T/up/$repo/$commit/$path"
    done <tests/corpus/pins.txt
    PORT=$(free_port)
    (cd "$T/up" && exec python3 -m http.server --bind 127.0.0.1 "$PORT" >"$T/http.log" 2>&1) &
    SERVER_PID=$!
    for _ in $(seq 1 50); do curl -s "http://127.0.0.1:$PORT/" -o /dev/null && break; sleep 0.1; done
    UP=http://127.0.0.1:$PORT
    CACHE=$T/cache
    CASS_CONF_UPSTREAM=$UP CASS_ENTRY_CACHE=$CACHE tests/corpus/fetch.sh >"$T/out" 2>"$T/err"; rc=$?
    n=$(grep -cv '^#' tests/corpus/pins.txt)
    same=0
    while read -r dir _ _ _ _ saved; do
        case $dir in ''|'#'*) continue ;; esac
        cmp -s "$MIRROR/$dir/$saved" "$CACHE/cassandra-conf/$dir/$saved" && same=$((same + 1))
    done <tests/corpus/pins.txt
    check "fetch.sh from the loopback upstream: exit 0, all $n pinned files byte-equal to the mirror's ($same)" \
        bash -c "[ $rc -eq 0 ] && [ $same -eq $n ]"
    mkdir -p "$T/clone/repo/tests/corpus"
    found=$(env -u CASS_CONF_CORPUS CASS_ENTRY_CACHE="$CACHE" "$T/clone/repo/tests/corpus/locate.sh" 2>"$T/err")
    check "locate.sh in a clone without a mirror beside it finds the fetched cache" \
        test "$found" = "$CACHE/cassandra-conf"
    check "the fetched 5.0.1 SOURCE.txt lists every conf/ and bin/ file with its sha256 (the image's assembled route reads it)" \
        bash -c "[ \$(grep -c '^conf/\\|^bin/' '$CACHE/cassandra-conf/5.0.1/SOURCE.txt') -eq \$(grep -c '^5.0.1 ' tests/corpus/pins.txt) ]"
    # a tampered file upstream: one line with both hashes, the cache kept as it was
    first=$(grep -v '^#' tests/corpus/pins.txt | head -n 1)
    read -r _ frepo fcommit fpath fsha _ <<<"$first"
    echo "# tampered" >>"$T/up/$frepo/$fcommit/$fpath"
    CASS_CONF_UPSTREAM=$UP tests/corpus/fetch.sh "$T/fresh" >"$T/out" 2>"$T/err"; rc=$?
    check "a tampered upstream file: exit 1, one line naming the URL and the pinned sha256, nothing made" \
        bash -c "[ $rc -eq 1 ] && [ \$(wc -l <'$T/err') -eq 1 ] && grep -q '$UP/$frepo/$fcommit/$fpath: sha256 .*$fsha' '$T/err' && [ ! -e '$T/fresh' ]"
    # a mirror missing one file, refreshed from an upstream that answers 404
    cp -a "$CACHE/cassandra-conf" "$T/partial"
    rm "$T/partial/5.0.1/conf/cassandra.yaml"
    before=$(cd "$T/partial" && find . -type f | sort | xargs sha256sum | sha256sum)
    CASS_CONF_UPSTREAM=$UP/nothing tests/corpus/fetch.sh "$T/partial" >"$T/out" 2>"$T/err"; rc=$?
    after=$(cd "$T/partial" && find . -type f | sort | xargs sha256sum | sha256sum)
    check "an upstream that answers 404: exit 1, one line with the URL and 404, the existing mirror untouched" \
        bash -c "[ $rc -eq 1 ] && [ \$(wc -l <'$T/err') -eq 1 ] && grep -q '$UP/nothing/.*/conf/cassandra.yaml: HTTP 404' '$T/err' && [ '$before' = '$after' ] && [ ! -e '$T/partial.new' ]"
else
    echo "not ok - fetch.sh cannot be checked against the mirror's files: $(cat "$T/err")"
fi

# ---- the Cassandra version lives in image/cassandra.version only
V=$(cat image/cassandra.version)
"$BUILD_DIR/cass-provision" --help >"$T/out" 2>&1
check "cass-provision's default image is REGISTRY/cass-entry:$V, from image/cassandra.version" \
    grep -q "default REGISTRY/cass-entry:$V," "$T/out"
grep -n "\"[^\"]*$V" provision/*.c provision/*.h entrypoint/*.c cql/*.c >"$T/err"
check "no C source writes the version $V itself (a generated header carries it)" test ! -s "$T/err"
grep -onE 'cass-entry(/cassandra)?:[0-9]+\.[0-9]+\.[0-9]+' README.md | grep -v ":$V\$" >"$T/err"
check "the README's image tags name the version in image/cassandra.version" test ! -s "$T/err"

# ---- nothing of one machine, no registry host
: >"$T/err"
# (the patterns are split so that this file does not match itself)
git ls-files -z | xargs -0 grep -nIE '(^|[^A-Za-z0-9_.-])/wor''k/' -- >"$T/err" 2>/dev/null
check "no absolute path of this machine (its work folder) in any tracked file" test ! -s "$T/err"
git ls-files -z | xargs -0 grep -nIiE 'repo1\.mav''en|repo\.maven\.apa''che\.org|pypi\.o''rg|pythonh''osted|deb\.debian\.o''rg|security\.debian\.o''rg|registry\.np''mjs|proxy\.gol''ang|static\.crates\.i''o' -- \
    >"$T/err" 2>/dev/null
check "no package registry's host in any tracked file (the clients find them)" test ! -s "$T/err"
exit 0
