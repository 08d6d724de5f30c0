#!/bin/bash
# The original start.sh that cass-entry replaces (bench/entrypoint.sh times it): four
# line-based sed edits of cassandra.yaml, then Cassandra in the foreground, as
# root.  $1 is the seed list (the image's CMD gave 127.0.0.1).
CONF=${CASSANDRA_CONF:-/etc/cassandra}/cassandra.yaml
# 1. listen_address blanked: Cassandra falls back to the host name's address
sed -i -e "s/^listen_address:.*/listen_address:/" "$CONF"
# 2. the "- seeds:" line set to the argument
sed -i -e "s/- seeds:.*/- seeds: \"${1:-127.0.0.1}\"/" "$CONF"
# 3. the CQL server on every interface
sed -i -e "s/^rpc_address:.*/rpc_address: 0.0.0.0/" "$CONF"
# 4. broadcast_rpc_address uncommented with this host's address (first start only:
#    afterwards the line is no longer commented, so a new IP is never written)
sed -i -e "s/^# broadcast_rpc_address:.*/broadcast_rpc_address: $(hostname -i)/" "$CONF"
exec cassandra -f
