#!/usr/bin/env bash
# The bash -c '...' checks get their values as arguments, on purpose (SC2016);
# cleanup runs from the trap (SC2317).
# shellcheck disable=SC2016,SC2317
# tests/suites/engine.sh: the provisioner's Docker Engine API client
# (provision/engine, stream, buildctx, docker) against the real local dockerd
# and a real docker-registry, through tests/drivers/engine_cli.c.
#
# The suite starts the engine if needed (image/dockerd.sh) and its own
# registry (`docker-registry serve` with a config written here: storage in a
# temporary directory, a free port on 127.0.0.1, no auth).  It builds a tiny
# FROM-scratch image holding a static program (engine-child) with a
# .dockerignore, tags and pushes it and checks the registry's own view
# (/v2/_catalog, tags/list, Docker-Content-Digest), then the failure paths: a
# build failing under HTTP 200, a context without Dockerfile, TLS spoken to a
# plain-HTTP port, an unreachable DOCKER_HOST, a push to a stopped registry;
# then containers: run, inspect, logs, exec (exit codes, stdout/stderr),
# list by label, stop, exec in a stopped container, remove; a network and a
# volume.  The docker CLI and curl serve as independent witnesses.
#
# All traffic stays on the loopback and the local unix socket.  Everything the
# suite creates is removed on exit, even on failure.
set -uo pipefail
cd "$(dirname "$0")/../.." || exit 1
BUILD_DIR=${BUILD_DIR:-build}
CLI=$BUILD_DIR/tests/engine-cli
CHILD=$BUILD_DIR/tests/engine-child
RUN_ID=engtest-$$
IMAGE=$RUN_ID:1
CTR=$RUN_ID-c
NET=$RUN_ID-net
VOL=$RUN_ID-vol

ok()     { echo "ok - $*"; }
not_ok() { echo "not ok - $*"; }
fatal()  { not_ok "$*"; exit 1; }
# check DESCRIPTION COMMAND...: ok when the command succeeds.
check()  { local d=$1; shift; if "$@"; then ok "$d"; else not_ok "$d"; fi; }
# Show a captured file as TAP comments (for failures).
show()   { sed 's/^/#   /' "$1" | head -20; }

tmp=$(mktemp -d)
REG_PID=
TLS_PID=
AUTH_REG_PID=
E2_PID=
STALE_PID=
PORT=
REPO=
cleanup() {
    docker rm -fv "$CTR" >/dev/null 2>&1 || true
    docker network rm "$NET" >/dev/null 2>&1 || true
    docker volume rm "$VOL" >/dev/null 2>&1 || true
    local imgs=()
    mapfile -t imgs < <(docker images --format '{{.Repository}}:{{.Tag}}' 2>/dev/null | grep -F "$RUN_ID")
    [ ${#imgs[@]} -gt 0 ] && docker rmi -f "${imgs[@]}" >/dev/null 2>&1
    # created (never started) containers of the export check
    docker ps -aq --filter "label=io.cass-entry.test=$RUN_ID" | xargs -r docker rm -f >/dev/null 2>&1
    [ -n "$REG_PID" ] && kill "$REG_PID" 2>/dev/null && wait "$REG_PID" 2>/dev/null
    [ -n "$TLS_PID" ] && kill "$TLS_PID" 2>/dev/null && wait "$TLS_PID" 2>/dev/null
    [ -n "$AUTH_REG_PID" ] && kill "$AUTH_REG_PID" 2>/dev/null && wait "$AUTH_REG_PID" 2>/dev/null
    [ -n "$E2_PID" ] && kill "$E2_PID" 2>/dev/null && sleep 2
    [ -n "$STALE_PID" ] && kill "$STALE_PID" 2>/dev/null
    [ -d "$tmp/gnupg" ] && GNUPGHOME=$tmp/gnupg gpgconf --kill gpg-agent >/dev/null 2>&1
    rm -rf "$tmp"
}
trap cleanup EXIT

# ---- preconditions
[ -x "$CLI" ] || fatal "$CLI was not built (run make)"
[ -x "$CHILD" ] || fatal "$CHILD was not built (run make)"
command -v docker-registry >/dev/null || fatal "docker-registry is not installed (image/install-deps.sh installs it)"
command -v curl >/dev/null || fatal "curl is not installed"
image/dockerd.sh >"$tmp/dockerd.log" 2>&1 || { show "$tmp/dockerd.log"; fatal "no Docker engine (image/dockerd.sh failed)"; }

# A free port on the loopback for the registry (not 5000: the provisioner's
# default, possibly in use by another run).
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
REPO=127.0.0.1:$PORT/$RUN_ID
mkdir -p "$tmp/registry"
cat >"$tmp/registry.yml" <<EOF
version: 0.1
log:
  level: warn
storage:
  filesystem:
    rootdirectory: $tmp/registry
http:
  addr: 127.0.0.1:$PORT
EOF
start_registry() {
    docker-registry serve "$tmp/registry.yml" >>"$tmp/registry.log" 2>&1 &
    REG_PID=$!
    for _ in $(seq 1 100); do
        curl -sf "http://127.0.0.1:$PORT/v2/" >/dev/null 2>&1 && return 0
        kill -0 "$REG_PID" 2>/dev/null || break
        sleep 0.1
    done
    show "$tmp/registry.log"
    return 1
}
start_registry || fatal "docker-registry did not answer on 127.0.0.1:$PORT"

# ---- ping and version negotiation
server_api=$(docker version --format '{{.Server.APIVersion}}')
want_api=$(printf '%s\n1.41\n' "$server_api" | sort -t. -k1,1n -k2,2n | head -1)
out=$("$CLI" ping 2>&1)
check "ping negotiates API $want_api (daemon $server_api, ours 1.41): '$out'" \
    test "$(echo "$out" | awk '{print $2}')" = "$want_api"
out=$(DOCKER_API_VERSION=1.40 "$CLI" ping 2>&1)
check "DOCKER_API_VERSION=1.40 is used as-is: '$out'" test "$(echo "$out" | awk '{print $2}')" = 1.40

# ---- build a FROM-scratch image
ctx=$tmp/ctx
mkdir -p "$ctx"
cp "$CHILD" "$ctx/engine-child"
echo "not for the image" >"$ctx/secret.txt"
printf '# keep secrets out\nsecret.txt\n' >"$ctx/.dockerignore"
cat >"$ctx/Dockerfile" <<EOF
FROM scratch
COPY . /ctx/
COPY engine-child /engine-child
LABEL io.cass-entry.test=$RUN_ID
ENTRYPOINT ["/engine-child"]
CMD ["serve"]
EOF
if "$CLI" build "$ctx" "$IMAGE" >"$tmp/build.out" 2>"$tmp/build.err"; then
    id=$(cat "$tmp/build.out")
    check "build: the image id printed is the engine's ($id)" \
        test "$id" = "$(docker image inspect --format '{{.Id}}' "$IMAGE" 2>/dev/null)"
    check "build: progress lines were streamed (Step 1/6)" grep -q "Step 1/6 : FROM scratch" "$tmp/build.err"
    docker create --name "$RUN_ID-export" "$IMAGE" >/dev/null 2>&1
    docker export "$RUN_ID-export" 2>/dev/null | tar -t >"$tmp/files" 2>/dev/null
    docker rm -f "$RUN_ID-export" >/dev/null 2>&1
    check "build: the context went as a tar (ctx/Dockerfile, ctx/engine-child in the image)" \
        grep -qx "ctx/engine-child" "$tmp/files"
    check "build: .dockerignore honoured (no ctx/secret.txt in the image)" \
        bash -c "grep -qx ctx/Dockerfile '$tmp/files' && ! grep -q secret '$tmp/files'"
else
    show "$tmp/build.err"
    fatal "build of $IMAGE failed"
fi

# ---- tag and push
if "$CLI" tag "$IMAGE" "$REPO" 1 2>"$tmp/tag.err"; then
    check "tag: $REPO:1 is the same image" \
        test "$(docker image inspect --format '{{.Id}}' "$REPO:1")" = "$id"
else
    show "$tmp/tag.err"; not_ok "tag $IMAGE as $REPO:1"
fi
out=$("$CLI" tag "$RUN_ID-missing:1" "$REPO" 9 2>&1)
check "tag of a missing image: 404 with the daemon's message ($out)" \
    bash -c '[[ $1 == *"[http]"* && $1 == *"No such image"* ]]' _ "$out"

if "$CLI" push "$REPO" 1 >"$tmp/push.out" 2>"$tmp/push.err"; then
    digest=$(cat "$tmp/push.out")
    ok "push $REPO:1 -> $digest"
    curl -sf "http://127.0.0.1:$PORT/v2/_catalog" >"$tmp/catalog"
    check "registry /v2/_catalog lists $RUN_ID: $(cat "$tmp/catalog")" grep -q "\"$RUN_ID\"" "$tmp/catalog"
    curl -sf "http://127.0.0.1:$PORT/v2/$RUN_ID/tags/list" >"$tmp/tags"
    check "registry tags/list has tag 1: $(cat "$tmp/tags")" grep -q '"tags":\["1"\]' "$tmp/tags"
    reg_digest=$(curl -sfI -H 'Accept: application/vnd.docker.distribution.manifest.v2+json' \
        "http://127.0.0.1:$PORT/v2/$RUN_ID/manifests/1" | tr -d '\r' |
        sed -n 's/^[Dd]ocker-[Cc]ontent-[Dd]igest: *//p')
    check "pushed digest = the registry's Docker-Content-Digest ($reg_digest)" \
        test -n "$digest" -a "$digest" = "$reg_digest"
    check "push progress was streamed (Pushed)" grep -q "Pushed" "$tmp/push.err"
else
    show "$tmp/push.err"; not_ok "push $REPO:1"
fi

# ---- a build that fails under HTTP 200
bad=$tmp/badctx
mkdir -p "$bad"
printf 'FROM scratch\nCOPY does-not-exist-%s /\n' "$RUN_ID" >"$bad/Dockerfile"
tar -C "$bad" -cf "$tmp/bad.tar" .
http=$(curl -s -o "$tmp/bad.raw" -w '%{http_code}' --unix-socket /var/run/docker.sock \
    -X POST -H 'Content-Type: application/x-tar' --data-binary @"$tmp/bad.tar" \
    "http://localhost/v1.41/build?rm=1&forcerm=1")
check "the premise: the daemon answers HTTP 200 with errorDetail for this build (got $http)" \
    bash -c "[ '$http' = 200 ] && grep -q errorDetail '$tmp/bad.raw'"
"$CLI" build "$bad" "$RUN_ID-bad:1" >/dev/null 2>"$tmp/bad.err"
rc=$?
last=$(tail -1 "$tmp/bad.err")
check "failing build: exit 125, [stream], the daemon's message: $last" \
    bash -c '[ "$1" = 125 ] && [[ $2 == *"[stream]"* && $2 == *"does-not-exist-"* ]]' _ "$rc" "$last"

empty=$tmp/emptyctx
mkdir -p "$empty"
echo x >"$empty/file"
out=$("$CLI" build "$empty" "$RUN_ID-none:1" 2>&1 >/dev/null)
check "context without Dockerfile: [http] 500 with the daemon's message: $out" \
    bash -c '[[ $1 == *"[http]"* && $1 == *"HTTP 500"* && $1 == *"Dockerfile"* ]]' _ "$out"

# ---- connection failures
out=$(DOCKER_HOST=unix:///nonexistent/$RUN_ID.sock "$CLI" ping 2>&1); rc=$?
check "missing socket: exit 125, [unreachable], names DOCKER_HOST and the reason: $out" \
    bash -c '[ "$1" = 125 ] && [[ $2 == *"[unreachable]"* && $2 == *"unix:///nonexistent/"* && $2 == *"No such file"* ]]' _ "$rc" "$out"
# A socket file nobody listens on (a daemon that died).
python3 -c 'import socket,sys; socket.socket(socket.AF_UNIX).bind(sys.argv[1])' "$tmp/dead.sock"
out=$(DOCKER_HOST=unix://$tmp/dead.sock "$CLI" ping 2>&1); rc=$?
check "dead socket: exit 125, [unreachable], connection refused: $out" \
    bash -c '[ "$1" = 125 ] && [[ $2 == *"[unreachable]"* && $2 == *"connection refused"* ]]' _ "$rc" "$out"
out=$(DOCKER_HOST=tcp://127.0.0.1:1 "$CLI" ping 2>&1); rc=$?
check "refused TCP port: exit 125, [unreachable]: $out" \
    bash -c '[ "$1" = 125 ] && [[ $2 == *"[unreachable]"* && $2 == *"tcp://127.0.0.1:1"* ]]' _ "$rc" "$out"
out=$(DOCKER_HOST=ssh://somewhere "$CLI" ping 2>&1); rc=$?
check "unsupported scheme: [config]: $out" bash -c '[[ $1 == *"[config]"* ]]' _ "$out"
# TLS to a port that speaks plain HTTP (the registry): the handshake fails.
out=$(DOCKER_HOST=tcp://127.0.0.1:$PORT DOCKER_TLS=1 DOCKER_CERT_PATH=$tmp "$CLI" ping 2>&1); rc=$?
check "TLS handshake failure: exit 125, [tls]: $out" \
    bash -c '[ "$1" = 125 ] && [[ $2 == *"[tls]"* ]]' _ "$rc" "$out"
out=$(DOCKER_HOST=tcp://127.0.0.1:$PORT DOCKER_TLS_VERIFY=1 DOCKER_CERT_PATH=$tmp/nocerts "$CLI" ping 2>&1)
check "DOCKER_TLS_VERIFY without ca.pem: [config] naming the file: $out" \
    bash -c '[[ $1 == *"[config]"* && $1 == *"nocerts/ca.pem"* ]]' _ "$out"

# ---- TLS for real: a TLS server on the loopback with certificates made here
# (openssl s_server -WWW serves /_ping and /v1.41/version from files; it sends
# no Api-Version header, hence DOCKER_API_VERSION).  It demands a client
# certificate signed by the CA, as a dockerd with --tlsverify does.
tls_ok=false
if command -v openssl >/dev/null; then
    t=$tmp/tls
    mkdir -p "$t/good" "$t/other" "$t/nocert" "$t/www/v1.41"
    (
        cd "$t" || exit 1
        for ca in ca otherca; do
            openssl req -x509 -newkey rsa:2048 -nodes -keyout "$ca-key.pem" -out "$ca.pem" \
                -days 2 -subj "/CN=$ca"
        done
        openssl req -newkey rsa:2048 -nodes -keyout server-key.pem -out server.csr -subj /CN=127.0.0.1
        echo subjectAltName=IP:127.0.0.1 >server.ext
        openssl x509 -req -in server.csr -CA ca.pem -CAkey ca-key.pem -CAcreateserial \
            -out server.pem -days 2 -extfile server.ext
        openssl req -newkey rsa:2048 -nodes -keyout key.pem -out client.csr -subj /CN=client
        echo extendedKeyUsage=clientAuth >client.ext
        openssl x509 -req -in client.csr -CA ca.pem -CAkey ca-key.pem -CAcreateserial \
            -out cert.pem -days 2 -extfile client.ext
        cp ca.pem cert.pem key.pem good/
        cp otherca.pem other/ca.pem && cp cert.pem key.pem other/
        cp ca.pem nocert/
    ) >"$tmp/tls.log" 2>&1 && tls_ok=true
fi
if $tls_ok; then
    echo OK >"$t/www/_ping"
    echo '{"Version":"tls-fake-'"$RUN_ID"'","ApiVersion":"1.41"}' >"$t/www/v1.41/version"
    TPORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
    (cd "$t/www" && exec openssl s_server -accept "127.0.0.1:$TPORT" -cert ../server.pem \
        -key ../server-key.pem -CAfile ../ca.pem -Verify 1 -WWW -quiet) >"$tmp/s_server.log" 2>&1 &
    TLS_PID=$!
    for _ in $(seq 1 50); do
        (exec 3<>"/dev/tcp/127.0.0.1/$TPORT") 2>/dev/null && break
        sleep 0.1
    done
    tls() { DOCKER_HOST=tcp://127.0.0.1:$TPORT DOCKER_API_VERSION=1.41 DOCKER_CERT_PATH=$t/$1 "${@:2}" "$CLI" ping 2>&1; }
    out=$(tls good env DOCKER_TLS_VERIFY=1)
    check "TLS verified with CA and client certificate: '$out'" test "$out" = "api 1.41 server tls-fake-$RUN_ID"
    out=$(tls other env DOCKER_TLS_VERIFY=1)
    check "TLS: a server certificate from another CA is refused: [tls]: $out" \
        bash -c '[[ $1 == *"[tls]"* && $1 == *"other/ca.pem"* ]]' _ "$out"
    out=$(tls other env DOCKER_TLS=1)
    check "DOCKER_TLS=1 does not verify the server: '$out'" test "$out" = "api 1.41 server tls-fake-$RUN_ID"
    out=$(tls nocert env DOCKER_TLS_VERIFY=1)
    check "TLS without the client certificate the daemon demands: [tls]: $out" \
        bash -c '[[ $1 == *"[tls]"* && $1 == *"client certificate none"* ]]' _ "$out"
    out=$(tls good env)
    check "plain HTTP to a TLS port: a clear hint: $out" \
        bash -c '[[ $1 == *"DOCKER_TLS_VERIFY"* ]]' _ "$out"
    # Docker contexts, made by the real docker CLI: the endpoint and its TLS
    # files come from the context, picked as the CLI picks it.
    ctxcfg=$tmp/contexts
    mkdir -p "$ctxcfg"
    dctx() { env -u DOCKER_HOST -u DOCKER_CONTEXT DOCKER_CONFIG="$ctxcfg" docker context "$@" >>"$tmp/ctx.log" 2>&1; }
    viactx() { env -u DOCKER_HOST -u DOCKER_TLS_VERIFY -u DOCKER_CERT_PATH DOCKER_CONFIG="$ctxcfg" DOCKER_API_VERSION=1.41 "$@" "$CLI" ping 2>&1; }
    if dctx create "$RUN_ID-tls" --docker "host=tcp://127.0.0.1:$TPORT,ca=$t/ca.pem,cert=$t/cert.pem,key=$t/key.pem" &&
       dctx create "$RUN_ID-skip" --docker "host=tcp://127.0.0.1:$TPORT,ca=$t/otherca.pem,cert=$t/cert.pem,key=$t/key.pem,skip-tls-verify=true" &&
       dctx create "$RUN_ID-other" --docker "host=tcp://127.0.0.1:$TPORT,ca=$t/otherca.pem,cert=$t/cert.pem,key=$t/key.pem"; then
        out=$(viactx env DOCKER_CONTEXT="$RUN_ID-tls")
        check "DOCKER_CONTEXT: the context's host and TLS files (verified): '$out'" test "$out" = "api 1.41 server tls-fake-$RUN_ID"
        out=$(viactx env DOCKER_CONTEXT="$RUN_ID-other")
        check "a context whose CA did not sign the server: refused, [tls]: $out" \
            bash -c '[[ $1 == *"[tls]"* && $1 == *"/contexts/tls/"* ]]' _ "$out"
        out=$(viactx env DOCKER_CONTEXT="$RUN_ID-skip")
        check "a context with skip-tls-verify: '$out'" test "$out" = "api 1.41 server tls-fake-$RUN_ID"
        dctx use "$RUN_ID-tls"
        out=$(viactx env)
        check "\`docker context use\` (currentContext) without DOCKER_CONTEXT: '$out'" test "$out" = "api 1.41 server tls-fake-$RUN_ID"
        out=$(viactx env DOCKER_HOST=unix:///var/run/docker.sock)
        check "DOCKER_HOST wins over the current context: '$out'" \
            bash -c '[[ $1 == "api "* && $1 != *tls-fake* ]]' _ "$out"
        out=$(viactx env DOCKER_CONTEXT=nosuch)
        check "an unknown DOCKER_CONTEXT: [config] naming it: $out" \
            bash -c '[[ $1 == *"[config]"* && $1 == *"docker context \"nosuch\": no such context"* ]]' _ "$out"
    else
        show "$tmp/ctx.log"; not_ok "docker context create failed"
    fi
    kill "$TLS_PID" 2>/dev/null; wait "$TLS_PID" 2>/dev/null; TLS_PID=
else
    [ -f "$tmp/tls.log" ] && show "$tmp/tls.log"
    not_ok "TLS: could not make certificates (openssl $(command -v openssl || echo missing))"
fi

# ---- containers and exec
if "$CLI" run "$CTR" "$IMAGE" >"$tmp/run.out" 2>"$tmp/run.err"; then
    ok "run $CTR"
    for _ in $(seq 1 50); do
        grep -q serving <("$CLI" logs "$CTR" 5 2>/dev/null) && break
        sleep 0.1
    done
    "$CLI" inspect "$CTR" >"$tmp/inspect" 2>&1
    check "inspect: running, no healthcheck, IP $(docker inspect -f '{{.NetworkSettings.IPAddress}}' "$CTR"): $(cat "$tmp/inspect")" \
        grep -q "status running running 1 exit 0 oom 0 health - ip $(docker inspect -f '{{.NetworkSettings.IPAddress}}' "$CTR") " "$tmp/inspect"
    check "create: memory limit 64 MiB as the engine records it" \
        test "$(docker inspect -f '{{.HostConfig.Memory}} {{.HostConfig.MemorySwap}} {{.Config.StopTimeout}}' "$CTR")" = "67108864 67108864 3"
    out=$("$CLI" logs "$CTR" 5 2>&1)
    check "logs: decoded frames ('$out')" test "$out" = serving

    "$CLI" exec "$CTR" /engine-child say "hello $RUN_ID" "oops $RUN_ID" 3 >"$tmp/x.out" 2>"$tmp/x.err"
    rc=$?
    check "exec: exit code 3" test "$rc" = 3
    check "exec: stdout decoded ('$(cat "$tmp/x.out")')" test "$(cat "$tmp/x.out")" = "hello $RUN_ID"
    check "exec: stderr decoded ('$(cat "$tmp/x.err")')" test "$(cat "$tmp/x.err")" = "oops $RUN_ID"
    "$CLI" exec "$CTR" /engine-child say fine "" 0 >"$tmp/y.out" 2>&1
    check "exec: exit code 0" test $? = 0
    # detached: it returns at once, its end is polled (what `down` drains with)
    out=$(ENGINE_CLI_EXEC_TIMEOUT_MS=10000 "$CLI" exec-detached "$CTR" /engine-child say a b 5 2>&1)
    check "exec detached: started, then polled to its end: exit 5 ($(echo "$out" | tr '\n' ' '))" \
        bash -c '[[ $1 == "started in "*" ms"$'"'"'\n'"'"'"exit 5" ]]' _ "$out"
    out=$(ENGINE_CLI_EXEC_TIMEOUT_MS=1000 "$CLI" exec-detached "$CTR" /engine-child serve 2>&1)
    ms=$(echo "$out" | sed -n 's/^started in \([0-9]*\) ms$/\1/p')
    check "exec detached of a command that never ends: returns in ${ms:-?} ms, polled as still running" \
        bash -c '[ -n "$1" ] && [ "$1" -lt 1000 ] && [[ $2 == *"still running" ]]' _ "$ms" "$out"
    "$CLI" exec "$CTR" /no-such-program >"$tmp/z.out" 2>&1
    rc=$?
    check "exec of a missing program: 126/127 from the runtime, not an engine error (rc $rc)" \
        bash -c '[ "$1" = 126 ] || [ "$1" = 127 ]' _ "$rc"

    start=$(date +%s%N)
    out=$(ENGINE_CLI_EXEC_TIMEOUT_MS=1500 "$CLI" exec "$CTR" /engine-child serve 2>&1); rc=$?
    ms=$(( ($(date +%s%N) - start) / 1000000 ))
    check "exec that never ends: [timeout] after ${ms} ms (limit 1500): $out" \
        bash -c '[ "$1" = 125 ] && [[ $2 == *"[timeout]"* ]] && [ "$3" -lt 5000 ]' _ "$rc" "$out" "$ms"

    out=$("$CLI" list "io.cass-entry.test=engine" 2>&1)
    check "list by label finds $CTR" bash -c '[[ $1 == *"$2 running"* ]]' _ "$out" "$CTR"
    out=$("$CLI" list "io.cass-entry.test=nothing-$RUN_ID" 2>&1)
    check "list by another label finds nothing" test -z "$out"

    out=$("$CLI" run "$CTR" "$IMAGE" 2>&1)
    check "create with a taken name: 409 ($out)" bash -c '[[ $1 == *"HTTP 409"* ]]' _ "$out"

    start=$(date +%s%N)
    "$CLI" stop "$CTR" 10 >/dev/null 2>&1
    ms=$(( ($(date +%s%N) - start) / 1000000 ))
    "$CLI" inspect "$CTR" >"$tmp/inspect2" 2>&1
    check "stop: the container handled SIGTERM (${ms} ms) and exited 0: $(cat "$tmp/inspect2")" \
        bash -c "grep -q 'status exited running 0 exit 0' '$tmp/inspect2' && [ $ms -lt 9000 ]"
    out=$("$CLI" exec "$CTR" /engine-child say a b 0 2>&1)
    check "exec in a stopped container: 409 ($out)" bash -c '[[ $1 == *"[http]"* && $1 == *"HTTP 409"* ]]' _ "$out"
    "$CLI" rm "$CTR" >/dev/null 2>&1
    check "remove: gone from the engine" bash -c "! docker inspect '$CTR' >/dev/null 2>&1"
    out=$("$CLI" inspect "$CTR" 2>&1)
    check "inspect of a removed container: 404 ($out)" bash -c '[[ $1 == *"HTTP 404"* ]]' _ "$out"
else
    show "$tmp/run.err"; not_ok "run $CTR from $IMAGE"
fi
out=$("$CLI" run "$RUN_ID-noimg" "$RUN_ID-absent:1" 2>&1)
check "create from a missing image: 404 naming it ($out)" \
    bash -c '[[ $1 == *"HTTP 404"* && $1 == *"absent"* ]]' _ "$out"

# ---- network and volume
if "$CLI" net-create "$NET" >/dev/null 2>"$tmp/net.err"; then
    check "network created as a bridge" test "$(docker network inspect -f '{{.Driver}}' "$NET")" = bridge
    out=$("$CLI" net-create "$NET" 2>&1)
    check "network: a duplicate name is 409 ($out)" bash -c '[[ $1 == *"HTTP 409"* ]]' _ "$out"
    "$CLI" net-rm "$NET" >/dev/null 2>&1
    check "network removed" bash -c "! docker network inspect '$NET' >/dev/null 2>&1"
else
    show "$tmp/net.err"; not_ok "create network $NET"
fi
"$CLI" vol-create "$VOL" >/dev/null 2>&1
check "volume created" bash -c "docker volume inspect '$VOL' >/dev/null"
"$CLI" vol-rm "$VOL" >/dev/null 2>&1
check "volume removed" bash -c "! docker volume inspect '$VOL' >/dev/null 2>&1"

# ---- a registry that wants credentials: config.json "auths", and a real
# credential helper (docker-credential-pass over a gpg key made here), as
# "credsStore" and as "credHelpers"
AUTH_PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
AUTH_REPO=127.0.0.1:$AUTH_PORT/$RUN_ID
AUTH_PASS='s3cr:et pw'
for t in htpasswd docker-credential-pass pass gpg gpgconf; do
    command -v "$t" >/dev/null || fatal "$t is missing (image/install-deps.sh installs it)"
done
htpasswd -Bbn alice "$AUTH_PASS" >"$tmp/htpasswd" 2>/dev/null
mkdir -p "$tmp/auth-registry"
printf '%s\n' "version: 0.1" "log:" "  level: warn" "storage:" "  filesystem:" \
    "    rootdirectory: $tmp/auth-registry" "http:" "  addr: 127.0.0.1:$AUTH_PORT" \
    "auth:" "  htpasswd:" "    realm: cass-entry-test" "    path: $tmp/htpasswd" >"$tmp/auth-registry.yml"
docker-registry serve "$tmp/auth-registry.yml" >>"$tmp/auth-registry.log" 2>&1 &
AUTH_REG_PID=$!
for _ in $(seq 1 100); do
    [ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$AUTH_PORT/v2/")" = 401 ] && break
    sleep 0.1
done
check "a registry with htpasswd auth answers 401 without credentials, 200 with them" \
    test "$(curl -s -o /dev/null -w '%{http_code}' -u "alice:$AUTH_PASS" "http://127.0.0.1:$AUTH_PORT/v2/")" = 200
auth_tags() { curl -s -u "alice:$AUTH_PASS" "http://127.0.0.1:$AUTH_PORT/v2/$RUN_ID/tags/list"; }
# push_with TAG CONFIG-JSON: push $AUTH_REPO:TAG with that docker config;
# output in $tmp/push-TAG.out and .err
push_with() {
    mkdir -p "$tmp/cfg-$1"
    printf '%s\n' "$2" >"$tmp/cfg-$1/config.json"
    "$CLI" tag "$IMAGE" "$AUTH_REPO" "$1" >/dev/null 2>&1
    DOCKER_CONFIG=$tmp/cfg-$1 "$CLI" push "$AUTH_REPO" "$1" >"$tmp/push-$1.out" 2>"$tmp/push-$1.err"
}
has_tag() { auth_tags | grep -q "\"$1\""; }
push_with none '{}'; rc=$?
check "push without credentials: exit $rc, the daemon's reason (no basic auth credentials)" \
    bash -c '[ "$1" -ne 0 ] && grep -q "\[stream\] push 127.0.0.1:.*no basic auth credentials" "$2"' _ "$rc" "$tmp/push-none.err"
auth=$(printf 'alice:%s' "$AUTH_PASS" | base64 -w0)
if push_with auths "{\"auths\":{\"http://127.0.0.1:$AUTH_PORT/v2/\":{\"auth\":\"$auth\"}}}"; then
    check "push with config.json auths: the registry has the tag" has_tag auths
else
    show "$tmp/push-auths.err"; not_ok "push with config.json auths"
fi
# A real helper: docker-credential-pass, a password store under a fresh gpg key.
export GNUPGHOME=$tmp/gnupg PASSWORD_STORE_DIR=$tmp/pass
mkdir -m 700 "$GNUPGHOME"
if gpg --batch --passphrase '' --quick-gen-key cass-entry-test@localhost default default never >"$tmp/gpg.log" 2>&1 &&
   pass init cass-entry-test@localhost >>"$tmp/gpg.log" 2>&1 &&
   printf '{"ServerURL":"127.0.0.1:%s","Username":"alice","Secret":"%s"}' "$AUTH_PORT" "$AUTH_PASS" |
       docker-credential-pass store >>"$tmp/gpg.log" 2>&1; then
    ok "docker-credential-pass holds alice's password for 127.0.0.1:$AUTH_PORT (gpg key and pass store made here)"
else
    show "$tmp/gpg.log"; not_ok "setting up docker-credential-pass"
fi
if push_with store '{"auths":{},"credsStore":"pass"}'; then
    check "push with credsStore pass (the real helper): the registry has the tag" has_tag store
else
    show "$tmp/push-store.err"; not_ok "push with credsStore pass"
fi
if push_with helpers "{\"credsStore\":\"nosuch\",\"credHelpers\":{\"127.0.0.1:$AUTH_PORT\":\"pass\"}}"; then
    check "push with credHelpers (wins over credsStore): the registry has the tag" has_tag helpers
else
    show "$tmp/push-helpers.err"; not_ok "push with credHelpers pass"
fi
# A helper that fails is no credentials plus a warning, as for the docker CLI:
# the registry that wants them refuses, the one without auth takes the push.
push_with missing '{"credsStore":"nosuch"}'; rc=$?
if [ "$rc" -ne 0 ] && ! has_tag missing &&
   grep -q "warning: credential helper docker-credential-nosuch.*not on PATH.*going on without credentials" "$tmp/push-missing.err" &&
   grep -q "no basic auth credentials" "$tmp/push-missing.err"; then
    ok "credsStore naming a helper that is not installed: a warning naming it, then the registry's refusal (exit $rc), nothing pushed"
else
    show "$tmp/push-missing.err"; not_ok "credsStore naming a missing helper, registry with auth (exit $rc)"
fi
"$CLI" tag "$IMAGE" "$REPO" nohelper >/dev/null 2>&1
if DOCKER_CONFIG=$tmp/cfg-missing "$CLI" push "$REPO" nohelper >"$tmp/push-nohelper.out" 2>"$tmp/push-nohelper.err" &&
   grep -q "warning: credential helper docker-credential-nosuch" "$tmp/push-nohelper.err"; then
    ok "the same missing helper, registry without auth: pushed, with the warning"
else
    show "$tmp/push-nohelper.err"; not_ok "push to a registry without auth despite a missing helper"
fi
check "the password never appears in any output" bash -c '! grep -rqF "$1" "$2"/push-*' _ "$AUTH_PASS" "$tmp"
gpgconf --kill gpg-agent >/dev/null 2>&1
unset GNUPGHOME PASSWORD_STORE_DIR
kill "$AUTH_REG_PID" 2>/dev/null; wait "$AUTH_REG_PID" 2>/dev/null; AUTH_REG_PID=

# ---- push to a stopped registry (last: the registry goes away)
kill "$REG_PID" 2>/dev/null; wait "$REG_PID" 2>/dev/null; REG_PID=
"$CLI" tag "$IMAGE" "$REPO" 2 >/dev/null 2>&1
out=$("$CLI" push "$REPO" 2 2>&1 >/dev/null | tail -1); rc=$?
check "push to a stopped registry: [stream] with the daemon's reason: $out" \
    bash -c '[[ $1 == *"[stream]"* && $1 == *"push 127.0.0.1:"* && $1 == *"connection refused"* ]]' _ "$out"

# ---- image/dockerd.sh and pid files left behind by an engine that is gone (a
# machine restored from a snapshot): their pids now belong to other live
# processes, which made dockerd refuse to start ("pid file found") in CI.  A
# second, real engine of its own (socket, pid file, roots in $tmp, its own
# network namespace, no bridge, no iptables) is started through dockerd.sh over
# such files.
E2=$tmp/e2
mkdir -p "$E2/exec/containerd"
sleep 300 & STALE_PID=$!
echo "$STALE_PID" >"$E2/docker.pid"
echo "$STALE_PID" >"$E2/exec/containerd/containerd.pid"
E2_ENV=(DOCKERD_SOCK="$E2/docker.sock" DOCKERD_PIDFILE="$E2/docker.pid" DOCKERD_DATA_ROOT="$E2/data"
        DOCKERD_EXEC_ROOT="$E2/exec" DOCKERD_STORAGE_DRIVER=vfs DOCKERD_LOG="$E2/dockerd.log"
        DOCKERD_EXTRA_ARGS="--bridge=none --iptables=false --ip6tables=false")
# unshare --net: the second engine lives in a network namespace of its own (it
# outlives this command there); with --bridge=none dockerd deletes the host's
# docker0 bridge otherwise, under the first engine's feet.
# fd 8: a lock the caller holds (as `flock FILE tests/run` does): the engine
# must not inherit it, or the lock lives as long as the engine.
exec 8>"$E2/caller.lock"
if env "${E2_ENV[@]}" unshare --net image/dockerd.sh >"$E2/start.out" 2>&1 &&
   docker -H "unix://$E2/docker.sock" info >/dev/null 2>&1; then
    check "dockerd.sh starts an engine over stale docker.pid and containerd.pid (their pid a live 'sleep'), saying so" \
        grep -q "removing stale $E2/docker.pid (pid $STALE_PID is not a running dockerd)" "$E2/start.out"
    check "the stale pid's process was left alone" kill -0 "$STALE_PID"
    E2_PID=$(cat "$E2/docker.pid")
    check "the new engine wrote its own pid file ($E2_PID, a dockerd)" \
        test "$(cat "/proc/$E2_PID/comm" 2>/dev/null)" = dockerd
    exec 8>&-
    check "the engine holds no descriptor of its caller's (a lock would outlive the caller)" \
        bash -c '! ls -l "/proc/$1/fd" | grep -qF "$2"' _ "$E2_PID" "$E2/caller.lock"
    check "the first engine's docker0 bridge is still there" bash -c "ip link show docker0 >/dev/null 2>&1"
    check "dockerd.sh again: the engine answers, nothing started or removed" \
        bash -c 'env "${@:2}" image/dockerd.sh >"$1" 2>&1 && [ ! -s "$1" ]' _ "$E2/again.out" "${E2_ENV[@]}"
    kill "$E2_PID" 2>/dev/null
    for _ in $(seq 1 100); do kill -0 "$E2_PID" 2>/dev/null || break; sleep 0.1; done
else
    show "$E2/start.out"; show "$E2/dockerd.log"; not_ok "dockerd.sh over stale pid files"
fi
kill "$STALE_PID" 2>/dev/null
exit 0
