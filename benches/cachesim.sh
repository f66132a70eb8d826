#!/usr/bin/env bash
# Counts per message that do not wander with the machine, where wall time on a shared VM does:
# instructions, L1 data misses and L2 misses (a simulated 1 MB, 16-way L2 as the last level) of
# the classifier's steady state and of the bare scan, under callgrind.
#
#   benches/cachesim.sh [FILE.jsonl ...]
#
# FILEs default to ../shared/data/real_sms_10k.jsonl (when present) and corpus/dev.jsonl. Two
# rounds of each after a warm-up round (`examples/steady.rs`). Needs valgrind. Use it to compare
# two versions of the hot path: a change that saves no misses and adds instructions is not a gain,
# whatever one wall-clock run said.
set -euo pipefail
cd "$(dirname "$0")/.."
target=${CARGO_TARGET_DIR:-target}
command -v valgrind >/dev/null || { echo "cachesim: valgrind is not installed" >&2; exit 1; }
files=("$@")
if [ ${#files[@]} -eq 0 ]; then
    [ -f ../shared/data/real_sms_10k.jsonl ] && files+=(../shared/data/real_sms_10k.jsonl)
    files+=(corpus/dev.jsonl)
fi
cargo build --release --quiet --example steady
steady=$target/release/examples/steady
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

printf '%-40s %-9s %12s %12s %12s\n' file run instr/msg L1d-miss/msg L2-miss/msg
for f in "${files[@]}"; do
    n=$(grep -c . "$f")
    for mode in classify scan; do
        fn=steady::steady_rounds
        args=("$f" 2)
        if [ "$mode" = scan ]; then
            fn=steady::scan_rounds
            args+=(scan)
        fi
        valgrind --tool=callgrind --cache-sim=yes --LL=1048576,16,64 --toggle-collect="$fn" \
            --callgrind-out-file="$out/cg" "$steady" "${args[@]}" 2>"$out/log" >/dev/null
        # The summary lines: "I   refs:", "D1  misses:" and "LLd misses:", first number each.
        pick() { grep "$1" "$out/log" | head -1 | awk -F: '{print $2}' | awk '{gsub(",", "", $1); print $1}'; }
        awk -v f="$(basename "$f")" -v m="$mode" -v n="$n" -v i="$(pick 'I   refs')" \
            -v d="$(pick 'D1  misses')" -v l="$(pick 'LLd misses')" \
            'BEGIN { printf "%-40s %-9s %12.0f %12.1f %12.2f\n", f, m, i / (2 * n), d / (2 * n), l / (2 * n) }'
    done
done
