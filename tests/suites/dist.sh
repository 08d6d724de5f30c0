#!/usr/bin/env bash
# tests/suites/dist.sh: where the Cassandra distribution comes from
# (image/fetch-cassandra.sh), each route against a loopback HTTP server
# (python3 -m http.server on 127.0.0.1) serving a folder laid out like
# Apache's archive (cassandra/<version>/apache-cassandra-<version>-bin.tar.gz,
# its .asc, cassandra/KEYS), with a small tarball, a signing key and a
# sha512 pin made here (CASSANDRA_SHA512: the test-only override of the pin).
# Maven is pointed at a closed loopback port through its settings: no traffic
# leaves the machine.  No docker needed.
set -uo pipefail
cd "$ROOT" || exit 1
FETCH=$ROOT/image/fetch-cassandra.sh
VERSION=$(cat image/cassandra.version)
T=$(mktemp -d)
SERVER_PID=
# shellcheck disable=SC2317  # run by the trap
cleanup() { [ -n "$SERVER_PID" ] && kill "$SERVER_PID" 2>/dev/null; rm -rf "$T"; }
trap cleanup EXIT
check() { # check DESCRIPTION COMMAND...
    local what=$1; shift
    if "$@"; then echo "ok - $what"; else echo "not ok - $what"; sed 's/^/# /' "$T/err" 2>/dev/null | tail -n 8; fi
}
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
for tool in python3 curl tar sha512sum; do
    command -v "$tool" >/dev/null || { echo "not ok - the dist suite needs $tool"; exit 1; }
done

# ---- the archive: a tiny distribution, its tarball, its pin
TGZ=apache-cassandra-$VERSION-bin.tar.gz
SRV=$T/srv
mkdir -p "$SRV/cassandra/$VERSION" "$T/src/apache-cassandra-$VERSION/bin" "$T/src/apache-cassandra-$VERSION/conf" "$T/src/apache-cassandra-$VERSION/lib"
printf '#!/bin/sh\necho %s\n' "$VERSION" >"$T/src/apache-cassandra-$VERSION/bin/cassandra"
chmod 755 "$T/src/apache-cassandra-$VERSION/bin/cassandra"
printf 'cluster_name: Test Cluster\n' >"$T/src/apache-cassandra-$VERSION/conf/cassandra.yaml"
tar -czf "$SRV/cassandra/$VERSION/$TGZ" -C "$T/src" "apache-cassandra-$VERSION"
PIN=$(sha512sum "$SRV/cassandra/$VERSION/$TGZ" | cut -c1-128)
# A signing key of our own, published as the archive's KEYS.
if command -v gpg >/dev/null; then
    export GNUPGHOME=$T/gnupg
    mkdir -m 700 "$GNUPGHOME"
    gpg --batch --quiet --passphrase '' --quick-gen-key "dist suite <dist@test.invalid>" ed25519 sign never 2>/dev/null
    gpg --batch --quiet --armor --export >"$SRV/cassandra/KEYS"
    gpg --batch --quiet --armor --detach-sign -o "$SRV/cassandra/$VERSION/$TGZ.asc" "$SRV/cassandra/$VERSION/$TGZ"
    unset GNUPGHOME
fi
PORT=$(free_port)
(cd "$SRV" && exec python3 -m http.server --bind 127.0.0.1 "$PORT" >"$T/http.log" 2>&1) &
SERVER_PID=$!
for _ in $(seq 1 50); do curl -sf "http://127.0.0.1:$PORT/" -o /dev/null && break; sleep 0.1; done
MIRROR=http://127.0.0.1:$PORT/
CLOSED=$(free_port)   # nothing listens there
cat >"$T/settings.xml" <<EOF
<settings><mirrors><mirror><id>closed</id><mirrorOf>*</mirrorOf>
<url>http://127.0.0.1:$CLOSED/maven2</url></mirror></mirrors></settings>
EOF

# fetch NAME ENV...: run fetch-cassandra.sh into $T/NAME with its own cache;
# stdout in $T/out, stderr in $T/err, exit status in $RC, seconds in $SECS
fetch() {
    local name=$1; shift
    local t=$SECONDS
    env CASS_ENTRY_CACHE="$T/cache-$name" "$@" "$FETCH" "$T/$name" >"$T/out" 2>"$T/err"
    RC=$? SECS=$((SECONDS - t))
}
errors() { grep -c 'error:' "$T/err"; }

# ---- route 1 served: sha512 and signature checked, unpacked
fetch ok CASSANDRA_MIRROR="$MIRROR" CASSANDRA_SHA512="$PIN" CASSANDRA_ROUTES=apache
check "apache route from the loopback mirror: exit 0, the distribution unpacked" \
    bash -c "[ $RC -eq 0 ] && [ \"\$('$T/ok/bin/cassandra')\" = '$VERSION' ] && [ -f '$T/ok/conf/cassandra.yaml' ]"
check "it says where the tarball came from (stdout names the mirror URL and the pin)" \
    grep -q "Apache release tarball (${MIRROR}cassandra/$VERSION/$TGZ), sha512 pinned" "$T/out"
if command -v gpg >/dev/null; then
    check "the .asc is verified against the archive's KEYS" grep -q 'signature verified' "$T/err"
    # a signature over other bytes: fatal
    cp "$SRV/cassandra/$VERSION/$TGZ.asc" "$T/good.asc"
    GNUPGHOME=$T/gnupg gpg --batch --quiet --armor --detach-sign -o - "$T/settings.xml" >"$SRV/cassandra/$VERSION/$TGZ.asc"
    fetch badsig CASSANDRA_MIRROR="$MIRROR" CASSANDRA_SHA512="$PIN" CASSANDRA_ROUTES="apache assemble"
    check "a signature that does not verify: exit 1, one error line naming KEYS, no distribution, no other route tried" \
        bash -c "[ $RC -eq 1 ] && [ $(errors) -eq 1 ] && grep -q 'does not verify against.*KEYS' '$T/err' && [ ! -e '$T/badsig' ] && ! grep -q 'route apache skipped' '$T/err'"
    cp "$T/good.asc" "$SRV/cassandra/$VERSION/$TGZ.asc"
else
    echo "not ok - gpg is missing: the signature check cannot be tested (image/install-deps.sh installs gnupg)"
fi

# ---- a pin that does not match: fatal, never another route
WRONG=$(printf '%0128d' 0)
fetch bad CASSANDRA_MIRROR="$MIRROR" CASSANDRA_SHA512="$WRONG" CASSANDRA_ROUTES="apache assemble"
check "sha512 mismatch: exit 1, one error line with both hashes, nothing unpacked" \
    bash -c "[ $RC -eq 1 ] && [ $(errors) -eq 1 ] && grep -q '$PIN' '$T/err' && grep -q '$WRONG' '$T/err' && [ ! -e '$T/bad' ]"
check "sha512 mismatch: the next route is not tried, the file is kept aside as .rejected" \
    bash -c "! grep -q 'route apache skipped' '$T/err' && [ -f '$T/cache-bad/image/$TGZ.rejected' ] && [ ! -f '$T/cache-bad/image/$TGZ' ]"

# ---- route 1 not served (404): one skip line, then the next route
mkdir -p "$T/empty"
fetch nf CASSANDRA_MIRROR="${MIRROR}nothing-here/" CASSANDRA_SHA512="$PIN" CASSANDRA_ROUTES="apache" 
check "404 at the mirror: 'route apache skipped' in one line with the URL and 404" \
    bash -c "[ \$(grep -c 'route apache skipped' '$T/err') -eq 1 ] && grep 'route apache skipped' '$T/err' | grep -q '${MIRROR}nothing-here/cassandra/$VERSION/$TGZ: 404'"

# ---- no route can work: one line per skipped route, one line naming the variables
fetch none CASSANDRA_MIRROR="http://127.0.0.1:$CLOSED/" CASS_CONF_CORPUS="$T/no-mirror" \
    MAVEN_ARGS="-s $T/settings.xml" CASSANDRA_ROUTES="apache maven assemble"
check "nothing reachable: exit 1 in ${SECS}s (< 120)" bash -c "[ $RC -eq 1 ] && [ $SECS -lt 120 ]"
check "nothing reachable: each route skipped in one line with its reason" \
    bash -c "grep -q 'route apache skipped: not served (http://127.0.0.1:$CLOSED/.*no connection)' '$T/err' && grep -q 'route maven skipped: not served by Maven' '$T/err' && grep -q 'route assemble skipped: .*CASS_CONF_CORPUS=$T/no-mirror' '$T/err'"
check "nothing reachable: ONE error line, naming CASSANDRA_MIRROR and CASS_CONF_CORPUS" \
    bash -c "[ $(errors) -eq 1 ] && grep 'error:' '$T/err' | grep -q 'CASSANDRA_MIRROR' && grep 'error:' '$T/err' | grep -q 'CASS_CONF_CORPUS' && [ ! -e '$T/none' ]"

# ---- each input taken away in turn says why, in one line
if [ -n "${CASS_CONF_CORPUS:-}" ]; then
    fetch nomaven CASSANDRA_ROUTES=assemble MAVEN_ARGS="-s $T/settings.xml"
    check "the assembled route with Maven unreachable: exit 1, 'maven could not fetch cassandra-all', one error line" \
        bash -c "[ $RC -eq 1 ] && [ $(errors) -eq 1 ] && grep -q 'error: maven could not fetch cassandra-all' '$T/err' && [ ! -e '$T/nomaven' ]"
else
    echo "not ok - the assembled route cannot be checked without the conf mirror: $CORPUS_MISSING"
fi
DOCKER_HOST=unix://$T/no-engine.sock image/build-base.sh >"$T/out" 2>"$T/err"; RC=$?
check "image/build-base.sh with no Docker engine: exit 1, one error line naming the socket and image/dockerd.sh" \
    bash -c "[ $RC -eq 1 ] && [ $(errors) -eq 1 ] && grep 'error:' '$T/err' | grep -q 'no-engine.sock' && grep -q 'image/dockerd.sh' '$T/err'"
DOCKER_HOST=unix://$T/no-engine.sock image/build-cassandra.sh >"$T/out" 2>"$T/err"; RC=$?
check "image/build-cassandra.sh with no Docker engine: exit 1 with the same line" \
    bash -c "[ $RC -eq 1 ] && grep -q 'no-engine.sock' '$T/err'"

# ---- the pins: the real one is a sha512 (128 hex digits) for the version in image/cassandra.version
check "image/fetch-cassandra.sh pins a sha512 for $VERSION" \
    bash -c "awk '/^$VERSION\\)/ { on = 1 } on && /PIN_SHA512=/ { print; exit }' '$FETCH' | grep -Eq 'PIN_SHA512=[0-9a-f]{128}\$'"
exit 0
