#!/usr/bin/env bash
# Reproduces the digest numbers in BENCHMARKS.md: render and deliver the day's digest to
# READERS confirmed subscribers through the local SMTP test server (aiosmtpd on loopback,
# storing every message as a file), with 1 and 4 parallel connections.
#   Benchmarks/digest-bench.sh [READERS]      (needs make release and make setup-test)
set -euo pipefail
cd "$(dirname "$0")/.."
READERS=${1:-10000}
BIN=.build/release/paperboy
WORK=$(mktemp -d)
trap 'kill $SMTP 2>/dev/null || true; rm -rf "$WORK"' EXIT

.venv/bin/python scripts/smtp-test-server.py "$WORK/spool" --port 0 --raw-only >/dev/null 2>&1 &
SMTP=$!
for _ in $(seq 1 200); do [ -f "$WORK/spool/ready.json" ] && break; sleep 0.05; done
PORT=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["port"])' "$WORK/spool/ready.json")

python3 -c "import sys; [print(f'reader{i:05d}@example.org') for i in range(int(sys.argv[1]))]" "$READERS" > "$WORK/readers.txt"
for CONNECTIONS in 1 4; do
    DB=$WORK/digest-$CONNECTIONS.sqlite
    $BIN import hf-daily data/demo --database "$DB" >/dev/null 2>&1
    $BIN subscribers import "$WORK/readers.txt" --database "$DB"
    echo "## $READERS readers, $CONNECTIONS SMTP connection(s)"
    /usr/bin/time -f "wall %e s, paperboy CPU user %U s sys %S s, max RSS %M KB" \
        $BIN digest send --date 2026-08-21 --database "$DB" --log-level warning \
        --smtp-url "smtp://127.0.0.1:$PORT?starttls=off" --smtp-connections "$CONNECTIONS" \
        --from "Paperboy <digest@papers.example.org>" --public-url https://papers.example.org
done
echo "messages stored by the SMTP server: $(ls "$WORK/spool/messages" | wc -l)"
