#!/usr/bin/env bash
# tests/suites/tls.sh: client and internode encryption from PEM secrets
# (issue 14) against a real Cassandra 5.0.1 in the product image.
#
# Certificates are made here with the openssl command: a CA, a node
# certificate it signs (names and address of the node), another CA, and a key
# that belongs to no certificate.  Then:
#  1. one node with CASSANDRA_CLIENT_ENCRYPTION=required,
#     CASSANDRA_INTERNODE_ENCRYPTION=all, the PEM files as _FILE secrets and a
#     superuser password (so the first-start work runs over TLS too):
#     - `cass-entry --probe` (the HEALTHCHECK) reports ready over TLS, and
#       docker inspect says healthy;
#     - nodetool status: UN; the runtime cassandra.yaml names the PEM factory,
#       the two PEM files are mode 0600 and belong to cassandra;
#     - cqlsh --ssl with the CA works; plain cqlsh is refused;
#     - the probe with a wrong CA says not ready, with a clear line;
#     - no key material and no password in the log.
#  2. a node whose key does not match its certificate exits 78 with one line.
#  3. a node with client authentication (mTLS): the probe presents the
#     keystore's certificate and reports ready.
#
# Everything is labelled with this run's id and removed on exit.
set -uo pipefail
cd "$(dirname "$0")/../.." || exit 1
E2E_RUN=tls-$$-$(date +%s)
E2E_TMP=$(mktemp -d /tmp/cass-entry-tls.XXXXXX)
# shellcheck source=tests/e2e/lib.sh
. tests/e2e/lib.sh
NET=$E2E_RUN-net
MEM=${E2E_MEMORY:-1.5g}
TIMEOUT=${E2E_NODE_TIMEOUT:-300}
PW='tls-S3cret pw'

e2e_suite_begin tls tls
command -v openssl >/dev/null || fatal "the openssl command is missing (image/install-deps.sh)"
PREFIX=${SUBNET%.0/24}
IP1=$PREFIX.11 IP3=$PREFIX.13
ok "image $E2E_IMAGE, network $NET ($SUBNET)"

# ---- the certificates ----
S=$E2E_TMP/secrets
mkdir -p "$S"
certs() {
    cd "$S" || return 1
    openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.pem -days 30 -subj /CN=tls-suite-ca &&
    openssl req -x509 -newkey rsa:2048 -nodes -keyout wrong-ca.key -out wrong-ca.pem -days 30 -subj /CN=wrong-ca &&
    openssl req -newkey rsa:2048 -nodes -keyout stranger.key -out /dev/null -subj /CN=stranger &&
    for n in 1 3; do
        ip=$PREFIX.1$n
        openssl req -newkey rsa:2048 -nodes -keyout "node$n.key" -out "node$n.csr" -subj "/CN=cass$n" &&
        printf 'subjectAltName=DNS:cass%s,IP:%s,IP:127.0.0.1\n' "$n" "$ip" >"node$n.ext" &&
        openssl x509 -req -in "node$n.csr" -CA ca.pem -CAkey ca.key -CAcreateserial -days 5 \
            -extfile "node$n.ext" -out "node$n.pem" || return 1
    done
    printf '%s\n' "$PW" >pw
    # read by cass-entry as root through the bind mount; the copies it makes are 0600
    chmod 644 ./*
}
(certs) >"$E2E_TMP/openssl.log" 2>&1 || { comment <"$E2E_TMP/openssl.log"; fatal "openssl could not make the certificates"; }
ok "certificates made with openssl: a CA, cass1 and cass3 (SAN name and address), another CA, a stray key"

e2e_labels tls
# run_node NAME IP CERT KEY [docker run options...]: one node with TLS on both sides
run_node() {
    local name=$1 ip=$2 cert=$3 key=$4
    shift 4
    docker run -d --name "$E2E_RUN-$name" --hostname "$name" --network "$NET" --ip "$ip" \
        --network-alias "$name" --memory "$MEM" --stop-timeout 120 "${E2E_LBL[@]}" \
        -v "$S:/run/secrets/tls:ro" \
        -e "CASSANDRA_TLS_CERT_FILE=/run/secrets/tls/$cert" -e "CASSANDRA_TLS_KEY_FILE=/run/secrets/tls/$key" \
        -e CASSANDRA_TLS_CA_FILE=/run/secrets/tls/ca.pem \
        -e CASSANDRA_CLIENT_ENCRYPTION=required -e CASSANDRA_INTERNODE_ENCRYPTION=all \
        -e "JVM_EXTRA_OPTS=$E2E_FAST_OPTS" -e CASSANDRA_CLUSTER_NAME=tls "$@" "$E2E_IMAGE" "$name" \
        >/dev/null 2>"$E2E_TMP/run.err" || { comment <"$E2E_TMP/run.err"; return 1; }
}
# probe_until CONTAINER: until `cass-entry --probe` in it says ready (or it stopped).
probe_until() {
    local i
    for i in $(seq 1 "$TIMEOUT"); do
        docker exec "$1" cass-entry --probe >"$E2E_TMP/probe.out" 2>&1 && return 0
        [ "$(docker inspect -f '{{.State.Running}}' "$1" 2>/dev/null)" = true ] || return 1
        sleep 1
    done
    return 1
}
health_of() { # health_of CONTAINER: waits up to 2 minutes for healthy
    local h="" i
    for i in $(seq 1 60); do
        h=$(docker inspect -f '{{.State.Health.Status}}' "$1")
        [ "$h" = healthy ] && break
        sleep 2
    done
    echo "$h"
}

# ---- 1. client encryption required, internode all ----
t0=$SECONDS
run_node cass1 "$IP1" node1.pem node1.key -e CASSANDRA_PASSWORD_FILE=/run/secrets/tls/pw || fatal "docker run cass1 failed"
# ---- 3. (started now, checked later) the same with client authentication ----
run_node cass3 "$IP3" node3.pem node3.key -e CASSANDRA_CLIENT_AUTH=true || fatal "docker run cass3 failed"
N1=$E2E_RUN-cass1 N3=$E2E_RUN-cass3
if probe_until "$N1"; then
    ok "cass-entry --probe reports ready over TLS ($((SECONDS - t0)) s): $(head -1 "$E2E_TMP/probe.out")"
    grep -q '(TLS)$' "$E2E_TMP/probe.out" || not_ok "the probe's ready line does not say TLS"
else
    comment <"$E2E_TMP/probe.out"; e2e_logs_tail "$N1" 40; fatal "cass1 never became ready"
fi
health=$(health_of "$N1")
if [ "$health" = healthy ]; then ok "the HEALTHCHECK reports healthy"; else not_ok "health: $health"; fi
rows=$(e2e_ring_rows "$N1")
if [ "$rows" = "UN $IP1" ]; then ok "nodetool status: $rows"; else not_ok "nodetool status: '$rows'"; fi
if docker logs "$N1" 2>&1 | grep -q 'cass-entry: first start: done'; then
    ok "the first-start work (the superuser's password) ran over TLS"
else
    e2e_logs_tail "$N1" 20; not_ok "no 'first start: done' in cass1's log"
fi

# The runtime conf: where cass-entry wrote it, what it says, who owns the PEM files.
conf=$(docker exec "$N1" sh -c 'for d in /tmp/cass-entry/conf /etc/cassandra /opt/cassandra/conf; do
    [ -f "$d/cass-entry-keystore.pem" ] && { echo "$d"; break; }; done')
if [ -n "$conf" ]; then
    modes=$(docker exec "$N1" stat -c '%a %U %n' "$conf/cass-entry-keystore.pem" "$conf/cass-entry-truststore.pem")
    if [ "$(awk '{ print $1, $2 }' <<<"$modes" | sort -u)" = "600 cassandra" ]; then
        ok "the PEM files are 0600 and Cassandra's: $(tr '\n' ';' <<<"$modes")"
    else
        echo "$modes" | comment; not_ok "the PEM files' modes or owner"
    fi
    factory=$(docker exec "$N1" yamlpatch get "$conf/cassandra.yaml" client_encryption_options.ssl_context_factory.class_name)
    inter=$(docker exec "$N1" yamlpatch get "$conf/cassandra.yaml" server_encryption_options.internode_encryption)
    if [ "$factory" = org.apache.cassandra.security.PEMBasedSslContextFactory ] && [ "$inter" = all ]; then
        ok "$conf/cassandra.yaml: PEMBasedSslContextFactory, internode_encryption: all"
    else
        not_ok "$conf/cassandra.yaml: factory '$factory', internode_encryption '$inter'"
    fi
else
    not_ok "no cass-entry-keystore.pem in the container's conf dirs"
fi

CQL="SELECT release_version FROM system.local"
out=$(docker exec -e SSL_CERTFILE=/run/secrets/tls/ca.pem -e SSL_VALIDATE=true "$N1" \
    cqlsh --ssl -u cassandra -p "$PW" "$IP1" -e "$CQL" 2>&1)
if grep -q '5\.0\.' <<<"$out"; then
    ok "cqlsh --ssl with the CA (validated) works: $(grep -o '5\.0\.[0-9]*' <<<"$out" | head -1)"
else
    echo "$out" | tail -5 | comment; not_ok "cqlsh --ssl with the CA failed"
fi
out=$(docker exec "$N1" cqlsh -u cassandra -p "$PW" --connect-timeout 10 "$IP1" -e "$CQL" 2>&1)
rc=$?
if [ $rc -ne 0 ] && ! grep -q '5\.0\.' <<<"$out"; then
    ok "plain cqlsh is refused (exit $rc: $(grep -m1 -o 'Unable to connect[^.]*\|Connection.*' <<<"$out" | cut -c1-100))"
else
    echo "$out" | tail -3 | comment; not_ok "plain cqlsh was not refused"
fi

# The probe against the same node with another CA: a copy of the runtime
# conf whose truststore is the wrong CA.
docker exec "$N1" sh -c "rm -rf /tmp/wrongca && mkdir /tmp/wrongca && cp '$conf/cassandra.yaml' /tmp/wrongca/ &&
    cp /run/secrets/tls/wrong-ca.pem /tmp/wrongca/ &&
    yamlpatch set -i /tmp/wrongca/cassandra.yaml client_encryption_options.truststore=/tmp/wrongca/wrong-ca.pem" \
    >"$E2E_TMP/wrongca.out" 2>&1 || comment <"$E2E_TMP/wrongca.out"
out=$(docker exec -e CASS_ENTRY_RUNTIME_DIR=/tmp/wrongca "$N1" cass-entry --probe 2>&1)
rc=$?
if [ $rc -eq 1 ] && [ "$(grep -c . <<<"$out")" -eq 1 ] && grep -q "not ready: .*TLS: the node's certificate is refused" <<<"$out"; then
    ok "the probe with a wrong CA: exit 1, one line: $out"
else
    echo "$out" | comment; not_ok "the probe with a wrong CA: exit $rc"
fi

# Probe speed: 20 probes over TLS inside the container.
ms=$(docker exec "$N1" sh -c 'a=$(date +%s%N); for i in 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20; do
    cass-entry --probe >/dev/null || exit 1; done; b=$(date +%s%N); echo $(( (b - a) / 20000000 ))')
if [ -n "$ms" ]; then ok "probe over TLS: $ms ms each (mean of 20, in the container)"; else not_ok "the probe failed while timed"; fi

docker logs "$N1" >"$E2E_TMP/log" 2>&1
if grep -q 'PRIVATE KEY\|MII' "$E2E_TMP/log" || grep -qF "$PW" "$E2E_TMP/log"; then
    not_ok "key material or the password is in cass1's log"
else
    ok "no key material and no password in cass1's log"
fi

# ---- 2. a key that is not the certificate's ----
run_node cass2 "$PREFIX.12" node1.pem stranger.key || fatal "docker run cass2 failed"
N2=$E2E_RUN-cass2
code=$(timeout 120 docker wait "$N2" 2>/dev/null)
docker logs "$N2" >"$E2E_TMP/log2" 2>&1
errs=$(grep -c '^cass-entry: CASSANDRA_TLS' "$E2E_TMP/log2")
line=$(grep '^cass-entry: CASSANDRA_TLS' "$E2E_TMP/log2")
if [ "$code" = 78 ] && [ "$errs" -eq 1 ] && [[ $line == *"CASSANDRA_TLS_KEY_FILE does not match the first certificate of CASSANDRA_TLS_CERT_FILE"* ]] &&
    ! grep -q 'PRIVATE KEY\|MII' "$E2E_TMP/log2"; then
    ok "a mismatched key: exit 78, one line: $line"
else
    comment <"$E2E_TMP/log2"; not_ok "a mismatched key: exit '$code', $errs lines"
fi

# ---- 3. client authentication: the probe presents the keystore's certificate ----
if probe_until "$N3"; then
    ok "mTLS node: cass-entry --probe presents its certificate and reports ready: $(head -1 "$E2E_TMP/probe.out")"
else
    comment <"$E2E_TMP/probe.out"; e2e_logs_tail "$N3" 30; not_ok "mTLS node never became ready"
fi
out=$(docker exec -e SSL_CERTFILE=/run/secrets/tls/ca.pem "$N3" cqlsh --ssl "$IP3" -e "$CQL" 2>&1)
if ! grep -q '5\.0\.' <<<"$out"; then
    ok "mTLS node: cqlsh --ssl without a client certificate is refused"
else
    not_ok "mTLS node: cqlsh --ssl without a client certificate got in"
fi
health=$(health_of "$N3")
if [ "$health" = healthy ]; then ok "mTLS node: the HEALTHCHECK reports healthy"; else not_ok "mTLS node health: $health"; fi
