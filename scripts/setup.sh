#!/usr/bin/env bash
# Installs the Debian 12 packages the build and the test suite need, and nothing else.
# Fast when everything is present: dpkg-query decides, and `apt-get update` runs only when
# at least one package is missing (we run as root on CI and developer machines).
set -euo pipefail

PACKAGES=(
  # toolchain
  build-essential cmake ninja-build pkg-config git python3
  clang-14 libclang-rt-14-dev llvm-14 gcovr
  # libraries
  libsodium-dev libssl-dev libboost1.81-dev librocksdb-dev libsimdjson-dev
  libspdlog-dev libfmt-dev libcli11-dev libtomlplusplus-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  # BLAKE3: the official C sources (built by cmake/Blake3.cmake) and the independent b3sum
  librust-blake3-dev b3sum
  # end-to-end tests: network namespaces for real partitions
  iproute2
  # monitoring: promtool checks the exposition and deploy/prometheus (tests/metrics)
  prometheus
  wrk nginx-light  # benchmarks: bench/api_bench.py, bench/run_all.py (make bench, make bench-quick)
)

missing=()
for p in "${PACKAGES[@]}"; do
  status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
  [[ "$status" == "install ok installed" ]] || missing+=("$p")
done

if ((${#missing[@]})); then
  echo "setup: installing ${missing[*]}"
  if [[ $(id -u) -ne 0 ]]; then
    echo "setup: missing packages and not root; run: sudo apt-get install ${missing[*]}" >&2
    exit 1
  fi
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
