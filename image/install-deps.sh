#!/usr/bin/env bash
# Installs the Debian packages the build and the tests need, when missing.
# Idempotent and quiet when everything is there already.
set -euo pipefail
PACKAGES=(
  build-essential pkg-config          # the C toolchain
  libyaml-dev                          # the YAML parser under yamlpatch
  libcyaml-dev                         # typed loading of patch documents
  libcmocka-dev                        # unit tests
  libmbedtls-dev                       # cass-entry: PEM checks before start, the probe over TLS (also rebuilt against musl)
  openssl                              # unit and tls suites: test certificates made at test time
  clang libclang-rt-14-dev             # libFuzzer target
  musl-tools cmake dpkg-dev            # static binaries (libyaml rebuilt against musl)
  python3 python3-yaml                 # independent YAML 1.1 resolver in the corpus/quoting tests
  python3-venv                         # corpus suite: a venv for the pinned ruamel.yaml (YAML 1.2 resolver)
  default-jdk-headless ca-certificates # corpus suite: javap lists the Config fields of the real cassandra-all jars
  maven                                # the jars: fetch-cassandra.sh (cassandra-all and its dependencies), the corpus suite (cassandra-all of each release line)
  valgrind
  iproute2 util-linux                  # entrypoint suite and bench: ip (veth in a netns), unshare, mount
  hyperfine time gosu                  # bench/entrypoint.sh: wall time, peak RSS (GNU time -v), the official image's gosu
  shellcheck                           # image suite: the image/ scripts must be shellcheck-clean
  curl python3-pip                     # image/build-cassandra.sh: probe Maven Central, fetch the pinned cqlsh wheels
  libcurl4-openssl-dev                 # provisioner: HTTP to the Docker Engine API (unix socket, TCP, TLS)
  libjansson-dev                       # provisioner: JSON of the Engine API (requests, answers, progress streams)
  libarchive-dev                       # provisioner: the build context sent to POST /build as a tar stream
  libssl-dev                           # provisioner: up --tls makes the cluster's CA and certificates (libcrypto)
  docker-registry                      # engine/provision suites: a local registry to push to (own config, no auth)
  apache2-utils                        # engine suite: htpasswd for a registry that wants credentials
  golang-docker-credential-helpers pass gnupg  # engine suite: a real credential helper (docker-credential-pass)
)
missing=()
for p in "${PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
echo "install-deps: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
