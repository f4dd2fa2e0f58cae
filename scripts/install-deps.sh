#!/usr/bin/env bash
# Installs the Debian 12 packages the build, tests, benchmarks and demo need (idempotent). rpm,
# dpkg-dev, file, systemd and python3-yaml are for the packaging tests (rpmbuild, CPack .deb,
# systemd-analyze, PyYAML as the oracle of the YAML converter).
#   scripts/install-deps.sh          # build, tests, benchmarks, demo, packaging tests
#   scripts/install-deps.sh fuzz     # also clang and its sanitizer/libFuzzer runtime (fuzz/run.sh)
set -euo pipefail
pkgs=(build-essential cmake pkg-config
      libhiredis-dev libconcurrentqueue-dev libxxhash-dev libtomlplusplus-dev libspdlog-dev
      libsimdjson-dev libcli11-dev libncurses-dev libsystemd-dev libyaml-cpp-dev catch2 libbenchmark-dev
      redis-server redis-tools tmux
      pybind11-dev python3-dev python3-pytest python3-redis
      rpm dpkg-dev file systemd python3-yaml)
[ "${1:-}" = "fuzz" ] && pkgs+=(clang libclang-rt-14-dev)
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  sudo_cmd=""
  [ "$(id -u)" -ne 0 ] && sudo_cmd="sudo"
  $sudo_cmd apt-get update -qq || true
  DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
