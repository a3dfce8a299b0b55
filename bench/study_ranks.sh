#!/usr/bin/env bash
# A study at 1, 2, 4 and 8 MPI ranks on this machine (oversubscribed past its cores): it
# shows that every rank count gives the same bytes, how evenly the casings are dealt, and
# what rank 0's merge costs; not speed-up, which needs as many cores as ranks.
#   bash bench/study_ranks.sh [STUDY] [RANKS...]      (default: demo-short, 1 2 4 8)
set -euo pipefail
cd "$(dirname "$0")/.."
study=${1:-demo-short}
shift || true
ranks=("$@")
[ ${#ranks[@]} -gt 0 ] || ranks=(1 2 4 8)
binary=build/apps/microstamp/microstamp
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
export OMPI_MCA_btl=self,vader OMPI_MCA_btl_vader_single_copy_mechanism=none
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
echo "| ranks | wall s | casings/h | CPU ms/casing | casings per rank (min-max) | merge s | results.csv same as 1 rank |"
echo "|---|---|---|---|---|---|---|"
for n in "${ranks[@]}"; do
  mpirun -n "$n" --oversubscribe "$binary" study "$study" --out "$work/$n" > "$work/$n.json" 2> "$work/$n.err" ||
    { echo "study_ranks: $n ranks failed: $(tail -1 "$work/$n.err")" >&2; exit 1; }
  same=yes
  cmp -s "$work/${ranks[0]}/results.csv" "$work/$n/results.csv" && cmp -s "$work/${ranks[0]}/results.json" "$work/$n/results.json" || same=no
  python3 - "$work/$n.json" "$n" "$same" <<'PY'
import json, sys
run = json.load(open(sys.argv[1]))["run"]
shares = run["casings_per_process"]
print(f"| {sys.argv[2]} | {run['seconds']:.1f} | {run['casings_per_hour']:.0f} | {run['cpu_seconds_per_casing']*1000:.0f} | "
      f"{min(shares):.0f}-{max(shares):.0f} | {run['merge_seconds']:.3f} | {sys.argv[3]} |")
PY
done
