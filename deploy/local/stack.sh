#!/usr/bin/env bash
# The whole suite on one machine without Docker: Kafka, PostgreSQL, the topics and the four
# services, each service process in the background with its log and pid file in the state dir.
#
#   stack.sh up [--foreground] [--infra-only]
#       start everything and wait until every service process answers /health/ready.
#       --foreground (or SUITE_FOREGROUND=1): stay attached; Ctrl-C or SIGTERM runs `down`.
#       --infra-only (or SUITE_INFRA_ONLY=1): only Kafka and PostgreSQL, e.g. for the
#       integration tests, which start the services themselves.
#   stack.sh down      stop the services, then Kafka and PostgreSQL
#   stack.sh status    one line per component; exit 0 when all run, 3 otherwise
#
# SUITE_TOPOLOGY chooses how each service runs: `single` (default) is one `<service> serve`
# process (API and worker together); `split` is the production shape, one `<service> api`
# process on the service's port and SUITE_WORKER_REPLICAS (default 2) `<service> worker`
# processes, replica i on the service's port + SUITE_WORKER_PORT_STEP * i (default 100), each
# with its own /health and /metrics. `down` and `status` find whatever `up` started.
#
# The environment comes from env.sh (only where not already set), so exporting e.g.
# KAFKA_BOOTSTRAP_SERVERS beforehand points the services elsewhere; SUITE_LOCAL_KAFKA=0 and
# SUITE_LOCAL_POSTGRES=0 then keep this script from starting/stopping the local ones.
set -euo pipefail

# shellcheck disable=SC2034  # read by say() in lib.sh
SCRIPT_NAME=stack
# shellcheck source=lib.sh
. "$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/lib.sh"

# The console (the web front end) last: it owns no database and has no worker.
SERVICES=(orders inventory billing documents console)
FOREGROUND=0
: "${SUITE_LOCAL_KAFKA:=1}"
: "${SUITE_LOCAL_POSTGRES:=1}"
: "${SUITE_READY_TIMEOUT:=120}"
: "${SUITE_STOP_TIMEOUT:=20}"
# Given explicitly (not just defaulted) the replica count only makes sense with `split`.
WORKER_REPLICAS_GIVEN=${SUITE_WORKER_REPLICAS:-}
: "${SUITE_TOPOLOGY:=single}"
: "${SUITE_WORKER_REPLICAS:=2}"
: "${SUITE_WORKER_PORT_STEP:=100}"
# What the last `up` started, one process a line: "<name> <port>" (read by status and down).
PLAN_FILE="$RUN_DIR/services.plan"

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

# A process is named after its service and its command: `orders` (serve), `orders-api`,
# `orders-worker-1`, `orders-worker-2`, ...; its pid file and its log carry the name.
process_service() { printf '%s\n' "${1%%-*}"; }
process_command() {
    case $1 in
    *-api) echo api ;;
    *-worker-*) echo worker ;;
    *) echo serve ;;
    esac
}
process_pid_file() { printf '%s\n' "$RUN_DIR/$1.pid"; }
process_log() { printf '%s\n' "$LOG_DIR/$1.log"; }

# Prints the pid of a running process, nothing otherwise (a stale pid file is removed).
process_pid() {
    local name=$1 file pid
    file="$(process_pid_file "$name")"
    pid="$(read_pid "$file")"
    if [ -n "$pid" ] && pid_alive "$pid" &&
        pid_cmdline_has "$pid" "$(process_service "$name") $(process_command "$name") "; then
        printf '%s\n' "$pid"
    else
        rm -f "$file"
    fi
}

check_topology() {
    case $SUITE_TOPOLOGY in
    split) ;;
    single)
        [ -z "$WORKER_REPLICAS_GIVEN" ] ||
            say "note: SUITE_WORKER_REPLICAS applies to SUITE_TOPOLOGY=split; each service runs one 'serve' process"
        ;;
    *) die "SUITE_TOPOLOGY is 'single' (one process per service) or 'split' (API + workers), not '$SUITE_TOPOLOGY'" ;;
    esac
    case $SUITE_WORKER_REPLICAS in
    '' | *[!0-9]* | 0*) die "SUITE_WORKER_REPLICAS is a whole number from 1, not '$SUITE_WORKER_REPLICAS'" ;;
    esac
    case $SUITE_WORKER_PORT_STEP in
    '' | *[!0-9]* | 0*) die "SUITE_WORKER_PORT_STEP is a whole number from 1, not '$SUITE_WORKER_PORT_STEP'" ;;
    esac
}

# The processes of the chosen topology, one a line: "<name> <port>".
planned_processes() {
    local svc port replica
    for svc in "${SERVICES[@]}"; do
        port="$(service_port "$svc")"
        if [ "$SUITE_TOPOLOGY" = single ]; then
            printf '%s %s\n' "$svc" "$port"
            continue
        fi
        printf '%s %s\n' "$svc-api" "$port"
        [ "$svc" != console ] || continue
        for ((replica = 1; replica <= SUITE_WORKER_REPLICAS; replica++)); do
            printf '%s %s\n' "$svc-worker-$replica" "$((port + SUITE_WORKER_PORT_STEP * replica))"
        done
    done
}

# What `up` started last (status and down need no flags), else what the environment describes.
current_processes() {
    if [ -s "$PLAN_FILE" ]; then
        cat "$PLAN_FILE"
    else
        planned_processes
    fi
}

# Names of the service processes that run, found by their pid files whatever started them.
running_processes() {
    local file name
    for file in "$RUN_DIR"/*.pid; do
        [ -e "$file" ] || continue
        name="$(basename "$file" .pid)"
        [[ " ${SERVICES[*]} " == *" $(process_service "$name") "* ]] || continue
        if [ -n "$(process_pid "$name")" ]; then
            printf '%s\n' "$name"
        fi
    done
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

# `up` completes a stack of the same shape (it is idempotent) but never mixes two shapes.
refuse_other_topology() {
    local planned name others=()
    planned=" $(planned_processes | cut -d' ' -f1 | tr '\n' ' ')"
    while read -r name; do
        [[ $planned == *" $name "* ]] || others+=("$name")
    done < <(running_processes)
    [ "${#others[@]}" -eq 0 ] ||
        die "the services run in another shape (${others[*]}); '$0 down' first, or give 'up' the same SUITE_TOPOLOGY and SUITE_WORKER_REPLICAS"
}

migrate_service() {
    local svc=$1 log=$2
    mkdir -p "$LOG_DIR"
    printf '\n===== %s: migrate =====\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)" >>"$log"
    say "$svc: migrating the database"
    if ! uv_run "$svc" migrate >>"$log" 2>&1; then
        tail -n 20 "$log" >&2
        die "'uv run $svc migrate' failed (full output in $log)"
    fi
}

start_process() {
    local name=$1 port=$2 svc command log pid
    svc="$(process_service "$name")"
    command="$(process_command "$name")"
    log="$(process_log "$name")"
    pid="$(process_pid "$name")"
    if [ -n "$pid" ]; then
        say "$name already running (pid $pid)"
        return 0
    fi
    ! port_open 127.0.0.1 "$port" ||
        die "port $port (for $name) is already in use by another process; stop it or set SUITE_$(printf '%s' "$svc" | tr '[:lower:]' '[:upper:]')_PORT$([ "$command" != worker ] || echo ' or SUITE_WORKER_PORT_STEP')"
    mkdir -p "$LOG_DIR" "$RUN_DIR"
    printf '\n===== %s: %s on 127.0.0.1:%s =====\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$command" "$port" >>"$log"
    say "$name: '$svc $command' on 127.0.0.1:$port"
    (cd "$REPO_ROOT" && spawn "$(process_pid_file "$name")" "$log" \
        uv run --no-sync "$svc" "$command" --host 127.0.0.1 --port "$port")
}

start_services() {
    local svc name port started
    mkdir -p "$RUN_DIR"
    planned_processes >"$PLAN_FILE"
    for svc in "${SERVICES[@]}"; do
        started=0
        # fd 3, so no command in the loop can read the plan as its stdin
        while read -r name port <&3; do
            [ "$(process_service "$name")" = "$svc" ] || continue
            # One previous run's log is kept as *.1, so a process's log never grows past two runs.
            if [ -z "$(process_pid "$name")" ] && [ -f "$(process_log "$name")" ]; then
                mv -f "$(process_log "$name")" "$(process_log "$name").1"
            fi
            # Once per service, before any of its processes starts.
            # (the console owns no database: nothing to migrate)
            [ "$started" = 1 ] || [ "$svc" = console ] || migrate_service "$svc" "$(process_log "$name")"
            started=1
            start_process "$name" "$port"
        done 3<"$PLAN_FILE"
    done
}

# After a failed `up`, what was started keeps running (to look at) unless in the foreground.
leftover_hint() {
    [ "$FOREGROUND" = 1 ] || printf "; what started is left running, '%s down' stops it" "$0"
}

wait_services_ready() {
    local deadline=$((SECONDS + SUITE_READY_TIMEOUT)) name port pending
    while :; do
        pending=()
        while read -r name port <&3; do
            if [ -z "$(process_pid "$name")" ]; then
                tail -n 30 "$(process_log "$name")" >&2 || true
                die "$name exited during start-up (log above, full log in $(process_log "$name"))$(leftover_hint)"
            fi
            [ "$(http_status "http://127.0.0.1:$port/health/ready")" = 200 ] || pending+=("$name")
        done 3<"$PLAN_FILE"
        [ "${#pending[@]}" -eq 0 ] && return 0
        if [ "$SECONDS" -ge "$deadline" ]; then
            for name in "${pending[@]}"; do
                say "last lines of $(process_log "$name"):"
                tail -n 15 "$(process_log "$name")" >&2 || true
            done
            die "not ready within ${SUITE_READY_TIMEOUT}s (SUITE_READY_TIMEOUT): ${pending[*]}$(leftover_hint)"
        fi
        sleep 1
    done
}

print_summary() {
    local infra_only=$1 name port
    printf '\n%-20s %-26s %s\n' COMPONENT ADDRESS LOG
    if [ "$SUITE_LOCAL_KAFKA" = 1 ]; then
        printf '%-20s %-26s %s\n' kafka "127.0.0.1:$KAFKA_PORT" "$LOG_DIR/kafka.log"
    else
        printf '%-20s %-26s %s\n' kafka "$KAFKA_BOOTSTRAP_SERVERS" "(external)"
    fi
    if [ "$SUITE_LOCAL_POSTGRES" = 1 ]; then
        printf '%-20s %-26s %s\n' postgres "127.0.0.1:$POSTGRES_PORT" "$LOG_DIR/postgres.log"
    else
        printf '%-20s %-26s %s\n' postgres "(external)" "(external)"
    fi
    if [ "$infra_only" = 0 ]; then
        while read -r name port; do
            printf '%-20s %-26s %s\n' "$name" "http://127.0.0.1:$port" "$(process_log "$name")"
        done <"$PLAN_FILE"
    fi
    printf '\nEnvironment for clients and tests: . deploy/local/env.sh\n'
    if [ "$infra_only" = 0 ]; then
        printf 'Every API call needs a bearer token. A development token for a role\n'
        printf '(sales, warehouse, accounting, admin, integration, viewer):\n'
        # shellcheck disable=SC2016  # printed for the user to run, not expanded here
        printf '  TOKEN=$(uv run suite-token --role sales --subject alice)\n'
        # shellcheck disable=SC2016
        printf '  curl -H "Authorization: Bearer $TOKEN" %s/orders\n' "$ORDERS_URL"
        printf 'The web console: %s (locally, sign in by picking a role and a name)\n' "$CONSOLE_URL"
    fi
}

stop_services() {
    local name pid waiters=()
    while read -r name; do
        pid="$(process_pid "$name")"
        [ -n "$pid" ] || continue
        say "stopping $name (pid $pid)"
        # The whole process group (`uv run` and the python process it started); all the
        # processes shut down in parallel.
        terminate "$pid" "$SUITE_STOP_TIMEOUT" "$name" 1 &
        waiters+=($!)
    done < <(running_processes)
    [ "${#waiters[@]}" -eq 0 ] || wait "${waiters[@]}"
    [ -n "$(running_processes)" ] || rm -f "$PLAN_FILE"
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
    local name port reported=" "
    trap 'trap - INT TERM; say "shutting down"; cmd_down; exit 0' INT TERM
    say "running in the foreground; Ctrl-C stops the stack"
    while :; do
        # `sleep & wait` so a signal is handled at once, not after the sleep.
        sleep 2 &
        wait $! || true
        while read -r name port; do
            if [[ $reported != *" $name "* ]] && [ -z "$(process_pid "$name")" ]; then
                say "warning: $name has exited; see $(process_log "$name")"
                reported+="$name "
            fi
        done <"$PLAN_FILE"
    done
}

cmd_up() {
    local infra_only=${SUITE_INFRA_ONLY:-0} arg
    FOREGROUND=${SUITE_FOREGROUND:-0}
    for arg in "$@"; do
        case $arg in
        --foreground | -f) FOREGROUND=1 ;;
        --infra-only) infra_only=1 ;;
        *) die "unknown option for up: $arg" ;;
        esac
    done
    if [ "$infra_only" = 0 ]; then
        check_topology
        refuse_other_topology
        preflight_python
    fi
    if [ "$FOREGROUND" = 1 ]; then
        # A failure half-way through also takes down what was started.
        trap 'say "taking the stack down"; cmd_down' EXIT
        trap 'exit 130' INT TERM
    fi
    infra_kafka fetch
    # PostgreSQL first: its port lies in the kernel's ephemeral range (32768-60999), and a
    # broker started before it may hold that port as the local end of one of its own
    # connections, so PostgreSQL could not bind it. Kafka's ports lie below the range.
    infra_pg start
    infra_kafka start
    if [ "$infra_only" = 0 ]; then
        say "creating the topics of the catalogue"
        uv_run suite-topics ensure || die "'uv run suite-topics ensure' failed (output above)"
        case $DOCUMENTS_STORAGE_DIR in
        *://*) ;; # an object store URL, nothing to create
        *) mkdir -p "$DOCUMENTS_STORAGE_DIR" ;;
        esac
        start_services
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
    local rc=0 name port pid state width=10 processes
    infra_kafka status || rc=3
    infra_pg status || rc=3
    processes="$(current_processes)"
    while read -r name port; do
        [ "${#name}" -le "$width" ] || width=${#name}
    done <<<"$processes"
    while read -r name port <&3; do
        pid="$(process_pid "$name")"
        if [ -z "$pid" ]; then
            printf '%-*s stopped\n' "$width" "$name"
            rc=3
            continue
        fi
        if [ "$(http_status "http://127.0.0.1:$port/health/ready")" = 200 ]; then
            state=ready
        else
            state="not ready"
        fi
        printf '%-*s running  pid %s  http://127.0.0.1:%s  %s  log %s\n' \
            "$width" "$name" "$pid" "$port" "$state" "$(process_log "$name")"
    done 3<<<"$processes"
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
