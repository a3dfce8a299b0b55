#!/usr/bin/env bash
# Runs the benchmarks and studies behind the Figures tables of docs/ and prints one table
# row per figure (figure | value | command), so a table is refreshed from a run rather
# than edited by hand. Add the commit column from `git rev-parse --short HEAD`.
#
#   bash scripts/figures.sh [--quick] [BUILD_DIR]     # BUILD_DIR defaults to build/
#
# --quick: a few casings, scenes and reads per figure, minutes in all; its values are
# not the tables' (those need the full counts) but every command in the tables runs, so
# none can rot. Without it: the counts the tables were measured at (hours on 2 cores;
# run by hand on a quiet machine). Needs the benchmarks built (scripts/build.sh).
set -euo pipefail
cd "$(dirname "$0")/.."

quick=false
if [ "${1:-}" = "--quick" ]; then quick=true; shift; fi
build="${1:-build}"
bench="$build/bench"
microstamp="$build/apps/microstamp/microstamp"
for program in "$microstamp" "$bench/bench_designs" "$bench/bench_fusion" "$bench/bench_read_robustness" \
               "$bench/bench_read_speed" "$bench/bench_read" "$bench/bench_no_wrong" "$bench/bench_physics" \
               "$bench/bench_study"; do
    [ -x "$program" ] || { echo "figures.sh: $program is not built (run scripts/build.sh)" >&2; exit 1; }
done

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

if $quick; then
    casings=3; scenes=3; reads=6; pistols=1; min_time=0.05
else
    casings=200; scenes=400; reads=50000; pistols=25; min_time=2
fi

# Prints every counter (and the CPU time) of a Google Benchmark JSON file as rows.
rows_of_benchmark() {  # PAGE JSON_FILE COMMAND
    python3 - "$1" "$2" "$3" <<'PYTHON'
import json, sys
page, path, command = sys.argv[1], sys.argv[2], sys.argv[3]
skip = {"name", "run_name", "run_type", "repetitions", "repetition_index", "threads", "iterations",
        "real_time", "time_unit", "family_index", "per_family_instance_index", "aggregate_name",
        "aggregate_unit", "label", "error_occurred", "error_message"}
for entry in json.load(open(path))["benchmarks"]:
    name = entry["name"]
    for key, value in entry.items():
        if key in skip or not isinstance(value, (int, float)):
            continue
        if key == "cpu_time":
            key, value = f"cpu_time_{entry.get('time_unit', 'ns')}", round(value, 3)
        print(f"| {page}: {name} {key} | {value:.6g} | `{command}` |")
PYTHON
}

# Runs one benchmark program with an environment and prints its rows.
benchmark() {  # PAGE "ENV..." PROGRAM [ARGUMENTS...]
    local page="$1" environment="$2" program="$3"
    shift 3
    local output="$work/$(basename "$program")-$RANDOM.json"
    local command="${environment:+$environment }$program${*:+ $*}"
    echo "figures.sh: $command" >&2
    # shellcheck disable=SC2086
    if ! env $environment nice "$program" "$@" --benchmark_format=json --benchmark_out_format=json \
            --benchmark_out="$output" >/dev/null 2>"$work/stderr"; then
        echo "figures.sh: failed: $command" >&2
        cat "$work/stderr" >&2
        exit 1
    fi
    rows_of_benchmark "$page" "$output" "$command"
}

# Runs one study and prints its headline rates and throughput.
study() {  # PAGE NAME
    local page="$1" name="$2"
    local command="microstamp study $name --out DIR"
    echo "figures.sh: $command" >&2
    if ! nice "$microstamp" study "$name" --out "$work/study-$name" >"$work/$name.json" 2>"$work/stderr"; then
        echo "figures.sh: failed: $command" >&2
        cat "$work/stderr" >&2
        exit 1
    fi
    python3 - "$page" "$work/$name.json" "$command" <<'PYTHON'
import json, sys
page, path, command = sys.argv[1], sys.argv[2], sys.argv[3]
summary = json.load(open(path))
name = summary.get("study", summary.get("name", ""))
for headline in summary["headline"]:
    print(f"| {page}: {name} {headline['design']} | {headline['successes']} of {headline['trials']} "
          f"({headline['rate'] * 100:.1f}%) | `{command}` |")
for swap in summary.get("swap_detection", []):
    print(f"| {page}: {name} swaps caught, {swap['group'].replace(' | ', ', ')} | {swap['detected']} of {swap['swapped']} "
          f"({swap['rate'] * 100:.1f}%) | `{command}` |")
run = summary["run"]
print(f"| {page}: {name} casings per hour | {run['casings_per_hour']:.0f} | `{command}` |")
print(f"| {page}: {name} CPU per casing | {run['cpu_seconds_per_casing'] * 1000:.0f} ms | `{command}` |")
PYTHON
}

echo "| figure | value | command |"
echo "|---|---|---|"

# docs/read.md
benchmark read.md "MICROSTAMP_BENCH_CASINGS=$casings" "$bench/bench_designs"
benchmark read.md "MICROSTAMP_BENCH_CASINGS=$casings" "$bench/bench_read_robustness"
benchmark read.md "MICROSTAMP_BENCH_PISTOLS=$pistols" "$bench/bench_read" --benchmark_filter=defacement
benchmark read.md "MICROSTAMP_BENCH_SCENES=$scenes" "$bench/bench_fusion"
benchmark read.md "MICROSTAMP_BENCH_READS=$reads MICROSTAMP_BENCH_PART=82" "$bench/bench_no_wrong"
benchmark read.md "MICROSTAMP_BENCH_READS=$((reads < 400 ? reads : 400)) MICROSTAMP_BENCH_PART=80 MICROSTAMP_BENCH_DESIGNS=all" \
    "$bench/bench_no_wrong"
benchmark read.md "" "$bench/bench_read_speed" --benchmark_min_time="$min_time"

# docs/physics.md and docs/study.md
benchmark physics.md "" "$bench/bench_physics" --benchmark_filter='wear_pin_face|prepare_transfer|strike_only' \
    --benchmark_min_time="$min_time"
benchmark study.md "" "$bench/bench_study" --benchmark_filter='casing_|pistol_pin_once|fire_command_one_shot' \
    --benchmark_min_time="$min_time"
if $quick; then
    study study.md demo-short
else
    benchmark study.md "" "$bench/bench_study" --benchmark_filter=study_throughput
    for name in krivosta-2006 lizotte-2008 ucdavis-2008 ca-4075 reader-wear-5000 swap; do
        study study.md "$name"
    done
fi
# docs/evidence.md's figures need 1,000,000 exhibits per backend (bench_store) and
# docs/serve.md's a load generator (bench/serve_load.sh): run those by hand, as the
# tables' commands say.
