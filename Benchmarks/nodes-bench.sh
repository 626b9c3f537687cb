#!/usr/bin/env bash
# Reproduces the several-nodes numbers in BENCHMARKS.md ("PostgreSQL and several nodes"): 1, 2
# and 3 `paperboy serve` nodes on one PostgreSQL behind nginx (one upstream of the nodes,
# keepalive to them, loopback only), real authenticated upvotes through the balancer; CPU per
# request of every paperboy, postgres and nginx process; then a failover run (a node killed
# with -9 and restarted under load) that checks every acknowledged upvote is in the table.
#   Benchmarks/nodes-bench.sh [DURATION_SECONDS]     (default 30 s per wrk run; failover 30 s)
# Data: the whole HF archive (9,577 papers). Each throughput run twice; the summary keeps the
# better. Needs a release build, wrk, nginx, PostgreSQL; about 10 minutes at 30 s.
set -euo pipefail
cd "$(dirname "$0")/.."
DURATION=${1:-30}
SHARED=${SHARED:-../shared/data}
BIN=.build/release/paperboy
NGINX=$(command -v nginx || echo /usr/sbin/nginx)
WORK=$(mktemp -d)
RESULTS=$WORK/results.tsv
# shellcheck source=Benchmarks/pg-cluster.sh
source Benchmarks/pg-cluster.sh
NODES=("" "" "")
NGINX_PID=""
OTHERS=()
cleanup() {
    for pid in "${NODES[@]}" "${OTHERS[@]}" $NGINX_PID; do [ -n "$pid" ] && kill "$pid" 2>/dev/null || true; done
    wait 2>/dev/null || true
    pg_stop
    rm -rf "$WORK"
}
trap cleanup EXIT
FLAGS=(--log-level warning --no-embed --api-rate-limit 1000000000 --hf-sync-interval off --arxiv-sync-time off --trusted-proxies 127.0.0.1)
CLK=$(getconf CLK_TCK)

now() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.2f", b - a }'; }
wait_port() { for _ in $(seq 1 600); do curl -sf -o /dev/null "http://127.0.0.1:$1/healthz" && return; sleep 0.05; done; echo "no /healthz on $1" >&2; exit 1; }

echo "## machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(free -g | awk '/Mem/ {print $2}') GiB; load average $(cut -d' ' -f1-3 /proc/loadavg)"
pg_start
echo "## PostgreSQL (throwaway cluster): $(pg_settings)"
DB=$(pg_database nodes)
$BIN import hf-daily "$SHARED/hf-daily-papers" --database "$DB" 2>/dev/null | tail -1
PORTS=("$(free_port)" "$(free_port)" "$(free_port)")
NGINX_PORT=$(free_port)

start_node() {  # start_node I
    $BIN serve --port "${PORTS[$1]}" --database "$DB" "${FLAGS[@]}" &
    NODES[$1]=$!
}
stop_node() { [ -n "${NODES[$1]}" ] && { kill "${NODES[$1]}" 2>/dev/null || true; wait "${NODES[$1]}" 2>/dev/null || true; }; NODES[$1]=""; }

start_nginx() {  # start_nginx N: the first N nodes as the upstream, as in deploy/nginx-nodes.conf (without TLS)
    local dir=$WORK/nginx servers=""
    mkdir -p "$dir"
    for i in $(seq 0 $(($1 - 1))); do servers+="        server 127.0.0.1:${PORTS[$i]} max_fails=1 fail_timeout=2s;"$'\n'; done
    cat > "$dir/nginx.conf" <<CONF
$([ "$(id -u)" = 0 ] && echo "user root;")
daemon off;
worker_processes 1;
pid $dir/nginx.pid;
error_log $dir/error.log;
events { worker_connections 1024; }
http {
    access_log off;
    client_body_temp_path $dir/client_body;
    proxy_temp_path $dir/proxy;
    fastcgi_temp_path $dir/fastcgi;
    uwsgi_temp_path $dir/uwsgi;
    scgi_temp_path $dir/scgi;
    upstream paperboy {
$servers        keepalive 32;
    }
    server {
        listen 127.0.0.1:$NGINX_PORT;
        location / {
            proxy_pass http://paperboy;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_set_header Host \$host;
            proxy_set_header X-Forwarded-For \$proxy_add_x_forwarded_for;
            proxy_connect_timeout 2s;
        }
    }
}
CONF
    : > "$dir/error.log"
    $NGINX -p "$dir" -c "$dir/nginx.conf" -e "$dir/error.log" &
    NGINX_PID=$!
    wait_port "$NGINX_PORT"
}
stop_nginx() { kill "$NGINX_PID" 2>/dev/null || true; wait "$NGINX_PID" 2>/dev/null || true; NGINX_PID=""; }

# Readers and tokens, made through node 0's real pages.
start_node 0; wait_port "${PORTS[0]}"
export TOKEN IDS_FILE=$WORK/ids.txt
TOKEN=$(python3 Benchmarks/make-token.py "http://127.0.0.1:${PORTS[0]}")
python3 Benchmarks/nodes-make-tokens.py "http://127.0.0.1:${PORTS[0]}" 64 > "$WORK/tokens.txt"
curl -sf "http://127.0.0.1:${PORTS[0]}/api/daily_papers?limit=100" | python3 -c 'import json,sys; [print(i["paper"]["id"]) for i in json.load(sys.stdin)]' > "$IDS_FILE"
psql_in nodes "SELECT id FROM papers ORDER BY md5(id)" > "$WORK/all-ids.txt"
stop_node 0

upvotes() {  # upvotes LABEL BASE_URL CPU_PIDS…: wrk with upvote.lua twice, CPU of the PIDs' trees
    local label=$1 url=$2; shift 2
    for round in 1 2; do
        local before after requests rps p99 errors
        before=$(python3 Benchmarks/nodes-cpu.py "$@")
        wrk -t2 -c64 -d"${DURATION}s" --latency -s Benchmarks/upvote.lua "$url" > "$WORK/wrk.txt"
        after=$(python3 Benchmarks/nodes-cpu.py "$@")
        requests=$(awk '/requests in/ {print $1}' "$WORK/wrk.txt")
        rps=$(awk '/Requests\/sec/ {print int($2)}' "$WORK/wrk.txt")
        p99=$(awk '$1 == "99%" {print $2}' "$WORK/wrk.txt")
        errors=$(grep -E "Non-2xx|Socket errors" "$WORK/wrk.txt" | xargs || true)
        local ms
        ms=$(awk -v a="$before" -v b="$after" -v n="$requests" 'BEGIN { printf "%.3f", (b - a) * 1000 / n }')
        echo "## $label, round $round: $rps req/s, p99 $p99, CPU $(awk -v a="$before" -v b="$after" 'BEGIN { printf "%.1f", b - a }') s for $requests requests = $ms ms/request ${errors:+($errors)}"
        printf '%s\t%s\t%s\t%s\t%s\n' "$label" "$round" "$rps" "$p99" "$ms" >> "$RESULTS"
    done
}

echo "## authenticated upvotes (Benchmarks/upvote.lua: POST/DELETE alternating over 100 papers, one reader), wrk -t2 -c64 -d${DURATION}s"
# References: one node without nginx, on PostgreSQL and on SQLite (same archive).
start_node 0; wait_port "${PORTS[0]}"
upvotes "1 node, PostgreSQL, direct (no nginx)" "http://127.0.0.1:${PORTS[0]}" "$(pg_postmaster_pid)" "${NODES[0]}"
stop_node 0
SQLITE_DB=$WORK/nodes.sqlite
$BIN import hf-daily "$SHARED/hf-daily-papers" --database "$SQLITE_DB" >/dev/null 2>&1
SQLITE_PORT=$(free_port)
$BIN serve --port "$SQLITE_PORT" --database "$SQLITE_DB" "${FLAGS[@]}" &
SQLITE_NODE=$!; OTHERS+=("$SQLITE_NODE")
wait_port "$SQLITE_PORT"
TOKEN_SAVED=$TOKEN
TOKEN=$(python3 Benchmarks/make-token.py "http://127.0.0.1:$SQLITE_PORT")
upvotes "1 node, SQLite, direct (no nginx)" "http://127.0.0.1:$SQLITE_PORT" "$SQLITE_NODE"
kill "$SQLITE_NODE"; wait "$SQLITE_NODE" 2>/dev/null || true
TOKEN=$TOKEN_SAVED

for n in 1 2 3; do
    for i in $(seq 0 $((n - 1))); do start_node "$i"; done
    for i in $(seq 0 $((n - 1))); do wait_port "${PORTS[$i]}"; done
    start_nginx "$n"
    upvotes "$n node(s) behind nginx" "http://127.0.0.1:$NGINX_PORT" "$(pg_postmaster_pid)" "$NGINX_PID" "${NODES[@]:0:$n}"
    pool=$(for i in $(seq 0 $((n - 1))); do curl -sf "http://127.0.0.1:${PORTS[$i]}/healthz" | python3 -c 'import json, sys; print(json.load(sys.stdin)["store"]["pool"])'; done | paste -sd' ')
    echo "## pools after the runs: $pool"
    stop_nginx
    if [ "$n" -lt 3 ]; then for i in $(seq 0 $((n - 1))); do stop_node "$i"; done; fi
done

# Distinct writes: POST-only upvotes of (reader, paper) pairs never asked before (16 readers a
# run, all 9,577 papers; Benchmarks/nodes-failover.lua), 30 s through nginx; afterwards every
# acknowledged upvote must be a row of the table. The failover runs kill node 1 with -9 at ~10 s
# and start it again at ~15 s; the runs without a kill, on 3 nodes and on 1, are their baseline.
distinct() {  # distinct RUN NODES KILL(yes|no) CPU_PIDS…
    local run=$1 nodes=$2 kill=$3; shift 3
    local acked=$WORK/acked-$run offset=$(( (run - 1) * 16 )) start restarted before after
    mkdir -p "$acked"
    sed -n "$((offset + 1)),$((offset + 16))p" "$WORK/tokens.txt" > "$WORK/tokens-$run.txt"
    : > "$WORK/nginx/error.log"
    echo "## distinct upvotes, run $run, $nodes node(s): wrk -t2 -c64 -d30s, readers $offset-$((offset + 15)), $(wc -l < "$WORK/all-ids.txt") papers, through nginx$([ "$kill" = yes ] && echo "; node 1 killed -9 at 10 s, restarted at 15 s")"
    before=$(python3 Benchmarks/nodes-cpu.py "$@")
    start=$(now)
    THREADS=2 TOKENS_FILE=$WORK/tokens-$run.txt IDS_FILE=$WORK/all-ids.txt ACKED_DIR=$acked \
        wrk -t2 -c64 -d30s --latency -s Benchmarks/nodes-failover.lua "http://127.0.0.1:$NGINX_PORT" > "$WORK/distinct.txt" &
    local wrk_pid=$!
    if [ "$kill" = yes ]; then
        sleep 10
        kill -9 "${NODES[1]}"; wait "${NODES[1]}" 2>/dev/null || true
        echo "## killed node 1 at $(since "$start") s"
        sleep 5
        restarted=$(now)
        start_node 1
        wait_port "${PORTS[1]}"
        echo "## node 1 started again at $(awk -v a="$start" -v b="$restarted" 'BEGIN { printf "%.2f", b - a }') s, answering /healthz $(since "$restarted") s later"
    fi
    wait "$wrk_pid"
    after=$(python3 Benchmarks/nodes-cpu.py "$@")
    grep -E "Requests/sec|99%|Non-2xx|Socket errors|requests in|^status" "$WORK/distinct.txt"
    [ -s "$WORK/nginx/error.log" ] && echo "## nginx error log: $(sed -E 's/^[^]]*\] [0-9#]+: \*?[0-9]* ?//; s/ while .*//; s/, client.*//' "$WORK/nginx/error.log" | sort | uniq -c | sort -rn | head -5 | awk '{$1=$1; print}' | paste -sd';')"
    sleep 1  # let the nodes finish what nginx handed them before wrk stopped
    psql_in nodes "SELECT u.email || '|' || v.paper_id FROM upvotes v JOIN users u ON u.id = v.user_id WHERE u.email LIKE 'nodes-reader-%'" > "$WORK/rows.txt"
    python3 Benchmarks/nodes-check-acked.py "$acked" "$offset" 16 "$WORK/rows.txt" || echo "## LOST ACKNOWLEDGED WRITES"
    local requests rps p99 ms
    requests=$(awk '/requests in/ {print $1}' "$WORK/distinct.txt")
    rps=$(awk '/Requests\/sec/ {print int($2)}' "$WORK/distinct.txt")
    p99=$(awk '$1 == "99%" {print $2}' "$WORK/distinct.txt")
    if [ "$kill" = yes ]; then ms=nan; else ms=$(awk -v a="$before" -v b="$after" -v n="$requests" 'BEGIN { printf "%.3f", (b - a) * 1000 / n }'); fi
    printf '%s\t%s\t%s\t%s\t%s\n' "distinct upvotes, $nodes node(s)$([ "$kill" = yes ] && echo ", node 1 killed and restarted")" "$run" "$rps" "$p99" "$ms" >> "$RESULTS"
}
start_nginx 3
distinct 3 3 no "$(pg_postmaster_pid)" "$NGINX_PID" "${NODES[@]}"
distinct 1 3 yes
distinct 2 3 yes
stop_nginx; stop_node 1; stop_node 2
start_nginx 1
distinct 4 1 no "$(pg_postmaster_pid)" "$NGINX_PID" "${NODES[0]}"
stop_nginx; stop_node 0

# Diagnostic: what a node spends on writes made through another. Nodes 0 and 1 run, nginx
# sends every request to node 0; node 1's CPU over the run, per write.
start_node 0; start_node 1; wait_port "${PORTS[0]}"; wait_port "${PORTS[1]}"
start_nginx 1
for round in 1 2; do
    idle0=$(python3 Benchmarks/nodes-cpu.py "${NODES[1]}")
    all0=$(python3 Benchmarks/nodes-cpu.py "$(pg_postmaster_pid)" "$NGINX_PID" "${NODES[0]}" "${NODES[1]}")
    wrk -t2 -c64 -d"${DURATION}s" --latency -s Benchmarks/upvote.lua "http://127.0.0.1:$NGINX_PORT" > "$WORK/wrk.txt"
    idle1=$(python3 Benchmarks/nodes-cpu.py "${NODES[1]}")
    all1=$(python3 Benchmarks/nodes-cpu.py "$(pg_postmaster_pid)" "$NGINX_PID" "${NODES[0]}" "${NODES[1]}")
    requests=$(awk '/requests in/ {print $1}' "$WORK/wrk.txt")
    rps=$(awk '/Requests\/sec/ {print int($2)}' "$WORK/wrk.txt")
    ms=$(awk -v a="$all0" -v b="$all1" -v n="$requests" 'BEGIN { printf "%.3f", (b - a) * 1000 / n }')
    echo "## round $round: $rps writes/s through node 0, $ms ms CPU per write in all processes; node 1, sent nothing, used $(awk -v a="$idle0" -v b="$idle1" 'BEGIN { printf "%.1f", b - a }') s CPU = $(awk -v a="$idle0" -v b="$idle1" -v n="$requests" 'BEGIN { printf "%.3f", (b - a) * 1000 / n }') ms per write"
    printf '%s\t%s\t%s\t%s\t%s\n' "2 nodes, nginx sends all to node 0" "$round" "$rps" "$(awk '$1 == "99%" {print $2}' "$WORK/wrk.txt")" "$ms" >> "$RESULTS"
done
stop_nginx; stop_node 0; stop_node 1

# Diagnostic: one node whose pool allows 60 connections (3 nodes' worth), upvote.lua direct.
DB="$DB&pool=60"
start_node 0; wait_port "${PORTS[0]}"
upvotes "1 node, PostgreSQL, direct, pool=60" "http://127.0.0.1:${PORTS[0]}" "$(pg_postmaster_pid)" "${NODES[0]}"
stop_node 0

echo
echo "## summary: better of two rounds (req/s; spread between rounds), p99 and CPU per request of that round"
python3 - "$RESULTS" <<'PY'
import collections, sys
rows = collections.defaultdict(list)
for line in open(sys.argv[1]):
    label, round_, rps, p99, ms = line.rstrip("\n").split("\t")
    rows[label].append((int(rps), p99, float(ms)))
for label, runs in rows.items():
    best = max(runs)
    spread = f"spread {abs(runs[0][0] - runs[-1][0]) / best[0] * 100:.0f} %" if len(runs) > 1 else "one run"
    cpu = "" if best[2] != best[2] else f", {best[2]:.3f} ms CPU/request"
    print(f"{label}: {best[0]:,} req/s ({spread}), p99 {best[1]}{cpu}")
PY
