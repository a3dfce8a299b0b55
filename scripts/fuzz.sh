#!/usr/bin/env bash
# Runs the libFuzzer harnesses of tests/fuzz (one per parser), each for as long as asked.
#
#   bash scripts/fuzz.sh [--seconds N] [--jobs J] [--dir DIR] [--smoke] [HARNESS...]
#
# --seconds N  time per harness (default 600)
# --jobs J     harnesses run at once (default 1; each is one process)
# --dir DIR    where the growing corpora, findings and logs live, outside the checkout so
#              that a later run resumes from them (default $MICROSTAMP_FUZZ_DIR, else
#              ~/.cache/microstamp-fuzz); each harness also reads its seeds in
#              tests/fuzz/corpus/NAME
# --smoke      20 s per harness from the seeds alone, in a scratch folder, with a fixed
#              random seed so that a failing smoke pass can be run again, and a hang
#              counted past 120 s rather than 10 s (scripts/test.sh on a loaded machine)
# HARNESS      x3p png image study manifest die_manifest store_url http_body ring (default: all)
#
# Builds build-fuzz first (clang++-14, MICROSTAMP_FUZZ=ON: every stage with coverage, ASan
# and UBSan). Every run appends "harness executions coverage features corpus time seconds" to
# DIR/runs.txt and prints the totals; the exit code is 1 when any harness found a crash,
# a leak, a hang over 10 s or an allocation over 2 GB, whose input is kept in
# DIR/findings/NAME/ (replay it: build-fuzz/tests/fuzz/fuzz_NAME FILE; then add it to
# tests/fuzz/regressions/NAME/ with the fix).
set -euo pipefail
cd "$(dirname "$0")/.."

seconds=600 jobs=1 smoke=0
dir="${MICROSTAMP_FUZZ_DIR:-$HOME/.cache/microstamp-fuzz}"
harnesses=()
while (($#)); do
  case "$1" in
    --seconds) seconds="$2"; shift 2 ;;
    --jobs) jobs="$2"; shift 2 ;;
    --dir) dir="$2"; shift 2 ;;
    --smoke) smoke=1; seconds=20; shift ;;
    -h|--help) sed -n '2,22p' "$0"; exit 0 ;;
    -*) echo "fuzz.sh: unknown option $1" >&2; exit 2 ;;
    *) harnesses+=("$1"); shift ;;
  esac
done
((${#harnesses[@]})) || harnesses=(x3p png image study manifest die_manifest store_url http_body ring)
smoke_options=()
unit_timeout=10
if ((smoke)); then
  # A fixed seed, and a hang counted only past 120 s: on a loaded CI machine a unit can
  # take over 10 s under the sanitizers without hanging, and the smoke pass must not turn
  # machine load into a failure (the long runs keep the 10 s hang limit).
  smoke_options=(-seed=1 -report_slow_units=100000)
  unit_timeout=120
  dir="$(mktemp -d)"
  trap 'rm -rf "$dir"' EXIT
fi

cmake -S . -B build-fuzz -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_CXX_COMPILER=clang++-14 \
  -DMICROSTAMP_FUZZ=ON -DMICROSTAMP_MPI=OFF >/dev/null
cmake --build build-fuzz -j"$(nproc)" --target "${harnesses[@]/#/fuzz_}" >/dev/null

mkdir -p "$dir/logs"
run_one() {
  local name="$1"
  local corpus="$dir/corpus/$name" findings="$dir/findings/$name" log="$dir/logs/$name.log"
  mkdir -p "$corpus" "$findings"
  # New inputs go to the first folder; the checkout's seeds are read, never written.
  nice -n 19 "build-fuzz/tests/fuzz/fuzz_$name" "$corpus" "tests/fuzz/corpus/$name" \
    -max_total_time="$seconds" -timeout="$unit_timeout" -rss_limit_mb=2048 -malloc_limit_mb=2048 \
    -artifact_prefix="$findings/" -print_final_stats=1 "${smoke_options[@]}" >"$log" 2>&1 || true
  local executions coverage features units
  executions=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  coverage=$(grep -oE 'cov: [0-9]+' "$log" | tail -1 | cut -d' ' -f2)
  features=$(grep -oE 'ft: [0-9]+' "$log" | tail -1 | cut -d' ' -f2)
  units=$(find "$corpus" -type f | wc -l)
  echo "$name ${executions:-0} ${coverage:-0} ${features:-0} $units $(date -u +%FT%TZ) $seconds" >>"$dir/runs.txt"
}

running=0
for name in "${harnesses[@]}"; do
  run_one "$name" &
  running=$((running + 1))
  if ((running >= jobs)); then wait -n; running=$((running - 1)); fi
done
wait

status=0
printf '%-13s %14s %9s %9s %8s  %s\n' harness executions coverage features corpus findings
for name in "${harnesses[@]}"; do
  total=$(awk -v n="$name" '$1 == n { sum += $2 } END { print sum + 0 }' "$dir/runs.txt")
  last=$(awk -v n="$name" '$1 == n { line = $0 } END { print line }' "$dir/runs.txt")
  # slow-unit-* files only say an input was slow on this machine: not a finding.
  found=$(find "$dir/findings/$name" -type f ! -name 'slow-unit-*' | wc -l)
  ((found == 0)) || status=1
  printf '%-13s %14s %9s %9s %8s  %s\n' "$name" "$total" "$(echo "$last" | cut -d' ' -f3)" \
    "$(echo "$last" | cut -d' ' -f4)" "$(echo "$last" | cut -d' ' -f5)" "$found"
  if ((found)); then
    grep -m3 -E 'ERROR|fuzz finding|SUMMARY' "$dir/logs/$name.log" | sed 's/^/    /' || true
  fi
done
exit "$status"
