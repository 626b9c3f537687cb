#!/usr/bin/env bash
# Benchmark helper: a throw-away SQLite database of the whole archive (Hugging Face Daily Papers
# and the arXiv listing, 80,017 papers) with every paper embedded by synthetic vectors
# (Benchmarks/seed-synthetic-embeddings.py), so query embedding and dense ranking run at full
# size without hours of MiniLM. Does nothing when DATABASE exists; built under DATABASE.partial
# and renamed when complete.
#   Benchmarks/embedded-archive.sh DATABASE [BIN]
set -euo pipefail
cd "$(dirname "$0")/.."
DB=$1
BIN=${2:-.build/release/paperboy}
SHARED=${SHARED:-../shared/data}
[ -f "$DB" ] && exit 0
rm -f "$DB.partial"
$BIN import hf-daily "$SHARED/hf-daily-papers" --database "$DB.partial" 2>/dev/null
$BIN import arxiv-jsonl "$SHARED/arxiv-cs/arxiv_daily_cs.jsonl.gz" --database "$DB.partial" 2>/dev/null
python3 Benchmarks/seed-synthetic-embeddings.py "$DB.partial"
sqlite3 "$DB.partial" "PRAGMA wal_checkpoint(TRUNCATE)" >/dev/null
mv "$DB.partial" "$DB"
