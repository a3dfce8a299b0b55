#!/usr/bin/env bash
# Installs the build into a scratch prefix, builds examples/read_scan against it with
# find_package(microstamp), and reads a casing fired by the installed program, run from
# another folder with no MICROSTAMP_DATA: its data must come from the installed tree.
set -euo pipefail
build=$1 example=$2
scratch="$build/check-installed-example"
rm -rf "$scratch" && mkdir -p "$scratch/elsewhere"
unset MICROSTAMP_DATA
cmake --install "$build" --prefix "$scratch/prefix" >/dev/null
cmake -S "$example" -B "$scratch/example" -G Ninja -DCMAKE_BUILD_TYPE=Release \
  -DCMAKE_PREFIX_PATH="$scratch/prefix" >/dev/null
cmake --build "$scratch/example" >/dev/null
cd "$scratch/elsewhere"
program="$scratch/prefix/bin/microstamp"
"$program" encode --make Glock --model G17 --serial BXR123 --design ring --out die >/dev/null 2>&1
"$program" fire --die die --firearm service-9mm-striker --ammo standard-small-pistol --rounds 1 --seed 7 \
  --size 600 --out shots >/dev/null 2>&1
scan=$(ls shots/*.x3p | head -n 1)
output=$("$scratch/example/read_scan" "$scan")
echo "$output"
grep -q "decoded Glock G17 BXR123" <<<"$output"
