#!/usr/bin/env bash
# image/fetch-cassandra.sh DIST_DIR: the Apache Cassandra distribution of the
# version in image/cassandra.version, laid out like the release tarball
# (bin conf lib pylib ...), in DIST_DIR (which must not exist yet).  Prints
# one line on stdout, where it came from; progress and skipped routes go to
# stderr, one line each.  Needs no docker: image/build-cassandra.sh calls it.
#
# Routes, in order; a route that cannot be had is skipped with one line
# saying why, a checksum that does not match stops everything:
#   1. the Apache release tarball apache-cassandra-X-bin.tar.gz, downloaded as
#      the official image's Dockerfile does: Apache's download redirector,
#      then the archive (or only $CASSANDRA_MIRROR, a base URL laid out like
#      https://archive.apache.org/dist/), checked against the pinned sha512;
#      its .asc is checked against the KEYS file beside it when gpg is there;
#   2. the same tarball from Maven Central (org.apache.cassandra:
#      apache-cassandra:X:tar.gz:bin), fetched by mvn, same sha512: served
#      for the release lines up to 4.0-alpha2;
#   3. assembled: cassandra-all X and its runtime dependencies (mvn, every jar
#      pinned by CASSANDRA_LIB_SHA256), conf/ and bin/ from the local mirror
#      of upstream release files (tests/corpus/locate.sh: CASS_CONF_CORPUS),
#      checked against its SOURCE.txt, cqlsh from PyPI (pinned wheels).
#
# Environment: CASSANDRA_MIRROR (route 1's only base URL), CASS_CONF_CORPUS
# (route 3), CASS_ENTRY_CACHE (downloads, default /var/cache/cass-entry),
# CASSANDRA_ROUTES (default "apache maven assemble": the routes to try),
# CASSANDRA_SHA512 (overrides the pin: for tests with a fake tarball only),
# MAVEN_ARGS (extra mvn arguments, e.g. "-s settings.xml" for a mirror).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
ROOT=$(dirname "$here")

say() { echo "fetch-cassandra.sh: $*" >&2; }
die() { say "error: $*"; exit 1; }

[ $# -eq 1 ] || die "usage: image/fetch-cassandra.sh DIST_DIR"
DIST=$1
[ ! -e "$DIST" ] || die "$DIST exists already"
CASSANDRA_VERSION=$(cat "$ROOT/image/cassandra.version") || die "cannot read image/cassandra.version"

# ---- Pins, per version.  Upgrading: a new case here and image/cassandra.version.
case $CASSANDRA_VERSION in
5.0.1)
    # sha512 of apache-cassandra-5.0.1-bin.tar.gz, as docker-library/cassandra
    # pins it (Apache publishes the same in the .sha512 file beside the tarball).
    PIN_SHA512=0e1f56958c30cb34a2478856be3e9e97615be2aabe6f5d30e3c72f13e0866249f925312b32c8b28a8fdbe09a0a90ae45bdbd32709d6a7378951ad9e8b1c2e074
    # Route 3: sha256 of the listing `sha256sum lib/**.jar | sort -k2` of every
    # jar assembled (cassandra-all's runtime dependencies, 99 jars for 5.0.1,
    # plus the per-architecture crypto provider below).
    CASSANDRA_LIB_SHA256=9a22ddc2575e7e95bac906bc78d3a318c1378bade4500f9ea968b8808e1544ff
    # Amazon Corretto Crypto Provider: "provided" scope in cassandra-parent (so
    # not among the runtime dependencies) but shipped by the tarball in
    # lib/<uname -m>/, where cassandra.in.sh looks.
    CASSANDRA_ACCP_VERSION=2.2.0
    # cqlsh for route 3: PyPI's cqlsh with every dependency pinned to a wheel for
    # the base image's Python (bookworm: 3.11) on amd64.
    CQLSH_REQUIREMENTS="
cqlsh==6.2.0 --hash=sha256:e7c5a050ff2bb76e68ffd15380483652e0895f730edf6fedff4929072eff22af
cassandra-driver==3.29.0 --hash=sha256:a678bc7107cc606ac8ff8cb58fe6abb0bb2a9ff5196016b3bd36926146c4dc62
geomet==0.2.1.post1 --hash=sha256:a41a1e336b381416d6cbed7f1745c848e91defaa4d4c1bdc1312732e46ffad2b
click==8.1.7 --hash=sha256:ae74fb96c20a0277a1d615f1e4d73c8414f5a98db8b799a7931d1582f3390c28
six==1.16.0 --hash=sha256:8abb2f1d86890a2dfb989f9a77cfcfd3e47c2a354b01111771326f8aa26e0254
pure-sasl==0.5.1 --hash=sha256:7bdd550a3c3f352a408cfd322e99b270589e838edd53fe10240b4a949b654a5d
wcwidth==0.2.13 --hash=sha256:3da69048e4540d84af32131829ff948f1e022c1c6bdb8d6102117aac784f6859
"
    ;;
*) die "no pins for Cassandra $CASSANDRA_VERSION (image/cassandra.version): add a case to image/fetch-cassandra.sh" ;;
esac
MAVEN_DEPENDENCY_PLUGIN=3.6.1
CQLSH_PYTHON=3.11
CQLSH_PLATFORM=manylinux2014_x86_64
# ---- end of pins

SHA512=${CASSANDRA_SHA512:-$PIN_SHA512}
[ -z "${CASSANDRA_SHA512:-}" ] || say "CASSANDRA_SHA512 given: checking against it instead of the pin (tests only)"
CACHE=${CASS_ENTRY_CACHE:-/var/cache/cass-entry}/image
TGZ_NAME=apache-cassandra-$CASSANDRA_VERSION-bin.tar.gz
DIST_FILE=cassandra/$CASSANDRA_VERSION/$TGZ_NAME
mkdir -p "$CACHE"
read -r -a MVN_EXTRA <<<"${MAVEN_ARGS:-}"

# verify_sha512 FILE WHAT: fatal on a mismatch (the file is kept aside).
verify_sha512() {
    local got
    got=$(sha512sum "$1" | cut -c1-128)
    if [ "$got" != "$SHA512" ]; then
        mv "$1" "$1.rejected"
        die "$2: sha512 $got, expected $SHA512 (kept as $1.rejected)"
    fi
}

unpack() {  # TARBALL
    mkdir -p "$DIST.new"
    tar -xzf "$1" -C "$DIST.new" --strip-components=1 --no-same-owner
    mv "$DIST.new" "$DIST"
}

# Each route either fills $DIST and sets NOTE (where it came from), or sets
# SKIP (why it cannot be had here), or dies (a checksum that does not match).

# ---- Route 1: Apache.
route_apache() {
    local tgz=$CACHE/$TGZ_NAME base url bases got_from="" tried=""
    if [ -n "${CASSANDRA_MIRROR:-}" ]; then
        bases=("${CASSANDRA_MIRROR%/}/")
    else
        bases=('https://www.apache.org/dyn/closer.cgi?action=download&filename=' https://archive.apache.org/dist/)
    fi
    if [ ! -s "$tgz" ]; then
        for base in "${bases[@]}"; do
            url=$base$DIST_FILE
            local code
            code=$(curl -sSL --connect-timeout 10 --max-time 900 -o "$tgz.part" -w '%{http_code}' "$url" 2>/dev/null) || true
            if [ "$code" = 200 ] && [ -s "$tgz.part" ]; then
                mv "$tgz.part" "$tgz"; got_from=$url; break
            fi
            tried+="${tried:+; }$url: ${code:-no answer}"
            [ "$code" = 000 ] && tried+=" (no connection)"
        done
        rm -f "$tgz.part"
        if [ -z "$got_from" ]; then SKIP="not served ($tried)"; return 0; fi
    else
        got_from="$tgz (cached)"
    fi
    verify_sha512 "$tgz" "$got_from"
    # The signature: Apache's KEYS beside the release, checked when gpg is here.
    local asc_base=${bases[-1]}
    if ! command -v gpg >/dev/null 2>&1; then
        say "signature not checked: no gpg (the sha512 pin was checked)"
    elif ! curl -sSfL --connect-timeout 10 --max-time 60 -o "$tgz.asc" "$asc_base$DIST_FILE.asc" 2>/dev/null \
        || ! curl -sSfL --connect-timeout 10 --max-time 60 -o "$CACHE/KEYS" "${asc_base}cassandra/KEYS" 2>/dev/null; then
        say "signature not checked: no .asc or KEYS at $asc_base (the sha512 pin was checked)"
    else
        local gnupg
        gnupg=$(mktemp -d)
        GNUPGHOME=$gnupg gpg --batch --quiet --import "$CACHE/KEYS" >/dev/null 2>&1 || true
        if ! GNUPGHOME=$gnupg gpg --batch --verify "$tgz.asc" "$tgz" >"$CACHE/gpg.log" 2>&1; then
            rm -rf "$gnupg"; mv "$tgz" "$tgz.rejected"
            die "$TGZ_NAME: the signature $asc_base$DIST_FILE.asc does not verify against ${asc_base}cassandra/KEYS (see $CACHE/gpg.log)"
        fi
        rm -rf "$gnupg"
        say "signature verified against ${asc_base}cassandra/KEYS"
    fi
    unpack "$tgz"
    NOTE="Apache release tarball ($got_from), sha512 pinned"
}

mvn_run() {  # LOG ARGS...: mvn quietly, with its own local repository in the cache
    local log=$1; shift
    if ! command -v mvn >/dev/null 2>&1; then
        say "installing maven (apt-get)"
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends maven >/dev/null 2>&1 \
            || die "apt-get install maven failed: install maven, or set CASSANDRA_MIRROR to an Apache mirror you can reach"
    fi
    # -C: fail when a download does not match the repository's checksum file.
    mvn -B -q -C -Dmaven.repo.local="$CACHE/m2" "${MVN_EXTRA[@]}" "$@" >>"$log" 2>&1
}

# ---- Route 2: the tarball from Maven Central, through mvn.
route_maven_tarball() {
    local work=$CACHE/maven-tarball-$CASSANDRA_VERSION
    rm -rf "$work"; mkdir -p "$work"
    if ! mvn_run "$work/mvn.log" \
        "org.apache.maven.plugins:maven-dependency-plugin:$MAVEN_DEPENDENCY_PLUGIN:copy" \
        -Dartifact="org.apache.cassandra:apache-cassandra:$CASSANDRA_VERSION:tar.gz:bin" \
        -DoutputDirectory="$work"; then
        SKIP="not served by Maven (org.apache.cassandra:apache-cassandra:$CASSANDRA_VERSION:tar.gz:bin; see $work/mvn.log)"
        return 0
    fi
    verify_sha512 "$work/$TGZ_NAME" "apache-cassandra:$CASSANDRA_VERSION:tar.gz:bin from Maven"
    unpack "$work/$TGZ_NAME"
    NOTE="Apache release tarball from Maven Central (apache-cassandra:$CASSANDRA_VERSION:tar.gz:bin), sha512 pinned"
}

# ---- Route 3: assembled from Maven + the local mirror + PyPI.
route_assemble() {
    local corpus work=$CACHE/maven-cassandra-$CASSANDRA_VERSION got want name
    if ! corpus=$("$ROOT/tests/corpus/locate.sh" 2>"$CACHE/locate.err"); then
        SKIP="needs the local mirror of the release's conf/ and bin/: $(cat "$CACHE/locate.err")"
        return 0
    fi
    corpus=$corpus/$CASSANDRA_VERSION
    if [ ! -d "$corpus/conf" ] || [ ! -d "$corpus/bin" ] || [ ! -f "$corpus/SOURCE.txt" ]; then
        SKIP="the mirror has no conf/, bin/ and SOURCE.txt for $CASSANDRA_VERSION in $corpus"
        return 0
    fi
    # The cqlsh wheels below (cassandra-driver has C extensions) are pinned for amd64.
    [ "$(dpkg --print-architecture)" = amd64 ] \
        || die "the pinned cqlsh wheels are for amd64; pin CQLSH_PLATFORM and hashes for $(dpkg --print-architecture)"
    rm -rf "$work" "$DIST.new"; mkdir -p "$work" "$DIST.new/lib"
    local dist=$DIST.new
    # A throw-away project whose only purpose is to name the dependency.
    cat >"$work/pom.xml" <<EOF
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>local.cass-entry</groupId>
  <artifactId>cassandra-distribution</artifactId>
  <version>1</version>
  <packaging>pom</packaging>
  <dependencies>
    <dependency>
      <groupId>org.apache.cassandra</groupId>
      <artifactId>cassandra-all</artifactId>
      <version>$CASSANDRA_VERSION</version>
    </dependency>
  </dependencies>
</project>
EOF
    say "resolving cassandra-all $CASSANDRA_VERSION and its runtime dependencies (maven)"
    (cd "$work" && mvn_run "$work/mvn.log" \
        "org.apache.maven.plugins:maven-dependency-plugin:$MAVEN_DEPENDENCY_PLUGIN:copy-dependencies" \
        -DincludeScope=runtime -DoutputDirectory="$dist/lib") \
        || { tail -n 20 "$work/mvn.log" >&2; die "maven could not fetch cassandra-all $CASSANDRA_VERSION; see $work/mvn.log"; }
    # Maven's classifier spells the architecture differently from `uname -m`.
    local arch dir
    for arch in x86_64:x86_64 aarch_64:aarch64; do
        dir=${arch#*:}; arch=${arch%%:*}
        (cd "$work" && mvn_run "$work/mvn.log" \
            "org.apache.maven.plugins:maven-dependency-plugin:$MAVEN_DEPENDENCY_PLUGIN:copy" \
            -Dartifact="software.amazon.cryptools:AmazonCorrettoCryptoProvider:$CASSANDRA_ACCP_VERSION:jar:linux-$arch" \
            -DoutputDirectory="$dist/lib/$dir") \
            || { tail -n 20 "$work/mvn.log" >&2; die "maven could not fetch AmazonCorrettoCryptoProvider $CASSANDRA_ACCP_VERSION ($arch)"; }
    done
    (cd "$dist" && find lib -name '*.jar' -print0 | xargs -0 sha256sum | LC_ALL=C sort -k2) >"$work/lib.sha256"
    got=$(sha256sum "$work/lib.sha256" | cut -c1-64)
    [ "$got" = "$CASSANDRA_LIB_SHA256" ] \
        || die "the jars maven brought hash to $got, expected CASSANDRA_LIB_SHA256=$CASSANDRA_LIB_SHA256 (per-jar listing: $work/lib.sha256)"
    # The release names its own jar apache-cassandra-<v>.jar; tools that read
    # the installed version from lib/ (as cass-entry does) expect that name.
    mv "$dist/lib/cassandra-all-$CASSANDRA_VERSION.jar" "$dist/lib/apache-cassandra-$CASSANDRA_VERSION.jar"

    # conf/ and bin/: the release's own files, verified byte for byte.
    mkdir -p "$dist/conf/triggers" "$dist/bin"
    cp "$corpus"/conf/* "$dist/conf/"
    cp "$corpus"/bin/* "$dist/bin/"
    chmod u+w,a+r "$dist"/conf/* "$dist"/bin/*
    while IFS='|' read -r name _ _ want _; do
        name=$(echo "$name" | xargs); want=$(echo "$want" | xargs)
        case $name in conf/*|bin/*) ;; *) continue ;; esac
        [ -f "$dist/$name" ] || die "$corpus/$name listed in SOURCE.txt but missing"
        got=$(sha256sum "$dist/$name" | cut -c1-64)
        [ "$got" = "$want" ] || die "$corpus/$name: sha256 $got, SOURCE.txt says $want"
    done <"$corpus/SOURCE.txt"
    cp -R "$here/dist-extra/." "$dist/"
    chmod 755 "$dist"/bin/*
    chmod 644 "$dist"/bin/cassandra.in.sh

    # cqlsh: hash-checked wheels for the image's Python, unpacked into pylib/.
    printf '%s\n' "$CQLSH_REQUIREMENTS" | sed '/^$/d' >"$work/cqlsh-requirements.txt"
    local pip=(python3 -m pip)
    "${pip[@]}" --version >/dev/null 2>&1 || die "pip is missing (python3 -m pip): needed to fetch cqlsh from PyPI"
    local target=(--only-binary=:all: --platform "$CQLSH_PLATFORM" --implementation cp
                  --python-version "$CQLSH_PYTHON" --abi "cp${CQLSH_PYTHON/./}")
    say "fetching cqlsh and its dependencies (PyPI)"
    "${pip[@]}" download -q --disable-pip-version-check --no-deps --require-hashes \
        -r "$work/cqlsh-requirements.txt" -d "$CACHE/wheels" "${target[@]}" >"$work/pip.log" 2>&1 \
        || { tail -n 20 "$work/pip.log" >&2; die "pip could not fetch the pinned cqlsh wheels; see $work/pip.log"; }
    "${pip[@]}" install -q --disable-pip-version-check --no-deps --require-hashes --no-index \
        --find-links "$CACHE/wheels" -r "$work/cqlsh-requirements.txt" --no-compile \
        --target "$dist/pylib" "${target[@]}" >>"$work/pip.log" 2>&1 \
        || { tail -n 20 "$work/pip.log" >&2; die "installing cqlsh into the distribution failed; see $work/pip.log"; }
    # pip's console scripts point at this machine's python; bin/cqlsh replaces them.
    rm -rf "$dist/pylib/bin"
    # The release's build writes cqlshlib/serverversion.py with its own version
    # (cqlsh warns when the server's differs); PyPI's wheel carries the one of
    # the release it was cut from (5.0.0 for the 5.0 line), so write ours the
    # same way: the cqlsh of this distribution is the one built for it.
    [ -f "$dist/pylib/cqlshlib/serverversion.py" ] || die "the cqlsh wheel has no cqlshlib/serverversion.py"
    printf '# Written by image/fetch-cassandra.sh, as the release build writes it.\nversion = "%s"\n' \
        "$CASSANDRA_VERSION" >"$dist/pylib/cqlshlib/serverversion.py"
    mv "$dist" "$DIST"
    NOTE="assembled: cassandra-all $CASSANDRA_VERSION + runtime deps (Maven), conf/bin from the local mirror (SOURCE.txt checked), cqlsh from PyPI"
}

skipped=()
for route in ${CASSANDRA_ROUTES:-apache maven assemble}; do
    SKIP="" NOTE=""
    case $route in
        apache) route_apache ;;
        maven) route_maven_tarball ;;
        assemble) route_assemble ;;
        *) die "CASSANDRA_ROUTES: unknown route '$route' (apache, maven, assemble)" ;;
    esac
    if [ -n "$NOTE" ]; then
        say "Cassandra $CASSANDRA_VERSION: $NOTE"
        echo "$NOTE"
        exit 0
    fi
    say "route $route skipped: $SKIP"
    skipped+=("$route")
done
die "no route gave Cassandra $CASSANDRA_VERSION (tried: ${skipped[*]}): set CASSANDRA_MIRROR to an Apache mirror you can reach, or CASS_CONF_CORPUS to a mirror of the release's conf/ and bin/ (tests/corpus/fetch.sh makes one)"
