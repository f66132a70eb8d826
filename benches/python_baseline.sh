#!/usr/bin/env bash
# The pipeline a team would otherwise write in Python — jieba.lcut + a pyahocorasick automaton
# over the same phrases — against `cuishou classify --input jsonl`, on the same messages.
#
#   benches/python_baseline.sh [FILE.jsonl] [REPEAT]
#
# FILE defaults to ../shared/data/real_sms_10k.jsonl (else corpus/dev.jsonl); it is repeated
# REPEAT times (default 10) so both sides run long enough to time. The venv lives in
# target/python-baseline-venv. Prints messages/s for each side and the ratio.
set -euo pipefail
cd "$(dirname "$0")/.."
target=${CARGO_TARGET_DIR:-target}
file=${1:-../shared/data/real_sms_10k.jsonl}
[ -f "$file" ] || file=corpus/dev.jsonl
repeat=${2:-10}

venv=$target/python-baseline-venv
if [ ! -x "$venv/bin/python" ]; then
    python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet jieba pyahocorasick
fi

cargo build --release --quiet
cuishou=$target/release/cuishou
work=$target/python-baseline
mkdir -p "$work"
"$cuishou" lexicon phrases > "$work/phrases.txt"
input=$work/input.jsonl
: > "$input"
for _ in $(seq "$repeat"); do cat "$file" >> "$input"; done
n=$(wc -l < "$input")

# Python: read JSONL, segment, scan, write one JSON line per message — the same end-to-end job.
# Loading jieba's dictionary is done before the clock starts, in Python's favour.
py_rate=$("$venv/bin/python" - "$work/phrases.txt" "$input" <<'PY'
import json, sys, time
import ahocorasick, jieba
jieba.setLogLevel(60)
jieba.initialize()
phrases = [p for p in open(sys.argv[1], encoding="utf-8").read().split("\n") if p]
for p in phrases:
    jieba.add_word(p)
auto = ahocorasick.Automaton()
for i, p in enumerate(phrases):
    auto.add_word(p, (i, p))
auto.make_automaton()
n = 0
start = time.perf_counter()
with open(sys.argv[2], encoding="utf-8") as f, open("/dev/null", "w") as out:
    for line in f:
        msg = json.loads(line)
        text = msg.get("text", "")
        words = jieba.lcut(text)
        hits = [{"phrase": p, "byte_end": end} for end, (_, p) in auto.iter(text)]
        out.write(json.dumps({"id": msg.get("id"), "tokens": len(words), "hits": hits}, ensure_ascii=False) + "\n")
        n += 1
print(n / (time.perf_counter() - start))
PY
)

# cuishou: the whole process (start-up and classifier build included), all cores, then one;
# and the rate its own summary reports, which starts the clock after the classifier is built,
# as Python's does after jieba and the automaton are (the like-for-like figure).
rate() {
    local s e
    s=$(date +%s.%N)
    "$cuishou" classify --input jsonl "$@" "$input" 2> "$work/summary" > /dev/null
    e=$(date +%s.%N)
    awk -v n="$n" -v s="$s" -v e="$e" 'BEGIN { print n / (e - s) }'
}
rs_rate=$(rate); rs_own=$(sed -n 's/.* \([0-9]*\) messages\/s$/\1/p' "$work/summary" | tail -1)
rs_rate_1=$(rate -j 1); rs_own_1=$(sed -n 's/.* \([0-9]*\) messages\/s$/\1/p' "$work/summary" | tail -1)

printf 'messages:              %d (%s x %d)\n' "$n" "$file" "$repeat"
printf 'python (jieba+pyahocorasick): %10.0f messages/s\n' "$py_rate"
printf 'cuishou (all cores, %d):  %10.0f messages/s  %6.1fx python\n' "$(nproc)" "$rs_rate" "$(awk -v a="$rs_rate" -v b="$py_rate" 'BEGIN { print a / b }')"
printf 'cuishou (-j 1):               %10.0f messages/s  %6.1fx python\n' "$rs_rate_1" "$(awk -v a="$rs_rate_1" -v b="$py_rate" 'BEGIN { print a / b }')"
printf 'after set-up, both sides (like for like):\n'
printf 'cuishou (all cores, %d):  %10.0f messages/s  %6.1fx python\n' "$(nproc)" "$rs_own" "$(awk -v a="$rs_own" -v b="$py_rate" 'BEGIN { print a / b }')"
printf 'cuishou (-j 1):               %10.0f messages/s  %6.1fx python\n' "$rs_own_1" "$(awk -v a="$rs_own_1" -v b="$py_rate" 'BEGIN { print a / b }')"
