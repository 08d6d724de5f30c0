#!/usr/bin/env bash
# tests/corpus/fetch.sh [DIR]: make the mirror of upstream Cassandra conf
# files that the tests, the benches and the image's assembled route read,
# for a machine that has none: every file listed in tests/corpus/pins.txt,
# downloaded from the upstream git repository at the pinned commit (the
# release tags' commits for each release line; the real-world files of wild/
# from their own repositories) and checked against its pinned sha256.
#
# DIR defaults to ${CASS_ENTRY_CACHE:-/var/cache/cass-entry}/cassandra-conf,
# the last place tests/corpus/locate.sh looks.  Files already there with the
# right hash are kept; the mirror is written to DIR.new and renamed into
# place only when every file is there and checked.
#
# Environment: CASS_CONF_UPSTREAM, the base URL of raw files laid out as
# BASE/OWNER/REPO/COMMIT/PATH (default https://raw.githubusercontent.com).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
PINS=$here/pins.txt
DIR=${1:-${CASS_ENTRY_CACHE:-/var/cache/cass-entry}/cassandra-conf}
BASE=${CASS_CONF_UPSTREAM:-https://raw.githubusercontent.com}
BASE=${BASE%/}

say() { echo "fetch.sh: $*" >&2; }
die() { say "error: $*"; exit 1; }
command -v curl >/dev/null || die "curl is missing (apt-get install curl)"

new=$DIR.new
rm -rf "$new"
trap 'rm -rf "$new"' EXIT   # a failed fetch leaves nothing behind
mkdir -p "$new"
n=0
while read -r dir repo commit path sha256 saved; do
    case $dir in ''|'#'*) continue ;; esac
    dest=$new/$dir/$saved
    mkdir -p "$(dirname "$dest")"
    if [ -f "$DIR/$dir/$saved" ] && [ "$(sha256sum "$DIR/$dir/$saved" | cut -c1-64)" = "$sha256" ]; then
        cp -p "$DIR/$dir/$saved" "$dest"
    else
        url=$BASE/$repo/$commit/$path
        code=$(curl -sSL --connect-timeout 10 --max-time 120 -o "$dest" -w '%{http_code}' "$url" 2>/dev/null) || true
        [ "$code" = 200 ] || die "$url: HTTP ${code:-no answer} (set CASS_CONF_UPSTREAM to a reachable mirror, or CASS_CONF_CORPUS to an existing copy)"
        got=$(sha256sum "$dest" | cut -c1-64)
        [ "$got" = "$sha256" ] || die "$url: sha256 $got, tests/corpus/pins.txt says $sha256"
    fi
    # Each folder lists its files as the mirror's SOURCE.txt does (path |
    # chars | bytes | sha256 | origin): the image's assembled route checks them.
    printf '%s | - | %s | %s | %s@%s\n' "$saved" "$(wc -c <"$dest")" "$sha256" "$repo" "$commit" >>"$new/$dir/SOURCE.txt"
    case $saved in bin/*) chmod 755 "$dest" ;; *) chmod 644 "$dest" ;; esac
    n=$((n + 1))
done <"$PINS"
[ "$n" -gt 0 ] || die "no file listed in $PINS"
rm -rf "$DIR.old"
[ ! -e "$DIR" ] || mv "$DIR" "$DIR.old"
mv "$new" "$DIR"
rm -rf "$DIR.old"
say "$n files checked in $DIR"
echo "$DIR"
