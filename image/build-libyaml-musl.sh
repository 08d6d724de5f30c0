#!/usr/bin/env bash
# image/build-libyaml-musl.sh [OUT_DIR] [libcyaml] [libmbedtls]
#
# Builds the static libraries that `make static` links against musl, from
# Debian's source packages, into OUT_DIR (default build/musl): OUT_DIR/include
# and OUT_DIR/lib.  libyaml always; libcyaml too when named (the yamlpatch CLI
# needs it, cass-entry does not); libmbedtls when named (cass-entry: the PEM
# checks and the probe over TLS): libmbedtls.a, libmbedx509.a and
# libmbedcrypto.a from Debian's mbedtls source package.
#
# Why: Debian's libyaml.a and libcyaml.a are compiled against glibc (with
# _FORTIFY_SOURCE they call __fprintf_chk, __memcpy_chk...), so a musl program
# can't link them.  Rebuilt with musl-gcc they cost about 100 KiB.
#
# Which source: the version of the installed Debian binary package, fetched with
# `apt-get source` through a deb-src twin of this machine's Debian apt sources.
# The twin lives in OUT_DIR/apt with its own lists and cache, so the machine's
# apt configuration is never touched.  When the mirror can't serve that whole
# source package, the upstream tarball (.orig) of the same version is tried
# alone (we build with upstream's own build system; see the note where this is
# done), and then the .orig of the version in Debian testing.  A fallback is
# said on stderr and recorded in OUT_DIR/versions.  Every download is checked
# against the SHA256 of apt's signed index (apt-get source, apt-helper).
#
# Cache: a library is rebuilt only when OUT_DIR/lib/<lib>.a is missing or was
# built for another installed version (OUT_DIR/stamps/<lib>); then this script
# needs no network and takes a few milliseconds.
set -euo pipefail

cd "$(dirname "$0")/.."
OUT=$(realpath -m "${1:-build/musl}")
shift || true
LIBS=(libyaml)
for extra in "$@"; do
    case $extra in
        libcyaml) LIBS+=(libcyaml) ;;
        libmbedtls) LIBS+=(libmbedtls) ;;
        *) echo "build-libyaml-musl: unknown library '$extra' (known: libcyaml, libmbedtls)" >&2; exit 2 ;;
    esac
done

say() { echo "build-libyaml-musl: $*" >&2; }
die() { say "$*"; exit 1; }

command -v musl-gcc >/dev/null || die "musl-gcc missing: install musl-tools (image/install-deps.sh)"

# The Debian binary package whose source version we rebuild.
binary_package() {
    case $1 in
        libyaml) echo libyaml-0-2 ;;
        libcyaml) echo libcyaml1 ;;
        libmbedtls) echo libmbedcrypto7 ;;
    esac
}

# The Debian source package of LIB.
source_package() {
    case $1 in
        libmbedtls) echo mbedtls ;;
        *) echo "$1" ;;
    esac
}

installed_version() {
    local pkg
    pkg=$(binary_package "$1")
    dpkg-query -W -f='${source:Version}' "$pkg" 2>/dev/null ||
        die "$pkg is not installed, so there is no version to rebuild: run image/install-deps.sh"
}

up_to_date() {
    local lib=$1 want=$2
    [ -f "$OUT/lib/$lib.a" ] && [ -f "$OUT/stamps/$lib" ] &&
        [ "$(cat "$OUT/stamps/$lib")" = "$want" ]
}

# ---- the apt twin -----------------------------------------------------------

APT_DIR=$OUT/apt
APT_OPTS=(
    -o "Dir::Etc::SourceList=$APT_DIR/sources.list"
    -o "Dir::Etc::SourceParts=$APT_DIR/sources.list.d"
    -o "Dir::State::Lists=$APT_DIR/lists"
    -o "Dir::Cache=$APT_DIR/cache"
    # The twin's directories belong to whoever runs this, not to _apt.
    -o "APT::Sandbox::User=$(id -un)"
    -q
)
apt_ready=""
testing_ready=""

# deb-src twins of the Debian entries of the machine's sources, in both the
# deb822 (.sources) and one-line (.list) formats.  Third-party repositories
# are left out: they rarely publish sources, and a failing one fails update.
write_twin() {
    mkdir -p "$APT_DIR/lists/partial" "$APT_DIR/cache/archives/partial" "$APT_DIR/sources.list.d"
    : > "$APT_DIR/sources.list"
    rm -f "$APT_DIR/sources.list.d/"*
    local f
    for f in /etc/apt/sources.list.d/*.sources; do
        [ -f "$f" ] || continue
        awk 'BEGIN { RS = ""; ORS = "\n\n" }
             /(^|\n)Types:[^\n]*deb([ \t]|\n|$)/ && /(^|\n)URIs:[^\n]*debian/ &&
             !/(^|\n)Enabled:[ \t]*no/ {
                 sub(/(^|\n)Types:[^\n]*/, "\nTypes: deb-src"); sub(/^\n/, ""); print }' \
            "$f" > "$APT_DIR/sources.list.d/twin-$(basename "$f")"
    done
    for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
        [ -f "$f" ] || continue
        grep -E '^[[:space:]]*deb[[:space:]].*debian' "$f" |
            sed -E 's/^[[:space:]]*deb[[:space:]]/deb-src /' >> "$APT_DIR/sources.list" || true
    done
    grep -rqs . "$APT_DIR/sources.list" "$APT_DIR/sources.list.d" ||
        die "no Debian entry in /etc/apt/sources.list{,.d}: nowhere to fetch sources from"
}

apt_update() {
    apt-get "${APT_OPTS[@]}" update >"$APT_DIR/update.log" 2>&1 ||
        die "apt-get update of the deb-src twin failed (see $APT_DIR/update.log)"
}

ensure_apt() {
    [ -n "$apt_ready" ] && return
    write_twin
    say "fetching the Debian source index (deb-src twin in $APT_DIR)"
    apt_update
    apt_ready=1
}

# The main archive's URI, for a testing entry (the first non-security one).
main_archive() {
    {
        sed -n 's/^URIs:[[:space:]]*//p' "$APT_DIR/sources.list.d/"* 2>/dev/null | tr ' \t' '\n\n'
        sed -E -n 's/^deb-src[[:space:]]+(\[[^]]*\][[:space:]]+)?([^[:space:]]+).*/\2/p' \
            "$APT_DIR/sources.list"
    } | grep -E '^(https?|file)://.*debian' | grep -v security | head -1
}

ensure_testing() {
    [ -n "$testing_ready" ] && return
    local uri keyring=/usr/share/keyrings/debian-archive-keyring.gpg
    uri=$(main_archive)
    [ -n "$uri" ] || die "no main Debian archive among the apt sources"
    {
        echo "Types: deb-src"
        echo "URIs: $uri"
        echo "Suites: testing"
        echo "Components: main"
        [ -f "$keyring" ] && echo "Signed-By: $keyring"
    } > "$APT_DIR/sources.list.d/fallback-testing.sources"
    say "adding Debian testing ($uri) to the deb-src twin"
    apt_update
    testing_ready=1
}

# Download the .orig tarball of SPEC (pkg or pkg=version) into the current
# directory, checked against the SHA256 that apt's signed index gives.
fetch_orig() {
    local spec=$1 line uri name hash
    line=$(apt-get "${APT_OPTS[@]}" --print-uris source "$spec" 2>/dev/null |
           grep -E "^'[^']*\.orig\.tar\.[a-z0-9]+'" | head -1) || return 1
    [ -n "$line" ] || return 1
    uri=$(echo "$line" | awk '{ print $1 }' | tr -d "'")
    name=$(echo "$line" | awk '{ print $2 }')
    hash=$(echo "$line" | grep -oE 'SHA256:[0-9a-f]{64}' | cut -d: -f2)
    [ -n "$hash" ] || { say "no SHA256 for $name in the index"; return 1; }
    if ! { [ -f "$name" ] && echo "$hash  $name" | sha256sum -c --quiet - >/dev/null 2>&1; }; then
        rm -f "$name"
        # apt's own downloader: same proxy settings as apt, and it refuses a
        # file whose hash differs.
        /usr/lib/apt/apt-helper "${APT_OPTS[@]}" download-file "$uri" "$PWD/$name" \
            "SHA256:$hash" >>fetch.log 2>&1 || return 1
    fi
    echo "$name"
}

# Unpack the source of LIB into a fresh directory: SRC_DIR is set to it, and
# NOTE to how the source was obtained.  (Not run in $(...): the flags that
# say the twin is ready must survive.)
NOTE=""
SRC_DIR=""
get_source() {
    local lib version=$2 dir=$OUT/src/$1 orig upstream
    lib=$(source_package "$1")
    rm -rf "$dir"
    mkdir -p "$dir"
    ensure_apt
    # 1. The whole source package, Debian's patches applied by dpkg-source.
    if (cd "$dir" && apt-get "${APT_OPTS[@]}" source "$lib=$version" >"$dir/fetch.log" 2>&1); then
        NOTE="Debian source package $lib $version"
    else
        # 2. Only the upstream tarball of that version.  We build with the
        # upstream build system and never use debian/rules, so what is lost is
        # debian/patches: none in libyaml 0.2.5-1; checked for the others by
        # whoever changes the pinned version (see OUT_DIR/versions).
        say "$lib $version: the mirror can't serve the whole source package; trying its .orig tarball"
        if orig=$(cd "$dir" && fetch_orig "$lib=$version"); then
            NOTE="upstream tarball of Debian's $lib $version (.orig only: the mirror lacks the rest)"
        else
            # 3. The .orig of Debian testing's version.
            ensure_testing
            orig=$(cd "$dir" && fetch_orig "$lib") ||
                die "$lib: no source for $version on the mirror, nor in Debian testing (see $dir/fetch.log)"
            NOTE="upstream tarball $orig from Debian testing: the mirror has no source for the installed $lib $version"
            say "WARNING: $NOTE"
        fi
        tar -C "$dir" -xf "$dir/$orig"
    fi
    upstream=$(find "$dir" -mindepth 1 -maxdepth 1 -type d | head -1)
    [ -n "$upstream" ] || die "$lib: the source did not unpack (see $dir)"
    SRC_DIR=$upstream
}

# ---- the builds ----------------------------------------------------------------

# -ffunction-sections/-fdata-sections let the final link drop what is unused.
SIZE_FLAGS="-Os -ffunction-sections -fdata-sections"

build_libyaml() {
    local src=$1 bld=$OUT/src/libyaml-build
    rm -rf "$bld"
    # The tarball has a CMakeLists.txt but no generated configure script.
    CC=musl-gcc cmake -S "$src" -B "$bld" -DBUILD_SHARED_LIBS=OFF -DBUILD_TESTING=OFF \
        -DCMAKE_BUILD_TYPE=MinSizeRel -DCMAKE_C_FLAGS="$SIZE_FLAGS" \
        -DCMAKE_INSTALL_PREFIX="$OUT" -DINSTALL_LIB_DIR=lib -DINSTALL_INCLUDE_DIR=include \
        -DINSTALL_CMAKE_DIR=lib/cmake/yaml >"$bld.log" 2>&1 ||
        die "libyaml: cmake failed (see $bld.log)"
    cmake --build "$bld" -j"$(nproc)" >>"$bld.log" 2>&1 || die "libyaml: build failed (see $bld.log)"
    cmake --install "$bld" >>"$bld.log" 2>&1 || die "libyaml: install failed (see $bld.log)"
}

build_libcyaml() {
    local src=$1 log=$OUT/src/libcyaml-build.log
    # Its Makefile appends -O2 to CFLAGS, and CFLAGS given on the command line
    # would replace its warnings and include paths; CFLAGS_COV is added last
    # to every compile, so the size flags go there.  PKG_CONFIG= keeps it from
    # finding the glibc libyaml of the system.
    make -C "$src" -j"$(nproc)" CC=musl-gcc VARIANT=release PKG_CONFIG= \
        LIBYAML_CFLAGS="-I$OUT/include" CFLAGS_COV="$SIZE_FLAGS" \
        PREFIX="$OUT" LIBDIR=lib INCLUDEDIR=include install-static >"$log" 2>&1 ||
        die "libcyaml: build failed (see $log)"
}

build_libmbedtls() {
    local src=$1 log=$OUT/src/libmbedtls-build.log
    # Upstream's plain Makefile builds the three static libraries; CFLAGS
    # given here replace its -O2 (its warnings are in LOCAL_CFLAGS).  Its
    # config.h is Debian's as patched (threading, no test certificates).
    make -C "$src/library" -j"$(nproc)" CC=musl-gcc AR=ar CFLAGS="$SIZE_FLAGS" \
        static >"$log" 2>&1 || die "libmbedtls: build failed (see $log)"
    mkdir -p "$OUT/lib" "$OUT/include"
    cp "$src/library/libmbedtls.a" "$src/library/libmbedx509.a" "$src/library/libmbedcrypto.a" \
        "$OUT/lib/" || die "libmbedtls: the libraries were not produced (see $log)"
    rm -rf "$OUT/include/mbedtls" "$OUT/include/psa"
    cp -r "$src/include/mbedtls" "$src/include/psa" "$OUT/include/" ||
        die "libmbedtls: no include/ in the source"
}

mkdir -p "$OUT/stamps"
for lib in "${LIBS[@]}"; do
    want=$(installed_version "$lib")
    if up_to_date "$lib" "$want"; then
        continue
    fi
    say "building $lib $want with musl into $OUT"
    get_source "$lib" "$want"
    "build_$lib" "$SRC_DIR"
    [ -f "$OUT/lib/$lib.a" ] || die "$lib: $OUT/lib/$lib.a was not produced"
    echo "$want" > "$OUT/stamps/$lib"
    # One line per library: what was built from what.
    touch "$OUT/versions"
    grep -v "^$lib " "$OUT/versions" > "$OUT/versions.new" || true
    echo "$lib $want: $NOTE" >> "$OUT/versions.new"
    mv "$OUT/versions.new" "$OUT/versions"
    say "$lib: $(stat -c %s "$OUT/lib/$lib.a") bytes in $OUT/lib/$lib.a ($NOTE)"
done

# The source indexes (tens of MB) were only needed to fetch; the next
# rebuild fetches them again anyway.
if [ -n "$apt_ready" ]; then
    rm -rf "$APT_DIR/lists" "$APT_DIR/cache"
fi
