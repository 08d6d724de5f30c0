#!/usr/bin/env bash
# image/dockerd.sh: make sure a Docker engine answers on /var/run/docker.sock.
#
# Idempotent: when `docker info` already works it does nothing.  Otherwise it
# installs docker.io if dockerd is missing, picks a storage driver that works on
# this machine's filesystem, starts dockerd in the background (its own session,
# so it outlives this script) and waits, bounded, until the engine answers.
#
# Environment:
#   DOCKERD_WAIT_SECONDS   how long to wait for the engine (default 60)
#   DOCKERD_STORAGE_DRIVER force a storage driver instead of probing
#   DOCKERD_LOG            dockerd's log (default /var/log/cass-entry-dockerd.log)
#   DOCKERD_SOCK, DOCKERD_PIDFILE, DOCKERD_DATA_ROOT, DOCKERD_EXEC_ROOT
#                          another engine's socket, pid file, data and exec roots
#                          (defaults: dockerd's own); DOCKERD_EXTRA_ARGS more flags
#                          (the engine suite starts a second engine this way)
# Exit status: 0 engine ready, 1 it could not be made ready (reason on stderr).
set -euo pipefail

SOCK=${DOCKERD_SOCK:-/var/run/docker.sock}
PIDFILE=${DOCKERD_PIDFILE:-/var/run/docker.pid}
DATA_ROOT=${DOCKERD_DATA_ROOT:-/var/lib/docker}
EXEC_ROOT=${DOCKERD_EXEC_ROOT:-/var/run/docker}
read -r -a EXTRA_ARGS <<<"${DOCKERD_EXTRA_ARGS:-}"
LOG=${DOCKERD_LOG:-/var/log/cass-entry-dockerd.log}
WAIT=${DOCKERD_WAIT_SECONDS:-60}
# Serialises concurrent callers (several test suites may call us at once):
# without it two of them could each start a dockerd on the same socket.
LOCK=/run/cass-entry-dockerd.$(printf %s "$SOCK" | cksum | cut -d' ' -f1).lock

say() { echo "dockerd.sh: $*" >&2; }
die() { say "error: $*"; exit 1; }

engine_up() { docker -H "unix://$SOCK" info >/dev/null 2>&1; }

engine_up && exit 0

exec 9>"$LOCK"
flock -w "$WAIT" 9 || die "another dockerd.sh held $LOCK for more than ${WAIT}s"
# The caller that held the lock may have started the engine meanwhile.
engine_up && exit 0

[ "$(id -u)" -eq 0 ] || die "not root: cannot start dockerd (start it yourself or run as root)"

if ! command -v dockerd >/dev/null 2>&1; then
    say "dockerd missing: installing docker.io"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends docker.io >/dev/null \
        || die "apt-get install docker.io failed"
fi
command -v docker >/dev/null 2>&1 || die "docker CLI missing although dockerd is installed"

# overlay2 needs the kernel's overlayfs AND a data root that can be an overlay
# upper directory (it cannot when /var/lib/docker itself sits on overlayfs, as in
# docker-in-docker).  So try a real overlay mount right inside the data root.
overlay_works() {
    local t rc=1
    mkdir -p "$DATA_ROOT"
    t=$(mktemp -d "$DATA_ROOT/.overlay-probe.XXXXXX")
    mkdir "$t/lower" "$t/upper" "$t/work" "$t/merged"
    echo probe >"$t/lower/f"
    if mount -t overlay overlay \
         -o "lowerdir=$t/lower,upperdir=$t/upper,workdir=$t/work" "$t/merged" 2>/dev/null; then
        [ "$(cat "$t/merged/f" 2>/dev/null)" = probe ] && rc=0
        umount "$t/merged"
    fi
    rm -rf "$t"
    return $rc
}

install_quietly() {
    say "installing $1"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$1" >/dev/null 2>&1
}

pick_driver() {
    if [ -n "${DOCKERD_STORAGE_DRIVER:-}" ]; then
        echo "$DOCKERD_STORAGE_DRIVER"
    elif overlay_works; then
        echo overlay2
    elif [ -c /dev/fuse ] && { command -v fuse-overlayfs >/dev/null 2>&1 || install_quietly fuse-overlayfs; }; then
        # Copy-on-write through FUSE: slower than overlay2, far smaller than vfs.
        echo fuse-overlayfs
    else
        # vfs copies every layer in full: slow and large, but works everywhere.
        echo vfs
    fi
}

# A dockerd may still be starting (pid file present, process alive): starting a
# second one would fail on the pid file, so wait for that one instead.
running_pid() {
    local pid
    pid=$(cat "$PIDFILE" 2>/dev/null) || return 1
    [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null && [ "$(cat "/proc/$pid/comm" 2>/dev/null)" = dockerd ] \
        && echo "$pid"
}

# A pid file left by an engine that is gone (a machine restored from a
# snapshot, a container restarted with /run kept) makes dockerd refuse to start
# ("pid file found") when its pid now belongs to another live process, and makes
# dockerd take the old containerd for running.  Remove a pid file whose process
# is not the program that wrote it.
clear_stale_pidfile() {
    local file=$1 program=$2 pid
    pid=$(cat "$file" 2>/dev/null) || return 0
    if [ -n "$pid" ] && [ "$(cat "/proc/$pid/comm" 2>/dev/null)" = "$program" ]; then
        return 0
    fi
    say "removing stale $file (pid ${pid:-none} is not a running $program)"
    rm -f "$file"
}

if pid=$(running_pid); then
    say "dockerd (pid $pid) is running but not answering yet; waiting for it"
else
    clear_stale_pidfile "$PIDFILE" dockerd
    clear_stale_pidfile "$EXEC_ROOT/containerd/containerd.pid" containerd
    driver=$(pick_driver)
    say "starting dockerd (storage driver $driver, log $LOG)"
    mkdir -p "$(dirname "$LOG")"
    # setsid: the engine must not die with this script's process group.  It
    # gets no descriptor but 0-2: an inherited lock (ours on fd 9, a caller's
    # `flock FILE tests/run ...`) would otherwise be held for the engine's life.
    (
        for fd in /proc/self/fd/*; do
            n=${fd##*/}
            [ "$n" -gt 2 ] 2>/dev/null && eval "exec $n>&-"
        done
        exec setsid dockerd --host "unix://$SOCK" --pidfile "$PIDFILE" --data-root "$DATA_ROOT" \
            --exec-root "$EXEC_ROOT" --storage-driver "$driver" "${EXTRA_ARGS[@]}" \
            >>"$LOG" 2>&1 </dev/null
    ) &
    pid=$!
fi

deadline=$((SECONDS + WAIT))
until engine_up; do
    if ! kill -0 "$pid" 2>/dev/null; then
        tail -n 15 "$LOG" >&2 || true
        die "dockerd exited during start-up; see $LOG"
    fi
    if [ $SECONDS -ge $deadline ]; then
        tail -n 15 "$LOG" >&2 || true
        die "the engine did not answer on $SOCK within ${WAIT}s; see $LOG"
    fi
    sleep 0.5
done
say "engine ready: $(docker -H "unix://$SOCK" info --format '{{.ServerVersion}}, storage {{.Driver}}, cgroup v{{.CgroupVersion}}' 2>/dev/null)"
