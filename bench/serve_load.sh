#!/usr/bin/env bash
# Load on loopback with wrk: `microstamp serve` on a fresh SQLite store, then
#   1. exact identity lookups (GET /api/search/identity), and
#   2. scan uploads, each stored, read and recorded (POST .../exhibits, multipart),
# checking that the server answers during and after. Prints requests/s and errors.
#
#   bash bench/serve_load.sh [BUILD_DIR]        (default build/)
# Environment: SECONDS_EACH (default 15), CONNECTIONS (16), SCAN_SIZE / SCAN_SPACING
# (the casing scan's points per side and um per point; default the fire defaults),
# UPLOAD_CONNECTIONS (4), OVERLAY (true; false: uploads decline the overlay, as an
# instrument that shows none would), SCAN_FORMAT (x3p, or png: the shot's photograph,
# uploaded with its scale as a microscope camera's would be), SCAN_SEED (7; the
# photograph of seed 7 is one the ring reader misplaces, so a PNG run that measures
# reads rather than failures takes another, e.g. 1). Every upload sends the same scan, so the store
# writes its bytes once; docs/serve.md gives what a distinct scan adds.
set -euo pipefail
cd "$(dirname "$0")/.."
build="${1:-build}"
binary="$build/apps/microstamp/microstamp"
[ -x "$binary" ] || { echo "serve_load: no $binary: build first (bash scripts/build.sh)" >&2; exit 1; }
command -v wrk >/dev/null || { echo "serve_load: wrk is missing: bash scripts/setup.sh" >&2; exit 1; }
seconds="${SECONDS_EACH:-15}"
connections="${CONNECTIONS:-16}"
upload_connections="${UPLOAD_CONNECTIONS:-4}"
overlay="${OVERLAY:-true}"

work="$(mktemp -d /tmp/microstamp-serve-load.XXXXXX)"
server_pid=""
cleanup() { [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null && wait "$server_pid" 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT

store="sqlite:$work/lab.db"
"$binary" case --db "$store" --password "bench root 1" init --admin root >/dev/null
"$binary" case --db "$store" --user root --password "bench root 1" user-add avery --role examiner \
  --new-password "bench examiner 1" >/dev/null

"$binary" encode --make "SIG Sauer" --model P320 --serial 58A-104233 --out "$work/die" >/dev/null 2>&1
fire_size=()
[ -n "${SCAN_SIZE:-}" ] && fire_size+=(--size "$SCAN_SIZE")
[ -n "${SCAN_SPACING:-}" ] && fire_size+=(--spacing "$SCAN_SPACING")
"$binary" fire --die "$work/die" --firearm service-9mm-striker --ammo standard-small-pistol --rounds 1 \
  --seed "${SCAN_SEED:-7}" "${fire_size[@]}" --out "$work/shots" >/dev/null 2>&1
scan_format="${SCAN_FORMAT:-x3p}"
case "$scan_format" in
  x3p) scan="$work/shots/shot-000001.x3p"; scan_scale="" ;;
  png) scan="$work/shots/shot-000001.png"
       scan_scale="$(python3 -c "import json,sys; print(json.load(open(sys.argv[1]))['um_per_px'])" "$work/shots/shot-000001.truth.json")" ;;
  *) echo "serve_load: SCAN_FORMAT is x3p or png, not $scan_format" >&2; exit 1 ;;
esac
scale_field=()
[ -n "$scan_scale" ] && scale_field=(-F "um_per_px=$scan_scale")

"$binary" serve --db "$store" --listen 127.0.0.1:0 >"$work/serve.out" 2>"$work/serve.err" &
server_pid=$!
for _ in $(seq 100); do grep -q port "$work/serve.out" 2>/dev/null && break; sleep 0.05; done
port="$(python3 -c "import json,sys; print(json.load(open(sys.argv[1]))['port'])" "$work/serve.out")"
base="http://127.0.0.1:$port"
token="$(curl -sf -X POST -H 'Content-Type: application/json' -d '{"user":"avery","password":"bench examiner 1"}' \
  "$base/api/login" | python3 -c "import json,sys; print(json.load(sys.stdin)['token'])")"
auth=(-H "Authorization: Bearer $token")
curl -sf "${auth[@]}" -H 'Content-Type: application/json' \
  -d '{"agency_ori":"WA0010000","case_number":"24-118","offense_code":"5212"}' "$base/api/cases" >/dev/null
status="$(curl -sf "${auth[@]}" -F item_number=1 -F collected_at=2024-05-01 -F collected_place=bench \
  "${scale_field[@]}" -F "scan=@$scan;filename=casing.$scan_format" "$base/api/cases/WA0010000/24-118/exhibits" |
  python3 -c "import json,sys; d=json.load(sys.stdin); print(d['stored_status'], d['reading']['identity']['serial'] if 'identity' in d['reading'] else '-', d['scan']['summary'])")"

# The server must answer during the load: one probe a second while wrk runs.
probe_during() {
  local failures=0 probes=0
  while kill -0 "$1" 2>/dev/null; do
    probes=$((probes + 1))
    curl -sf -m 5 "${auth[@]}" "$base/api/session" >/dev/null || failures=$((failures + 1))
    sleep 1
  done
  echo "$probes $failures"
}

server_cpu_ticks() { awk '{print $14 + $15}' "/proc/$server_pid/stat"; }

run_wrk() {  # name (lookup or upload), connections, url
  local out="$work/$1.txt"
  local cpu_before
  cpu_before="$(server_cpu_ticks)"
  # In a subshell whose `times` then gives wrk's own CPU time (the client shares the cores).
  (MODE="$1" TOKEN="$token" SCAN="$scan" SCAN_NAME="casing.$scan_format" UM_PER_PX="$scan_scale" CASE_PATH="/api/cases/WA0010000/24-118" UPLOAD_QUERY="?overlay=$overlay" \
    wrk -t2 -c"$2" -d"${seconds}s" --timeout 60s --latency -s bench/serve_load.lua "$3" >"$out" 2>&1
   times >"$work/$1.times") &
  local wrk_pid=$!
  local probe
  probe="$(probe_during "$wrk_pid")"
  wait "$wrk_pid" || true
  local rate summary
  rate="$(awk '/Requests\/sec/ {print $2}' "$out")"
  summary="$(grep -- '-summary' "$out" || true)"
  local p50 p99 requests cpu_ms
  p50="$(awk '$1=="50%" {print $2}' "$out")"
  p99="$(awk '$1=="99%" {print $2}' "$out")"
  # The server's CPU time (all its threads) per request answered: what a core can do.
  requests="$(sed -n 's/.*-summary requests=\([0-9]*\).*/\1/p' "$out")"
  cpu_ms="$(python3 -c 'import sys; d, hz, r = map(int, sys.argv[1:]); print(f"{d * 1000 / hz / r:.2f}" if r else "?")' \
    "$(( $(server_cpu_ticks) - cpu_before ))" "$(getconf CLK_TCK)" "${requests:-0}")"
  local client_ms
  client_ms="$(python3 -c '
import re, sys
user, system = re.findall(r"(\d+)m([\d.]+)s", open(sys.argv[1]).read().splitlines()[1])
seconds = sum(int(m) * 60 + float(s) for m, s in (user, system))
r = int(sys.argv[2] or 0)
print(f"{seconds * 1000 / r:.2f}" if r else "?")' "$work/$1.times" "${requests:-0}" 2>/dev/null || echo '?')"
  echo "$1: ${rate:-?} requests/s over ${seconds} s, $2 connections, latency p50 ${p50:-?} p99 ${p99:-?}; $summary; CPU a request: server ${cpu_ms} ms, wrk ${client_ms} ms; probes during: ${probe% *}, failed: ${probe#* }"
}

echo "microstamp serve load on loopback ($(nproc) cores), store $store"
echo "scan: $status, $(stat -c %s "$scan") bytes; uploads with overlay=$overlay; load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
run_wrk lookup "$connections" "$base/api/search/identity?manufacturer=SIG%20Sauer&model=P320&serial=58A-104233"
run_wrk upload "$upload_connections" "$base/api/cases/WA0010000/24-118/exhibits"
after="$(curl -sf -m 5 -o /dev/null -w '%{http_code}' "${auth[@]}" "$base/api/session" || echo failed)"
echo "after the load: GET /api/session -> $after; load average: $(cut -d' ' -f1-3 /proc/loadavg)"
items="$(curl -sf "${auth[@]}" "$base/api/cases/WA0010000/24-118" | python3 -c "import json,sys; d=json.load(sys.stdin); print(len(d['exhibits']), sum(1 for e in d['exhibits'] for r in e['readings'] if r['status']=='decoded'))")"
echo "items in the case: ${items% *}, decoded readings: ${items#* }"
