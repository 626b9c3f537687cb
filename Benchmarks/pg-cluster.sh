# Sourced by Benchmarks/postgres-bench.sh and Benchmarks/nodes-bench.sh: a throwaway PostgreSQL
# cluster as in tests/e2e/postgres.py (initdb as the `postgres` user when run as root, since
# initdb refuses root; trust auth; fsync, synchronous_commit and full_page_writes off; a free
# loopback port; the socket in the temp dir). Needs $WORK (the caller's temp dir).
PG_BIN=${PG_BIN:-$(dirname "$(ls /usr/lib/postgresql/*/bin/initdb | sort -V | tail -1)")}
PG_DIR=$WORK/pg
PG_PORT=

free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

pg_as_owner() {
    if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

pg_start() {
    mkdir -p "$PG_DIR"
    chmod 755 "$WORK" "$PG_DIR"
    [ "$(id -u)" = 0 ] && chown postgres:postgres "$PG_DIR"
    PG_PORT=$(free_port)
    pg_as_owner "$PG_BIN/initdb" --no-sync -A trust -U postgres -E UTF8 --locale=C -D "$PG_DIR/data" >/dev/null
    pg_as_owner "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -l "$PG_DIR/server.log" -w -t 30 start \
        -o "-p $PG_PORT -k $PG_DIR -h 127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=300" >/dev/null
}

pg_stop() {
    [ -n "$PG_PORT" ] && pg_as_owner "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -m immediate stop >/dev/null 2>&1 || true
}

# psql_in DATABASE SQL: one value per line, no headers.
psql_in() {
    "$PG_BIN/psql" -X -q -A -t -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$PG_PORT" -U postgres -d "$1" -c "$2"
}

# pg_database NAME: a new empty database; prints its paperboy URL.
pg_database() {
    psql_in postgres "CREATE DATABASE $1" >/dev/null
    echo "postgres://postgres@127.0.0.1:$PG_PORT/$1?sslmode=disable"
}

pg_postmaster_pid() { head -1 "$PG_DIR/data/postmaster.pid"; }

pg_settings() {
    psql_in postgres "SELECT name || '=' || setting FROM pg_settings WHERE name IN ('server_version', 'fsync', 'synchronous_commit', 'full_page_writes', 'shared_buffers', 'max_connections', 'wal_level') ORDER BY name" | paste -sd' '
}
