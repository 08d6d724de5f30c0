#!/usr/bin/env bash
# image/build.sh: the one command that builds the product image, and all it
# stands on, in order:
#   1. image/install-deps.sh     the Debian packages of the build
#   2. image/dockerd.sh          a Docker engine answering (started if none)
#   3. image/build-base.sh       cass-entry/base:bookworm (debootstrap + import)
#   4. image/build-cassandra.sh  cass-entry/cassandra:<version> (official layout)
#   5. make static               build/static/cass-entry and yamlpatch (musl)
#   6. cass-provision build      the top-level Dockerfile on that base, through
#                                the Engine API: cass-entry:<version>
# <version> is the one in image/cassandra.version.  CASS_ENTRY_BASE names
# another base (the official cassandra:<version> when the engine has it)
# and skips step 4.
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
if [ -n "${CASS_ENTRY_BASE:-}" ]; then
    BASE=$CASS_ENTRY_BASE
    say "base: $BASE (CASS_ENTRY_BASE, e.g. the official cassandra image already on the engine); the local Cassandra image is not built"
else
    say "base: $BASE, built here from the Apache distribution (set CASS_ENTRY_BASE=cassandra:$VERSION to use the official image when the engine has it)"
    step build-cassandra image/build-cassandra.sh
fi
# The static binaries are what the Dockerfile copies; a stale one must never
# slip into the image, so make decides, every time.
step "make static" make -s static >/dev/null

# Through the Engine API (cass-provision build, the context as a tar stream);
# .dockerignore limits the context to the two static binaries, so the
# layer cache hits whenever they are unchanged.
step "make build/cass-provision" make -s build/cass-provision
t=$SECONDS
if ! build/cass-provision build --context . --base-image "$BASE" -t "$IMAGE" >build/docker-build.log 2>&1; then
    tail -n 25 build/docker-build.log >&2
    die "cass-provision build of $IMAGE failed; see build/docker-build.log"
fi
say "cass-provision build $IMAGE: $((SECONDS - t))s ($(grep -c 'Using cache' build/docker-build.log || true) cached step(s))"
say "$IMAGE ready in $((SECONDS - start_all))s: $(tail -n 1 build/docker-build.log)"
echo "$IMAGE"
