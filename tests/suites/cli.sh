#!/usr/bin/env bash
# The yamlpatch command line from the outside: exit codes, one-line errors,
# in-place writes (atomic, mode/owner kept, symlinks followed, no-op untouched),
# bind-mounted and read-only files, --check, --diff, apply, stdin.
set -uo pipefail
cd "$ROOT" || exit 1
Y=$PWD/$BUILD_DIR/yamlpatch
T=$(mktemp -d)
cleanup() { umount "$T/mnt/bound.yaml" 2>/dev/null; umount "$T/ro/file.yaml" 2>/dev/null; rm -rf "$T"; }
trap cleanup EXIT
check() { # check DESCRIPTION COMMAND...: ok when the command succeeds
    local what=$1; shift
    if "$@"; then echo "ok - $what"; else echo "not ok - $what"; fi
}
expect_rc() { # expect_rc RC CMD...
    local want=$1; shift
    "$@" >"$T/out" 2>"$T/err"; local rc=$?
    [ "$rc" -eq "$want" ] || { echo "# expected exit $want, got $rc: $*"; cat "$T/err" | sed 's/^/# /'; return 1; }
}
one_line() { [ "$(wc -l <"$T/err")" -eq 1 ] || { sed 's/^/# /' "$T/err"; return 1; }; }

printf 'a: 1 # one\nb:\n  c: "x"\nlist: [1, 2]\n' >"$T/f.yaml"
cp "$T/f.yaml" "$T/orig.yaml"

# exit codes and messages
check "get prints a scalar" test "$($Y get "$T/f.yaml" b.c)" = x
check "usage error is exit 2" expect_rc 2 "$Y" frobnicate "$T/f.yaml" a
check "missing path is exit 3 with one line naming the path" \
    bash -c "expect_rc() { :; }; \"$Y\" get \"$T/f.yaml\" b.zz 2>\"$T/err\"; [ \$? -eq 3 ] && grep -q '^yamlpatch: b.zz: not found$' \"$T/err\""
printf 'a: 1\nb: [x\nc: 2\n' >"$T/bad.yaml"
check "bad YAML is exit 4, one line FILE:LINE:COL" expect_rc 4 "$Y" set -i "$T/bad.yaml" a=2
check "bad YAML message format" grep -Eq "^yamlpatch: $T/bad.yaml:[0-9]+:[0-9]+: " "$T/err"
check "bad YAML: one line" one_line
check "bad YAML: file untouched" cmp -s "$T/bad.yaml" <(printf 'a: 1\nb: [x\nc: 2\n')
check "missing file is exit 5" expect_rc 5 "$Y" get "$T/nope.yaml" a
check "bad value for --type int is exit 4" expect_rc 4 "$Y" set -t int "$T/f.yaml" a=x
check "malformed path is exit 2" expect_rc 2 "$Y" get "$T/f.yaml" 'a..b'

# stdout, stdin, --check, --diff
check "set prints the edited document, comments kept" \
    test "$($Y set "$T/f.yaml" a=2 | head -1)" = "a: 2 # one"
check "stdin works" test "$(printf 'k: v\n' | $Y set - k=w)" = "k: w"
check "--check exits 1 when something would change" expect_rc 1 "$Y" set --check "$T/f.yaml" a=5
check "--check exits 0 when nothing would change" expect_rc 0 "$Y" set --check "$T/f.yaml" a=1
cp "$T/f.yaml" "$T/g.yaml"; sed -i 's/^a: 1 # one/a: 7 # one/' "$T/g.yaml"
"$Y" set --diff "$T/f.yaml" a=7 >"$T/ours.diff"
diff -u --label "a/$T/f.yaml" --label "b/$T/f.yaml" "$T/f.yaml" "$T/g.yaml" >"$T/theirs.diff"
check "--diff equals diff -u" cmp -s "$T/ours.diff" "$T/theirs.diff"
check "--diff output applies with patch" bash -c "cp '$T/f.yaml' '$T/p.yaml' && sed 's#^--- a/.*#--- p.yaml#; s#^+++ b/.*#+++ p.yaml#' '$T/ours.diff' | patch -s '$T/p.yaml' && cmp -s '$T/p.yaml' '$T/g.yaml'"

# in place
chmod 640 "$T/f.yaml"; chown 1234:2345 "$T/f.yaml"
ln -s f.yaml "$T/link.yaml"
"$Y" set -i "$T/link.yaml" a=3 2>"$T/err"
check "-i through a symlink edits the target" grep -q '^a: 3 # one$' "$T/f.yaml"
check "-i keeps the symlink" test -L "$T/link.yaml"
check "-i keeps mode" test "$(stat -c %a "$T/f.yaml")" = 640
check "-i keeps owner" test "$(stat -c %u:%g "$T/f.yaml")" = 1234:2345
check "-i leaves no temp file" test -z "$(find "$T" -maxdepth 1 -name "*yamlpatch*")"
touch -d '2001-01-01' "$T/f.yaml"
"$Y" set -i "$T/f.yaml" a=3
check "a no-op edit does not touch the file (mtime kept)" test "$(stat -c %Y "$T/f.yaml")" = "$(date -d 2001-01-01 +%s)"

# apply
cat >"$T/patch.yaml" <<'P'
- op: set
  path: b.c
  value: "y z"
- op: uncomment
  path: broadcast_address
  value: 10.0.0.9
- op: set
  path: dirs
  type: yaml
  value: "[/a, /b]"
- op: delete
  path: list
P
printf 'a: 1\n# broadcast_address: 1.2.3.4\nb:\n  c: "x"\nlist: [1, 2]\n' >"$T/ap.yaml"
"$Y" apply "$T/ap.yaml" "$T/patch.yaml" >"$T/out" 2>"$T/err"
check "apply: every operation" cmp -s "$T/out" <(printf 'a: 1\nbroadcast_address: 10.0.0.9\nb:\n  c: "y z"\ndirs:\n  - /a\n  - /b\n')
printf -- '- op: set\n  path: a\n  value: 1\n- op: frob\n  path: a\n' >"$T/badpatch.yaml"
check "apply: a bad patch is exit 4" expect_rc 4 "$Y" apply "$T/ap.yaml" "$T/badpatch.yaml"
check "apply: the error names the patch file, line and column" grep -Eq "^yamlpatch: $T/badpatch.yaml:4:[0-9]+: " "$T/err"

# the document root is never an edit target (issue 11): it would drop every
# other key and comment
printf 'a: 1 # keep\nb: 2\n' >"$T/root.yaml"
cp "$T/root.yaml" "$T/root.orig"
for p in . ''; do
    check "set '$p=v' (the root): exit 2, one line, file untouched" \
        bash -c "'$Y' set -i '$T/root.yaml' '$p=v' 2>'$T/err'; [ \$? -eq 2 ] && [ \$(wc -l <'$T/err') -eq 1 ] && grep -q 'document root cannot be replaced' '$T/err' && cmp -s '$T/root.yaml' '$T/root.orig'"
    check "delete '$p' (the root): exit 2, file untouched" \
        bash -c "'$Y' delete -i '$T/root.yaml' '$p' 2>'$T/err'; [ \$? -eq 2 ] && grep -q 'document root cannot be deleted' '$T/err' && cmp -s '$T/root.yaml' '$T/root.orig'"
    printf -- '- op: set\n  path: "%s"\n  value: v\n' "$p" >"$T/rootpatch.yaml"
    check "apply with path '$p': exit 2, file untouched" \
        bash -c "'$Y' apply -i '$T/root.yaml' '$T/rootpatch.yaml' 2>'$T/err'; [ \$? -eq 2 ] && cmp -s '$T/root.yaml' '$T/root.orig'"
done
check "get '.' still reads the whole document" bash -c "'$Y' get '$T/root.yaml' . | grep -q '^b: 2'"
# cass-entry --set on the root: exit 78 (bad configuration) naming the option
mkdir -p "$T/ceconf"
printf 'cluster_name: x\nseed_provider:\n  - class_name: org.apache.cassandra.locator.SimpleSeedProvider\n    parameters:\n      - seeds: "127.0.0.1"\nlisten_address: localhost\nrpc_address: localhost\n' >"$T/ceconf/cassandra.yaml"
cp "$T/ceconf/cassandra.yaml" "$T/ce.orig"
check "cass-entry --set '.=v': exit 78 naming --set, cassandra.yaml untouched" \
    bash -c "'$PWD/$BUILD_DIR/cass-entry' --dry-run --conf '$T/ceconf' --set '.=v' cass1 >/dev/null 2>'$T/err'; [ \$? -eq 78 ] && tail -n 1 '$T/err' | grep -q 'root cannot be replaced.*--set' && cmp -s '$T/ceconf/cassandra.yaml' '$T/ce.orig'"

# large inputs (issue 11): a 200,000-key mapping is edited and read in linear
# time (the hang guard is generous; the speed itself is measured in
# bench/large-mapping.sh), and a stream that never ends stops at --max-size
python3 -c "print('cluster_name: x'); [print(f'k{i}: v{i}') for i in range(200000)]" >"$T/big.yaml"
check "200,000 keys: set of the first key, the whole output otherwise byte-equal" \
    bash -c "timeout 20 '$Y' set '$T/big.yaml' cluster_name=prod >'$T/big.out' && [ \"\$(head -n 1 '$T/big.out')\" = 'cluster_name: prod' ] && cmp -s <(tail -n +2 '$T/big.out') <(tail -n +2 '$T/big.yaml')"
check "200,000 keys: get of the last key" test "$(timeout 20 "$Y" get "$T/big.yaml" k199999)" = v199999
printf 'k1: a\nk2: b\nk1: c\n' >"$T/dup.yaml"
check "a duplicate key is still found, named with the line of its first use" \
    bash -c "'$Y' get '$T/dup.yaml' k2 2>'$T/err'; [ \$? -eq 4 ] && grep -q \"duplicate key 'k1' (first at line 1)\" '$T/err' && grep -q ':3:1:' '$T/err'"
check "an endless stream on stdin stops at the limit: exit 5, one line naming it" \
    bash -c "yes | timeout 20 '$Y' get - x 2>'$T/err'; [ \$? -eq 5 ] && [ \$(wc -l <'$T/err') -eq 1 ] && grep -q 'larger than 67108864 bytes' '$T/err'"
check "--max-size 1K on a larger file: exit 5, file not read" \
    bash -c "'$Y' --max-size 1K get '$T/big.yaml' k1 2>'$T/err'; [ \$? -eq 5 ] && grep -q 'larger than 1024 bytes' '$T/err'"
check "--max-size 0: a usage error" expect_rc 2 "$Y" --max-size 0 get "$T/f.yaml" a

# Temp copies left by a yamlpatch killed mid-write (kill -9 between the copy
# and the rename) are swept by the next write in that directory: a copy no
# live process holds locked and at least 2 s old goes; a copy a live
# yamlpatch holds (its flock) stays (issue 11).
mkdir -p "$T/kill"
printf 'cluster_name: x\nk: v\n' >"$T/kill/c.yaml"
for s in AAAAAA BBBBBB; do printf 'partial' >"$T/kill/.c.yaml.yamlpatch-$s"; done
touch -d '10 seconds ago' "$T/kill/.c.yaml.yamlpatch-AAAAAA" "$T/kill/.c.yaml.yamlpatch-BBBBBB"
printf 'busy' >"$T/kill/.c.yaml.yamlpatch-CCCCCC"; touch -d '10 seconds ago' "$T/kill/.c.yaml.yamlpatch-CCCCCC"
printf 'new' >"$T/kill/.c.yaml.yamlpatch-DDDDDD"          # brand new: maybe not locked yet
printf 'other' >"$T/kill/.other.yaml.yamlpatch-EEEEEE"; touch -d '10 seconds ago' "$T/kill/.other.yaml.yamlpatch-EEEEEE"
flock "$T/kill/.c.yaml.yamlpatch-CCCCCC" sleep 5 &
holder=$!
sleep 0.3
"$Y" set -i "$T/kill/c.yaml" cluster_name=y2 2>"$T/err"
check "-i sweeps dead temp copies of that file (unlocked, 2 s old), keeps a locked one, a new one and another file's" \
    bash -c "[ ! -e '$T/kill/.c.yaml.yamlpatch-AAAAAA' ] && [ ! -e '$T/kill/.c.yaml.yamlpatch-BBBBBB' ] && [ -e '$T/kill/.c.yaml.yamlpatch-CCCCCC' ] && [ -e '$T/kill/.c.yaml.yamlpatch-DDDDDD' ] && [ -e '$T/kill/.other.yaml.yamlpatch-EEEEEE' ] && grep -q 'cluster_name: y2' '$T/kill/c.yaml'"
kill "$holder" 2>/dev/null; wait "$holder" 2>/dev/null
rm -rf "$T/kill"

# a writable file in a directory its user may not write (as non-root):
# rewritten in place, as yp_file.h promises
if [ "$(id -u)" -eq 0 ]; then
    chmod 755 "$T"
    mkdir -p "$T/rootdir"; chmod 755 "$T/rootdir"
    printf 'a: 1\n' >"$T/rootdir/f.yaml"; chown 999:999 "$T/rootdir/f.yaml"
    setpriv --reuid=999 --regid=999 --clear-groups "$Y" set -i "$T/rootdir/f.yaml" a=2 2>"$T/err"; rc=$?
    check "non-root, own file in a root-owned directory: exit 0, rewritten in place" \
        bash -c "[ $rc -eq 0 ] && [ \"\$(cat '$T/rootdir/f.yaml')\" = 'a: 2' ] && grep -q 'rewritten in place' '$T/err'"
fi

# bind mounts and read-only files
if [ "$(id -u)" -ne 0 ]; then
    echo "not ok - the bind-mount tests need root (mount --bind)"
else
    mkdir -p "$T/mnt" "$T/ro"
    printf 'k: host\n' >"$T/host.yaml"; : >"$T/mnt/bound.yaml"
    mount --bind "$T/host.yaml" "$T/mnt/bound.yaml"
    "$Y" set -i "$T/mnt/bound.yaml" k=container 2>"$T/err"; rc=$?
    check "bind-mounted file: rewritten in place (exit 0)" test $rc -eq 0
    check "bind-mounted file: the host file has the new content" grep -q '^k: container$' "$T/host.yaml"
    check "bind-mounted file: says it was rewritten in place" grep -q "rewritten in place" "$T/err"
    umount "$T/mnt/bound.yaml"
    printf 'k: ro\n' >"$T/rosrc.yaml"; : >"$T/ro/file.yaml"
    mount --bind "$T/rosrc.yaml" "$T/ro/file.yaml" && mount -o remount,bind,ro "$T/ro/file.yaml"
    check "read-only bind mount: exit 5" expect_rc 5 "$Y" set -i "$T/ro/file.yaml" k=new
    check "read-only bind mount: one line of error" one_line
    check "read-only bind mount: file unchanged" grep -q '^k: ro$' "$T/rosrc.yaml"
    umount "$T/ro/file.yaml"
    # a 0444 file as a non-root user, in a directory that user may write
    mkdir -p "$T/user"; printf 'k: v\n' >"$T/user/f.yaml"; chmod 444 "$T/user/f.yaml"
    chown -R nobody "$T/user"; chmod 755 "$T"
    setpriv --reuid=nobody --regid=nogroup --clear-groups "$Y" set -i "$T/user/f.yaml" k=w >"$T/out" 2>"$T/err"; rc=$?
    check "0444 file as non-root: exit 5" test $rc -eq 5
    check "0444 file as non-root: one line of error" one_line
    check "0444 file as non-root: file unchanged" grep -q '^k: v$' "$T/user/f.yaml"
fi
exit 0
