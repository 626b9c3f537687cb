#!/usr/bin/env bash
# Search throughput under concurrency (issue 15): how many hybrid searches a second the server
# answers at 64 and 256 connections, for clients that honour Retry-After (a refused connection
# waits the second it was told to; Benchmarks/search-clients.lua), with
#   - every request a different anchor query (each one is embedded), and
#   - queries drawn Zipf-like (s = 1.0) from the same 1,000, as real logs repeat
#     (the query vector cache answers most of them).
# The whole archive (80,017 papers) with every paper embedded by synthetic vectors, so query
# embedding and dense ranking run at full size; --no-embed and no rate limit. The server is
# restarted for each run (from its index file), so each starts with an empty query cache.
#   Benchmarks/search-throughput.sh [DURATION_SECONDS]
# BIN names the server binary (default .build/release/paperboy), to compare builds.
# Needs a release build, wrk, ../shared; $WORK (default var/throughput) keeps the database.
set -euo pipefail
cd "$(dirname "$0")/.."
DURATION=${1:-30}
export SHARED=${SHARED:-../shared/data}
BIN=${BIN:-.build/release/paperboy}
WORK=${WORK:-var/throughput}
DB=$WORK/bench.sqlite
PORT=${PORT:-18095}
TOKEN=bench-metrics-token
SERVER=
trap 'kill $SERVER 2>/dev/null || true' EXIT
mkdir -p "$WORK"

echo "## machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(free -g | awk '/Mem/ {print $2}') GiB; server: $BIN"
Benchmarks/embedded-archive.sh "$DB" "$BIN"
../shared/tools/anchor-bench latency --n 1000 --dump-queries "$WORK/queries.raw" >/dev/null
python3 -c "
import sys, urllib.parse
for line in open(sys.argv[1]):
    if line.strip(): print(urllib.parse.quote_plus(line.strip()))
" "$WORK/queries.raw" > "$WORK/queries.txt"

ulimit -n 4096
URL="http://127.0.0.1:$PORT"
for connections in 64 256; do
    for zipf in 0 1.0; do
        $BIN serve --port "$PORT" --database "$DB" --log-level warning --no-embed --metrics-token "$TOKEN" \
            --api-rate-limit 1000000000 --hf-sync-interval off --arxiv-sync-time off &
        SERVER=$!
        for _ in $(seq 1 600); do curl -sf "$URL/healthz" >/dev/null && break; sleep 0.1; done
        echo "## $connections connections, $([ "$zipf" = 0 ] && echo "a different query each request" || echo "Zipf s=$zipf over the 1,000 queries")"
        QUERIES_FILE="$WORK/queries.txt" PATH_PREFIX="/api/papers/search?q=" ZIPF_S=$zipf \
            wrk -t2 -c"$connections" -d"${DURATION}s" --timeout 10s --latency -s Benchmarks/search-clients.lua "$URL" \
            | grep -E "answered=|Requests/sec|Socket errors"
        curl -sf -H "Authorization: Bearer $TOKEN" "$URL/metrics" > "$WORK/metrics.txt"
        python3 Benchmarks/histogram-quantiles.py 'route="/api/papers/search"' < "$WORK/metrics.txt"
        curl -sf "$URL/healthz" | python3 -c "
import json, sys
cache = json.load(sys.stdin)['search'].get('queryCache') or sys.exit('query vector cache: not reported by this build')
print(f\"query vector cache: hits={cache['hits']} misses={cache['misses']} hit_rate={cache['hits'] / max(1, cache['hits'] + cache['misses']):.3f}\")" || true
        kill -TERM "$SERVER"; wait "$SERVER" || true
        SERVER=
    done
done
