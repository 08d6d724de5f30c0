#!/usr/bin/env bash
# image/build-cassandra.sh: the local image cass-entry/cassandra:$CASSANDRA_VERSION,
# the equivalent of the official cassandra image minus its shell entrypoint,
# built FROM cass-entry/base:bookworm (made by build-base.sh, called here).
#
# The distribution (Apache tarball, Maven, or assembled from Maven and the
# local mirror of upstream files) comes from image/fetch-cassandra.sh, which
# holds the pins and says which route it took; the version is the one in
# image/cassandra.version.
#
# Downloads are kept in $CASS_ENTRY_CACHE/image (default /var/cache/cass-entry/image).
# Cached: the image carries the label cass-entry.inputs, a hash of this script,
# the Dockerfile, image/dist-extra, the base image id and the conf corpus;
# with a current image nothing is done.  FORCE=1 rebuilds the image.
# Exit status 0 = image present and current.
set -euo pipefail

CASSANDRA_VERSION=$(cat "$(dirname "$0")/cassandra.version")
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
# The image is built and inspected through the Engine API by the project's own
# provisioner (no docker CLI on this path).
make -s -C "$here/.." build/cass-provision >/dev/null || die "make build/cass-provision failed"
PROV=$here/../build/cass-provision

# What the distribution is made from: the scripts (which hold the pins), our
# own files, the version and, when there is a local mirror, the release's
# SOURCE.txt (route 3 copies its conf/ and bin/).
dist_inputs() {
    cat "$here/build-cassandra.sh" "$here/fetch-cassandra.sh" "$here/cassandra.version"
    (cd "$here/dist-extra" && find . -type f -print0 | LC_ALL=C sort -z | xargs -0 sha256sum)
    local corpus
    if corpus=$("$here/../tests/corpus/locate.sh" 2>/dev/null) && [ -f "$corpus/$CASSANDRA_VERSION/SOURCE.txt" ]; then
        cat "$corpus/$CASSANDRA_VERSION/SOURCE.txt"
    fi
}
# Everything the image is made from.
base_inputs=$("$PROV" image-label "$BASE_IMAGE" "$LABEL") || die "no $BASE_IMAGE on the engine"
inputs=$( { dist_inputs; cat "$here/cassandra.Dockerfile"; echo "$base_inputs"; } | sha256sum | cut -c1-64)

have=$("$PROV" image-label "$IMAGE" "$LABEL" 2>/dev/null || true)
if [ "$have" = "$inputs" ] && [ -z "${FORCE:-}" ]; then
    say "$IMAGE is current (inputs ${inputs:0:12}), nothing to do"
    exit 0
fi

# ---- The distribution directory, made once per set of inputs.
dist_dir=$CACHE/cassandra-$CASSANDRA_VERSION-dist
dist_key=$(dist_inputs | sha256sum | cut -c1-64)
if [ "$(cat "$dist_dir/.cass-entry-key" 2>/dev/null)" != "$dist_key" ]; then
    rm -rf "$dist_dir" "$dist_dir.new"
    start=$SECONDS
    source_note=$("$here/fetch-cassandra.sh" "$dist_dir.new") || die "no Cassandra distribution (image/fetch-cassandra.sh said why above)"
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
say "building $IMAGE (cass-provision build)"
if ! "$PROV" build --context "$ctx" --base-image "$BASE_IMAGE" \
        --build-arg "CASSANDRA_VERSION=$CASSANDRA_VERSION" \
        --label "$LABEL=$inputs" \
        --label "cass-entry.cassandra-source=$source_note" \
        -t "$IMAGE" >"$CACHE/cassandra-build.log" 2>&1; then
    tail -n 25 "$CACHE/cassandra-build.log" >&2
    die "cass-provision build of $IMAGE failed; see $CACHE/cassandra-build.log"
fi
say "$(tail -n 1 "$CACHE/cassandra-build.log") in $((SECONDS - start))s; source: $source_note"
