#!/usr/bin/env bash
# Sync throughput against the loopback replay server (upstream-replay), release build:
#  1. Hugging Face: the 580 captured days of ../shared/data/hf-daily-papers into an empty
#     store: wall time, days/s, and the share of the time spent waiting on the upstream
#     (`upstream_seconds` in the summary) versus parsing and writing.
#  2. OAI-PMH: the recorded 3-page legacy harvest (set cs, 2,358 records, oai_dc) with the
#     3 s request spacing switched off: records/s and peak memory.
#  3. One 10,000-record page (records of the harvest with new ids): records/s and peak memory
#     of the harvesting process, plus oai-bench's parse-only figures for the same page size.
# Usage: Benchmarks/sync-bench.sh   (writes to .build/sync-bench/)
set -euo pipefail
cd "$(dirname "$0")/.."
SHARED=${PAPERBOY_SHARED_DATA:-../shared/data}
OUT=.build/sync-bench
rm -rf "$OUT" && mkdir -p "$OUT/oai10k"
for product in paperboy upstream-replay oai-bench; do swift build -c release --product "$product" >/dev/null; done
BIN=.build/release

python3 - "$SHARED/upstream/arxiv-oai/legacy-export-oai2" "$OUT/oai10k/page.xml" <<'PY'
import pathlib, re, sys
pages = sorted(pathlib.Path(sys.argv[1]).glob("listrecords_oai_dc_set-cs_2021-03-20_2021-03-30_page*.xml"))
records = [r for p in pages for r in re.findall(r"<record>.*?</record>", p.read_text(), re.S)]
head = pages[0].read_text().split("<ListRecords>")[0]
head = re.sub(r"<request [^>]*>", '<request verb="ListRecords" metadataPrefix="oai_dc" set="bench" from="2021-03-20" until="2021-03-30">', head)
out = [head, "<ListRecords>"]
for n in range(10_000):
    record = records[n % len(records)]
    out.append(re.sub(r"<identifier>oai:arXiv.org:[^<]*</identifier>", f"<identifier>oai:arXiv.org:2112.{n + 1:05d}</identifier>", record, count=1))
out.append("</ListRecords>\n</OAI-PMH>\n")
pathlib.Path(sys.argv[2]).write_text("".join(out))
PY

"$BIN/upstream-replay" --port 0 --quiet --hf-dir "$SHARED/hf-daily-papers" \
    --oai "$SHARED/upstream/arxiv-oai/legacy-export-oai2" "$OUT/oai10k" > "$OUT/replay.log" 2>&1 &
REPLAY=$!
trap 'kill $REPLAY 2>/dev/null' EXIT
for _ in $(seq 100); do grep -q "listening on" "$OUT/replay.log" && break; sleep 0.1; done
URL="http://$(grep -o '127.0.0.1:[0-9]*' "$OUT/replay.log" | head -1)"

field() { tr ' ' '\n' <<<"$1" | sed -n "s/^$2=//p"; }
peak() { sed -n 's/.*Maximum resident set size (kbytes): //p' "$1" | awk '{ printf "%.1f", $1 / 1024 }'; }

FIRST=$(ls "$SHARED/hf-daily-papers" | grep -E '^[0-9-]{10}\.json$' | sort | head -1 | cut -c1-10)
LAST=$(ls "$SHARED/hf-daily-papers" | grep -E '^[0-9-]{10}\.json$' | sort | tail -1 | cut -c1-10)
HF=$(/usr/bin/time -v -o "$OUT/hf.time" "$BIN/paperboy" sync hf-daily --from "$FIRST" --to "$LAST" \
    --endpoint "$URL" --database "$OUT/hf.sqlite" 2>"$OUT/hf.err" | tail -1)
echo "hf-daily: $HF"
awk -v d="$(field "$HF" days)" -v s="$(field "$HF" seconds)" -v u="$(field "$HF" upstream_seconds)" -v rss="$(peak "$OUT/hf.time")" \
    'BEGIN { printf "hf-daily: %d days in %.2f s = %.0f days/s; waiting on the upstream %.0f%%, parsing and writing %.0f%%; peak RSS %s MiB\n", d, s, d / s, 100 * u / s, 100 - 100 * u / s, rss }'

OAI=$(/usr/bin/time -v -o "$OUT/oai.time" "$BIN/paperboy" sync arxiv --set cs --metadata-prefix oai_dc --from 2021-03-20 \
    --until 2021-03-30 --spacing 0 --endpoint "$URL/oai" --database "$OUT/oai.sqlite" 2>"$OUT/oai.err" | tail -1)
echo "arxiv 3 pages: $OAI"
awk -v r="$(field "$OAI" records)" -v s="$(field "$OAI" seconds)" -v u="$(field "$OAI" upstream_seconds)" -v rss="$(peak "$OUT/oai.time")" \
    'BEGIN { printf "arxiv 3 pages: %d records in %.2f s = %.0f records/s; upstream (fetch + parse) %.0f%%; peak RSS %s MiB\n", r, s, r / s, 100 * u / s, rss }'

BIG=$(/usr/bin/time -v -o "$OUT/oai10k.time" "$BIN/paperboy" sync arxiv --set bench --metadata-prefix oai_dc --from 2021-03-20 \
    --until 2021-03-30 --spacing 0 --endpoint "$URL/oai" --database "$OUT/oai10k.sqlite" 2>"$OUT/oai10k.err" | tail -1)
echo "arxiv 10k page: $BIG"
awk -v r="$(field "$BIG" records)" -v s="$(field "$BIG" seconds)" -v rss="$(peak "$OUT/oai10k.time")" \
    'BEGIN { printf "arxiv one 10,000-record page: %d records in %.2f s = %.0f records/s; peak RSS of the harvest %s MiB\n", r, s, r / s, rss }'
"$BIN/oai-bench" --records 10000 --rounds 3 "$SHARED"/upstream/arxiv-oai/legacy-export-oai2/*page*.xml
