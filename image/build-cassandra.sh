#!/usr/bin/env bash
# image/build-cassandra.sh: the local image cass-entry/cassandra:$CASSANDRA_VERSION,
# the equivalent of the official cassandra image minus its shell entrypoint,
# built FROM cass-entry/base:bookworm (made by build-base.sh, called here).
#
# Where the distribution comes from, in order:
#  1. the Apache binary tarball from Maven Central (apache-cassandra, classifier
#     bin), checked against CASSANDRA_BIN_SHA256;
#  2. when Maven Central does not serve it (it stops at 4.0-alpha2): assembled
#     from cassandra-all and its runtime dependencies (mvn
#     dependency:copy-dependencies, every jar checked through
#     CASSANDRA_LIB_SHA256), conf/ and bin/ from the release's files in
#     ../shared/cassandra-conf/<version> (checked against its SOURCE.txt),
#     a few files of our own (image/dist-extra/) and cqlsh from PyPI (pinned,
#     hash-checked wheels).
# A checksum mismatch is fatal; it never leads to the other way.
#
# Downloads are kept in $CASS_ENTRY_CACHE/image (default /var/cache/cass-entry/image).
# Cached: the image carries the label cass-entry.inputs, a hash of this script,
# the Dockerfile, image/dist-extra, the base image id and the conf corpus;
# with a current image nothing is done.  FORCE=1 rebuilds the image.
# Exit status 0 = image present and current.
set -euo pipefail

# ---- Pins: upgrading Cassandra means changing this block only.  On a mismatch
# ---- the script prints the value it computed, to review and paste here.
CASSANDRA_VERSION=5.0.1
# sha256 of apache-cassandra-$CASSANDRA_VERSION-bin.tar.gz as Apache publishes it
# (the same value is pinned by Spack's and Chocolatey's cassandra packages).
CASSANDRA_BIN_SHA256=73f4c807b0aa4036500d5dc54e30ef82bcf549ab1917eff2bbc7189b0337ea84
# Maven fallback: sha256 of the listing `sha256sum lib/**.jar | sort -k2` of every
# jar assembled: what dependency:copy-dependencies brings for cassandra-all (99
# jars for 5.0.1) plus the per-architecture crypto provider below.
CASSANDRA_LIB_SHA256=9a22ddc2575e7e95bac906bc78d3a318c1378bade4500f9ea968b8808e1544ff
# Amazon Corretto Crypto Provider: "provided" scope in cassandra-parent (so not
# among the runtime dependencies) but shipped by the tarball in lib/<uname -m>/,
# where cassandra.in.sh looks; without it Cassandra warns at every start.
CASSANDRA_ACCP_VERSION=2.2.0
MAVEN_DEPENDENCY_PLUGIN=3.6.1
# cqlsh for the Maven fallback: PyPI's cqlsh (6.2.x is the 5.0 line) with every
# dependency pinned to a wheel for the base image's Python (bookworm: 3.11) on
# amd64.  cassandra-driver 3.29.0: the 5.0 line bundles a 3.29 driver for its
# own cqlsh (from memory of the release, not checked here: no tarball to look in).
CQLSH_PYTHON=3.11
CQLSH_PLATFORM=manylinux2014_x86_64
CQLSH_REQUIREMENTS="
cqlsh==6.2.0 --hash=sha256:e7c5a050ff2bb76e68ffd15380483652e0895f730edf6fedff4929072eff22af
cassandra-driver==3.29.0 --hash=sha256:a678bc7107cc606ac8ff8cb58fe6abb0bb2a9ff5196016b3bd36926146c4dc62
geomet==0.2.1.post1 --hash=sha256:a41a1e336b381416d6cbed7f1745c848e91defaa4d4c1bdc1312732e46ffad2b
click==8.1.7 --hash=sha256:ae74fb96c20a0277a1d615f1e4d73c8414f5a98db8b799a7931d1582f3390c28
six==1.16.0 --hash=sha256:8abb2f1d86890a2dfb989f9a77cfcfd3e47c2a354b01111771326f8aa26e0254
pure-sasl==0.5.1 --hash=sha256:7bdd550a3c3f352a408cfd322e99b270589e838edd53fe10240b4a949b654a5d
wcwidth==0.2.13 --hash=sha256:3da69048e4540d84af32131829ff948f1e022c1c6bdb8d6102117aac784f6859
"
# ---- end of pins

MAVEN_CENTRAL=${MAVEN_CENTRAL:-https://repo1.maven.org/maven2}
TARBALL_URL=$MAVEN_CENTRAL/org/apache/cassandra/apache-cassandra/$CASSANDRA_VERSION/apache-cassandra-$CASSANDRA_VERSION-bin.tar.gz
CONF_CORPUS=${CASSANDRA_CONF_CORPUS:-$(cd "$(dirname "$0")/.." && pwd)/../shared/cassandra-conf}/$CASSANDRA_VERSION
IMAGE=cass-entry/cassandra:$CASSANDRA_VERSION
BASE_IMAGE=cass-entry/base:bookworm
# Our part of the project-wide cache (other parts keep theirs beside it).
CACHE=${CASS_ENTRY_CACHE:-/var/cache/cass-entry}/image
LABEL=cass-entry.inputs

say() { echo "build-cassandra.sh: $*" >&2; }
die() { say "error: $*"; exit 1; }

here=$(cd "$(dirname "$0")" && pwd)
mkdir -p "$CACHE"
"$here/build-base.sh"

# Everything the image is made from, except the downloads (pinned above, so
# covered by this script's own hash).
inputs=$( {
    cat "$here/build-cassandra.sh" "$here/cassandra.Dockerfile"
    (cd "$here/dist-extra" && find . -type f -print0 | LC_ALL=C sort -z | xargs -0 sha256sum)
    [ -f "$CONF_CORPUS/SOURCE.txt" ] && cat "$CONF_CORPUS/SOURCE.txt"
    docker image inspect "$BASE_IMAGE" --format '{{.Id}}'
} | sha256sum | cut -c1-64)

have=$(docker image inspect "$IMAGE" --format "{{index .Config.Labels \"$LABEL\"}}" 2>/dev/null || true)
if [ "$have" = "$inputs" ] && [ -z "${FORCE:-}" ]; then
    say "$IMAGE is current (inputs ${inputs:0:12}), nothing to do"
    exit 0
fi

sha256_of() { sha256sum "$1" | cut -c1-64; }

# ---- Way 1: the binary tarball.  Prints "served" or "not served: REASON".
try_tarball() {  # DIST_DIR
    local tgz=$CACHE/apache-cassandra-$CASSANDRA_VERSION-bin.tar.gz code got
    if [ ! -f "$tgz" ]; then
        code=$(curl -sSL --retry 2 --max-time 600 -o "$tgz.part" -w '%{http_code}' "$TARBALL_URL" 2>/dev/null) || true
        if [ "$code" != 200 ]; then
            rm -f "$tgz.part"
            echo "not served: GET $TARBALL_URL answered HTTP ${code:-(no answer)}"
            return 0
        fi
        mv "$tgz.part" "$tgz"
    fi
    got=$(sha256_of "$tgz")
    if [ "$got" != "$CASSANDRA_BIN_SHA256" ]; then
        mv "$tgz" "$tgz.rejected"
        die "$TARBALL_URL: sha256 $got, expected CASSANDRA_BIN_SHA256=$CASSANDRA_BIN_SHA256 (kept as $tgz.rejected)"
    fi
    mkdir -p "$1"
    tar -xzf "$tgz" -C "$1" --strip-components=1 --no-same-owner
    echo served
}

# ---- Way 2: assembled from Maven Central + the conf corpus + PyPI.
assemble_from_maven() {  # DIST_DIR
    local dist=$1 work=$CACHE/maven-cassandra-$CASSANDRA_VERSION got want name
    if [ ! -d "$CONF_CORPUS/conf" ] || [ ! -d "$CONF_CORPUS/bin" ]; then
        die "no conf/ and bin/ for $CASSANDRA_VERSION in $CONF_CORPUS: the Maven way needs them"
    fi
    # The cqlsh wheels below (cassandra-driver has C extensions) are pinned for amd64.
    [ "$(dpkg --print-architecture)" = amd64 ] \
        || die "the pinned cqlsh wheels are for amd64; pin CQLSH_PLATFORM and hashes for $(dpkg --print-architecture)"
    if ! command -v mvn >/dev/null 2>&1; then
        say "installing maven"
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends maven >/dev/null \
            || die "apt-get install maven failed"
    fi
    mkdir -p "$work" "$dist/lib"
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
    # -C: fail when a download does not match the repository's checksum file.
    (cd "$work" && mvn -B -q -C -Dmaven.repo.local="$CACHE/m2" \
        "org.apache.maven.plugins:maven-dependency-plugin:$MAVEN_DEPENDENCY_PLUGIN:copy-dependencies" \
        -DincludeScope=runtime -DoutputDirectory="$dist/lib") >"$work/mvn.log" 2>&1 \
        || { tail -n 20 "$work/mvn.log" >&2; die "maven could not fetch cassandra-all $CASSANDRA_VERSION; see $work/mvn.log"; }
    # Maven's classifier spells the architecture differently from `uname -m`.
    local arch dir
    for arch in x86_64:x86_64 aarch_64:aarch64; do
        dir=${arch#*:}; arch=${arch%%:*}
        (cd "$work" && mvn -B -q -C -Dmaven.repo.local="$CACHE/m2" \
            "org.apache.maven.plugins:maven-dependency-plugin:$MAVEN_DEPENDENCY_PLUGIN:copy" \
            -Dartifact="software.amazon.cryptools:AmazonCorrettoCryptoProvider:$CASSANDRA_ACCP_VERSION:jar:linux-$arch" \
            -DoutputDirectory="$dist/lib/$dir") >>"$work/mvn.log" 2>&1 \
            || { tail -n 20 "$work/mvn.log" >&2; die "maven could not fetch AmazonCorrettoCryptoProvider $CASSANDRA_ACCP_VERSION ($arch)"; }
    done
    (cd "$dist" && find lib -name '*.jar' -print0 | xargs -0 sha256sum | LC_ALL=C sort -k2) >"$work/lib.sha256"
    got=$(sha256_of "$work/lib.sha256")
    [ "$got" = "$CASSANDRA_LIB_SHA256" ] \
        || die "the jars maven brought hash to $got, expected CASSANDRA_LIB_SHA256=$CASSANDRA_LIB_SHA256 (per-jar listing: $work/lib.sha256)"
    # The release names its own jar apache-cassandra-<v>.jar; tools that read
    # the installed version from lib/ (as cass-entry does) expect that name.
    mv "$dist/lib/cassandra-all-$CASSANDRA_VERSION.jar" "$dist/lib/apache-cassandra-$CASSANDRA_VERSION.jar"

    # conf/ and bin/: the release's own files, verified byte for byte.
    mkdir -p "$dist/conf/triggers" "$dist/bin"
    cp "$CONF_CORPUS"/conf/* "$dist/conf/"
    cp "$CONF_CORPUS"/bin/* "$dist/bin/"
    chmod u+w,a+r "$dist"/conf/* "$dist"/bin/*
    while IFS='|' read -r name _ _ want _; do
        name=$(echo "$name" | xargs); want=$(echo "$want" | xargs)
        case $name in conf/*|bin/*) ;; *) continue ;; esac
        [ -f "$dist/$name" ] || die "$CONF_CORPUS/$name listed in SOURCE.txt but missing"
        got=$(sha256_of "$dist/$name")
        [ "$got" = "$want" ] || die "$CONF_CORPUS/$name: sha256 $got, SOURCE.txt says $want"
    done <"$CONF_CORPUS/SOURCE.txt"
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
}

# ---- The distribution directory, made once per set of inputs.
dist_dir=$CACHE/cassandra-$CASSANDRA_VERSION-dist
dist_key=$( {
    cat "$here/build-cassandra.sh"
    (cd "$here/dist-extra" && find . -type f -print0 | LC_ALL=C sort -z | xargs -0 sha256sum)
    [ -f "$CONF_CORPUS/SOURCE.txt" ] && cat "$CONF_CORPUS/SOURCE.txt"
} | sha256sum | cut -c1-64)
if [ "$(cat "$dist_dir/.cass-entry-key" 2>/dev/null)" != "$dist_key" ]; then
    rm -rf "$dist_dir" "$dist_dir.new"
    start=$SECONDS
    way=$(try_tarball "$dist_dir.new") || exit 1
    if [ "$way" = served ]; then
        source_note="Apache binary tarball from Maven Central ($TARBALL_URL)"
    else
        say "binary tarball $way; assembling from Maven Central"
        rm -rf "$dist_dir.new"
        assemble_from_maven "$dist_dir.new"
        source_note="assembled: cassandra-all $CASSANDRA_VERSION + runtime deps (Maven Central), conf/bin from $CONF_CORPUS, cqlsh from PyPI; tarball $way"
    fi
    echo "$source_note" >"$dist_dir.new/.cass-entry-source"
    echo "$dist_key" >"$dist_dir.new/.cass-entry-key"
    mv "$dist_dir.new" "$dist_dir"
    say "distribution ready in $((SECONDS - start))s: $source_note"
fi
source_note=$(cat "$dist_dir/.cass-entry-source")

# ---- The image, from a generated context (hard links: no copy of the jars).
ctx=$(mktemp -d "$CACHE/cassandra-ctx.XXXXXX")
trap 'rm -rf "$ctx"' EXIT
cp -al "$dist_dir" "$ctx/dist"
rm -f "$ctx/dist/.cass-entry-key" "$ctx/dist/.cass-entry-source"
cp "$here/cassandra.Dockerfile" "$ctx/Dockerfile"
start=$SECONDS
say "docker build $IMAGE"
# The legacy builder is what an Engine 20.10 without buildx offers; it is
# enough for this Dockerfile and keeps the output plain.
if ! DOCKER_BUILDKIT=0 docker build --rm --force-rm \
        --build-arg "CASSANDRA_VERSION=$CASSANDRA_VERSION" \
        --label "$LABEL=$inputs" \
        --label "cass-entry.cassandra-source=$source_note" \
        -t "$IMAGE" "$ctx" >"$CACHE/cassandra-build.log" 2>&1; then
    tail -n 25 "$CACHE/cassandra-build.log" >&2
    die "docker build failed; see $CACHE/cassandra-build.log"
fi
say "built $IMAGE in $((SECONDS - start))s ($(docker image inspect "$IMAGE" --format '{{.Size}}' | numfmt --to=iec) bytes); source: $source_note"
