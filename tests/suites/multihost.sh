#!/usr/bin/env bash
# Checks pass their values as arguments and cleanup runs from the trap.
# shellcheck disable=SC2317
# tests/suites/multihost.sh: the provisioner on Docker swarm mode, on the
# original topology reproduced for real on this machine (issue 6).
#
# provision/demo-topology.sh builds three Docker engines, each a dockerd in
# its own network namespace with its own address, data root and host name:
# infra (the registry at 192.168.99.100:5000), swarm-0 (swarm manager) and
# swarm-1 (worker), on a bridge in a namespace of its own.  Then, with
# cass-provision pointed at swarm-0 (DOCKER_HOST) and told swarm-1's engine
# (--engine, for exec):
#   1. push: the product image into the infra registry (its catalog, tags and
#      digest checked in the registry itself);
#   2. up -n 3: three services spread over swarm-0 and swarm-1, each pinned by
#      a node.id constraint, image by digest, dnsrr, memory limit, 120 s stop
#      grace period, data volume on its host; the ring shows 3 x UN with the
#      host of each node;
#   3. rows written at QUORUM (RF 3) through a node on swarm-0 read back at
#      QUORUM through the node on swarm-1; re-running up changes nothing;
#   4. a host lost: swarm-1's engine stopped: its node (the only one there)
#      shows DN, nothing is rescheduled elsewhere, the two others serve QUORUM
#      reads and writes, status and up fail naming the node and its host and
#      change nothing; swarm-1's engine started again: the same node (same
#      host id, same volume) is UN again and has the rows;
#   5. errors: an image the registry does not have (rejected task), a node
#      that fails its start, a --place naming no node, a paused node: clear
#      messages naming the service and the swarm node, exit != 0, the running
#      cluster untouched;
#   6. a fourth node added, spread to the host with fewer nodes; 6b. a
#      rolling restart; 6c. replace: a seed and a running node refused, then
#      the fourth node (stopped: its service scaled to 0) replaced on a new
#      volume (its old service and volume removed, replace_address_first_boot
#      of its old address), the rows read at ALL through it; 6d. remove: a
#      seed refused, the fourth node decommissioned and removed with its
#      volume, the rows read at ALL; 6e. a rolling upgrade to a new image
#      pushed to the registry: each service updated in turn, same host, same
#      data, the rows read at ALL;
#   7. down --volumes removes services, network, volumes on both hosts;
#   8. up -n 2 --tls: the certificates as swarm secrets, 2 x UN, status says
#      TLS, cqlsh --ssl with a client certificate across the overlay works and
#      plain cqlsh is refused; down.
# The topology is torn down at the end, also on failure or interruption, and
# the suite checks that nothing of it is left.
#
# Network traffic stays inside the namespaces the topology creates; the host
# only talks to the engines through their unix sockets.  Needs root.
set -uo pipefail
cd "$(dirname "$0")/../.." || exit 1
ROOT=$PWD
BUILD_DIR=${BUILD_DIR:-build}
PROV=$ROOT/$BUILD_DIR/cass-provision
TOPO=$ROOT/provision/demo-topology.sh
FAST_OPTS="-Dcassandra.ring_delay_ms=5000 -Dcassandra.skip_wait_for_gossip_to_settle=0"
MEM=1.5g
NODE_TIMEOUT=${MH_NODE_TIMEOUT:-600}
TMP=$(mktemp -d)

ok()      { echo "ok - $*"; }
not_ok()  { echo "not ok - $*"; }
fatal()   { not_ok "$*"; exit 1; }
comment() { sed 's/^/#   /' | head -n "${1:-30}"; }
check()   { local d=$1; shift; if "$@"; then ok "$d"; else not_ok "$d"; fi; }

TOPO_MADE=
cleanup() {
    local rc=$?
    if [ -n "$TOPO_MADE" ]; then
        "$TOPO" down >"$TMP/down.log" 2>&1 || comment <"$TMP/down.log"
    fi
    rm -rf "$TMP"
    exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# ---- preconditions ----------------------------------------------------------------
[ "$(id -u)" -eq 0 ] || fatal "the multihost suite needs root (network namespaces, dockerd)"
for t in ip unshare dockerd docker docker-registry curl; do
    command -v "$t" >/dev/null || fatal "$t is missing (image/install-deps.sh installs the test dependencies)"
done
[ -x "$PROV" ] || fatal "$PROV was not built (run make)"
if command -v shellcheck >/dev/null; then
    if shellcheck "$TOPO" tests/suites/multihost.sh bench/multihost.sh >"$TMP/sc" 2>&1; then
        ok "shellcheck clean: demo-topology.sh, multihost.sh, bench/multihost.sh"
    else
        comment <"$TMP/sc"; not_ok "shellcheck findings"
    fi
else
    not_ok "shellcheck is missing (image/install-deps.sh installs it)"
fi
if ! IMAGE=$(image/build.sh 2>"$TMP/build.err" | tail -n 1) || [ -z "$IMAGE" ]; then
    comment <"$TMP/build.err"
    fatal "image/build.sh could not build the product image"
fi
ok "product image $IMAGE (image/build.sh)"

# ---- the topology -------------------------------------------------------------------
"$TOPO" down >/dev/null 2>&1 # what an interrupted earlier run may have left
TOPO_MADE=1
t0=$SECONDS
if ! "$TOPO" up >"$TMP/topo.env" 2>"$TMP/topo.err"; then
    comment <"$TMP/topo.err"
    fatal "topology.sh up failed"
fi
# shellcheck disable=SC1091 # written just above
. "$TMP/topo.env"
ok "topology up in $((SECONDS - t0))s: infra, swarm-0, swarm-1 engines; registry $MH_REGISTRY"
dk() { local e=$1; shift; docker -H "$("$TOPO" sock "$e")" "$@"; }

names=$(for e in infra swarm-0 swarm-1; do dk "$e" info --format '{{.Name}} {{.DockerRootDir}}'; done)
addrs=$(for e in infra swarm-0 swarm-1; do ip -n "cmh-$e" -4 -o addr show eth0 | awk '{print $4}'; done | tr '\n' ' ')
if [ "$(echo "$names" | awk '{print $1}' | tr '\n' ' ')" = "infra swarm-0 swarm-1 " ] &&
   [ "$(echo "$names" | awk '{print $2}' | sort -u | wc -l)" = 3 ] &&
   [ "$addrs" = "192.168.99.100/24 192.168.99.101/24 192.168.99.102/24 " ]; then
    ok "three engines: host names infra, swarm-0, swarm-1; own data roots; addresses $addrs"
else
    echo "$names $addrs" | comment; not_ok "three distinct engines"
fi
nodes=$(dk swarm-0 node ls --format '{{.Hostname}} {{.Status}} {{.ManagerStatus}}' | sort | tr '\n' ';')
check "one swarm: swarm-0 manager (leader), swarm-1 worker, both ready [$nodes]" \
    test "$nodes" = "swarm-0 Ready Leader;swarm-1 Ready ;"
if ip netns exec cmh-swarm-1 curl -fsS -m 10 "http://$MH_REGISTRY/v2/" >/dev/null; then
    ok "the registry answers on $MH_REGISTRY from swarm-1's namespace (over the bridge)"
else
    not_ok "registry $MH_REGISTRY not reachable from swarm-1"
fi

# ---- 1. push from swarm-0 into the infra registry ------------------------------------
t0=$SECONDS
"$TOPO" load swarm-0 "$IMAGE" 2>"$TMP/load.err" || { comment <"$TMP/load.err"; fatal "could not copy $IMAGE into swarm-0's engine"; }
ok "image $IMAGE copied into swarm-0's engine (save/load) in $((SECONDS - t0))s"
TAG=${IMAGE##*:}
t0=$SECONDS
if DOCKER_HOST=$MH_SWARM0 "$PROV" push --image "$IMAGE" --registry "$MH_REGISTRY" \
       --digest-file "$TMP/digest" >"$TMP/push.out" 2>&1; then
    ok "1 push: cass-provision push (DOCKER_HOST=swarm-0) to $MH_REGISTRY in $((SECONDS - t0))s"
else
    comment <"$TMP/push.out"; fatal "1 push failed"
fi
PINNED=$(cat "$TMP/digest")
reg() { ip netns exec cmh-infra curl -fsS -m 10 "$@"; }
catalog=$(reg "http://$MH_REGISTRY/v2/_catalog")
tags=$(reg "http://$MH_REGISTRY/v2/cass-entry/tags/list")
regdigest=$(reg -I -H 'Accept: application/vnd.docker.distribution.manifest.v2+json' \
                "http://$MH_REGISTRY/v2/cass-entry/manifests/$TAG" | tr -d '\r' |
            sed -n 's/^[Dd]ocker-[Cc]ontent-[Dd]igest: //p')
if [[ $catalog == *'"cass-entry"'* ]] && [[ $tags == *"\"$TAG\""* ]] &&
   [ -n "$regdigest" ] && [ "$PINNED" = "$MH_REGISTRY/cass-entry@$regdigest" ]; then
    ok "1 push: the registry lists cass-entry:$TAG, its manifest digest is the one push reported ($regdigest)"
else
    echo "catalog $catalog tags $tags registry digest $regdigest pinned $PINNED" | comment
    not_ok "1 push: registry content"
fi

# ---- 2. up -n 3 -----------------------------------------------------------------------
export DOCKER_HOST=$MH_SWARM0
ENG=(--engine "$MH_SWARM1")
# --auth: the superuser's password travels as a swarm secret (made from a 0600 file here)
UPOPTS=(--image "$PINNED" --memory "$MEM" --jvm-extra-opts "$FAST_OPTS" --timeout "$NODE_TIMEOUT"
        --auth --password-file "$TMP/superuser-password")
t0=$SECONDS
if "$PROV" up -n 3 "${UPOPTS[@]}" "${ENG[@]}" >"$TMP/up.out" 2>&1; then
    ok "2 up -n 3 on the swarm in $((SECONDS - t0))s"
    comment 40 <"$TMP/up.out"
else
    comment 60 <"$TMP/up.out"
    fatal "2 up -n 3 failed"
fi
svc_host() {  # SERVICE: the host name of the swarm node its running task is on
    dk swarm-0 service ps --filter desired-state=running --format '{{.Node}}' "$1" 2>/dev/null | head -n 1
}
placement=$(for i in 1 2 3; do echo "cass$i=$(svc_host "cass$i")"; done | tr '\n' ' ')
on0=$(grep -o '=swarm-0' <<<"$placement" | wc -l)
on1=$(grep -o '=swarm-1' <<<"$placement" | wc -l)
check "2 spread over both hosts: $placement(2 on one, 1 on the other)" test "$on0:$on1" = "2:1" -o "$on0:$on1" = "1:2"
# The equivalent of the original `docker ps` on each host.
ps0=$(dk swarm-0 ps --format '{{.Names}}' | grep -c '^cass[0-9]\.')
ps1=$(dk swarm-1 ps --format '{{.Names}}' | grep -c '^cass[0-9]\.')
check "2 docker ps: $ps0 node container(s) on swarm-0, $ps1 on swarm-1" test "$ps0:$ps1" = "$on0:$on1"
LONE=   # the node alone on its host, for the host-loss test
LONE_HOST=
for i in 1 2 3; do
    h=$(svc_host "cass$i")
    if [ "$(grep -o "=$h " <<<"$placement" | wc -l)" = 1 ]; then LONE=cass$i LONE_HOST=$h; fi
done
spec_ok=1
for i in 1 2 3; do
    h=$(svc_host "cass$i")
    nid=$(dk swarm-0 node inspect -f '{{.ID}}' "$h")
    got=$(dk swarm-0 service inspect -f '{{.Spec.TaskTemplate.ContainerSpec.Image}}|{{.Spec.EndpointSpec.Mode}}|{{.Spec.TaskTemplate.Placement.Constraints}}|{{.Spec.TaskTemplate.Resources.Limits.MemoryBytes}}|{{.Spec.TaskTemplate.ContainerSpec.StopGracePeriod}}|{{range .Spec.TaskTemplate.ContainerSpec.Mounts}}{{.Source}}:{{.Target}}{{end}}|{{.Spec.TaskTemplate.RestartPolicy.Condition}}|{{.Spec.Mode.Replicated.Replicas}}' "cass$i")
    # (the template prints the grace period as a Go duration)
    want="$PINNED|dnsrr|[node.id==$nid]|1610612736|2m0s|cass$i-data:/var/lib/cassandra|any|1"
    # the image may carry the tag before the digest
    got_norm=$(sed "s|^$MH_REGISTRY/cass-entry:[^@|]*@|$MH_REGISTRY/cass-entry@|" <<<"$got")
    if [ "$got_norm" != "$want" ]; then
        spec_ok=
        echo "cass$i: $got" | comment; echo "want:  $want" | comment
    fi
    vol=$(dk "$h" volume ls -q --filter "name=cass$i-data")
    [ "$vol" = "cass$i-data" ] || { spec_ok=; echo "cass$i-data not on $h" | comment; }
done
check "2 each service: image pinned by the pushed digest, dnsrr, node.id==<its host>, 1.5 GiB limit, 120 s stop grace, volume cassN-data on its host, restart any, 1 replica" test -n "$spec_ok"
secrets=$(for i in 1 2 3; do dk swarm-0 service inspect -f '{{range .Spec.TaskTemplate.ContainerSpec.Secrets}}{{.SecretName}}:{{.File.Name}}:{{.File.Mode}}{{end}}' "cass$i"; done | sort -u)
spec1=$(dk swarm-0 service inspect cass1)
if [ "$secrets" = "cass-superuser-password:cassandra-password:-r--------" ] && [[ $spec1 != *"$(cat "$TMP/superuser-password")"* ]]; then
    ok "2 --auth: every service gets the swarm secret cass-superuser-password as /run/secrets/cassandra-password (mode 0400), never the value"
else
    not_ok "2 --auth: the services' secrets: '$secrets' (or the password is in the spec)"
fi
unrows=$(grep -cE '^datacenter1 +cass[123] +swarm-[01] +[0-9.]+ +UN ' "$TMP/up.out")
check "2 the final ring table of up: 3 x UN, each with its host" test "$unrows" = 3

# ---- 3. QUORUM across hosts ------------------------------------------------------------
ctr_of() {  # SERVICE -> "ENGINE CONTAINER" of its running task
    local e c
    for e in swarm-0 swarm-1; do
        c=$(dk "$e" ps -q --filter "label=com.docker.swarm.service.name=$1" 2>/dev/null | head -n 1)
        [ -n "$c" ] && { echo "$e $c"; return 0; }
    done
    return 1
}
cql() {  # SERVICE CQL: cqlsh inside the node's container, against the node itself
    local where
    where=$(ctr_of "$1") || { echo "no running container of $1"; return 1; }
    # shellcheck disable=SC2086 # "ENGINE CONTAINER"
    set -- "$1" "$2" $where
    dk "$3" exec "$4" cqlsh -u admin -p "$(cat "$TMP/superuser-password")" "$1" --request-timeout=30 -e "$2" 2>&1 |
        grep -v '^WARNING: cqlsh was built\|^Warning: Using a password\|^Recommendation: use the credentials\|^$'
}
rows_of() { awk -F'|' '/^ *[0-9]+ \| / { gsub(/ /, "", $1); gsub(/^ +| +$/, "", $2); print $1, $2 }' | sort; }
nodetool_in() {  # SERVICE ARGS...
    local where
    where=$(ctr_of "$1") || return 1
    shift
    # shellcheck disable=SC2086
    set -- $where "$@"
    local e=$1 c=$2
    shift 2
    dk "$e" exec -e MAX_HEAP_SIZE=128m -e HEAP_NEWSIZE=32m "$c" nodetool "$@"
}
host_of_addr_state() {  # VIEW_SERVICE HOSTID -> "UN"/"DN"... of the row with that host id
    nodetool_in "$1" status 2>/dev/null | awk -v id="$2" '$0 ~ id { print $1 }'
}
hostid_of() {  # SERVICE: its host id (as it reports itself)
    nodetool_in "$1" info 2>/dev/null | sed -n 's/^ID *: *//p'
}

OTHER=   # a node on the host that is not the writer's
WRITER=cass1
for i in 2 3; do [ "$(svc_host "cass$i")" != "$(svc_host cass1)" ] && OTHER=cass$i; done
want_rows=$(for i in $(seq 1 20); do echo "$i row-$i"; done | sort)
ins=$(for i in $(seq 1 20); do printf "INSERT INTO mh.rows (id, v) VALUES (%d, 'row-%d'); " "$i" "$i"; done)
ins=${ins% } # cqlsh -e takes a blank after the last ';' for an empty statement
out=$(cql "$WRITER" "CREATE KEYSPACE mh WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 3}; CREATE TABLE mh.rows (id int PRIMARY KEY, v text); CONSISTENCY QUORUM; $ins")
if ! grep -qiE 'error|exception' <<<"$out"; then
    ok "3 cqlsh in $WRITER (on $(svc_host $WRITER)): keyspace mh (RF 3), 20 rows written at QUORUM"
else
    echo "$out" | comment; not_ok "3 writing through $WRITER"
fi
got=$(cql "$OTHER" "CONSISTENCY QUORUM; SELECT id, v FROM mh.rows;" | rows_of)
check "3 read back at QUORUM through $OTHER on the other host ($(svc_host "$OTHER")): the 20 rows" test "$got" = "$want_rows"

ids_before=$(dk swarm-0 service ls -q --filter label=io.cass-entry.cluster=cass | sort | tr '\n' ' ')
tasks_before=$(for i in 1 2 3; do dk swarm-0 service ps -q --filter desired-state=running "cass$i"; done | tr '\n' ' ')
if "$PROV" up -n 3 "${UPOPTS[@]}" "${ENG[@]}" >"$TMP/rerun.out" 2>&1 &&
   grep -q '3 running, 0 not running, 0 to create' "$TMP/rerun.out" &&
   [ "$ids_before" = "$(dk swarm-0 service ls -q --filter label=io.cass-entry.cluster=cass | sort | tr '\n' ' ')" ] &&
   [ "$tasks_before" = "$(for i in 1 2 3; do dk swarm-0 service ps -q --filter desired-state=running "cass$i"; done | tr '\n' ' ')" ]; then
    ok "3 up again: exit 0, '3 running, 0 to create', same services and tasks"
else
    comment <"$TMP/rerun.out"; not_ok "3 up again changed something or failed"
fi

# ---- 4. a host lost ------------------------------------------------------------------------
if [ -z "$LONE" ] || [ "$LONE_HOST" != swarm-1 ]; then
    not_ok "4 host loss: needs a node alone on swarm-1 (placement: $placement)"
else
    SURV=()
    for i in 1 2 3; do [ "cass$i" != "$LONE" ] && SURV+=("cass$i"); done
    LONE_ID=$(hostid_of "$LONE")
    LONE_VOL_CREATED=$(dk swarm-1 volume inspect -f '{{.CreatedAt}}' "$LONE-data")
    t0=$SECONDS
    "$TOPO" stop-engine swarm-1 2>"$TMP/stop.err" || comment <"$TMP/stop.err"
    ok "4 swarm-1's engine stopped in $((SECONDS - t0))s ($LONE, host id ${LONE_ID:0:8}, ran there alone)"
    st=
    deadline=$((SECONDS + 180))
    while [ $SECONDS -lt $deadline ]; do
        st=$(host_of_addr_state "${SURV[0]}" "$LONE_ID")
        [ "$st" = DN ] && break
        sleep 3
    done
    check "4 $LONE shows DN in ${SURV[0]}'s nodetool status (after $((SECONDS - t0))s)" test "$st" = DN
    # Give swarm time to notice the node down and do whatever it would do.
    deadline=$((SECONDS + 120))
    while [ $SECONDS -lt $deadline ]; do
        [ "$(dk swarm-0 node inspect -f '{{.Status.State}}' swarm-1)" = down ] && break
        sleep 2
    done
    sleep 15
    tasks=$(dk swarm-0 service ps --format '{{.Node}}|{{.DesiredState}}|{{.CurrentState}}|{{.Error}}' "$LONE")
    elsewhere=$(dk swarm-0 ps -a -q --filter "label=com.docker.swarm.service.name=$LONE")
    running_elsewhere=$(grep -E '^swarm-0\|' <<<"$tasks")
    if [ "$(dk swarm-0 node inspect -f '{{.Status.State}}' swarm-1)" = down ] &&
       [ -z "$elsewhere" ] && [ -z "$running_elsewhere" ]; then
        ok "4 swarm marks swarm-1 down; nothing rescheduled: no task or container of $LONE on swarm-0 ($(grep -m1 'Pending' <<<"$tasks" | cut -d'|' -f3,4 | tr -s ' '))"
    else
        echo "$tasks" | comment; not_ok "4 $LONE was rescheduled (containers on swarm-0: ${elsewhere:-none})"
    fi
    got=$(cql "${SURV[0]}" "CONSISTENCY QUORUM; SELECT id, v FROM mh.rows;" | rows_of)
    check "4 QUORUM read through ${SURV[0]} with $LONE down: the 20 rows" test "$got" = "$want_rows"
    got=$(cql "${SURV[1]}" "CONSISTENCY QUORUM; SELECT id, v FROM mh.rows;" | rows_of)
    check "4 QUORUM read through ${SURV[1]} with $LONE down: the 20 rows" test "$got" = "$want_rows"
    out=$(cql "${SURV[1]}" "CONSISTENCY QUORUM; INSERT INTO mh.rows (id, v) VALUES (21, 'row-21');")
    if ! grep -qiE 'error|exception|unavailable' <<<"$out"; then ok "4 QUORUM write through ${SURV[1]} with $LONE down (row 21)"
    else echo "$out" | comment; not_ok "4 QUORUM write with $LONE down"; fi
    "$PROV" status "${ENG[@]}" >"$TMP/st.out" 2>&1; rc=$?
    if [ $rc -ne 0 ] && grep -q "$LONE .*swarm-1.*not running" "$TMP/st.out" &&
       grep -qE "^datacenter1 +$LONE +swarm-1 .* DN " "$TMP/st.out"; then
        ok "4 status: exit $rc, $LONE on swarm-1 not running, DN in the ring table"
    else
        comment <"$TMP/st.out"; not_ok "4 status with swarm-1 down (exit $rc)"
    fi
    svc_before=$(dk swarm-0 service inspect -f '{{.ID}} {{.Version.Index}}' cass1 cass2 cass3 | tr '\n' ' ')
    "$PROV" up -n 3 "${UPOPTS[@]}" "${ENG[@]}" >"$TMP/up-lost.out" 2>&1; rc=$?
    if [ $rc -ne 0 ] && grep -q "$LONE: its swarm node swarm-1 is down" "$TMP/up-lost.out" &&
       [ "$svc_before" = "$(dk swarm-0 service inspect -f '{{.ID}} {{.Version.Index}}' cass1 cass2 cass3 | tr '\n' ' ')" ]; then
        ok "4 up with swarm-1 down: exit $rc, names $LONE and swarm-1, no service changed"
    else
        comment <"$TMP/up-lost.out"; not_ok "4 up with swarm-1 down (exit $rc)"
    fi

    t0=$SECONDS
    "$TOPO" start-engine swarm-1 2>"$TMP/start.err" || comment <"$TMP/start.err"
    rc=1
    deadline=$((SECONDS + NODE_TIMEOUT))
    while [ $SECONDS -lt $deadline ]; do
        "$PROV" status "${ENG[@]}" >"$TMP/st2.out" 2>&1 && { rc=0; break; }
        sleep 5
    done
    if [ $rc -eq 0 ]; then
        ok "4 swarm-1's engine started again: status shows 3 x UN after $((SECONDS - t0))s"
    else
        comment <"$TMP/st2.out"; not_ok "4 the cluster did not come back within ${NODE_TIMEOUT}s"
    fi
    new_id=$(hostid_of "$LONE")
    where=$(ctr_of "$LONE")
    mount=$(dk "${where%% *}" inspect -f '{{range .Mounts}}{{.Name}}{{end}}' "${where#* }" 2>/dev/null)
    vol_created=$(dk swarm-1 volume inspect -f '{{.CreatedAt}}' "$LONE-data" 2>/dev/null)
    if [ "${where%% *}" = swarm-1 ] && [ -n "$new_id" ] && [ "$new_id" = "$LONE_ID" ] &&
       [ "$mount" = "$LONE-data" ] && [ "$vol_created" = "$LONE_VOL_CREATED" ]; then
        ok "4 the same node: $LONE on swarm-1 again, same host id ${new_id:0:8}, on its own volume $LONE-data (created $vol_created)"
    else
        not_ok "4 $LONE after the return: engine ${where%% *}, host id '$new_id' (was '$LONE_ID'), mount '$mount', volume created '$vol_created' (was '$LONE_VOL_CREATED')"
    fi
    want21=$(printf '%s\n21 row-21\n' "$want_rows" | sort)
    got=$(cql "$LONE" "CONSISTENCY QUORUM; SELECT id, v FROM mh.rows;" | rows_of)
    check "4 QUORUM read through $LONE after its return: all 21 rows" test "$got" = "$want21"
fi

# ---- 5. errors ------------------------------------------------------------------------------
state_of_cluster() {
    for i in 1 2 3; do dk swarm-0 service ps -q --filter desired-state=running "cass$i"; done | tr '\n' ' '
}
before=$(state_of_cluster)
BAD="$MH_REGISTRY/cass-entry@sha256:$(printf '0%.0s' $(seq 64))"
"$PROV" up -n 4 --image "$BAD" --memory "$MEM" --timeout 300 "${ENG[@]}" >"$TMP/bad.out" 2>&1; rc=$?
if [ $rc -ne 0 ] && grep -q 'cass4: swarm node swarm-[01] rejected its task: No such image' "$TMP/bad.out" &&
   ! dk swarm-0 service inspect cass4 >/dev/null 2>&1 &&
   [ -z "$(dk swarm-0 volume ls -q --filter name=cass4-data)$(dk swarm-1 volume ls -q --filter name=cass4-data)" ] &&
   [ "$(state_of_cluster)" = "$before" ]; then
    ok "5 an image the registry lacks: exit $rc, '$(grep -o 'cass4: swarm node swarm-[01] rejected its task' "$TMP/bad.out")'; cass4 and its new volume removed; cass1-3 untouched"
else
    comment <"$TMP/bad.out"; not_ok "5 rejected task (exit $rc)"
fi
# cass-entry refuses an impossible listen address and exits: the task fails.
"$PROV" up -n 4 "${UPOPTS[@]}" "${ENG[@]}" -e CASSANDRA_LISTEN_ADDRESS=256.1.1.1 >"$TMP/fail.out" 2>&1; rc=$?
failhost=$(sed -n 's/.*cass4 on \(swarm-[01]\) stopped while starting.*/\1/p' "$TMP/fail.out" | head -n 1)
if [ $rc -ne 0 ] && [ -n "$failhost" ] && grep -q 'last log lines of cass4 on swarm-' "$TMP/fail.out" &&
   grep -q 'service cass4 (created by this run) was removed' "$TMP/fail.out" &&
   ! dk swarm-0 service inspect cass4 >/dev/null 2>&1 && [ "$(state_of_cluster)" = "$before" ]; then
    ok "5 a node that fails its start: exit $rc, names cass4 and $failhost, quotes its log; its service removed, cass1-3 untouched"
else
    comment 40 <"$TMP/fail.out"; not_ok "5 a node that fails its start (exit $rc)"
fi
# Its volume was kept (a container ran on it); not wanted for what follows.
# It is in use until swarm has removed the failed task's container.
if [ -n "$failhost" ]; then
    deadline=$((SECONDS + 120))
    until dk "$failhost" volume rm cass4-data >/dev/null 2>&1 || [ $SECONDS -ge $deadline ]; do sleep 2; done
    if dk "$failhost" volume inspect cass4-data >/dev/null 2>&1; then
        not_ok "5 could not remove the kept volume cass4-data on $failhost"
    fi
fi
"$PROV" up -n 4 --image "$PINNED" --place nowhere "${ENG[@]}" >"$TMP/place.out" 2>&1; rc=$?
if [ $rc -ne 0 ] && grep -q "cass4: --place 'nowhere': no such swarm node" "$TMP/place.out" &&
   ! dk swarm-0 service inspect cass4 >/dev/null 2>&1; then
    ok "5 --place naming no swarm node: exit $rc, nothing created"
else
    comment <"$TMP/place.out"; not_ok "5 --place nowhere (exit $rc)"
fi
dk swarm-0 node update --availability pause swarm-1 >/dev/null
"$PROV" up -n 4 --image "$PINNED" --place swarm-1 "${ENG[@]}" >"$TMP/pause.out" 2>&1; rc=$?
dk swarm-0 node update --availability active swarm-1 >/dev/null
if [ $rc -ne 0 ] && grep -q "cass4: --place 'swarm-1': swarm node swarm-1 is paused" "$TMP/pause.out" &&
   ! dk swarm-0 service inspect cass4 >/dev/null 2>&1 && [ "$(state_of_cluster)" = "$before" ]; then
    ok "5 --place on a paused swarm node: exit $rc, names swarm-1, nothing created, nothing changed"
else
    comment <"$TMP/pause.out"; not_ok "5 --place swarm-1 while paused (exit $rc)"
fi

# ---- 6. add a node ---------------------------------------------------------------------------
fewer=swarm-1
[ "$(grep -c "=swarm-0" <<<"$(for i in 1 2 3; do echo "=$(svc_host "cass$i")"; done)")" -lt 2 ] && fewer=swarm-0
t0=$SECONDS
if "$PROV" up -n 4 "${UPOPTS[@]}" "${ENG[@]}" >"$TMP/up4.out" 2>&1 &&
   [ "$(svc_host cass4)" = "$fewer" ] &&
   [ "$(grep -cE '^datacenter1 +cass[1-4] +swarm-[01] +[0-9.]+ +UN ' "$TMP/up4.out")" = 4 ] &&
   [ "$(state_of_cluster)" = "$before" ]; then
    ok "6 up -n 4: cass4 joined on $fewer (the host with fewer nodes) in $((SECONDS - t0))s; 4 x UN; cass1-3 untouched"
else
    comment 40 <"$TMP/up4.out"; not_ok "6 up -n 4 (cass4 on $(svc_host cass4), wanted $fewer)"
fi

# ---- 6b. rolling restart ------------------------------------------------------------------
tasks_of() { for i in 1 2 3 4; do dk swarm-0 service ps -q --filter desired-state=running "cass$i" | head -n 1; done; }
ids_of() { for i in 1 2 3 4; do hostid_of "cass$i"; done; }
tasks_before=$(tasks_of)
ids_before=$(ids_of)
t0=$SECONDS
"$PROV" restart "${ENG[@]}" --timeout "$NODE_TIMEOUT" >"$TMP/restart.out" 2>&1; rc=$?
took=$((SECONDS - t0))
order=$(grep -oE '^  cass[1-4] +on swarm-[01] +(draining|ready after)' "$TMP/restart.out" | awk '{print $1, $4}' | tr '\n' ' ')
if [ $rc -eq 0 ] && [ "$order" = "cass1 draining cass1 ready cass2 draining cass2 ready cass3 draining cass3 ready cass4 draining cass4 ready " ] &&
   [ "$(grep -cE '^datacenter1 +cass[1-4] +swarm-[01] +[0-9.]+ +UN ' "$TMP/restart.out")" = 4 ]; then
    ok "6b restart on the swarm: exit 0 in ${took}s; each node drained, stopped (through its host's engine), run again by swarm and ready before the next; 4 x UN"
else
    comment 40 <"$TMP/restart.out"; not_ok "6b restart on the swarm (exit $rc, order: $order)"
fi
tasks_after=$(tasks_of)
ids_after=$(ids_of)
same=$(comm -12 <(sort <<<"$tasks_before") <(sort <<<"$tasks_after") | grep -c .)
check "6b restart: every service runs a new task (0 of 4 the same: $same), every node its old host id" \
    bash -c "[ '$same' = 0 ] && [ -n '$ids_after' ] && [ '$ids_before' = '$ids_after' ]"
got=$(cql cass1 "CONSISTENCY QUORUM; SELECT id, v FROM mh.rows;" | rows_of)
check "6b QUORUM read through cass1 after the restart: all 21 rows" \
    test "$got" = "$(printf '%s\n21 row-21\n' "$want_rows" | sort)"

# ---- 6c. replace: a dead node on a new volume ---------------------------------------------------
# Every node of a brand-new ring is a seed (cass1-3) and a seed does not
# bootstrap, so the node to replace is cass4.  It dies as an operator stops a
# broken node on a swarm (its service scaled to 0: swarm would restart a
# container stopped any other way); its host still answers, so its old volume
# goes with its service.
"$PROV" replace cass2 "${UPOPTS[@]}" "${ENG[@]}" >"$TMP/replace2.out" 2>&1; rc=$?
check "6c replace of a seed (cass2): exit 1, says so" \
    bash -c "[ $rc -eq 1 ] && grep -q 'replace cass2: it is a seed' '$TMP/replace2.out'"
"$PROV" replace cass4 "${UPOPTS[@]}" "${ENG[@]}" >"$TMP/replace4r.out" 2>&1; rc=$?
check "6c replace of a running node (cass4): exit 1, says it runs" \
    bash -c "[ $rc -eq 1 ] && grep -q 'replace cass4: it runs on swarm-' '$TMP/replace4r.out'"
old_host4=$(svc_host cass4)
old_vol4=$(dk "$old_host4" volume inspect -f '{{.CreatedAt}}' cass4-data 2>/dev/null)
old_ip4=$(nodetool_in cass1 status 2>/dev/null | awk -v id="$(hostid_of cass4)" 'id != "" && $0 ~ id { print $2 }')
# (scale waits until the task has stopped)
dk swarm-0 service scale cass4=0 >"$TMP/scale.out" 2>&1 || comment <"$TMP/scale.out"
t0=$SECONDS
"$PROV" replace cass4 "${UPOPTS[@]}" "${ENG[@]}" >"$TMP/replace4.out" 2>&1; rc=$?
took=$((SECONDS - t0))
new_host4=$(svc_host cass4)
new_vol4=$(dk "${new_host4:-swarm-0}" volume inspect -f '{{.CreatedAt}}' cass4-data 2>/dev/null)
if [ $rc -eq 0 ] && [ -n "$old_ip4" ] &&
   grep -q "replacing cass4 (dead, was $old_ip4 on $old_host4) on a new volume" "$TMP/replace4.out" &&
   grep -qE "^  cass4 +on $old_host4 +service and volume cass4-data removed" "$TMP/replace4.out" &&
   grep -qE "^  cass4 +on swarm-[01] +created \(volume cass4-data new, replace_address_first_boot=$old_ip4\)" "$TMP/replace4.out" &&
   [ "$(grep -cE '^datacenter1 +cass[1-4] +swarm-[01] +[0-9.]+ +UN ' "$TMP/replace4.out")" = 4 ] &&
   [ "$(grep -cE '^datacenter1 ' "$TMP/replace4.out")" = 4 ] && ! grep -qE "^datacenter1 .* $old_ip4 " "$TMP/replace4.out" &&
   [ -n "$new_vol4" ] && [ "$new_vol4" != "$old_vol4" ]; then
    ok "6c replace cass4 on the swarm: exit 0 in ${took}s; dead at $old_ip4 on $old_host4, its service and volume removed, a new service on $new_host4 on a new volume took its place; 4 x UN, the old address gone"
    got=$(cql cass4 "CONSISTENCY ALL; SELECT id, v FROM mh.rows;" | rows_of)
    check "6c ALL read through the new cass4: all 21 rows (its ranges streamed from the others)" \
        test "$got" = "$(printf '%s\n21 row-21\n' "$want_rows" | sort)"
else
    comment 40 <"$TMP/replace4.out"; not_ok "6c replace cass4 on the swarm (exit $rc, old ip '$old_ip4' on $old_host4, volume created '$old_vol4' -> '$new_vol4' on $new_host4)"
    not_ok "6c ALL read through the new cass4: not tried, the replace failed"
fi

# ---- 6d. remove: a scale-down by decommission --------------------------------------------------
host4=$(svc_host cass4)
"$PROV" remove 2 "${ENG[@]}" >"$TMP/remove2.out" 2>&1; rc=$?
check "6d remove of a seed (cass2): exit 1, says so, nothing changed" \
    bash -c "[ $rc -eq 1 ] && grep -q 'cass2 is a seed' '$TMP/remove2.out'"
t0=$SECONDS
"$PROV" remove cass4 "${ENG[@]}" --timeout "$NODE_TIMEOUT" >"$TMP/remove.out" 2>&1; rc=$?
took=$((SECONDS - t0))
if [ $rc -eq 0 ] && grep -qE '^  cass4 +on swarm-[01] +decommissioned in' "$TMP/remove.out" &&
   [ "$(grep -cE '^datacenter1 +cass[1-3] +swarm-[01] +[0-9.]+ +UN ' "$TMP/remove.out")" = 3 ] &&
   [ "$(grep -cE '^datacenter1 ' "$TMP/remove.out")" = 3 ] &&
   ! dk swarm-0 service inspect cass4 >/dev/null 2>&1 && ! dk "$host4" volume inspect cass4-data >/dev/null 2>&1; then
    ok "6d remove cass4 on the swarm: exit 0 in ${took}s; decommissioned, its service and its volume on $host4 removed; 3 x UN"
else
    comment 40 <"$TMP/remove.out"; not_ok "6d remove cass4 on the swarm (exit $rc)"
fi
got=$(cql cass1 "CONSISTENCY ALL; SELECT id, v FROM mh.rows;" | rows_of)
check "6d ALL read through cass1 after the decommission: all 21 rows on the 3 nodes left" \
    test "$got" = "$(printf '%s\n21 row-21\n' "$want_rows" | sort)"

# ---- 6e. rolling upgrade to another image ------------------------------------------------------
# The new image: the product image with one ENV more, built in swarm-0's engine
# and pushed to the registry (as a new release would be); the services go to
# it one at a time, each on its host and volume.
mkdir -p "$TMP/upgctx"
printf 'FROM %s\nENV CASS_ENTRY_UPGRADE_TEST=1\n' "$IMAGE" >"$TMP/upgctx/Dockerfile"
hosts_before=$(for i in 1 2 3; do svc_host "cass$i"; done | tr '\n' ' ')
ids_before=$(for i in 1 2 3; do hostid_of "cass$i"; done)
if "$PROV" build --context "$TMP/upgctx" -t "cass-entry:mh-upgrade" >"$TMP/upgbuild.out" 2>&1 &&
   "$PROV" push --image "cass-entry:mh-upgrade" --registry "$MH_REGISTRY" \
       --digest-file "$TMP/digest2" >>"$TMP/upgbuild.out" 2>&1; then
    PINNED2=$(cat "$TMP/digest2")
    t0=$SECONDS
    "$PROV" upgrade --image "$PINNED2" "${ENG[@]}" --timeout "$NODE_TIMEOUT" >"$TMP/upgrade.out" 2>&1; rc=$?
    took=$((SECONDS - t0))
    order=$(grep -oE '^  cass[1-3] +on swarm-[01] +(draining|ready after)' "$TMP/upgrade.out" | awk '{print $1, $4}' | tr '\n' ' ')
    images=$(for i in 1 2 3; do dk swarm-0 service inspect -f '{{.Spec.TaskTemplate.ContainerSpec.Image}}' "cass$i"; done | sort -u)
    hosts_after=$(for i in 1 2 3; do svc_host "cass$i"; done | tr '\n' ' ')
    if [ $rc -eq 0 ] && [ "$order" = "cass1 draining cass1 ready cass2 draining cass2 ready cass3 draining cass3 ready " ] &&
       [ "$images" = "$PINNED2" ] && [ "$hosts_before" = "$hosts_after" ] &&
       [ "$(grep -cE '^datacenter1 +cass[1-3] +swarm-[01] +[0-9.]+ +UN ' "$TMP/upgrade.out")" = 3 ]; then
        ok "6e upgrade on the swarm: exit 0 in ${took}s; each service's image updated to the new digest in turn, its new task ready before the next, on the same host ($hosts_after); 3 x UN"
    else
        comment 40 <"$TMP/upgrade.out"; not_ok "6e upgrade on the swarm (exit $rc, order: $order, images: $images, hosts $hosts_before -> $hosts_after)"
    fi
    ids_after=$(for i in 1 2 3; do hostid_of "cass$i"; done)
    read -r e2 c2 <<<"$(ctr_of cass2)"
    env_new=$(dk "${e2:-swarm-0}" inspect -f '{{range .Config.Env}}{{println .}}{{end}}' "${c2:-none}" 2>/dev/null)
    # shellcheck disable=SC2016 # the values come as arguments
    check "6e upgrade: every node keeps its host id (its data), and runs the new image's ENV" \
        bash -c '[ -n "$2" ] && [ "$1" = "$2" ] && grep -qx CASS_ENTRY_UPGRADE_TEST=1 <<<"$3"' _ "$ids_before" "$ids_after" "$env_new"
    got=$(cql cass1 "CONSISTENCY ALL; SELECT id, v FROM mh.rows;" | rows_of)
    check "6e ALL read through cass1 after the upgrade: all 21 rows" \
        test "$got" = "$(printf '%s\n21 row-21\n' "$want_rows" | sort)"
else
    comment 20 <"$TMP/upgbuild.out"; not_ok "6e the upgrade image could not be built and pushed"
fi

# ---- 7. down --------------------------------------------------------------------------------
t0=$SECONDS
if "$PROV" down --volumes "${ENG[@]}" >"$TMP/down.out" 2>&1; then
    left=$(dk swarm-0 service ls -q; dk swarm-0 network ls -q --filter name=cass-net
           for e in swarm-0 swarm-1; do dk "$e" ps -aq; dk "$e" volume ls -q; done)
    if [ -z "$left" ] && [ "$(grep -cE '^  cass[1-3] +on swarm-[01] +drained in' "$TMP/down.out")" = 3 ]; then
        ok "7 down --volumes in $((SECONDS - t0))s: 3 nodes drained (each through its host's engine), no service, network, container or volume left on either host"
    else
        { cat "$TMP/down.out"; echo "$left"; } | comment; not_ok "7 down: not all drained, or objects left behind"
    fi
else
    comment <"$TMP/down.out"; not_ok "7 down --volumes failed"
fi

# ---- 8. up --tls on the swarm: the certificates travel as swarm secrets ----------------------
TLSOPTS=(--image "$PINNED" --memory "$MEM" --jvm-extra-opts "$FAST_OPTS" --timeout "$NODE_TIMEOUT"
         --prefix ct --tls --tls-dir "$TMP/tls")
t0=$SECONDS
"$PROV" up -n 2 "${TLSOPTS[@]}" "${ENG[@]}" >"$TMP/tls-up.out" 2>&1; rc=$?
if [ $rc -eq 0 ] && [ "$(grep -cE '^datacenter1 +ct[12] +swarm-[01] +[0-9.]+ +UN ' "$TMP/tls-up.out")" = 2 ]; then
    ok "8 up -n 2 --tls on the swarm: exit 0 in $((SECONDS - t0))s, 2 x UN (the gate's probe over mTLS)"
else
    comment 40 <"$TMP/tls-up.out"; not_ok "8 up -n 2 --tls on the swarm (exit $rc)"
fi
secrets=$(dk swarm-0 secret ls --format '{{.Name}}' | grep '^ct' | sort | tr '\n' ' ')
check "8 the certificates are swarm secrets: $secrets" \
    test "$secrets" = "ct-tls-ca ct1-tls-cert ct1-tls-key ct2-tls-cert ct2-tls-key "
"$PROV" status --prefix ct "${ENG[@]}" >"$TMP/tls-st.out" 2>&1; rc=$?
check "8 status: exit 0, TLS on" bash -c "[ $rc -eq 0 ] && grep -q '^TLS: on (internode encryption all' '$TMP/tls-st.out'"
tls_cqlsh() {  # ARGS...: cqlsh in ct1's container against ct2 (on the other host when spread)
    local where
    where=$(ctr_of ct1) || { echo "no running container of ct1"; return 1; }
    # shellcheck disable=SC2086 # "ENGINE CONTAINER"
    set -- $where "$@"
    local e=$1 c=$2
    shift 2
    dk "$e" exec "$c" sh -c 'printf "[ssl]\ncertfile = /run/secrets/cassandra-tls-ca.pem\nvalidate = true\nuserkey = /run/secrets/cassandra-tls-key.pem\nusercert = /run/secrets/cassandra-tls-cert.pem\n" >/tmp/cqlshrc && cqlsh --cqlshrc /tmp/cqlshrc "$@"' sh "$@" 2>&1
}
out=$(tls_cqlsh --ssl ct2 -e 'SELECT release_version FROM system.local')
check "8 cqlsh --ssl from ct1 to ct2 with the CA and a client certificate works" grep -q '5\.0\.' <<<"$out"
out=$(tls_cqlsh --connect-timeout 10 ct2 -e 'SELECT release_version FROM system.local'); rc=$?
# shellcheck disable=SC2016 # the values come as arguments
check "8 plain cqlsh to ct2 is refused (exit $rc)" bash -c '[ "$1" -ne 0 ] && ! grep -q "5\.0\." <<<"$2"' _ "$rc" "$out"
"$PROV" down --prefix ct --volumes "${ENG[@]}" >"$TMP/tls-down.out" 2>&1; rc=$?
check "8 down --volumes of the TLS cluster" bash -c "[ $rc -eq 0 ] && [ -z \"\$(docker -H $("$TOPO" sock swarm-0) service ls -q)\" ]"

# ---- the topology goes, and nothing of it stays ------------------------------------------------
"$TOPO" down >"$TMP/topo-down.out" 2>&1 || comment <"$TMP/topo-down.out"
TOPO_MADE=
left=$( { ip netns list | grep -E '^cmh-'; ls -d /run/cass-multihost /var/lib/cass-multihost /sys/fs/cgroup/*/cmh-* 2>/dev/null
          pgrep -f 'cass-multihost' ; } 2>/dev/null)
if [ -z "$left" ]; then ok "topology down: no namespace, engine, registry, cgroup or state directory left"
else echo "$left" | comment; not_ok "topology down left: $(echo "$left" | tr '\n' ' ')"; fi
