#!/usr/bin/env bash
# The response cache's memory bound under distinct URLs (issue 10): RSS of a server on the demo
# data before and after more than 100,000 never-repeated API URLs, half of them 30 KB long.
#   Benchmarks/cache-rss-bench.sh [DURATION_SECONDS]
# Needs a release build (make release) and wrk.
set -euo pipefail
cd "$(dirname "$0")/.."
DURATION=${1:-40}
BIN=.build/release/paperboy
WORK=$(mktemp -d)
PORT=${PORT:-18081}
trap 'kill $SERVER 2>/dev/null || true; rm -rf "$WORK"' EXIT
$BIN import hf-daily data/demo --database "$WORK/demo.sqlite" >/dev/null 2>&1
$BIN serve --port "$PORT" --database "$WORK/demo.sqlite" --log-level warning --no-embed --api-rate-limit 1000000000 --hf-sync-interval off --arxiv-sync-time off &
SERVER=$!
for _ in $(seq 1 600); do curl -sf "http://127.0.0.1:$PORT/healthz" >/dev/null && break; sleep 0.1; done
rss() { awk '/VmRSS/ {print $2}' /proc/$SERVER/status; }
# Warm: the pages and API once, so the baseline has every lazily built structure.
for path in / /papers/trending "/api/daily_papers?limit=20"; do curl -sf -o /dev/null "http://127.0.0.1:$PORT$path"; done
BEFORE=$(rss)
PAPER=$(curl -sf "http://127.0.0.1:$PORT/api/daily_papers?limit=1" | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["paper"]["id"])')
PAPER=$PAPER wrk -t2 -c16 -d"${DURATION}s" -s Benchmarks/distinct-urls.lua "http://127.0.0.1:$PORT" | grep -E "requests in|Non-2xx"
AFTER=$(rss)
echo "rss_before_kb=$BEFORE rss_after_kb=$AFTER growth_kb=$((AFTER - BEFORE)) cache_bound_kb=$((24 * 1024))"
