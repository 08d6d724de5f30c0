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
#  3b. CASSANDRA_TLS_STORE=pkcs12 (what Cassandra before 4.1 gets): PKCS#12
#     stores written by cass-entry (0600, Cassandra's, a random password that
#     no log shows) that Java's keytool reads; the probe and cqlsh --ssl work.
#  4. `cass-provision up -n 3 --tls`: its own CA and node certificates (0600,
#     kept with the cluster, verified with openssl), 3 x UN through the gate,
#     status says TLS, the HEALTHCHECK healthy, cqlsh --ssl with a client
#     certificate works and plain cqlsh is refused, the Python driver reads and
#     writes at QUORUM over mTLS, the log shows internode TLS, and a node with a
#     certificate of another CA does not join (its log says why); each node's
#     address pinned on the network and named in its certificate, the nodes
#     verifying their peers' addresses, so a node with a certificate of the
#     cluster's CA for another address is not UN (the others' log says why).
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
# check WHAT COMMAND...: ok when the command succeeds
check() { local what=$1; shift; if "$@"; then ok "$what"; else not_ok "$what"; fi; }
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

# ---- 3b. CASSANDRA_TLS_STORE=pkcs12: the same PEM secrets as PKCS#12 stores ----
# What Cassandra before 4.1 gets (it has no PEM factory); asked for here on
# 5.0, whose default factory reads PKCS#12 stores too.
t0=$SECONDS
run_node cass5 "$PREFIX.15" node1.pem node1.key -e CASSANDRA_TLS_STORE=pkcs12 || fatal "docker run cass5 failed"
N5=$E2E_RUN-cass5
if probe_until "$N5"; then
    ok "pkcs12 stores: cass-entry --probe reports ready over TLS ($((SECONDS - t0)) s): $(head -1 "$E2E_TMP/probe.out")"
else
    comment <"$E2E_TMP/probe.out"; e2e_logs_tail "$N5" 40; not_ok "the pkcs12 node never became ready"
fi
conf5=$(docker exec "$N5" sh -c 'for d in /tmp/cass-entry/conf /etc/cassandra /opt/cassandra/conf; do
    [ -f "$d/cass-entry-keystore.p12" ] && { echo "$d"; break; }; done')
if [ -n "$conf5" ]; then
    y=$conf5/cassandra.yaml
    ks=$(docker exec "$N5" yamlpatch get "$y" client_encryption_options.keystore)
    st=$(docker exec "$N5" yamlpatch get "$y" server_encryption_options.store_type 2>/dev/null)
    factory=$(docker exec "$N5" yamlpatch get "$y" client_encryption_options.ssl_context_factory.class_name 2>/dev/null)
    pw5=$(docker exec "$N5" yamlpatch get "$y" client_encryption_options.keystore_password)
    modes=$(docker exec "$N5" stat -c '%a %U' "$conf5/cass-entry-keystore.p12" "$conf5/cass-entry-truststore.p12" | sort -u)
    # shellcheck disable=SC2016 # the values come as arguments
    check "pkcs12 stores: $ks and the truststore, 0600 and Cassandra's; store_type ${st:-unset}; no PEM factory; a password of 30 hex digits" \
        bash -c '[ "$1" = "$2/cass-entry-keystore.p12" ] && [ "$3" = "600 cassandra" ] && [[ $4 != *PEMBased* ]] && [[ $5 =~ ^[0-9a-f]{30}$ ]]' \
        _ "$ks" "$conf5" "$modes" "$factory" "$pw5"
    kt=$(docker exec "$N5" sh -c "keytool -list -storetype PKCS12 -keystore '$conf5/cass-entry-keystore.p12' -storepass '$pw5'; keytool -list -storetype PKCS12 -keystore '$conf5/cass-entry-truststore.p12' -storepass '$pw5'" 2>&1)
    # shellcheck disable=SC2016 # the values come as arguments
    check "pkcs12 stores: Java's keytool reads them: a PrivateKeyEntry and a trustedCertEntry" \
        bash -c 'grep -q PrivateKeyEntry <<<"$1" && grep -q trustedCertEntry <<<"$1"' _ "$kt"
    grep -q PrivateKeyEntry <<<"$kt" || echo "$kt" | tail -5 | comment
    docker logs "$N5" >"$E2E_TMP/log5" 2>&1
    # shellcheck disable=SC2016 # the values come as arguments
    check "pkcs12 stores: the stores' password is in no log line" bash -c '! grep -qF "$1" "$2"' _ "${pw5:-none}" "$E2E_TMP/log5"
else
    e2e_logs_tail "$N5" 30; not_ok "no cass-entry-keystore.p12 in the pkcs12 node's conf dirs"
fi
out=$(docker exec -e SSL_CERTFILE=/run/secrets/tls/ca.pem -e SSL_VALIDATE=true "$N5" \
    cqlsh --ssl "$PREFIX.15" -e "$CQL" 2>&1)
if grep -q '5\.0\.' <<<"$out"; then
    ok "pkcs12 stores: cqlsh --ssl with the CA (validated) works: Cassandra serves the keystore's certificate"
else
    echo "$out" | tail -5 | comment; not_ok "pkcs12 stores: cqlsh --ssl failed"
fi
docker rm -f "$N5" >/dev/null 2>&1

# ---- 4. cass-provision up --tls: a 3-node ring, everything encrypted ----
# Its own CA and certificates (provision/pki.c), internode encryption all,
# clients required to use TLS with a certificate of the cluster's CA.
docker rm -f "$N1" "$N2" "$N3" >/dev/null 2>&1 # CPU for the ring
PROV=${BUILD_DIR:-build}/cass-provision
PP=tp$$
TLSDIR=$E2E_TMP/provision-tls
[ -x "$PROV" ] || fatal "$PROV is missing (make)"
# shellcheck disable=SC2317  # run by the trap
tls_suite_end() {
    local rc=$?
    "$PROV" down --prefix "$PP" --volumes >/dev/null 2>&1
    (exit "$rc")
    e2e_suite_end
}
trap tls_suite_end EXIT
t0=$SECONDS
"$PROV" up -n 3 --tls --tls-dir "$TLSDIR" --prefix "$PP" --image "$E2E_IMAGE" --timeout "$TIMEOUT" \
    -e "JVM_EXTRA_OPTS=$E2E_FAST_OPTS" >"$E2E_TMP/up.out" 2>&1
rc=$?
if [ $rc -eq 0 ] && [ "$(grep -cE "^\S+\s+${PP}[123]\s+\S+\s+UN\s" "$E2E_TMP/up.out")" -eq 3 ]; then
    ok "up -n 3 --tls: exit 0 in $((SECONDS - t0)) s, the gate passed (the probe over mTLS), 3 x UN"
else
    comment <"$E2E_TMP/up.out"; fatal "up -n 3 --tls (exit $rc)"
fi
modes=$(stat -c '%a %n' "$TLSDIR" "$TLSDIR"/* | sed "s|$TLSDIR|DIR|")
if [ "$(awk '{print $1}' <<<"$modes" | sort -u | tr '\n' ' ')" = "600 700 " ] &&
   [ "$(cd "$TLSDIR" && LC_ALL=C && printf '%s ' ./*)" = "./ca-key.pem ./ca.pem ./client-key.pem ./client.pem ./${PP}1-key.pem ./${PP}1.pem ./${PP}2-key.pem ./${PP}2.pem ./${PP}3-key.pem ./${PP}3.pem " ]; then
    ok "the CA, a certificate per node and the client's, each 0600 in a 0700 directory kept with the cluster"
else
    echo "$modes" | comment; not_ok "the certificate files or their modes"
fi
if openssl verify -CAfile "$TLSDIR/ca.pem" "$TLSDIR/${PP}2.pem" >/dev/null 2>&1 &&
   openssl x509 -in "$TLSDIR/${PP}2.pem" -noout -ext subjectAltName 2>/dev/null | grep -q "DNS:${PP}2"; then
    ok "${PP}2's certificate: signed by the cluster's CA (openssl verify), DNS name ${PP}2"
else
    not_ok "${PP}2's certificate does not verify or lacks its name"
fi
# Pinned addresses: the network keeps the engine's subnet, the engine gives
# addresses from its lower half, each node has its own above it, and its
# certificate names it; the nodes check that of their peers.
read -r net_subnet net_range <<<"$(docker network inspect -f '{{range .IPAM.Config}}{{.Subnet}} {{.IPRange}}{{end}}' "$PP-net" 2>/dev/null)"
pinned_ok=1
for i in 1 2 3; do
    ip=$(docker inspect -f "{{(index .NetworkSettings.Networks \"$PP-net\").IPAddress}}" "${PP}$i" 2>/dev/null)
    want=$(docker inspect -f "{{with (index .NetworkSettings.Networks \"$PP-net\").IPAMConfig}}{{.IPv4Address}}{{end}}" "${PP}$i" 2>/dev/null)
    san=$(openssl x509 -in "$TLSDIR/${PP}$i.pem" -noout -ext subjectAltName 2>/dev/null | tail -n +2 | tr -d ' ')
    verify=$(docker exec "${PP}$i" sh -c 'for d in /tmp/cass-entry/conf /etc/cassandra /opt/cassandra/conf; do
        [ -f "$d/cass-entry-keystore.pem" ] && exec yamlpatch get "$d/cassandra.yaml" server_encryption_options.require_endpoint_verification; done' 2>/dev/null)
    if [ -z "$ip" ] || [ "$ip" != "$want" ] || [ "$san" != "DNS:${PP}$i,IPAddress:$ip" ] || [ "$verify" != true ]; then
        pinned_ok=
        echo "${PP}$i: address $ip, pinned '$want', SAN '$san', require_endpoint_verification '$verify'" | comment
    fi
done
if [ -n "$pinned_ok" ] && [ -n "$net_subnet" ] && [ "${net_range%/*}" = "${net_subnet%/*}" ] &&
   [ "${net_range#*/}" = "$(( ${net_subnet#*/} + 1 ))" ]; then
    ok "--tls: network $net_subnet, the engine's addresses from $net_range; each node pinned above it, its certificate naming its name and that address, require_endpoint_verification: true"
else
    not_ok "--tls: pinned addresses (network '$net_subnet', range '$net_range')"
fi
"$PROV" status --prefix "$PP" >"$E2E_TMP/status.out" 2>&1; rc=$?
if [ $rc -eq 0 ] && grep -q '^TLS: on (internode encryption all; clients: TLS required, with a client certificate)$' "$E2E_TMP/status.out"; then
    ok "status: exit 0, says TLS is on: $(grep '^TLS' "$E2E_TMP/status.out")"
else
    comment <"$E2E_TMP/status.out"; not_ok "status does not say TLS is on (exit $rc)"
fi
health=$(health_of "${PP}1")
if [ "$health" = healthy ]; then ok "--tls: ${PP}1's HEALTHCHECK reports healthy"; else not_ok "--tls: ${PP}1 health: $health"; fi

# cqlsh inside a node, by its name (the certificate's DNS name), with the CA
# and the node's own certificate as the client's.
cqlshrc='[ssl]
certfile = /run/secrets/cassandra-tls-ca.pem
validate = true
userkey = /run/secrets/cassandra-tls-key.pem
usercert = /run/secrets/cassandra-tls-cert.pem'
out=$(docker exec "${PP}1" sh -c "printf '%s\n' '$cqlshrc' >/tmp/cqlshrc && cqlsh --cqlshrc /tmp/cqlshrc --ssl ${PP}1 -e '$CQL'" 2>&1)
if grep -q '5\.0\.' <<<"$out"; then
    ok "--tls: cqlsh --ssl with the CA (validated) and a client certificate works"
else
    echo "$out" | tail -5 | comment; not_ok "--tls: cqlsh --ssl failed"
fi
out=$(docker exec "${PP}1" cqlsh --connect-timeout 10 "${PP}1" -e "$CQL" 2>&1); rc=$?
if [ $rc -ne 0 ] && ! grep -q '5\.0\.' <<<"$out"; then
    ok "--tls: plain cqlsh is refused (exit $rc)"
else
    not_ok "--tls: plain cqlsh was not refused"
fi

# The Python driver of the image, mTLS with client.pem, QUORUM writes and reads.
cat >"$E2E_TMP/mtls.py" <<'PY'
import ssl, sys
from cassandra import ConsistencyLevel
from cassandra.cluster import Cluster, ExecutionProfile, EXEC_PROFILE_DEFAULT
from cassandra.policies import RoundRobinPolicy
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
ctx.check_hostname = False  # the driver dials the peers' addresses; the CA is what is checked
ctx.verify_mode = ssl.CERT_REQUIRED
ctx.load_verify_locations("/tls/ca.pem")
ctx.load_cert_chain("/tls/client.pem", "/tls/client-key.pem")
profile = ExecutionProfile(consistency_level=ConsistencyLevel.QUORUM, load_balancing_policy=RoundRobinPolicy())
cluster = Cluster(sys.argv[1].split(","), ssl_context=ctx, execution_profiles={EXEC_PROFILE_DEFAULT: profile},
                  protocol_version=5, connect_timeout=20)
s = cluster.connect()
s.execute("CREATE KEYSPACE IF NOT EXISTS mtls WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 3}")
s.execute("CREATE TABLE IF NOT EXISTS mtls.t (k int PRIMARY KEY, v text)")
ins = s.prepare("INSERT INTO mtls.t (k, v) VALUES (?, ?)")
for k in range(100):
    s.execute(ins, (k, "v%d" % k))
rows = sorted((r.k, r.v) for r in s.execute("SELECT k, v FROM mtls.t"))
hosts = sorted(h.address for h in cluster.metadata.all_hosts() if h.is_up)
ok = rows == [(k, "v%d" % k) for k in range(100)]
print("%s: 100 rows written and read back at QUORUM over mTLS, %d hosts up" % ("ok" if ok else "wrong rows", len(hosts)))
cluster.shutdown()
sys.exit(0 if ok and len(hosts) == 3 else 1)
PY
out=$(docker run --rm --network "$PP-net" --memory 512m "${E2E_LBL[@]}" -v "$TLSDIR:/tls:ro" \
    -v "$E2E_TMP/mtls.py:/mtls.py:ro" -e PYTHONPATH=/opt/cassandra/pylib --entrypoint python3 \
    "$E2E_IMAGE" /mtls.py "${PP}1,${PP}2,${PP}3" 2>&1); rc=$?
if [ $rc -eq 0 ]; then ok "--tls: the Python driver with a client certificate: $(tail -1 <<<"$out")"
else echo "$out" | tail -8 | comment; not_ok "--tls: the Python driver over mTLS (exit $rc)"; fi

# Internode TLS, as the nodes themselves log it.
docker logs "${PP}2" >"$E2E_TMP/log-p2" 2>&1
# Cassandra logs each internode connection it opens, with its TLS session:
# "... successfully connected, version = 12, framing = CRC, encryption =
# encrypted(factory=openssl;protocol=TLSv1.3;cipher=...)"
line=$(grep -m1 -oE 'successfully connected, .*encryption = encrypted\(.*protocol=TLSv1\.[23].*\)' "$E2E_TMP/log-p2")
if [ -n "$line" ] && ! grep -qE 'encryption = unencrypted' "$E2E_TMP/log-p2"; then
    ok "--tls: ${PP}2's log shows its internode sessions over TLS, none without: $(cut -c1-160 <<<"$line")"
else grep -iE 'tls|ssl|encrypt' "$E2E_TMP/log-p2" | head -10 | comment; not_ok "--tls: no internode TLS in ${PP}2's log"; fi

# A node whose certificate comes from another CA (section 1's) does not join.
docker run -d --name "$E2E_RUN-stranger" --hostname stranger --network "$PP-net" --memory "$MEM" \
    "${E2E_LBL[@]}" -v "$S:/run/secrets/tls:ro" \
    -e CASSANDRA_TLS_CERT_FILE=/run/secrets/tls/node1.pem -e CASSANDRA_TLS_KEY_FILE=/run/secrets/tls/node1.key \
    -e CASSANDRA_TLS_CA_FILE=/run/secrets/tls/ca.pem -e CASSANDRA_CLIENT_ENCRYPTION=required \
    -e CASSANDRA_INTERNODE_ENCRYPTION=all -e "JVM_EXTRA_OPTS=$E2E_FAST_OPTS" \
    -e CASSANDRA_CLUSTER_NAME=cass-entry "$E2E_IMAGE" "${PP}1" >/dev/null 2>"$E2E_TMP/run.err" || comment <"$E2E_TMP/run.err"
joined=""
for _ in $(seq 1 90); do
    docker logs "$E2E_RUN-stranger" 2>&1 | grep -qiE 'SSLHandshakeException|PKIX path|certificate_unknown|unable to find valid certification' && break
    sleep 2
done
sip=$(docker inspect -f "{{(index .NetworkSettings.Networks \"$PP-net\").IPAddress}}" "$E2E_RUN-stranger" 2>/dev/null)
e2e_ring_rows "${PP}1" | grep -q " $sip\$" && joined=yes
why=$(docker logs "$E2E_RUN-stranger" 2>&1 | grep -m1 -oiE '[a-z.]*(SSLHandshakeException|PKIX path[^.]*|unable to find valid certification path[^.]*)' | head -1)
if [ -z "$joined" ] && [ -n "$why" ]; then
    ok "a node with a certificate of another CA does not join (not in ${PP}1's ring); its log says why: $why"
else
    docker logs "$E2E_RUN-stranger" 2>&1 | tail -15 | comment; not_ok "the stranger node: joined '$joined', why '$why'"
fi
docker rm -f "$E2E_RUN-stranger" >/dev/null 2>&1

# A node with a certificate of the cluster's own CA that names another
# address: the nodes check their peers' identity (require_endpoint_verification),
# so its connections are refused and it does not join; the seed's log says why
# (Cassandra 5.0.1 with the OpenSSL engine logs the inbound refusal as a
# CertificateException of the endpoint identification).
(cd "$E2E_TMP" && openssl req -newkey rsa:2048 -nodes -keyout imposter.key -out imposter.csr -subj "/CN=${PP}9" &&
 printf 'subjectAltName=DNS:%s9,IP:10.255.255.9\n' "$PP" >imposter.ext &&
 openssl x509 -req -in imposter.csr -CA "$TLSDIR/ca.pem" -CAkey "$TLSDIR/ca-key.pem" -CAcreateserial -days 1 \
     -extfile imposter.ext -out imposter.pem && chmod 644 imposter.pem imposter.key && cp "$TLSDIR/ca.pem" imposter-ca.pem &&
 chmod 644 imposter-ca.pem) >"$E2E_TMP/imposter.log" 2>&1 || comment <"$E2E_TMP/imposter.log"
docker run -d --name "$E2E_RUN-imposter" --hostname "${PP}9" --network "$PP-net" --memory "$MEM" \
    "${E2E_LBL[@]}" -v "$E2E_TMP/imposter.pem:/run/secrets/c.pem:ro" -v "$E2E_TMP/imposter.key:/run/secrets/k.pem:ro" \
    -v "$E2E_TMP/imposter-ca.pem:/run/secrets/ca.pem:ro" \
    -e CASSANDRA_TLS_CERT_FILE=/run/secrets/c.pem -e CASSANDRA_TLS_KEY_FILE=/run/secrets/k.pem \
    -e CASSANDRA_TLS_CA_FILE=/run/secrets/ca.pem -e CASSANDRA_CLIENT_ENCRYPTION=required \
    -e CASSANDRA_INTERNODE_ENCRYPTION=all -e CASSANDRA_INTERNODE_ENDPOINT_VERIFICATION=true \
    -e "JVM_EXTRA_OPTS=$E2E_FAST_OPTS" -e CASSANDRA_CLUSTER_NAME=cass-entry "$E2E_IMAGE" "${PP}1" \
    >/dev/null 2>"$E2E_TMP/run.err" || comment <"$E2E_TMP/run.err"
iip=$(docker inspect -f "{{(index .NetworkSettings.Networks \"$PP-net\").IPAddress}}" "$E2E_RUN-imposter" 2>/dev/null)
why=
for _ in $(seq 1 90); do
    why=$(docker logs "${PP}1" 2>&1 | grep -F -A40 "handshake with peer /$iip:" |
          grep -m1 -oE 'java\.security\.cert\.CertificateException: .*')
    [ -n "$why" ] && break
    sleep 2
done
state=$(e2e_ring_rows "${PP}1" | awk -v ip="$iip" '$2 == ip { print $1 }')
if [ -n "$iip" ] && [ -n "$why" ] && [ "$state" != UN ]; then
    ok "--tls: a node whose certificate (of the cluster's CA) names another address is not UN (${state:-not in the ring}); ${PP}1 refused its handshakes: $why"
else
    docker logs "${PP}1" 2>&1 | grep -iE 'ssl|handshake|certif' | tail -5 | comment
    not_ok "--tls: the imposter at '$iip': ring state '$state', no refused handshake with it in ${PP}1's log"
fi
docker rm -f "$E2E_RUN-imposter" >/dev/null 2>&1
"$PROV" down --prefix "$PP" --volumes >"$E2E_TMP/down.out" 2>&1; rc=$?
if [ $rc -eq 0 ] && [ -z "$(docker ps -aq --filter "label=io.cass-entry.cluster=$PP")" ]; then ok "down --volumes of the TLS cluster"
else comment <"$E2E_TMP/down.out"; not_ok "down --volumes of the TLS cluster (exit $rc)"; fi
