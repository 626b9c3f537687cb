#!/usr/bin/env bash
# A real `paperboy serve` holding N papers (issue 15; default 1,000,000), every one with a stored
# whole-paper vector and its sentence vectors: the whole archive with synthetic embeddings
# (Benchmarks/embedded-archive.sh), then papers and embeddings copied to N
# (Benchmarks/replicate-papers.py: copy k > 0 of a paper is `<id>#<k>`, the scale rule).
# Starts the server twice on that database:
#   1. without an index file: it builds the index from the store and writes the file;
#   2. from the file: the start-up a restarted node sees.
# For each: seconds until /healthz answers, and the server's RSS after start and after 200
# different searches (the anchor queries, hybrid, through /api/papers/search).
#   Benchmarks/million-server.sh [N]
# Needs a release build (make release), ../shared, about 8 GB of disk at 1M ($WORK, default
# var/million; the database is kept for the next run) and about 6 GB of memory.
set -euo pipefail
cd "$(dirname "$0")/.."
N=${1:-1000000}
export SHARED=${SHARED:-../shared/data}
BIN=.build/release/paperboy
WORK=${WORK:-var/million}
DB=$WORK/papers-$N.sqlite
INDEX=$DB.search-index
PORT=${PORT:-18090}
SERVER=
trap 'kill $SERVER 2>/dev/null || true' EXIT
mkdir -p "$WORK"

echo "## machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(free -g | awk '/Mem/ {print $2}') GiB"
if [ ! -f "$DB" ]; then
    Benchmarks/embedded-archive.sh "$WORK/archive.sqlite" "$BIN"
    cp "$WORK/archive.sqlite" "$DB.partial"
    python3 Benchmarks/replicate-papers.py "$DB.partial" "$N" | tail -1
    sqlite3 "$DB.partial" "PRAGMA wal_checkpoint(TRUNCATE)" >/dev/null
    mv "$DB.partial" "$DB"
fi
echo "## database: $(du -m "$DB" | cut -f1) MB, $(sqlite3 "$DB" 'SELECT COUNT(*) FROM papers') papers, $(sqlite3 "$DB" 'SELECT COUNT(*) FROM paper_embeddings') embeddings"
../shared/tools/anchor-bench latency --n 1000 --dump-queries "$WORK/queries.txt" >/dev/null

rss() { awk '/VmRSS/ {print int($2 / 1024)}' "/proc/$SERVER/status"; }

serve() {
    local label=$1
    local started ready
    started=$(date +%s.%N)
    # No background embedding, syncs or API rate limit: the measurement is the index's.
    $BIN serve --port "$PORT" --database "$DB" --log-level info --no-embed --api-rate-limit 1000000000 \
        --hf-sync-interval off --arxiv-sync-time off > "$WORK/serve-$label.log" 2>&1 &
    SERVER=$!
    until curl -sf "http://127.0.0.1:$PORT/healthz" > "$WORK/health-$label.json"; do
        kill -0 "$SERVER" 2>/dev/null || { echo "server exited"; tail -20 "$WORK/serve-$label.log"; exit 1; }
        sleep 0.1
    done
    ready=$(date +%s.%N)
    local loaded
    loaded=$(python3 -c "import json, sys; s = json.load(open(sys.argv[1]))['search']; print(s.get('loadedFrom'), s['indexedPapers'], s['embeddedPapers'], s['sentenceVectors'])" "$WORK/health-$label.json")
    local after_start
    after_start=$(rss)
    head -200 "$WORK/queries.txt" | python3 -c "
import sys, urllib.request, urllib.parse
for query in sys.stdin:
    urllib.request.urlopen('http://127.0.0.1:$PORT/api/papers/search?' + urllib.parse.urlencode({'q': query.strip()})).read()
"
    echo "server $label: startup_s=$(python3 -c "print(round($ready - $started, 2))") loaded_from_papers_embedded_sentences=\"$loaded\" rss_mb_started=$after_start rss_mb_after_200_searches=$(rss)"
}

rm -f "$INDEX"
serve store
# The keeper writes the file soon after a rebuild; wait for it, then stop the server.
for _ in $(seq 1 600); do grep -q "search index written" "$WORK/serve-store.log" && break; sleep 0.5; done
kill -TERM "$SERVER"; wait "$SERVER" || true
serve file
kill -TERM "$SERVER"; wait "$SERVER" || true
SERVER=
grep -hE "search index (loaded|written)|dense index clustered" "$WORK"/serve-*.log | cut -c1-400
echo "## index file: $(du -m "$INDEX" | cut -f1) MB"
