#!/usr/bin/env bash
# Installs everything microstamp needs on Debian 12. Idempotent: safe to run again.
set -euo pipefail

packages=(
  build-essential cmake ninja-build pkg-config git
  libopencv-dev libzxing-dev
  libzip-dev libdeflate-dev zlib1g-dev libpugixml-dev libssl-dev
  libsqlite3-dev sqlite3 libpqxx-dev postgresql-15
  libsodium-dev nlohmann-json3-dev libcli11-dev libfmt-dev libspdlog-dev libtbb-dev
  libcpp-httplib-dev
  chromium chromium-driver wrk openssl curl
  libgtest-dev libgmock-dev librapidcheck-dev libbenchmark-dev
  libopenmpi-dev openmpi-bin
  clang-14 libclang-rt-14-dev
  pybind11-dev python3-dev python3-numpy python3-pytest
  libspng-dev libcairo2-dev poppler-utils
  dpkg-dev file
)

missing=()
for package in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
done

if ((${#missing[@]})); then
  sudo_cmd=""
  [ "$(id -u)" -eq 0 ] || sudo_cmd="sudo"
  echo "setup: installing ${missing[*]}" >&2
  $sudo_cmd apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq --no-install-recommends "${missing[@]}"
else
  echo "setup: all packages present" >&2
fi
