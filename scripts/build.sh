#!/usr/bin/env bash
# Configures and builds microstamp (Release) into build/. Used by test.sh and demo.sh.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
# A compiler cache, where the machine has one, shares objects between checkouts.
launcher=()
command -v ccache >/dev/null && launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release "${launcher[@]}" >/dev/null
cmake --build build -j"$(nproc)"
