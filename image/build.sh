#!/usr/bin/env bash
# image/build.sh: the one command that builds the product image, and all it
# stands on, in order:
#   1. image/install-deps.sh     the Debian packages of the build
#   2. image/dockerd.sh          a Docker engine answering (started if none)
#   3. image/build-base.sh       cass-entry/base:bookworm (debootstrap + import)
#   4. image/build-cassandra.sh  cass-entry/cassandra:<version> (official layout)
#   5. make static               build/static/cass-entry and yamlpatch (musl)
#   6. docker build              the top-level Dockerfile on that base:
#                                cass-entry:<version>
# <version> is CASSANDRA_VERSION as pinned in image/build-cassandra.sh.
#
# Cached by its inputs: steps 1-4 do nothing when their inputs are unchanged
# (each keeps its own record), make rebuilds only what changed, and docker's
# layer cache keeps the product image when the binaries are the same; a second
# run takes seconds.
#
# Progress and step times go to stderr; stdout gets one line, the image name,
# so scripts can do IMAGE=$(image/build.sh).  CASS_ENTRY_IMAGE overrides the
# name.  Exit status 0 = the image is present and current.
set -euo pipefail
cd "$(dirname "$0")/.."

say() { echo "build.sh: $*" >&2; }
die() { say "error: $*"; exit 1; }

VERSION=$(cat image/cassandra.version) || die "cannot read image/cassandra.version"
[ -n "$VERSION" ] || die "image/cassandra.version is empty"
BASE=cass-entry/cassandra:$VERSION
IMAGE=${CASS_ENTRY_IMAGE:-cass-entry:$VERSION}

start_all=$SECONDS
step() {  # NAME COMMAND...: run one step, time it, stop on failure
    local name=$1 t=$SECONDS
    shift
    "$@" || die "$name failed (exit status $?)"
    say "$name: $((SECONDS - t))s"
}

step install-deps image/install-deps.sh
step dockerd image/dockerd.sh
step build-base image/build-base.sh
step build-cassandra image/build-cassandra.sh
# The static binaries are what the Dockerfile copies; a stale one must never
# slip into the image, so make decides, every time.
step "make static" make -s static >/dev/null

# The legacy builder: an Engine 20.10 without buildx offers nothing else, and
# it keeps the output plain.  .dockerignore limits the context to the two
# static binaries, so the layer cache hits whenever they are unchanged.
t=$SECONDS
if ! DOCKER_BUILDKIT=0 docker build --rm --force-rm \
        --build-arg "BASE_IMAGE=$BASE" -t "$IMAGE" . >build/docker-build.log 2>&1; then
    tail -n 25 build/docker-build.log >&2
    die "docker build of $IMAGE failed; see build/docker-build.log"
fi
say "docker build $IMAGE: $((SECONDS - t))s ($(grep -c 'Using cache' build/docker-build.log || true) cached step(s))"
say "$IMAGE ready in $((SECONDS - start_all))s: $(docker image inspect "$IMAGE" --format '{{.Id}}' | cut -c1-19), on $BASE"
echo "$IMAGE"
