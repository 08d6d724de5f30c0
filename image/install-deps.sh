#!/usr/bin/env bash
# Installs the Debian packages the build and the tests need, when missing.
# Idempotent and quiet when everything is there already.
set -euo pipefail
PACKAGES=(
  build-essential pkg-config          # the C toolchain
  libyaml-dev                          # the YAML parser under yamlpatch
  libcyaml-dev                         # typed loading of patch documents
  libcmocka-dev                        # unit tests
  clang libclang-rt-14-dev             # libFuzzer target
  musl-tools cmake dpkg-dev            # static binaries (libyaml rebuilt against musl)
  python3 python3-yaml                 # independent YAML 1.1 resolver in the corpus/quoting tests
  valgrind
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
