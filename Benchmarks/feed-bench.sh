#!/usr/bin/env bash
# Reproduces the feed numbers in BENCHMARKS.md: full-archive imports, wrk on the pages and the
# API next to a trivial route, and the server's resident memory.
#   Benchmarks/feed-bench.sh [DURATION_SECONDS]
# Needs a release build (make release), wrk (apt-get install wrk) and ../shared/data.
set -euo pipefail
cd "$(dirname "$0")/.."
DURATION=${1:-30}
SHARED=${SHARED:-../shared/data}
BIN=.build/release/paperboy
WORK=$(mktemp -d)
DB=$WORK/bench.sqlite
PORT=${PORT:-18080}
trap 'kill $SERVER 2>/dev/null || true; rm -rf "$WORK"' EXIT

echo "## machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(free -g | awk '/Mem/ {print $2}') GiB"
echo "## import: whole Hugging Face archive ($SHARED/hf-daily-papers)"
$BIN import hf-daily "$SHARED/hf-daily-papers" --database "$DB" 2>/dev/null
echo "## import: arXiv listing ($SHARED/arxiv-cs/arxiv_daily_cs.jsonl.gz)"
$BIN import arxiv-jsonl "$SHARED/arxiv-cs/arxiv_daily_cs.jsonl.gz" --database "$DB" 2>/dev/null

# No background embedding (it would take a core from the server) and the API rate limit out
# of the way (600 a minute per address would answer almost every API request 429), and no
# syncs (they would reach for Hugging Face and arXiv during the measurement).
$BIN serve --port "$PORT" --database "$DB" --log-level warning --no-embed --api-rate-limit 1000000000 --hf-sync-interval off --arxiv-sync-time off &
SERVER=$!
for _ in $(seq 1 200); do curl -sf "http://127.0.0.1:$PORT/healthz" >/dev/null && break; sleep 0.05; done
# The latest captured day (an item's publishedAt is the arXiv publication time, not its day).
DAY=$(ls "$SHARED/hf-daily-papers" | grep -E '^[0-9]{4}-[0-9]{2}-[0-9]{2}\.json$' | sort | tail -1 | cut -c1-10)

for path in "/ping" "/" "/api/daily_papers?date=$DAY" "/papers/trending"; do
    curl -sf -o /dev/null "http://127.0.0.1:$PORT$path"  # warm
    echo "## wrk -t2 -c64 -d${DURATION}s $path"
    wrk -t2 -c64 -d"${DURATION}s" --latency "http://127.0.0.1:$PORT$path" | grep -E "Requests/sec|99%|Non-2xx|Socket errors|requests in"
done
# Real clients (browsers, requests/huggingface_hub) ask for gzip; measure that too.
for path in "/" "/api/daily_papers?date=$DAY"; do
    echo "## wrk -t2 -c64 -d${DURATION}s -H 'Accept-Encoding: gzip' $path"
    wrk -t2 -c64 -d"${DURATION}s" --latency -H "Accept-Encoding: gzip" "http://127.0.0.1:$PORT$path" | grep -E "Requests/sec|99%|Non-2xx|Socket errors|requests in"
done
echo "## server RSS after both imports and the load: $(awk '/VmRSS/ {print $2 " " $3}' /proc/$SERVER/status)"
