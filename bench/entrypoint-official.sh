#!/bin/bash
# The steps the official Docker image's docker-entrypoint.sh performs, written
# for bench/entrypoint.sh from ../shared/docs/entrypoint-facts.md (bash, sed,
# hostname, ip): the comparison cass-entry must beat by 10x.  Same variables
# and default chain; each edit is a line-based sed through a temporary file
# copied back with cat, which is how that script edits files that may be bind
# mounts (sed -i would rename over them).  Unlike the original it writes
# `dc=X` without the stray space (it costs the same).
#
# Where the image has fixed paths, this reads CASSANDRA_CONF (/etc/cassandra),
# CASSANDRA_DATA_DIR (/var/lib/cassandra) and CASSANDRA_LOG_DIR
# (/var/log/cassandra) so the bench can point them at a scratch tree.
set -e

# a first argument that is an option: options for `cassandra -f`
if [ "${1:0:1}" = '-' ]; then
    set -- cassandra -f "$@"
fi

CONF=${CASSANDRA_CONF:-/etc/cassandra}

# root: give the cassandra user what it does not own yet, then run this script
# again as that user (the image uses gosu)
if [ "$1" = 'cassandra' ] && [ "$(id -u)" = '0' ]; then
    find "$CONF" "${CASSANDRA_DATA_DIR:-/var/lib/cassandra}" "${CASSANDRA_LOG_DIR:-/var/log/cassandra}" \
        \! -user cassandra -exec chown cassandra '{}' +
    exec gosu cassandra "${BASH_SOURCE[0]}" "$@"
fi

# the container's first IPv4 that is neither loopback nor link-local
container_ip() {
    ip -o -4 address show up | awk '
        $2 == "lo" { next }
        $4 ~ /^127\./ || $4 ~ /^169\.254\./ { next }
        { sub(/\/.*$/, "", $4); print $4; exit }'
}

# edit FILE SED-ARGS...: sed the file through a temporary copy, then write it
# back in place (cat keeps the inode: works on a bind-mounted file)
edit() {
    local file=$1 tmp
    shift
    tmp=$(mktemp)
    sed "$@" "$file" >"$tmp"
    cat "$tmp" >"$file"
    rm "$tmp"
}

if [ "$1" = 'cassandra' ]; then
    : "${CASSANDRA_RPC_ADDRESS:=0.0.0.0}"
    : "${CASSANDRA_LISTEN_ADDRESS:=auto}"
    if [ "$CASSANDRA_LISTEN_ADDRESS" = 'auto' ]; then
        CASSANDRA_LISTEN_ADDRESS=$(container_ip)
        [ -n "$CASSANDRA_LISTEN_ADDRESS" ] || CASSANDRA_LISTEN_ADDRESS=$(hostname --ip-address)
    fi
    : "${CASSANDRA_BROADCAST_ADDRESS:=$CASSANDRA_LISTEN_ADDRESS}"
    if [ "$CASSANDRA_BROADCAST_ADDRESS" = 'auto' ]; then
        CASSANDRA_BROADCAST_ADDRESS=$(container_ip)
    fi
    : "${CASSANDRA_BROADCAST_RPC_ADDRESS:=$CASSANDRA_BROADCAST_ADDRESS}"
    : "${CASSANDRA_SEEDS:=$CASSANDRA_BROADCAST_ADDRESS}"

    edit "$CONF/cassandra.yaml" -r 's/(- seeds:).*/\1 "'"$CASSANDRA_SEEDS"'"/'

    for key in broadcast_address broadcast_rpc_address cluster_name endpoint_snitch \
               listen_address num_tokens rpc_address start_rpc; do
        var=CASSANDRA_${key^^}
        val=${!var:-}
        if [ -n "$val" ]; then
            # a set key, or its commented-out template line "# key:"
            edit "$CONF/cassandra.yaml" -r 's/^(# )?('"$key"':).*/\2 '"$val"'/'
        fi
    done

    for prop in dc rack; do
        var=CASSANDRA_${prop^^}
        val=${!var:-}
        if [ -n "$val" ]; then
            edit "$CONF/cassandra-rackdc.properties" -r 's/^('"$prop"'=).*/\1'"$val"'/'
        fi
    done
fi

exec "$@"
