#!/usr/bin/env bash
# A study run by one process, by three MPI ranks, and by three ranks of which one is
# killed mid-run and the job resumed: the three results.csv and results.json are the
# same bytes. Usage: study_under_mpi.sh MICROSTAMP_BINARY MPIRUN
set -euo pipefail
binary=$1
mpirun=$2
# mpirun refuses to start as root unless told; CI machines run the tests as root.
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
# Keep Open MPI off the network: the ranks talk over shared memory on this machine.
export OMPI_MCA_btl=self,vader OMPI_MCA_btl_vader_single_copy_mechanism=none
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"
cat > study.json <<'STUDY'
{"format": "microstamp-study", "format_version": 1, "name": "ranks",
 "identity": {"make": "SIG Sauer", "model": "P229", "serial": "58A-10420#"},
 "factors": {"firearms": ["service-9mm-striker"], "ammunition": ["standard-small-pistol"],
             "designs": ["ring"], "rounds": [3], "defeats": ["none", "stone:30"]},
 "pistols": 8, "shots": "last:4", "fusion_group": 2}
STUDY

fail() { echo "study_under_mpi: $*" >&2; exit 1; }

"$binary" study study.json --out one > one.json 2> one.err || fail "one process failed: $(tail -1 one.err)"
"$mpirun" -n 3 --oversubscribe "$binary" study study.json --out three > three.json 2> three.err ||
  fail "three ranks failed: $(tail -1 three.err)"

# Three ranks again; once a rank's journal holds rows, rank 1 is killed outright.
"$mpirun" -n 3 --oversubscribe "$binary" study study.json --out killed > killed.json 2> killed.err &
job=$!
for _ in $(seq 1 600); do
  rows=$({ cat killed/results.journal.rank-*.csv 2>/dev/null || true; } | wc -l)
  [ "$rows" -gt 12 ] && break
  sleep 0.05
done
ranks=($(pgrep -f -- "^$binary study study.json --out killed" || true))
[ "${#ranks[@]}" -eq 3 ] || fail "expected 3 running ranks to kill one of, found ${#ranks[@]}"
kill -9 "${ranks[1]}"
if wait "$job"; then fail "the job whose rank was killed exited 0"; fi
grep -q "rank" killed.err || fail "mpirun did not name the rank that died: $(cat killed.err)"
[ ! -e killed/results.csv ] || fail "the killed job wrote results.csv (it finished before the kill: make the study larger)"
"$mpirun" -n 3 --oversubscribe "$binary" study study.json --out killed > resumed.json 2> resumed.err ||
  fail "the resumed job failed: $(tail -1 resumed.err)"
grep -q '"casings_resumed": [1-9]' resumed.json || fail "the resumed job did not resume any casing"

for name in results.csv results.json; do
  cmp one/$name three/$name || fail "$name differs between one process and three ranks"
  cmp one/$name killed/$name || fail "$name differs between one process and a killed and resumed job"
done
ls killed/results.journal* 2>/dev/null && fail "journals left behind after the merge"

# The uncertainty design's points dealt to the ranks give the bands one process gives.
cat > small.json <<'STUDY'
{"format": "microstamp-study", "format_version": 1, "name": "small",
 "identity": {"make": "SIG Sauer", "model": "P229", "serial": "58A-10420#"},
 "factors": {"firearms": ["duty-40-tilting"], "ammunition": ["standard-small-pistol"],
             "designs": ["gear"], "rounds": [1]},
 "pistols": 2, "shots": "last:2"}
STUDY
band=(--uncertainty 4 --constants firearm.drag_length_um,transfer.drive)
"$binary" study small.json --out band-one "${band[@]}" > band-one.json 2> band-one.err ||
  fail "uncertainty in one process failed: $(tail -1 band-one.err)"
"$mpirun" -n 3 --oversubscribe "$binary" study small.json --out band-three "${band[@]}" > band-three.json 2> band-three.err ||
  fail "uncertainty on three ranks failed: $(tail -1 band-three.err)"
cmp band-one/results.json band-three/results.json || fail "the uncertainty bands differ between one process and three ranks"
grep -q '"headline_band_5_95"' band-three/results.json || fail "no band in results.json"
echo "study_under_mpi: one process, three ranks and a killed and resumed job agree byte for byte"
