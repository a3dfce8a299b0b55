#!/usr/bin/env bash
# Builds microstamp and runs every test: once in Release, then the unit tests again
# under AddressSanitizer and UndefinedBehaviorSanitizer.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/build.sh

# A real PostgreSQL 15 for the evidence tests: a throwaway cluster under build/,
# listening on a unix socket only (no TCP port to collide with), stopped on exit.
# PostgreSQL refuses to run as root, so as root the server runs as user postgres.
pg_bin=/usr/lib/postgresql/15/bin
pg_dir="$PWD/build/test-postgres"
as_postgres=()
[ "$(id -u)" -eq 0 ] && as_postgres=(runuser -u postgres --)
stop_postgres() { "${as_postgres[@]}" "$pg_bin/pg_ctl" -D "$pg_dir/data" -m fast -w stop >/dev/null 2>&1 || true; }
stop_postgres
rm -rf "$pg_dir"
mkdir -p "$pg_dir"
[ "$(id -u)" -eq 0 ] && chown postgres "$pg_dir"
"${as_postgres[@]}" "$pg_bin/initdb" -D "$pg_dir/data" -A trust -U microstamp --no-sync >/dev/null
trap stop_postgres EXIT
# fsync off: the tests kill clients, never the server, so durability on disk buys nothing here.
"${as_postgres[@]}" "$pg_bin/pg_ctl" -D "$pg_dir/data" -l "$pg_dir/server.log" -w \
  -o "-k $pg_dir -c listen_addresses='' -c fsync=off -c max_connections=200" start >/dev/null
"${as_postgres[@]}" "$pg_bin/createdb" -h "$pg_dir" -U microstamp microstamp_test
export MICROSTAMP_TEST_POSTGRES="postgresql://microstamp@/microstamp_test?host=$pg_dir"

ctest --test-dir build --output-on-failure -j"$(nproc)"

# Every benchmark and study behind the docs' Figures tables, at small counts, so that no
# table's command rots (the values printed are not the tables': those need full counts).
bash scripts/figures.sh --quick build

cmake -S . -B build-sanitize -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DMICROSTAMP_SANITIZE=ON -DMICROSTAMP_BENCH=OFF >/dev/null
# The unit tests of the pipeline's pure stages; the reader's and the store's end-to-end
# tests run in the Release pass above (under the sanitizers they would take ten times as long).
cmake --build build-sanitize -j"$(nproc)" --target test_code test_surface test_die test_physics
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
  ctest --test-dir build-sanitize --output-on-failure -j"$(nproc)" -L 'code|surface|die|physics'

# Every parser under libFuzzer (clang, ASan, UBSan) for 20 s from its seed corpus: a crash,
# leak, hang or sanitizer report fails the run (long runs: bash scripts/fuzz.sh --seconds N).
bash scripts/fuzz.sh --smoke --jobs "$(nproc)"
