#!/usr/bin/env bash
# Reproduces the single-node PostgreSQL numbers in BENCHMARKS.md ("PostgreSQL and several nodes"):
# PostgreSQL against SQLite on the same data (the whole HF archive + the arXiv listing, as
# feed-bench.sh imports them) and the same serve flags.
#   Benchmarks/postgres-bench.sh [DURATION_SECONDS]      (default 20 s per wrk run)
#   PARTS="serve" Benchmarks/postgres-bench.sh 15          (only some of: import serve copy startup)
# Each measurement runs twice, SQLite and PostgreSQL alternating, and the summary reports the
# better of the two with the spread. Needs a release build (swift build -c release --product
# paperboy), wrk, PostgreSQL (/usr/lib/postgresql/*/bin) and ../shared/data; run as root it starts
# the throwaway cluster as the `postgres` user (Benchmarks/pg-cluster.sh). About 12 minutes at 20 s.
set -euo pipefail
cd "$(dirname "$0")/.."
DURATION=${1:-20}
PARTS=" ${PARTS:-import serve copy startup} "
part() { [[ "$PARTS" == *" $1 "* ]]; }
SHARED=${SHARED:-../shared/data}
BIN=.build/release/paperboy
ARXIV=$SHARED/arxiv-cs/arxiv_daily_cs.jsonl.gz
HF=$SHARED/hf-daily-papers
WORK=$(mktemp -d)
RESULTS=$WORK/results.tsv   # what, backend, round, value, detail
# shellcheck source=Benchmarks/pg-cluster.sh
source Benchmarks/pg-cluster.sh
SERVERS=()
cleanup() {
    for pid in "${SERVERS[@]}"; do kill "$pid" 2>/dev/null || true; done
    wait 2>/dev/null || true
    pg_stop
    rm -rf "$WORK"
}
trap cleanup EXIT
# As feed-bench.sh: no background embedding, the API rate limit out of the way, no syncs; and
# wrk's loopback address trusted as a proxy, only for the X-Forwarded-For diagnostic below
# (requests without that header are unaffected).
FLAGS=(--log-level warning --no-embed --api-rate-limit 1000000000 --hf-sync-interval off --arxiv-sync-time off --trusted-proxies 127.0.0.1)

now() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.2f", b - a }'; }
record() { printf '%s\t%s\t%s\t%s\t%s\n' "$@" >> "$RESULTS"; }

serve() {  # serve PORT DATABASE [FLAG…]: starts a node in the background; its pid in $SERVER
    $BIN serve --port "$1" --database "$2" "${FLAGS[@]}" "${@:3}" &
    SERVER=$!
    SERVERS+=("$SERVER")
}
stop() { kill "$1" 2>/dev/null || true; wait "$1" 2>/dev/null || true; }
wait_healthy() { for _ in $(seq 1 600); do curl -sf "http://127.0.0.1:$1/healthz" >/dev/null && return; sleep 0.05; done; echo "no /healthz on $1" >&2; exit 1; }

echo "## machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(free -g | awk '/Mem/ {print $2}') GiB; load average $(cut -d' ' -f1-3 /proc/loadavg)"
pg_start
echo "## PostgreSQL (throwaway cluster): $(pg_settings)"

# 1. Bulk import of the arXiv listing into empty stores.
if part import; then
for round in 1 2; do
    for backend in sqlite postgres; do
        if [ $backend = sqlite ]; then target=$WORK/import-$round.sqlite; else target=$(pg_database import_$round); fi
        start=$(now)
        line=$($BIN import arxiv-jsonl "$ARXIV" --database "$target" 2>/dev/null | tail -1)
        seconds=$(since "$start")
        papers=$(sed -n 's/.*papers=\([0-9]*\).*/\1/p' <<< "$line")
        echo "## import arxiv-jsonl into an empty $backend store, round $round: ${seconds} s wall, $(awk -v p="$papers" -v s="$seconds" 'BEGIN { printf "%d", p / s }') papers/s ($line)"
        record import-arxiv $backend $round "$(awk -v p="$papers" -v s="$seconds" 'BEGIN { printf "%d", p / s }')" "${seconds} s"
    done
done
rm -f "$WORK"/import-*.sqlite*
psql_in postgres "DROP DATABASE import_1" >/dev/null
psql_in postgres "DROP DATABASE import_2" >/dev/null
fi

# 2. The serving stores: the whole archive, then the arXiv listing, as feed-bench.sh.
SQLITE_DB=$WORK/bench.sqlite
PG_DB=$(pg_database bench)
for backend in sqlite postgres; do
    if [ $backend = sqlite ]; then target=$SQLITE_DB; else target=$PG_DB; fi
    start=$(now)
    $BIN import hf-daily "$HF" --database "$target" 2>/dev/null | tail -1 >/dev/null
    echo "## $backend: import hf-daily (the archive) $(since "$start") s"
    $BIN import arxiv-jsonl "$ARXIV" --database "$target" >/dev/null 2>&1
done

if part serve; then
SQLITE_PORT=$(free_port)
serve "$SQLITE_PORT" "$SQLITE_DB"; SQLITE_SERVER=$SERVER
PG_PORT_HTTP=$(free_port)
serve "$PG_PORT_HTTP" "$PG_DB"; PG_SERVER=$SERVER
wait_healthy "$SQLITE_PORT"; wait_healthy "$PG_PORT_HTTP"
DAY=$(ls "$HF" | grep -E '^[0-9]{4}-[0-9]{2}-[0-9]{2}\.json$' | sort | tail -1 | cut -c1-10)
export DAYS_FILE=$WORK/days.txt
ls "$HF" | grep -E '^[0-9]{4}-[0-9]{2}-[0-9]{2}\.json$' | cut -c1-10 > "$DAYS_FILE"

cpu() { python3 Benchmarks/nodes-cpu.py "$@"; }
bench() {  # bench WHAT PATH [wrk args…]: twice on each backend, alternating; CPU per request of the node and of PostgreSQL
    local what=$1 path=$2; shift 2
    for round in 1 2; do
        for backend in sqlite postgres; do
            if [ $backend = sqlite ]; then port=$SQLITE_PORT node=$SQLITE_SERVER; else port=$PG_PORT_HTTP node=$PG_SERVER; fi
            curl -sf -o /dev/null "http://127.0.0.1:$port$path"  # warm
            local rps p99 errors requests node0 node1 pg0 pg1 usage
            node0=$(cpu "$node"); pg0=$(cpu "$(pg_postmaster_pid)")
            wrk -t2 -c64 -d"${DURATION}s" --latency "$@" "http://127.0.0.1:$port$path" > "$WORK/wrk.txt"
            node1=$(cpu "$node"); pg1=$(cpu "$(pg_postmaster_pid)")
            requests=$(awk '/requests in/ {print $1}' "$WORK/wrk.txt")
            rps=$(awk '/Requests\/sec/ {print int($2)}' "$WORK/wrk.txt")
            p99=$(awk '$1 == "99%" {print $2}' "$WORK/wrk.txt")
            errors=$(grep -E "Non-2xx|Socket errors" "$WORK/wrk.txt" | xargs || true)
            usage=$(awk -v a="$node0" -v b="$node1" -v c="$pg0" -v d="$pg1" -v n="$requests" \
                'BEGIN { printf "CPU/request: node %.3f ms, postgres %.3f ms", (b - a) * 1000 / n, (d - c) * 1000 / n }')
            echo "## $what, $backend, round $round: $rps req/s, p99 $p99, $usage ${errors:+($errors)}"
            record "$what" $backend $round "$rps" "p99 $p99, $usage${errors:+, $errors}"
        done
    done
}
echo "## wrk -t2 -c64 -d${DURATION}s, each twice per backend (sqlite, postgres alternating)"
bench "/" "/"
bench "/api/daily_papers?date=$DAY" "/api/daily_papers?date=$DAY"
bench "/papers/trending" "/papers/trending"
bench "/api/daily_papers uncached" "/api/daily_papers?date=$DAY" -s Benchmarks/pg-daily-uncached.lua
# Diagnostic: every /api/ request takes a rate-limit token; on PostgreSQL the buckets are shared
# by the nodes (a row per client), so the cached API day from 4,016 addresses instead of one
# tells a hot row from the cost of the take itself.
export PATH_UNDER_TEST="/api/daily_papers?date=$DAY"
bench "/api/daily_papers?date=$DAY, 4,016 client addresses" "/api/daily_papers?date=$DAY" -s Benchmarks/pg-many-addresses.lua
echo "## PostgreSQL node after the load: $(curl -sf "http://127.0.0.1:$PG_PORT_HTTP/healthz" | python3 -c 'import json, sys; print(json.load(sys.stdin)["store"])'), RSS $(awk '/VmRSS/ {print $2 " " $3}' /proc/$PG_SERVER/status) (SQLite node $(awk '/VmRSS/ {print $2 " " $3}' /proc/$SQLITE_SERVER/status))"
stop "$SQLITE_SERVER"; stop "$PG_SERVER"
fi

# 3. db copy of the whole store with embeddings, SQLite into an empty PostgreSQL database.
if part copy || part startup; then
start=$(now)
python3 Benchmarks/seed-synthetic-embeddings.py "$SQLITE_DB"
echo "## seeding took $(since "$start") s; SQLite file $(du -m "$SQLITE_DB" | cut -f1) MiB"
for round in 1 2; do
    target=$(pg_database copy_$round)
    start=$(now)
    $BIN db copy --from "$SQLITE_DB" --to "$target" 2>/dev/null > "$WORK/copy.txt"
    seconds=$(since "$start")
    echo "## db copy SQLite -> empty PostgreSQL, round $round: $seconds s wall"
    [ $round = 1 ] && cat "$WORK/copy.txt"
    record "db copy with embeddings" postgres $round "$seconds" "$(tail -1 "$WORK/copy.txt")"
done
echo "## PostgreSQL database after the copy: $(psql_in postgres "SELECT pg_size_pretty(pg_database_size('copy_1'))")"
psql_in postgres "DROP DATABASE copy_2" >/dev/null
fi

# 4. Start-up: from launching paperboy serve to a lexical search answering with results.
if part startup; then
COPY_DB="postgres://postgres@127.0.0.1:$PG_PORT/copy_1?sslmode=disable"
for round in 1 2; do
    for backend in sqlite postgres; do
        if [ $backend = sqlite ]; then database=$SQLITE_DB; else database=$COPY_DB; fi
        port=$(free_port)
        start=$(now)
        serve "$port" "$database" --log-level info > "$WORK/startup.log" 2>&1  # for "search index loaded … seconds="
        for _ in $(seq 1 3000); do
            if curl -sf "http://127.0.0.1:$port/api/papers/search?q=transformer&mode=lexical&limit=1" 2>/dev/null | grep -q '^\[{'; then break; fi
            sleep 0.02
        done
        seconds=$(since "$start")
        index=$(sed -n 's/.*search index loaded.* seconds=\([0-9.]*\).*/\1/p' "$WORK/startup.log" | tail -1)
        echo "## start-up on $backend (80,017 papers with embeddings), round $round: search answers after $seconds s, of which loading the search index ${index:-?} s; RSS $(awk '/VmRSS/ {print $2 " " $3}' /proc/$SERVER/status)"
        record "start-up to first search" $backend $round "$seconds" "index load ${index:-?} s"
        stop "$SERVER"
    done
done
fi

echo
echo "## summary: better of two rounds (spread between rounds); PostgreSQL as % of SQLite"
python3 - "$RESULTS" <<'PY'
import collections, sys
rows = collections.defaultdict(dict)
for line in open(sys.argv[1]):
    what, backend, round_, value, detail = line.rstrip("\n").split("\t")
    rows[what].setdefault(backend, []).append((float(value), detail))
lower_is_better = {"db copy with embeddings", "start-up to first search"}
for what, backends in rows.items():
    cells = []
    best = {}
    for backend in ("sqlite", "postgres"):
        if backend not in backends: continue
        values = backends[backend]
        pick = min if what in lower_is_better else max
        value, detail = pick(values, key=lambda v: v[0])
        best[backend] = value
        spread = abs(values[0][0] - values[-1][0]) / max(value, 1e-9) * 100
        shown = f"{value:,.2f} s" if what in lower_is_better else f"{value:,.0f}"
        cells.append(f"{backend} {shown} ({detail}; spread {spread:.0f} %)")
    ratio = ""
    if len(best) == 2:
        ratio = best["sqlite"] / best["postgres"] if what in lower_is_better else best["postgres"] / best["sqlite"]
        ratio = f"  -> postgres at {ratio * 100:.0f} % of sqlite" if what not in lower_is_better else f"  -> postgres takes {1 / ratio:.2f}x sqlite's time"
    print(f"{what}: " + " | ".join(cells) + ratio)
PY
