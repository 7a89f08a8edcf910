#!/usr/bin/env bash
# Local PostgreSQL server from the distribution's packages: a private cluster on
# 127.0.0.1:$POSTGRES_PORT with one role and one database per service.
#
#   postgres.sh start    create the cluster if needed, start it, ensure roles and databases
#   postgres.sh stop     stop it (pg_ctl stop -m fast)
#   postgres.sh status   one line; exit 0 when running, 3 when not
#   postgres.sh reset    stop and delete the cluster (all data)
#
# Where the cluster lives: $SUITE_PG_DIR when set, else $SUITE_STATE_DIR/postgres. initdb and
# the server refuse to run as root, so as root they run as the `postgres` system user (or a
# `suitepg` system user created for the purpose). That user must be able to reach the data
# dir; when it cannot (e.g. the repository sits under a 0700 home such as /root) the cluster
# goes to /var/tmp/suite-postgres-<hash of $SUITE_STATE_DIR> instead (by default the state dir
# is <repo>/.local, so that is one cluster per checkout), a name that is the same at every run
# so start, stop and status always agree. The scripts print where it is.
set -euo pipefail

# shellcheck disable=SC2034  # read by say() in lib.sh
SCRIPT_NAME=postgres
# shellcheck source=lib.sh
. "$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/lib.sh"

SERVICES=(orders inventory billing documents)
: "${POSTGRES_START_TIMEOUT:=60}"
: "${POSTGRES_STOP_TIMEOUT:=60}"
# How long to wait for a closed connection (TIME-WAIT, a minute on Linux) to let go of the port.
: "${POSTGRES_PORT_WAIT:=90}"

# --- binaries -------------------------------------------------------------------------------

# The directory holding initdb/pg_ctl/pg_isready/psql of one PostgreSQL version: PG_BIN_DIR,
# else the one on PATH (symlinks resolved, so Debian's versioned dir is found), else the newest
# /usr/lib/postgresql/*/bin.
find_pg_bin() {
    if [ -n "${PG_BIN_DIR:-}" ]; then
        [ -x "$PG_BIN_DIR/initdb" ] || return 1
        printf '%s\n' "$PG_BIN_DIR"
        return 0
    fi
    local ctl dir
    if ctl="$(command -v pg_ctl 2>/dev/null)" && command -v initdb >/dev/null 2>&1; then
        dir="$(dirname "$(readlink -f "$ctl")")"
        if [ -x "$dir/initdb" ]; then
            printf '%s\n' "$dir"
            return 0
        fi
    fi
    local candidates=(/usr/lib/postgresql/*/bin)
    [ -e "${candidates[0]}" ] || return 1
    while IFS= read -r dir; do
        if [ -x "$dir/initdb" ] && [ -x "$dir/pg_ctl" ]; then
            printf '%s\n' "$dir"
            return 0
        fi
    done < <(printf '%s\n' "${candidates[@]}" | sort -V -r)
    return 1
}

need_pg() {
    if ! PG_BIN="$(find_pg_bin)"; then
        can_apt || die "PostgreSQL server binaries (initdb, pg_ctl) not found: install them (Debian: apt-get install postgresql) or set PG_BIN_DIR"
        apt_install postgresql
        PG_BIN="$(find_pg_bin)" || die "initdb/pg_ctl still not found after installing postgresql"
    fi
    PSQL="$PG_BIN/psql"
    [ -x "$PSQL" ] || PSQL="$(command -v psql)" || die "psql not found next to $PG_BIN/pg_ctl nor on PATH"
    PG_ISREADY="$PG_BIN/pg_isready"
    [ -x "$PG_ISREADY" ] || PG_ISREADY="$(command -v pg_isready)" || die "pg_isready not found"
}

# --- who runs the server, and where ------------------------------------------------------------

choose_user() {
    if ! is_root; then
        PG_USER="$(id -un)"
        return 0
    fi
    command -v runuser >/dev/null 2>&1 || die "runuser not found (util-linux); it is needed to run PostgreSQL as a non-root user"
    if id -u postgres >/dev/null 2>&1; then
        PG_USER=postgres
    else
        if ! id -u suitepg >/dev/null 2>&1; then
            say "creating system user suitepg to own the PostgreSQL cluster"
            useradd --system --user-group --no-create-home --home-dir /nonexistent \
                --shell /usr/sbin/nologin suitepg || die "could not create system user suitepg"
        fi
        PG_USER=suitepg
    fi
}

# Runs a command as the cluster's owner, from / so a cwd it cannot read does not bother it.
as_pg() {
    if is_root; then
        (cd / && runuser -u "$PG_USER" -- "$@")
    else
        "$@"
    fi
}

choose_dir() {
    if [ -n "${SUITE_PG_DIR:-}" ]; then
        PG_DIR="$SUITE_PG_DIR"
    elif ! is_root; then
        PG_DIR="$SUITE_STATE_DIR/postgres"
    else
        mkdir -p "$SUITE_STATE_DIR"
        if runuser -u "$PG_USER" -- test -x "$SUITE_STATE_DIR" 2>/dev/null; then
            PG_DIR="$SUITE_STATE_DIR/postgres"
        else
            PG_DIR="/var/tmp/suite-postgres-$(printf '%s' "$SUITE_STATE_DIR" | sha256sum | cut -c1-12)"
        fi
    fi
    PG_DATA="$PG_DIR/data"
    PG_LOG="$PG_DIR/postgres.log"
    PG_SOCKET_DIR="$PG_DIR/run"
    # A unix socket path must fit in 107 bytes; a deep checkout gets a short one in /tmp.
    if [ "${#PG_SOCKET_DIR}" -gt 90 ]; then
        PG_SOCKET_DIR="${TMPDIR:-/tmp}/suite-pg-$(printf '%s' "$PG_DIR" | sha256sum | cut -c1-12)"
    fi
}

# Creates a directory owned by the cluster's user, private to it.
pg_owned_dir() {
    mkdir -p "$1"
    is_root && chown "$PG_USER:" "$1"
    chmod 700 "$1"
}

setup() {
    need_pg
    choose_user
    choose_dir
}

# --- server ---------------------------------------------------------------------------------

pg_running() {
    [ -f "$PG_DATA/PG_VERSION" ] && as_pg "$PG_BIN/pg_ctl" -D "$PG_DATA" status >/dev/null 2>&1
}

server_pid() {
    head -n 1 "$PG_DATA/postmaster.pid" 2>/dev/null || true
}

init_cluster() {
    [ -f "$PG_DATA/PG_VERSION" ] && return 0
    say "creating a cluster in $PG_DATA (owner $PG_USER)"
    pg_owned_dir "$PG_DIR"
    local pwfile="$PG_DIR/.pwfile"
    # The password travels in a file only the owner can read, removed right after.
    (umask 077 && printf '%s\n' "$POSTGRES_PASSWORD" | as_pg tee "$pwfile" >/dev/null)
    if ! as_pg "$PG_BIN/initdb" -D "$PG_DATA" --username=postgres --pwfile="$pwfile" \
        --auth=scram-sha-256 --encoding=UTF8 --no-locale >"$LOG_DIR/postgres-initdb.log" 2>&1; then
        rm -f "$pwfile"
        cat "$LOG_DIR/postgres-initdb.log" >&2
        die "initdb failed (output above)"
    fi
    rm -f "$pwfile"
    # Our settings live in a file of their own, rewritten at every start.
    printf "\ninclude_if_exists = 'suite.conf'\n" | as_pg tee -a "$PG_DATA/postgresql.conf" >/dev/null
}

write_config() {
    {
        echo "# Written by deploy/local/postgres.sh at every start; edits are lost."
        echo "listen_addresses = '127.0.0.1'"
        echo "port = $POSTGRES_PORT"
        echo "unix_socket_directories = '$PG_SOCKET_DIR'"
        echo "max_connections = 200"
        if [ "${PG_FAST:-0}" = 1 ]; then
            # Throwaway test clusters only: a crash can lose or corrupt data.
            echo "fsync = off"
            echo "synchronous_commit = off"
            echo "full_page_writes = off"
        fi
        if [ "${PG_STATEMENT_STATS:-0}" = 1 ]; then
            # Calls and time per statement (`make bench` prints them per order and service);
            # loaded at start only, and it costs a little on every statement: off by default.
            echo "shared_preload_libraries = 'pg_stat_statements'"
            echo "pg_stat_statements.max = 5000"
        fi
    } | as_pg tee "$PG_DATA/suite.conf" >/dev/null
}

# With PG_STATEMENT_STATS=1 the view in the postgres database (the bench reads it there); a
# server started without the option needs a restart to load it.
ensure_statement_stats() {
    [ "${PG_STATEMENT_STATS:-0}" = 1 ] || return 0
    if [[ "$(psql_admin -Atc "SHOW shared_preload_libraries")" != *pg_stat_statements* ]]; then
        say "PG_STATEMENT_STATS=1 applies at the server's next start (stop, then start it again)"
        return 0
    fi
    psql_admin -c 'SET client_min_messages = warning; CREATE EXTENSION IF NOT EXISTS pg_stat_statements' ||
        die "could not create the pg_stat_statements extension (PG_STATEMENT_STATS=1)"
}

tail_log() {
    say "last lines of $PG_LOG:"
    tail -n 30 "$PG_LOG" >&2 2>/dev/null || true
}

# The port lies in the kernel's ephemeral range: with nothing listening on it, it may still be
# the local end of another program's outgoing connection, which a bind cannot share. A closed
# one lingers in TIME-WAIT for a minute, so that case is waited out; a live one is reported.
port_holders() {
    command -v ss >/dev/null 2>&1 || return 0
    ss -tanpH "( sport = :$POSTGRES_PORT )" 2>/dev/null
}

# pg_ctl start, retried while the port is held only by connections in TIME-WAIT.
start_server() {
    local deadline=$((SECONDS + POSTGRES_PORT_WAIT)) log_from holders
    while :; do
        log_from=$(($(stat -c %s "$PG_LOG" 2>/dev/null || echo 0) + 1))
        as_pg "$PG_BIN/pg_ctl" -D "$PG_DATA" -l "$PG_LOG" -w -t "$POSTGRES_START_TIMEOUT" -s start &&
            return 0
        holders=""
        if tail -c "+$log_from" "$PG_LOG" 2>/dev/null | grep -q "Address already in use"; then
            holders="$(port_holders)"
        fi
        if [ -n "$holders" ] && ! grep -qv '^TIME-WAIT' <<<"$holders" && [ "$SECONDS" -lt "$deadline" ]; then
            say "127.0.0.1:$POSTGRES_PORT is still the local end of a closed connection (TIME-WAIT); retrying in 5 s"
            sleep 5
            continue
        fi
        tail_log
        if [ -n "$holders" ]; then
            say "127.0.0.1:$POSTGRES_PORT is the local end of these connections (ports in the ephemeral range are lent to outgoing ones); close them or set POSTGRES_PORT:"
            printf '%s\n' "$holders" >&2
        fi
        return 1
    done
}

wait_ready() {
    local deadline=$((SECONDS + POSTGRES_START_TIMEOUT))
    until "$PG_ISREADY" -q -h 127.0.0.1 -p "$POSTGRES_PORT" -t 2; do
        if [ "$SECONDS" -ge "$deadline" ]; then
            tail_log
            die "PostgreSQL did not accept connections on 127.0.0.1:$POSTGRES_PORT within ${POSTGRES_START_TIMEOUT}s (POSTGRES_START_TIMEOUT)"
        fi
        sleep 0.5
    done
}

psql_admin() {
    PGPASSWORD="$POSTGRES_PASSWORD" "$PSQL" -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 \
        -p "$POSTGRES_PORT" -U postgres -d postgres "$@"
}

# One login role and one database per service, owned by the role. CREATEDB lets the test suite
# make throwaway databases. Existing roles get their attributes and password re-applied, so the
# roles always match what env.sh's URLs say.
ensure_databases() {
    local svc var pw
    for svc in "${SERVICES[@]}"; do
        var="SUITE_$(printf '%s' "$svc" | tr '[:lower:]' '[:upper:]')_DB_PASSWORD"
        pw="${!var:-$svc}"
        psql_admin -v role="$svc" -v pw="$pw" <<'SQL' || die "could not create role/database '$svc' (is POSTGRES_PASSWORD the cluster's superuser password?)"
SELECT NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = :'role') AS role_missing \gset
\if :role_missing
CREATE ROLE :"role" LOGIN CREATEDB PASSWORD :'pw';
\else
ALTER ROLE :"role" LOGIN CREATEDB PASSWORD :'pw';
\endif
SELECT NOT EXISTS (SELECT 1 FROM pg_database WHERE datname = :'role') AS db_missing \gset
\if :db_missing
CREATE DATABASE :"role" OWNER :"role";
\endif
SQL
    done
}

link_log() {
    # The log is written by the cluster's owner inside its dir; a link keeps all logs in one place.
    [ "$PG_LOG" = "$LOG_DIR/postgres.log" ] || ln -sfn "$PG_LOG" "$LOG_DIR/postgres.log"
}

cmd_start() {
    setup
    mkdir -p "$LOG_DIR"
    if pg_running; then
        wait_ready
        ensure_databases
        ensure_statement_stats
        say "already running (pid $(server_pid)) on 127.0.0.1:$POSTGRES_PORT, data in $PG_DATA"
        return 0
    fi
    ! port_open 127.0.0.1 "$POSTGRES_PORT" ||
        die "port $POSTGRES_PORT is already in use by another process; stop it or set POSTGRES_PORT"
    [ "$PG_DIR" = "$SUITE_STATE_DIR/postgres" ] || [ -n "${SUITE_PG_DIR:-}" ] ||
        say "$PG_USER cannot reach $SUITE_STATE_DIR, so the cluster lives in $PG_DIR (set SUITE_PG_DIR to choose)"
    init_cluster
    pg_owned_dir "$PG_SOCKET_DIR"
    write_config
    link_log
    say "starting PostgreSQL $("$PG_BIN/pg_ctl" --version | awk '{print $3}') on 127.0.0.1:$POSTGRES_PORT (log: $PG_LOG)"
    start_server || die "pg_ctl start failed"
    wait_ready
    ensure_databases
    ensure_statement_stats
    say "running (pid $(server_pid)) on 127.0.0.1:$POSTGRES_PORT, data in $PG_DATA"
}

cmd_stop() {
    setup
    if ! pg_running; then
        say "not running"
        return 0
    fi
    say "stopping (pid $(server_pid))"
    as_pg "$PG_BIN/pg_ctl" -D "$PG_DATA" -m fast -w -t "$POSTGRES_STOP_TIMEOUT" -s stop ||
        die "pg_ctl stop failed (see $PG_LOG)"
    say "stopped"
}

cmd_status() {
    setup
    if pg_running; then
        echo "postgres   running  pid $(server_pid)  127.0.0.1:$POSTGRES_PORT  data $PG_DATA  log $PG_LOG"
    else
        echo "postgres   stopped  (data $PG_DATA)"
        return 3
    fi
}

cmd_reset() {
    cmd_stop
    case $PG_DIR in
    "" | /) die "refusing to delete '$PG_DIR'" ;;
    esac
    rm -rf "$PG_DIR"
    say "deleted $PG_DIR; the next start creates a fresh cluster"
}

case "${1:-}" in
start) cmd_start ;;
stop) cmd_stop ;;
status) cmd_status ;;
reset) cmd_reset ;;
*)
    echo "usage: $0 {start|stop|status|reset}" >&2
    exit 2
    ;;
esac
