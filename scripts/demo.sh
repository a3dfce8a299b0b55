#!/usr/bin/env bash
# The main job, end to end on a fresh machine: install, build, encode a pistol's
# stamp, fire it, and show what was written. Outputs go to demo-output/.
set -euo pipefail
cd "$(dirname "$0")/.."
out=demo-output
rm -rf "$out"
mkdir -p "$out"
echo "== building (log: $out/build.log)"
if ! bash scripts/build.sh > "$out/build.log" 2>&1; then
  tail -n 40 "$out/build.log"
  echo "demo: the build failed; see $out/build.log" >&2
  exit 1
fi
microstamp=build/apps/microstamp/microstamp

echo "== encode: SIG Sauer P229 (.40 S&W) serial 58A-104233, ring + text + gear"
"$microstamp" encode --make "SIG Sauer" --model P229 --serial 58A-104233 --design ring+text+gear \
  --out "$out/die" > "$out/encode.json"
ls -l "$out/die"

echo "== fire: 5,000 rounds in a .40 S&W tilting-barrel duty pistol; save shots 1, 2, 4999, 5000"
"$microstamp" fire --die "$out/die" --firearm duty-40-tilting --ammo standard-small-pistol \
  --rounds 5000 --shots 1,2,4999-5000 --seed 2026 --out "$out/shots" > "$out/fire.json"
ls -l "$out/shots"

echo "== microstamp read $out/shots/shot-005000.x3p (the casing after 5,000 rounds)"
"$microstamp" read "$out/shots/shot-005000.x3p" > "$out/read.json"
head -24 "$out/read.json"
echo "== microstamp fuse: the last two casings of the scene"
"$microstamp" fuse "$out/shots/shot-004999.x3p" "$out/shots/shot-005000.x3p" > "$out/fuse.json"
echo
echo "Outputs:"
echo "  $out/die/die.svg            laser-engraving artwork (true scale)"
echo "  $out/die/die.x3p            die heightmap"
echo "  $out/shots/shot-000001.png  first casing, microscope photograph"
echo "  $out/shots/shot-005000.png  casing after 5,000 rounds"
echo "  $out/shots/*.truth.json     ground truth of each shot"
echo "  $out/read.json              the reading of the last casing"
echo "  $out/fuse.json              the fused reading of the last two"
