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

RATE="$RATE" CONNS="$CONNS" "${WRK_PIN[@]}" wrk -t1 -c"$CONNS" -d"${DURATION}s" --timeout 5s --latency -s benches/load.lua "$URL" | tee "$OUT/wrk"
wait "$SAMPLER" 2>/dev/null || true

echo "--- server RSS (KiB), every ${RSS_EVERY}s"
cat "$OUT/rss"
awk '/^rss/ { split($3, a, "="); v = a[2]; if (n == 0) first = v; last = v; if (min == "" || v < min) min = v; if (v > max) max = v; n++ }
     END { printf "RSS first=%d last=%d min=%d max=%d KiB over %d samples\n", first, last, min, max, n }' "$OUT/rss"
grep '^RESULT' "$OUT/wrk"
curl -s "$URL/metrics" | grep -E '^cuishou_http_requests_total\{route="/v1/classify"' || true
