#!/usr/bin/env bash
# Reproduces the reader numbers in BENCHMARKS.md: authenticated upvote throughput under wrk,
# and trending computation time with 100k upvotes.
#   Benchmarks/upvote-bench.sh [DURATION_SECONDS]     (needs make release, wrk)
set -euo pipefail
cd "$(dirname "$0")/.."
DURATION=${1:-30}
BIN=.build/release/paperboy
WORK=$(mktemp -d)
DB=$WORK/upvotes.sqlite
PORT=${PORT:-18081}
trap 'kill $SERVER 2>/dev/null || true; rm -rf "$WORK"' EXIT

$BIN import hf-daily data/demo --database "$DB" >/dev/null 2>&1
$BIN serve --port "$PORT" --database "$DB" --no-embed --log-level warning --api-rate-limit 1000000000 --hf-sync-interval off --arxiv-sync-time off &
SERVER=$!
for _ in $(seq 1 200); do curl -sf "http://127.0.0.1:$PORT/healthz" >/dev/null && break; sleep 0.05; done
export TOKEN=$(python3 Benchmarks/make-token.py "http://127.0.0.1:$PORT")
export IDS_FILE=$WORK/ids.txt
curl -sf "http://127.0.0.1:$PORT/api/daily_papers?limit=100" | python3 -c 'import json,sys; [print(i["paper"]["id"]) for i in json.load(sys.stdin)]' > "$IDS_FILE"
echo "## wrk -t2 -c64 -d${DURATION}s authenticated POST/DELETE /api/papers/{id}/upvote ($(wc -l < "$IDS_FILE") papers)"
wrk -t2 -c64 -d"${DURATION}s" --latency -s Benchmarks/upvote.lua "http://127.0.0.1:$PORT" | grep -E "Requests/sec|99%|Non-2xx|Socket errors|requests in"
kill $SERVER; wait $SERVER 2>/dev/null || true

python3 Benchmarks/seed-upvotes.py "$DB" 2000 50
$BIN bench trending --database "$DB"
