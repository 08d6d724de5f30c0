#!/usr/bin/env bash
# image/build-base.sh: the base OS image cass-entry/base:bookworm, built with no
# registry: debootstrap (minbase + a JRE, python3 for cqlsh, procps for the
# scripts Cassandra ships) from the Debian mirror this machine's apt already
# uses, security updates applied, then `cass-provision import` (Engine API).
#
# Cached: the image carries the label cass-entry.inputs = sha256 of this script
# and the package list; when an image with that label exists nothing is done.
# FORCE=1 rebuilds anyway.  The .debs are kept in $CASS_ENTRY_CACHE/image/debootstrap
# so a forced rebuild does not download them again.
#
# Needs: root, a running engine (image/dockerd.sh), debootstrap (installed here
# when missing).  Exit status 0 = image present and current.
set -euo pipefail

IMAGE=cass-entry/base:bookworm
SUITE=bookworm
# libjemalloc2: bin/cassandra finds it through ldconfig and preloads it for
# off-heap allocations, as in the official image.
PACKAGES=openjdk-17-jre-headless,python3,procps,libjemalloc2
# Our part of the project-wide cache (other parts keep theirs beside it).
CACHE=${CASS_ENTRY_CACHE:-/var/cache/cass-entry}/image
LABEL=cass-entry.inputs

say() { echo "build-base.sh: $*" >&2; }
die() { say "error: $*"; exit 1; }

[ "$(id -u)" -eq 0 ] || die "debootstrap needs root"
here=$(cd "$(dirname "$0")" && pwd)
inputs=$( { cat "$here/build-base.sh"; echo "$SUITE $PACKAGES $(dpkg --print-architecture)"; } \
          | sha256sum | cut -c1-64)

# The engine is reached through the project's own provisioner (Engine API; no
# docker CLI on this path).
make -s -C "$here/.." build/cass-provision >/dev/null || die "make build/cass-provision failed"
PROV=$here/../build/cass-provision
probe=$("$PROV" image-label "$IMAGE" "$LABEL" 2>&1) && rc=0 || rc=$?
case $rc in
    0) have=$probe ;;
    4) have="" ;;   # no such image yet
    *) die "$(tail -n 1 <<<"$probe") (image/dockerd.sh starts an engine)" ;;
esac
if [ "$have" = "$inputs" ] && [ -z "${FORCE:-}" ]; then
    say "$IMAGE is current (inputs ${inputs:0:12}), nothing to do"
    exit 0
fi

if ! command -v debootstrap >/dev/null 2>&1; then
    say "installing debootstrap"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends debootstrap >/dev/null \
        || die "apt-get install debootstrap failed"
fi

# Every enabled binary apt source of this machine, one per line:
# "URI SUITE SIGNED-BY" (SIGNED-BY "-" when none), from both the one-line
# format (*.list) and the deb822 format (*.sources).  Files with other names
# (e.g. *.disabled) are ignored, as apt ignores them.
apt_sources() {
    local f
    for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
        [ -f "$f" ] || continue
        awk '$1 == "deb" {
                 sb = "-"; i = 2
                 if ($2 ~ /^\[/) {
                     for (; i <= NF; i++) {
                         if ($i ~ /^\[?signed-by=/) { sb = $i; sub(/^\[?signed-by=/, "", sb); sub(/\]$/, "", sb) }
                         if ($i ~ /\]$/) { i++; break }
                     }
                 }
                 print $i, $(i + 1), sb
             }' "$f"
    done
    for f in /etc/apt/sources.list.d/*.sources; do
        [ -f "$f" ] || continue
        awk 'function flush(   u, s, nu, ns, a, b) {
                 if (types ~ /(^| )deb( |$)/ && enabled != "no") {
                     nu = split(uris, a, " "); ns = split(suites, b, " ")
                     for (u = 1; u <= nu; u++) for (s = 1; s <= ns; s++) print a[u], b[s], (sb == "" ? "-" : sb)
                 }
                 types = uris = suites = sb = enabled = ""
             }
             /^[ \t]*#/ { next }
             /^[ \t]*$/ { flush(); next }
             { key = tolower($1); sub(/:$/, "", key); $1 = ""; sub(/^ +/, "")
               if (key == "types") types = $0; else if (key == "uris") uris = $0
               else if (key == "suites") suites = $0; else if (key == "signed-by") sb = $0
               else if (key == "enabled") enabled = tolower($0) }
             END { flush() }' "$f"
    done
}

sources=$(apt_sources)
mirror=$(awk -v s="$SUITE" '$2 == s { print $1; exit }' <<<"$sources")
[ -n "$mirror" ] || die "no apt source for suite '$SUITE' in /etc/apt/sources.list*; cannot pick a Debian mirror"
keyring=$(awk -v s="$SUITE" '$2 == s && $3 != "-" { print $3; exit }' <<<"$sources")

mkdir -p "$CACHE/debootstrap"
root=$(mktemp -d "$CACHE/base-rootfs.XXXXXX")
# The rootfs has proc mounted inside while debootstrap runs; a failure must not
# leave it mounted or the directory behind.
cleanup() {
    local m
    for m in proc sys dev/pts dev; do mountpoint -q "$root/$m" 2>/dev/null && umount -l "$root/$m"; done
    rm -rf "$root"
}
trap cleanup EXIT

say "debootstrap $SUITE from $mirror (+ $PACKAGES)"
start=$SECONDS
keyopt=()
[ -n "$keyring" ] && [ -f "$keyring" ] && keyopt=(--keyring="$keyring")
debootstrap --variant=minbase --include="$PACKAGES" --cache-dir="$CACHE/debootstrap" \
    "${keyopt[@]}" "$SUITE" "$root" "$mirror" >"$CACHE/debootstrap.log" 2>&1 \
    || { tail -n 20 "$CACHE/debootstrap.log" >&2; die "debootstrap failed; see $CACHE/debootstrap.log"; }
say "debootstrap done in $((SECONDS - start))s"

# debootstrap installs from the release only.  Give the image the machine's
# bookworm, -updates and -security sources and apply their updates, so the
# base does not ship fixed vulnerabilities.
: >"$root/etc/apt/sources.list"
while read -r uri suite sb; do
    case $suite in "$SUITE"|"$SUITE"-updates|"$SUITE"-security) ;; *) continue ;; esac
    if [ "$sb" != - ] && [ -f "$root$sb" ]; then
        echo "deb [signed-by=$sb] $uri $suite main"
    else
        echo "deb $uri $suite main"
    fi
done <<<"$sources" >"$root/etc/apt/sources.list"
cp /etc/resolv.conf "$root/etc/resolv.conf"
mount -t proc proc "$root/proc"
start=$SECONDS
chroot "$root" /bin/sh -c 'export DEBIAN_FRONTEND=noninteractive;
    apt-get update -qq && apt-get -y -qq -o Dpkg::Options::=--force-confold upgrade' \
    >"$CACHE/base-upgrade.log" 2>&1 \
    || { tail -n 20 "$CACHE/base-upgrade.log" >&2; die "apt-get upgrade in the new rootfs failed"; }
umount "$root/proc"
say "updates applied in $((SECONDS - start))s"

# Trim what a container never uses; keep the copyright files (licences).
chroot "$root" apt-get clean
rm -rf "$root"/var/lib/apt/lists/* "$root"/var/cache/apt/*.bin "$root"/var/log/*.log \
       "$root"/usr/share/man/* "$root"/usr/share/info/*
find "$root/usr/share/doc" -mindepth 1 -not -name copyright -not -type d -delete
# Docker bind-mounts these at run time; do not leak the build machine's.
: >"$root/etc/resolv.conf"
: >"$root/etc/hostname"

start=$SECONDS
tar -C "$root" --numeric-owner -c . \
  | "$PROV" import \
      --change "LABEL $LABEL=$inputs" \
      --change "ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin" \
      --change "ENV LANG=C.UTF-8" \
      --change 'CMD ["bash"]' \
      "$IMAGE" >/dev/null || die "cass-provision import of $IMAGE failed"
say "imported $IMAGE in $((SECONDS - start))s"
