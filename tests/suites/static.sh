#!/usr/bin/env bash
# The static binaries (`make static`): built, really static, and runnable with
# nothing around them, which is what a FROM scratch image gives them.
#
# For each program of STATIC_PROGRAMS:
#   - the ELF has no interpreter and no NEEDED library (readelf), and file(1)
#     and ldd agree that it is static;
#   - `NAME --version` runs, with an empty environment, chrooted into an
#     empty directory that holds nothing but the binary: no /lib, no /etc,
#     no /proc, no /dev.
# And cass-entry fits the size goal of 1 MiB.
set -uo pipefail
cd "$ROOT" || exit 1
S=$BUILD_DIR/static
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT

if ! make -s B="$BUILD_DIR" static >"$T/build.log" 2>&1; then
    sed 's/^/# /' "$T/build.log" | tail -30
    echo "not ok - make static"
    exit 1
fi
echo "ok - make static"
grep '^static: ' "$T/build.log" | sed 's/^/# /'

read -r -a programs <<<"$(make -s B="$BUILD_DIR" static-list)"
[ ${#programs[@]} -gt 0 ] || { echo "not ok - STATIC_PROGRAMS is empty"; exit 1; }

# A way into an empty root with an empty environment: chroot as root, else
# a user namespace.  Full paths, since env -i leaves no PATH.
CHROOT=$(command -v chroot || echo /usr/sbin/chroot)
UNSHARE=$(command -v unshare || echo /usr/bin/unshare)
if [ "$(id -u)" -eq 0 ]; then
    in_empty_root() { env -i "$CHROOT" "$@"; }
elif "$UNSHARE" -r true 2>/dev/null; then
    in_empty_root() { env -i "$UNSHARE" -r "$CHROOT" "$@"; }
else
    in_empty_root() { echo "neither root nor user namespaces: can't chroot" >&2; return 1; }
fi

for p in "${programs[@]}"; do
    bin=$S/$p
    if [ ! -x "$bin" ]; then
        echo "not ok - $p: $bin was not built"
        continue
    fi

    hdr=$(readelf -lW "$bin" 2>&1); dyn=$(readelf -dW "$bin" 2>&1)
    if grep -q 'INTERP' <<<"$hdr" || grep -q 'NEEDED' <<<"$dyn"; then
        echo "# $(grep -E 'INTERP|NEEDED' <<<"$hdr$dyn")"
        echo "not ok - $p: no ELF interpreter, no needed library"
    else
        echo "ok - $p: no ELF interpreter, no needed library"
    fi

    desc=$(file -b "$bin")
    if grep -q 'statically linked' <<<"$desc"; then
        echo "ok - $p: file says statically linked"
    else
        echo "# file: $desc"
        echo "not ok - $p: file says statically linked"
    fi

    # glibc's ldd exits 1 with "not a dynamic executable" for a static binary.
    lddout=$(ldd "$bin" 2>&1)
    if grep -qE 'not a dynamic executable|statically linked' <<<"$lddout"; then
        echo "ok - $p: ldd finds no dynamic dependencies"
    else
        sed 's/^/# ldd: /' <<<"$lddout"
        echo "not ok - $p: ldd finds no dynamic dependencies"
    fi

    root=$T/root-$p
    mkdir -p "$root"
    cp "$bin" "$root/$p"
    # The root holds the binary and nothing else, before and after.
    if out=$(in_empty_root "$root" /"$p" --version </dev/null 2>"$T/err") &&
       grep -q "^$p " <<<"$out" && [ "$(find "$root" -mindepth 1 | wc -l)" -eq 1 ]; then
        echo "# $out"
        echo "ok - $p --version runs in an empty root with an empty environment"
    else
        echo "# output: $out"
        sed 's/^/# stderr: /' "$T/err"
        echo "not ok - $p --version runs in an empty root with an empty environment"
    fi
done

# The goal of the issue: cass-entry at 1 MiB or less.
if [[ " ${programs[*]} " == *" cass-entry "* ]] && [ -f "$S/cass-entry" ]; then
    size=$(stat -c %s "$S/cass-entry")
    if [ "$size" -le 1048576 ]; then
        echo "ok - cass-entry static binary is $size bytes (<= 1 MiB)"
    else
        echo "not ok - cass-entry static binary is $size bytes (> 1 MiB)"
    fi
fi
