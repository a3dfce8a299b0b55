#!/usr/bin/env bash
# The main job, end to end on a fresh machine: install, build, encode a pistol's
# stamp, fire it, read and fuse the last casings, record them in an evidence store,
# issue the trace request, verify the audit log and run a short study. Outputs go to demo-output/.
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
echo "== case: record the scene's two last casings in an evidence store (SQLite), link them, trace request, audit"
db="sqlite:$out/evidence.db"
admin=(--db "$db" --user root --password demo-admin-pass)
examiner=(--db "$db" --user avery --password demo-examiner-pass)
supervisor=(--db "$db" --user sam --password demo-supervisor-pass)
auditor=(--db "$db" --user alex --password demo-auditor-pass)
"$microstamp" case --db "$db" --password demo-admin-pass init --admin root > "$out/case-init.json"
"$microstamp" case "${admin[@]}" user-add avery --role examiner --new-password demo-examiner-pass > /dev/null
"$microstamp" case "${admin[@]}" user-add sam --role supervisor --new-password demo-supervisor-pass > /dev/null
"$microstamp" case "${admin[@]}" user-add alex --role auditor --new-password demo-auditor-pass > /dev/null
"$microstamp" case "${examiner[@]}" open --ori WA0010000 --case 26-1125 --offense 5212 > /dev/null
"$microstamp" case "${examiner[@]}" add --case 26-1125 --item 1 --collected-at 2026-11-25T22:10Z \
  --place "5th & Pine" --description "9 mm case, sidewalk" "$out/shots/shot-004999.x3p" > "$out/case-item-1.json"
"$microstamp" case "${examiner[@]}" add --case 26-1125 --item 2 --collected-at 2026-11-25T22:14Z \
  --place "5th & Pine" --description "9 mm case, gutter" "$out/shots/shot-005000.x3p" > "$out/case-item-2.json"
"$microstamp" case "${examiner[@]}" custody --case 26-1125 --item 1 --from "Ofc. Diaz" --to "Evidence room" \
  --at 2026-11-26T08:00Z --purpose booked > /dev/null
"$microstamp" case "${examiner[@]}" link --case 26-1125 --item 1 --to-case 26-1125 --to-item 2 --identical > /dev/null
"$microstamp" case "${examiner[@]}" show --case 26-1125 > "$out/case.json"
"$microstamp" case "${supervisor[@]}" trace-request --case 26-1125 --item 2 --officer "Det. Okafor" \
  --out "$out/trace-request.json" > /dev/null
"$microstamp" case "${auditor[@]}" audit verify > "$out/audit-verify.json"
"$microstamp" case "${examiner[@]}" report --case 26-1125 --item 1 --out "$out/report-item-1.pdf" > "$out/report.json"
"$microstamp" case "${examiner[@]}" report-verify "$out/report-item-1.pdf" > /dev/null
head -12 "$out/trace-request.json"

echo "== study: the ring after 1 to 5,000 rounds in two pistol types (a short study; the full protocols are in data/studies)"
"$microstamp" study data/studies/demo-short.json --out "$out/study" > "$out/study.json"
echo
echo "Outputs:"
echo "  $out/die/die.svg              laser-engraving artwork (true scale)"
echo "  $out/die/die.x3p              die heightmap"
echo "  $out/shots/shot-000001.png    first casing, microscope photograph"
echo "  $out/shots/shot-005000.png    casing after 5,000 rounds"
echo "  $out/shots/*.truth.json       ground truth of each shot"
echo "  $out/read.json                the reading of the last casing"
echo "  $out/fuse.json                the fused reading of the last two"
echo "  $out/evidence.db              the evidence store (SQLite): case 26-1125, items 1 and 2, linked"
echo "  $out/case.json                the case as the store holds it"
echo "  $out/trace-request.json       the ATF Form 3312.1 trace request"
echo "  $out/audit-verify.json        the audit log verified (hash chain, Merkle root, signed checkpoints)"
echo "  $out/report-item-1.pdf       the examination report of item 1 (its SHA-256 is in the audit log)"
echo "  $out/study/report.html        the short study's report (results.csv, results.json beside it)"
