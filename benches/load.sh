#!/usr/bin/env bash
# Load test for `cuishou serve` on loopback with wrk: requests/s, p50/p99 latency, and the
# server's RSS sampled every few seconds.
#
#   benches/load.sh [DURATION_SECONDS] [RATE]
#
# DURATION_SECONDS defaults to 10 (bounded: at most 900). With RATE (requests/s) the load is
# rate-limited (for "80% of saturation" runs); without it wrk runs flat out (saturation).
# Environment: CONNS (default 16), SERVER_THREADS (default: one per core), RSS_EVERY (default 5 s),
# CUISHOU (a prebuilt binary; default: build target/release/cuishou), PIN=1 (give the load
# generator a core of its own: wrk on CPU 0, the server on CPU 1 with one worker thread, so the
# latency measured is the server's and not time spent waiting for wrk to be scheduled).
# Only 127.0.0.1 is ever targeted.
#
# Besides wrk's RESULT line (behind_1ms: paced sends that left over 1 ms after their slot, whose
# wait is not in the latency) it prints the CPU the server and wrk used per request, and how much
# of the machine other processes and the hypervisor (steal) took meanwhile: on a shared 2-core VM
# those, not the server, often make the p99.
set -euo pipefail
cd "$(dirname "$0")/.."

DURATION=${1:-10}
RATE=${2:-}
CONNS=${CONNS:-16}
RSS_EVERY=${RSS_EVERY:-5}
if ! [[ "$DURATION" =~ ^[0-9]+$ ]] || (( DURATION < 1 || DURATION > 900 )); then
  echo "load.sh: duration must be 1..900 seconds" >&2; exit 2
fi

if ! command -v wrk >/dev/null 2>&1; then
  echo "load.sh: installing wrk (Debian package)" >&2
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null
fi

BIN=${CUISHOU:-}
if [[ -z "$BIN" ]]; then
  cargo build --release --quiet
  BIN="${CARGO_TARGET_DIR:-target}/release/cuishou"
fi

OUT=$(mktemp -d)
SERVER_ARGS=(serve --addr 127.0.0.1:0)
SERVER_PIN=() WRK_PIN=()
if [[ "${PIN:-}" == 1 ]]; then
  if (( $(nproc) < 2 )) || ! command -v taskset >/dev/null 2>&1; then
    echo "load.sh: PIN=1 needs two cores and taskset" >&2; exit 2
  fi
  SERVER_PIN=(taskset -c 1) WRK_PIN=(taskset -c 0)
  SERVER_THREADS=${SERVER_THREADS:-1}
fi
[[ -n "${SERVER_THREADS:-}" ]] && SERVER_ARGS+=(--threads "$SERVER_THREADS")
# Request logs are one line each; at tens of thousands per second they would measure the
# terminal, not the server. Warnings and errors still show.
RUST_LOG=warn "${SERVER_PIN[@]}" "$BIN" "${SERVER_ARGS[@]}" >"$OUT/stdout" 2>"$OUT/stderr" &
PID=$!
cleanup() { kill -TERM "$PID" 2>/dev/null || true; wait "$PID" 2>/dev/null || true; rm -rf "$OUT"; }
trap cleanup EXIT

for _ in $(seq 100); do
  grep -q '^listening on ' "$OUT/stdout" 2>/dev/null && break
  sleep 0.1
done
URL=$(sed -n 's/^listening on //p' "$OUT/stdout" | head -1)
case "$URL" in
  http://127.0.0.1:*) ;;
  *) echo "load.sh: server did not start: $(cat "$OUT/stderr")" >&2; exit 1 ;;
esac

rss_kib() { awk '/^VmRSS:/ {print $2}' "/proc/$PID/status"; }
echo "server pid $PID at $URL; $(nproc) cores${PIN:+ (pinned: wrk on CPU 0, server on CPU 1)}; wrk -t1 -c$CONNS -d${DURATION}s${RATE:+ at $RATE req/s}"
echo "rss_kib at start: $(rss_kib)"

# A few requests first, so the RSS baseline is the warmed-up server, not a cold one.
curl -s -o /dev/null -H 'content-type: application/json' -d '{"text":"warm up 上*门"}' "$URL/v1/classify" || true

(
  t=0
  while kill -0 "$PID" 2>/dev/null && (( t <= DURATION )); do
    echo "rss t=${t}s kib=$(rss_kib)"
    sleep "$RSS_EVERY"; t=$((t + RSS_EVERY))
  done
) > "$OUT/rss" &
SAMPLER=$!

# CPU accounting over the wrk run, so a tail can be read against what else the machine did:
# the server's CPU time (/proc/PID/stat), wrk's (this shell's children), and the machine's busy
# and steal time (/proc/stat; steal is time the hypervisor gave the VM's CPUs to someone else).
TCK=$(getconf CLK_TCK)
srv_ticks() { awk '{print $14 + $15}' "/proc/$PID/stat"; }
machine() { awk '/^cpu / {print $2 + $3 + $4 + $7 + $8, $9}' /proc/stat; }
# `times` must run in this shell (not a $(...) subshell) to see wrk, a child of this shell.
children_secs() { awk 'NR == 2 { sub("s", "", $1); sub("s", "", $2); split($1, u, "m"); split($2, s, "m"); print u[1] * 60 + u[2] + s[1] * 60 + s[2] }' "$1"; }
times >"$OUT/times0"; s0=$(srv_ticks); read -r m0 st0 < <(machine); w0=$(date +%s.%N)
RATE="$RATE" CONNS="$CONNS" "${WRK_PIN[@]}" wrk -t1 -c"$CONNS" -d"${DURATION}s" --timeout 5s --latency -s benches/load.lua "$URL" | tee "$OUT/wrk"
times >"$OUT/times1"; s1=$(srv_ticks); read -r m1 st1 < <(machine); w1=$(date +%s.%N)
c0=$(children_secs "$OUT/times0"); c1=$(children_secs "$OUT/times1")
wait "$SAMPLER" 2>/dev/null || true

echo "--- server RSS (KiB), every ${RSS_EVERY}s"
cat "$OUT/rss"
awk '/^rss/ { split($3, a, "="); v = a[2]; if (n == 0) first = v; last = v; if (min == "" || v < min) min = v; if (v > max) max = v; n++ }
     END { printf "RSS first=%d last=%d min=%d max=%d KiB over %d samples\n", first, last, min, max, n }' "$OUT/rss"
grep '^RESULT' "$OUT/wrk"
awk -v s=$((s1 - s0)) -v m=$((m1 - m0)) -v st=$((st1 - st0)) -v c0="$c0" -v c1="$c1" -v w0="$w0" -v w1="$w1" -v t="$TCK" \
    -v n="$(sed -n 's/^RESULT requests=\([0-9]*\).*/\1/p' "$OUT/wrk")" -v cores="$(nproc)" '
  BEGIN {
    wall = w1 - w0; srv = s / t; wrk = c1 - c0; other = m / t - srv - wrk; if (other < 0) other = 0
    printf "CPU server=%.1fus/request (%.2f cores) wrk=%.1fus/request other_processes=%.0f%% steal=%.1f%% of %d cores\n",
      srv / n * 1e6, srv / wall, wrk / n * 1e6, other / (wall * cores) * 100, st / t / (wall * cores) * 100, cores
  }'
if [[ -n "$RATE" ]]; then
  awk -v rate="$RATE" '/^RESULT/ {
    for (i = 2; i <= NF; i++) { split($i, kv, "="); v[kv[1]] = kv[2] }
    if (v["rps"] < 0.98 * rate) printf "WARNING: %s requests/s is short of the %s asked for\n", v["rps"], rate
    if (v["behind_1ms"] > 0.001 * v["requests"]) printf "NOTE: %s of %s sends (%.0f%%) left over 1 ms behind their slot; their wait before the send is not in the latency\n", v["behind_1ms"], v["requests"], 100 * v["behind_1ms"] / v["requests"]
  }' "$OUT/wrk"
fi
curl -s "$URL/metrics" | grep -E '^cuishou_http_requests_total\{route="/v1/classify"' || true
