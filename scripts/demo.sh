#!/usr/bin/env bash
# The main job, end to end on a fresh machine: install, build, then encode a
# pistol's stamp and show what was written. Outputs go to demo-output/.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/build.sh >/dev/null
out=demo-output
rm -rf "$out"
mkdir -p "$out"
microstamp=build/apps/microstamp/microstamp

echo "== encode: SIG Sauer P229 (.40 S&W) serial 58A-104233, ring + text + gear"
"$microstamp" encode --make "SIG Sauer" --model P229 --serial 58A-104233 --design ring+text+gear \
  --out "$out/die" > "$out/encode.json"
echo "== the die folder:"
ls -l "$out/die"
echo "== microstamp info $out/die/die.x3p"
"$microstamp" info "$out/die/die.x3p" | head -20
echo
echo "Outputs: $out/die/die.svg (laser artwork), $out/die/preview.png, $out/die/die.x3p, $out/die/manifest.json"
