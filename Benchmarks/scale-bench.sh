#!/usr/bin/env bash
# The search index at arXiv scale (issue 15), with the anchors in the same window: Paperboy's
# `search-bench scale` and `anchor-bench latency` (tantivy, bm25s) index the same N documents
# (the 80,017-paper arXiv + Daily Papers corpus repeated in its own order, copy k > 0 with id
# `<id>#<k>`) and answer the same 1,000 anchor queries on one thread.
#   Benchmarks/scale-bench.sh [N] [PASSAGES]   (defaults 1000000 and 0 synthetic sentences a paper)
# Whole-paper and query vectors are the real MiniLM ones in $VECTORS (default var/ann-sample,
# written by `search-bench embed-sample`) when it exists, repeated with noise; else synthetic.
# The indexes are written to an index file ($INDEX_DIR, default var/, about 3 GB at 1M with 8
# sentences a paper) and read back (`load_s`), then `search-bench load-index` reads that file
# in a process of its own: the start-up time and the memory a server holds.
# Prints each tool's lines, then the `scale …` line and the latency ratios to the anchors.
# Needs about 10 GB of memory at 1M and 12 minutes (bm25s builds for about 3 minutes).
set -euo pipefail
cd "$(dirname "$0")/.."
N=${1:-1000000}
PASSAGES=${2:-0}
VECTORS=${VECTORS:-var/ann-sample}
DATA=${SHARED:-../shared/data}
ANCHOR=../shared/tools/anchor-bench
WORK=$(mktemp -d)
INDEX_DIR=${INDEX_DIR:-var}
mkdir -p "$INDEX_DIR"
INDEX="$INDEX_DIR/scale-$N.search-index"
trap 'rm -rf "$WORK" "$INDEX"' EXIT

swift build -c release --product search-bench >/dev/null
"$ANCHOR" latency --n 1000 --dump-queries "$WORK/queries.txt" >/dev/null
REAL=()
if [ -f "$VECTORS/papers.f32" ]; then REAL=(--vectors "$VECTORS"); fi
.build/release/search-bench scale --queries "$WORK/queries.txt" --scale "$N" --passages "$PASSAGES" --data "$DATA" "${REAL[@]}" --index-file "$INDEX" | tee "$WORK/paperboy.txt"
sync
.build/release/search-bench load-index --file "$INDEX" --queries "$WORK/queries.txt" | tee -a "$WORK/paperboy.txt"
"$ANCHOR" latency --queries "$WORK/queries.txt" --scale "$N" | tee "$WORK/anchor.txt"

python3 - "$WORK/paperboy.txt" "$WORK/anchor.txt" <<'PY'
import re, sys
scale = next(line for line in open(sys.argv[1]) if line.startswith("scale "))
ours = dict(pair.split("=") for pair in scale.split()[1:])
print()
print(scale.strip())
for line in open(sys.argv[1]):
    if line.startswith("load-index "): print(line.strip())
for line in open(sys.argv[2]):
    found = re.match(r"(\w+)\S*\s.*?p50_ms=([\d.]+).*?p99_ms=([\d.]+)", line)
    if found and found.group(1) in ("tantivy", "bm25s"):
        name, p50, p99 = found.group(1), float(found.group(2)), float(found.group(3))
        print(f"{name}: p50 {p50} ms, p99 {p99} ms; paperboy lexical / {name}: "
              f"p50 {float(ours['lexical_p50_ms']) / p50:.2f}x, p99 {float(ours['lexical_p99_ms']) / p99:.2f}x")
PY
