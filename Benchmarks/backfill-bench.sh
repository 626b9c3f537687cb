#!/usr/bin/env bash
# Search latency while the embedding backfill runs, against the same server idle (issue 15:
# "search p99 under backfill within 1.5× of idle"), and the backfill's rate.
#   Benchmarks/backfill-bench.sh [DURATION_SECONDS] [CONNECTIONS]
# The Daily Papers archive gets synthetic embeddings (so searches embed the query and rank
# densely at full size); the 74,728 arXiv papers are imported without, so the backfill has
# hours of work. wrk asks a different SciFact query each request (no query cache hits).
# Needs a release build (make release), wrk and ../shared/data.
set -euo pipefail
cd "$(dirname "$0")/.."
DURATION=${1:-20}
CONNECTIONS=${2:-1}
SHARED=${SHARED:-../shared/data}
EVAL=${EVAL:-../shared/eval}
BIN=.build/release/paperboy
WORK=${WORK:-$(mktemp -d)}
DB=$WORK/bench.sqlite
PORT=${PORT:-18081}
SERVER=
trap 'kill $SERVER 2>/dev/null || true' EXIT

echo "## machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs); load: $(cut -d' ' -f1-3 /proc/loadavg)"
$BIN import hf-daily "$SHARED/hf-daily-papers" --database "$DB" 2>/dev/null
python3 Benchmarks/seed-synthetic-embeddings.py "$DB"
$BIN import arxiv-jsonl "$SHARED/arxiv-cs/arxiv_daily_cs.jsonl.gz" --database "$DB" 2>/dev/null
python3 - "$EVAL/scifact/queries.jsonl" > "$WORK/queries.txt" <<'PY'
import json, sys, urllib.parse
for line in open(sys.argv[1]):
    print(urllib.parse.quote_plus(" ".join(json.loads(line)["text"].split()[:8])))
PY

serve() {
    $BIN serve --port "$PORT" --database "$DB" --log-level warning --api-rate-limit 1000000000 \
        --hf-sync-interval off --arxiv-sync-time off "$@" &
    SERVER=$!
    for _ in $(seq 1 1200); do curl -sf "http://127.0.0.1:$PORT/healthz" >/dev/null && return; sleep 0.1; done
    echo "server did not start" >&2
    exit 1
}

measure() {
    echo "## $1"
    QUERIES_FILE="$WORK/queries.txt" PATH_PREFIX="/api/papers/search?q=" \
        wrk -t1 -c"$CONNECTIONS" -d"${DURATION}s" --timeout 10s --latency -s Benchmarks/search-queries.lua \
        "http://127.0.0.1:$PORT" | grep -E "Requests/sec|50%|90%|99%|Non-2xx"
}

serve --no-embed
measure "idle (no backfill)"
kill $SERVER; wait $SERVER 2>/dev/null || true

serve
sleep 5
before=$(curl -sf "http://127.0.0.1:$PORT/healthz")
measure "while the backfill embeds"
sleep 30
after=$(curl -sf "http://127.0.0.1:$PORT/healthz")
echo "## backfill: healthz before and after ($DURATION s of searches, then 30 s without)"
echo "$before"
echo "$after"
