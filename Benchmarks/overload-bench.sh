#!/usr/bin/env bash
# Reproduces the overload table in BENCHMARKS.md: wrk with 256 connections for 30 s on the routes
# that used to queue or time out, on the whole archive with every paper embedded (synthetic
# vectors, so query embedding and dense ranking run at full size), and the server's own latency
# histogram for accepted search requests (from /metrics).
#   Benchmarks/overload-bench.sh [DURATION_SECONDS] [CONNECTIONS]
# Needs a release build (make release), wrk (apt-get install wrk) and ../shared/data.
set -euo pipefail
cd "$(dirname "$0")/.."
DURATION=${1:-30}
CONNECTIONS=${2:-256}
SHARED=${SHARED:-../shared/data}
EVAL=${EVAL:-../shared/eval}
BIN=.build/release/paperboy
WORK=${WORK:-$(mktemp -d)}
DB=$WORK/bench.sqlite
PORT=${PORT:-18080}
TOKEN=bench-metrics-token
trap 'kill $SERVER 2>/dev/null || true' EXIT

echo "## machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(free -g | awk '/Mem/ {print $2}') GiB"
if [ ! -f "$DB" ]; then
    $BIN import hf-daily "$SHARED/hf-daily-papers" --database "$DB" 2>/dev/null
    $BIN import arxiv-jsonl "$SHARED/arxiv-cs/arxiv_daily_cs.jsonl.gz" --database "$DB" 2>/dev/null
    python3 Benchmarks/seed-synthetic-embeddings.py "$DB"
fi
python3 - "$EVAL/scifact/queries.jsonl" > "$WORK/queries.txt" <<'PY'
import json, sys, urllib.parse
for line in open(sys.argv[1]):
    print(urllib.parse.quote_plus(" ".join(json.loads(line)["text"].split()[:8])))
PY

ulimit -n 4096
$BIN serve --port "$PORT" --database "$DB" --log-level warning --no-embed --metrics-token "$TOKEN" --api-rate-limit 1000000000 --hf-sync-interval off --arxiv-sync-time off &
SERVER=$!
for _ in $(seq 1 600); do curl -sf "http://127.0.0.1:$PORT/healthz" >/dev/null && break; sleep 0.1; done

run() {
    local label=$1; shift
    echo "## $label"
    wrk -t2 -c"$CONNECTIONS" -d"${DURATION}s" --timeout 10s --latency "$@" \
        | grep -E "Requests/sec|50%|99%|Non-2xx|Socket errors|requests in"
}
URL="http://127.0.0.1:$PORT"
run "/ping" "$URL/ping"
run "/" "$URL/"
run "/papers/trending" "$URL/papers/trending"
run "/api/daily_papers?limit=100" "$URL/api/daily_papers?limit=100"
run "/api/daily_papers?limit=100 (gzip)" -H "Accept-Encoding: gzip" "$URL/api/daily_papers?limit=100"
run "/api/papers/search?q=diffusion+models" "$URL/api/papers/search?q=diffusion+models"
run "/search?q=diffusion+models" "$URL/search?q=diffusion+models"
QUERIES_FILE="$WORK/queries.txt" PATH_PREFIX="/api/papers/search?q=" \
    run "/api/papers/search, a different SciFact query each request" -s Benchmarks/search-queries.lua "$URL"
CONNECTIONS=32 QUERIES_FILE="$WORK/queries.txt" PATH_PREFIX="/api/papers/search?q=" \
    run "/api/papers/search, a different SciFact query each request, 32 connections (under capacity)" -s Benchmarks/search-queries.lua "$URL"
echo "## server-side latency of answered searches (200) and refusals (503), from /metrics"
curl -sf -H "Authorization: Bearer $TOKEN" "$URL/metrics" | python3 Benchmarks/histogram-quantiles.py \
    'route="/api/papers/search"' 'route="/search"'
echo "## server RSS: $(awk '/VmRSS/ {print $2 " " $3}' /proc/$SERVER/status)"
