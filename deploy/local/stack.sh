#!/usr/bin/env bash
# The whole suite on one machine without Docker: Kafka, PostgreSQL, the topics and the four
# services, each service in the background with its log and pid file in the state dir.
#
#   stack.sh up [--foreground] [--infra-only]
#       start everything and wait until every service answers /health/ready.
#       --foreground (or SUITE_FOREGROUND=1): stay attached; Ctrl-C or SIGTERM runs `down`.
#       --infra-only (or SUITE_INFRA_ONLY=1): only Kafka and PostgreSQL, e.g. for the
#       integration tests, which start the services themselves.
#   stack.sh down      stop the services, then Kafka and PostgreSQL
#   stack.sh status    one line per component; exit 0 when all run, 3 otherwise
#
# The environment comes from env.sh (only where not already set), so exporting e.g.
# KAFKA_BOOTSTRAP_SERVERS beforehand points the services elsewhere; SUITE_LOCAL_KAFKA=0 and
# SUITE_LOCAL_POSTGRES=0 then keep this script from starting/stopping the local ones.
set -euo pipefail

# shellcheck disable=SC2034  # read by say() in lib.sh
SCRIPT_NAME=stack
# shellcheck source=lib.sh
. "$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/lib.sh"

SERVICES=(orders inventory billing documents)
FOREGROUND=0
: "${SUITE_LOCAL_KAFKA:=1}"
: "${SUITE_LOCAL_POSTGRES:=1}"
: "${SUITE_READY_TIMEOUT:=120}"
: "${SUITE_STOP_TIMEOUT:=20}"

# The local Kafka / PostgreSQL, unless the environment points at external ones.
infra_kafka() {
    local action=$1
    if [ "$SUITE_LOCAL_KAFKA" = 1 ]; then
        "$LOCAL_DIR/kafka.sh" "$action"
    elif [ "$action" = status ]; then
        echo "kafka      external  $KAFKA_BOOTSTRAP_SERVERS"
    fi
}
infra_pg() {
    local action=$1
    if [ "$SUITE_LOCAL_POSTGRES" = 1 ]; then
        "$LOCAL_DIR/postgres.sh" "$action"
    elif [ "$action" = status ]; then
        echo "postgres   external  (see the *_DATABASE_URL variables)"
    fi
}

service_port() {
    local var
    var="SUITE_$(printf '%s' "$1" | tr '[:lower:]' '[:upper:]')_PORT"
    printf '%s\n' "${!var}"
}
service_pid_file() { printf '%s\n' "$RUN_DIR/$1.pid"; }
service_log() { printf '%s\n' "$LOG_DIR/$1.log"; }

# Prints the pid of a running service, nothing otherwise (a stale pid file is removed).
service_pid() {
    local file pid
    file="$(service_pid_file "$1")"
    pid="$(read_pid "$file")"
    if [ -n "$pid" ] && pid_alive "$pid" && pid_cmdline_has "$pid" "$1 serve"; then
        printf '%s\n' "$pid"
    else
        rm -f "$file"
    fi
}

# HTTP status code of a GET (000 or empty when nothing answers).
http_status() {
    if command -v curl >/dev/null 2>&1; then
        curl -s -o /dev/null -m 3 -w '%{http_code}' "$1" 2>/dev/null || true
    else
        python3 - "$1" <<'PY' 2>/dev/null || echo 000
import sys, urllib.error, urllib.request
try:
    print(urllib.request.urlopen(sys.argv[1], timeout=3).status)
except urllib.error.HTTPError as e:
    print(e.code)
PY
    fi
}

uv_run() {
    (cd "$REPO_ROOT" && uv run --no-sync "$@")
}

# Fails early, before anything starts, when uv or one of the suite's commands is missing.
# This first `uv run` also creates/syncs the virtual environment; later calls use --no-sync.
preflight_python() {
    command -v uv >/dev/null 2>&1 ||
        die "uv not found: install it (e.g. 'pip install uv', see docs.astral.sh/uv); it runs the services"
    local out rc=0
    out="$(cd "$REPO_ROOT" && uv run python -c '
import shutil, sys
missing = [c for c in sys.argv[1:] if shutil.which(c) is None]
if missing:
    print("MISSING:", " ".join(missing))
    sys.exit(3)
' suite-topics "${SERVICES[@]}" 2>&1)" || rc=$?
    [ "$rc" -eq 0 ] && return 0
    if [[ $out == *MISSING:* ]]; then
        die "the Python workspace does not provide these commands (yet): ${out##*MISSING: } (they are console scripts of the workspace packages, run with 'uv run')"
    fi
    printf '%s\n' "$out" | tail -n 15 >&2
    die "uv could not prepare the Python workspace (output above)"
}

start_service() {
    local svc=$1 port log pid
    port="$(service_port "$svc")"
    log="$(service_log "$svc")"
    pid="$(service_pid "$svc")"
    if [ -n "$pid" ]; then
        say "$svc already running (pid $pid)"
        return 0
    fi
    ! port_open 127.0.0.1 "$port" ||
        die "port $port (for $svc) is already in use by another process; stop it or set SUITE_$(printf '%s' "$svc" | tr '[:lower:]' '[:upper:]')_PORT"
    mkdir -p "$LOG_DIR" "$RUN_DIR"
    printf '\n===== %s: migrate + serve on 127.0.0.1:%s =====\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$port" >>"$log"
    say "$svc: migrating the database"
    if ! uv_run "$svc" migrate >>"$log" 2>&1; then
        tail -n 20 "$log" >&2
        die "'uv run $svc migrate' failed (full output in $log)"
    fi
    say "$svc: starting on 127.0.0.1:$port"
    (cd "$REPO_ROOT" && spawn "$(service_pid_file "$svc")" "$log" \
        uv run --no-sync "$svc" serve --host 127.0.0.1 --port "$port")
}

# After a failed `up`, what was started keeps running (to look at) unless in the foreground.
leftover_hint() {
    [ "$FOREGROUND" = 1 ] || printf "; what started is left running, '%s down' stops it" "$0"
}

wait_services_ready() {
    local deadline=$((SECONDS + SUITE_READY_TIMEOUT)) svc pending
    while :; do
        pending=()
        for svc in "${SERVICES[@]}"; do
            if [ -z "$(service_pid "$svc")" ]; then
                tail -n 30 "$(service_log "$svc")" >&2 || true
                die "$svc exited during start-up (log above, full log in $(service_log "$svc"))$(leftover_hint)"
            fi
            [ "$(http_status "http://127.0.0.1:$(service_port "$svc")/health/ready")" = 200 ] ||
                pending+=("$svc")
        done
        [ "${#pending[@]}" -eq 0 ] && return 0
        if [ "$SECONDS" -ge "$deadline" ]; then
            for svc in "${pending[@]}"; do
                say "last lines of $(service_log "$svc"):"
                tail -n 15 "$(service_log "$svc")" >&2 || true
            done
            die "not ready within ${SUITE_READY_TIMEOUT}s (SUITE_READY_TIMEOUT): ${pending[*]}$(leftover_hint)"
        fi
        sleep 1
    done
}

print_summary() {
    local infra_only=$1 svc
    printf '\n%-10s %-26s %s\n' COMPONENT ADDRESS LOG
    if [ "$SUITE_LOCAL_KAFKA" = 1 ]; then
        printf '%-10s %-26s %s\n' kafka "127.0.0.1:$KAFKA_PORT" "$LOG_DIR/kafka.log"
    else
        printf '%-10s %-26s %s\n' kafka "$KAFKA_BOOTSTRAP_SERVERS" "(external)"
    fi
    if [ "$SUITE_LOCAL_POSTGRES" = 1 ]; then
        printf '%-10s %-26s %s\n' postgres "127.0.0.1:$POSTGRES_PORT" "$LOG_DIR/postgres.log"
    else
        printf '%-10s %-26s %s\n' postgres "(external)" "(external)"
    fi
    if [ "$infra_only" = 0 ]; then
        for svc in "${SERVICES[@]}"; do
            printf '%-10s %-26s %s\n' "$svc" "http://127.0.0.1:$(service_port "$svc")" "$(service_log "$svc")"
        done
    fi
    printf '\nEnvironment for clients and tests: . deploy/local/env.sh\n'
    if [ "$infra_only" = 0 ]; then
        printf 'Every API call needs a bearer token. A development token for a role\n'
        printf '(sales, warehouse, accounting, admin, integration, viewer):\n'
        # shellcheck disable=SC2016  # printed for the user to run, not expanded here
        printf '  TOKEN=$(uv run suite-token --role sales --subject alice)\n'
        # shellcheck disable=SC2016
        printf '  curl -H "Authorization: Bearer $TOKEN" %s/orders\n' "$ORDERS_URL"
    fi
}

stop_services() {
    local svc pid waiters=()
    for svc in "${SERVICES[@]}"; do
        pid="$(service_pid "$svc")"
        if [ -z "$pid" ]; then
            continue
        fi
        say "stopping $svc (pid $pid)"
        # The whole process group (`uv run` and the python process it started); all four
        # services shut down in parallel.
        terminate "$pid" "$SUITE_STOP_TIMEOUT" "$svc" 1 &
        waiters+=($!)
    done
    [ "${#waiters[@]}" -eq 0 ] || wait "${waiters[@]}"
    for svc in "${SERVICES[@]}"; do
        [ -n "$(service_pid "$svc")" ] || rm -f "$(service_pid_file "$svc")"
    done
}

cmd_down() {
    local failed=0
    stop_services
    infra_kafka stop || failed=1
    infra_pg stop || failed=1
    [ "$failed" -eq 0 ] || die "some components did not stop cleanly (see above)"
    say "stack is down"
}

# Keeps the command attached until Ctrl-C / SIGTERM, then takes the stack down.
stay_in_foreground() {
    local svc reported=" "
    trap 'trap - INT TERM; say "shutting down"; cmd_down; exit 0' INT TERM
    say "running in the foreground; Ctrl-C stops the stack"
    while :; do
        # `sleep & wait` so a signal is handled at once, not after the sleep.
        sleep 2 &
        wait $! || true
        for svc in "${SERVICES[@]}"; do
            if [[ $reported != *" $svc "* ]] && [ -f "$(service_pid_file "$svc")" ] && [ -z "$(service_pid "$svc")" ]; then
                say "warning: $svc has exited; see $(service_log "$svc")"
                reported+="$svc "
            fi
        done
    done
}

cmd_up() {
    local infra_only=${SUITE_INFRA_ONLY:-0} arg svc
    FOREGROUND=${SUITE_FOREGROUND:-0}
    for arg in "$@"; do
        case $arg in
        --foreground | -f) FOREGROUND=1 ;;
        --infra-only) infra_only=1 ;;
        *) die "unknown option for up: $arg" ;;
        esac
    done
    [ "$infra_only" = 1 ] || preflight_python
    if [ "$FOREGROUND" = 1 ]; then
        # A failure half-way through also takes down what was started.
        trap 'say "taking the stack down"; cmd_down' EXIT
        trap 'exit 130' INT TERM
    fi
    infra_kafka fetch
    infra_kafka start
    infra_pg start
    if [ "$infra_only" = 0 ]; then
        say "creating the topics of the catalogue"
        uv_run suite-topics ensure || die "'uv run suite-topics ensure' failed (output above)"
        case $DOCUMENTS_STORAGE_DIR in
        *://*) ;; # an object store URL, nothing to create
        *) mkdir -p "$DOCUMENTS_STORAGE_DIR" ;;
        esac
        for svc in "${SERVICES[@]}"; do
            start_service "$svc"
        done
        say "waiting for the services to be ready (up to ${SUITE_READY_TIMEOUT}s)"
        wait_services_ready
    fi
    print_summary "$infra_only"
    if [ "$FOREGROUND" = 1 ]; then
        trap - EXIT
        stay_in_foreground
    fi
}

cmd_status() {
    local rc=0 svc pid port state
    infra_kafka status || rc=3
    infra_pg status || rc=3
    for svc in "${SERVICES[@]}"; do
        pid="$(service_pid "$svc")"
        port="$(service_port "$svc")"
        if [ -z "$pid" ]; then
            printf '%-10s stopped\n' "$svc"
            rc=3
            continue
        fi
        if [ "$(http_status "http://127.0.0.1:$port/health/ready")" = 200 ]; then
            state=ready
        else
            state="not ready"
        fi
        printf '%-10s running  pid %s  http://127.0.0.1:%s  %s  log %s\n' \
            "$svc" "$pid" "$port" "$state" "$(service_log "$svc")"
    done
    return "$rc"
}

command="${1:-}"
[ "$#" -gt 0 ] && shift
case $command in
up) cmd_up "$@" ;;
down) cmd_down ;;
status) cmd_status ;;
*)
    echo "usage: $0 {up [--foreground] [--infra-only]|down|status}" >&2
    exit 2
    ;;
esac
