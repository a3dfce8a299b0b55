#!/usr/bin/env bash
# Runs every fenced ```sh block of a user's guide, in order, in one shell and in an empty
# temporary folder, with the built microstamp first on PATH, so a guide's commands
# cannot drift from the program. Fails naming the guide and the command that failed.
#
#   bash tests/guides/run_guide.sh GUIDE.md MICROSTAMP_BINARY
set -uo pipefail
guide="$(realpath "$1")"
binary="$(realpath "$2")"
repository="$(cd "$(dirname "$guide")/.." && pwd)"
[ -f "$guide" ] || { echo "run_guide: no guide at $guide" >&2; exit 1; }
[ -x "$binary" ] || { echo "run_guide: no microstamp binary at $binary" >&2; exit 1; }

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/bin"
ln -s "$binary" "$work/bin/microstamp"

# The blocks, with the guide's line number before each, so a failure can point at it.
script="$work/guide.sh"
awk -v name="$(basename "$guide")" '
    /^```sh[[:space:]]*$/ { inside = 1; printf "guide_line=%d\n", NR + 1; next }
    /^```/ && inside      { inside = 0; next }
    inside                { print }
' "$guide" > "$script"
[ -s "$script" ] || { echo "run_guide: $(basename "$guide") has no \`\`\`sh block" >&2; exit 1; }

cd "$work"
PATH="$work/bin:$PATH" MICROSTAMP_REPOSITORY="$repository" GUIDE_NAME="$(basename "$guide")" bash -eE -o pipefail -c '
    trap '"'"'echo "guide $GUIDE_NAME (block at line $guide_line) failed: $BASH_COMMAND" >&2'"'"' ERR
    source "$0"
' "$script" 2> "$work/stderr" > "$work/stdout"
status=$?
if [ "$status" -ne 0 ]; then
    tail -n 20 "$work/stderr" >&2
    exit "$status"
fi
echo "guide $(basename "$guide"): every command ran"
