# shellcheck shell=bash
# Helpers shared by kafka.sh, postgres.sh and stack.sh. Sourced, never executed.

# Where the scripts live and the repository root, resolved from this file so the scripts
# work from any current directory.
LOCAL_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO_ROOT="$(cd "$LOCAL_DIR/../.." && pwd)"
export REPO_ROOT

# env.sh holds every default (ports, state dir, URLs); values already set win.
# shellcheck source=env.sh
. "$LOCAL_DIR/env.sh"

# Logs and pid files of everything the scripts start (used by the scripts sourcing this file).
# shellcheck disable=SC2034
LOG_DIR="$SUITE_STATE_DIR/logs"
# shellcheck disable=SC2034
RUN_DIR="$SUITE_STATE_DIR/run"

# Messages go to stderr so stdout stays usable for values (e.g. `kafka.sh version`).
say() { printf '%s: %s\n' "${SCRIPT_NAME:-suite}" "$*" >&2; }
die() { say "error: $*"; exit 1; }

is_root() { [ "$(id -u)" -eq 0 ]; }
can_apt() { is_root && command -v apt-get >/dev/null 2>&1; }

# Installs Debian packages without prompts; only called when we are root and apt-get exists.
apt_install() {
    say "installing with apt-get: $*"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >&2 || die "apt-get update failed"
    apt-get install -y -qq --no-install-recommends "$@" >&2 || die "apt-get install $* failed"
}

# True when something accepts TCP connections on host:port. Uses bash's /dev/tcp so no
# netcat is needed; `timeout` keeps a filtered port from hanging the caller.
port_open() {
    local host=$1 port=$2
    timeout 2 bash -c "exec 3<>/dev/tcp/$host/$port" 2>/dev/null
}

# True when the pid is a live process.
pid_alive() {
    local pid=$1
    [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null
}

# Reads a pid file; prints nothing when it is missing or garbled.
read_pid() {
    local file=$1 pid=""
    if [ -f "$file" ]; then
        read -r pid <"$file" || true
    fi
    case $pid in '' | *[!0-9]*) return 0 ;; esac
    printf '%s\n' "$pid"
}

# True when the process's command line contains the given text; guards against a stale pid
# file whose number now belongs to an unrelated process.
pid_cmdline_has() {
    local pid=$1 needle=$2
    [ -r "/proc/$pid/cmdline" ] || return 1
    tr '\0' ' ' <"/proc/$pid/cmdline" | grep -F -- "$needle" >/dev/null
}

# SIGTERM, wait, then SIGKILL. With group=1 the whole process group is signalled (used for
# `uv run` wrappers, whose python child must go too).
terminate() {
    local pid=$1 timeout=$2 name=$3 group=${4:-0} target waited=0
    target=$pid
    [ "$group" = 1 ] && target="-$pid"
    kill -TERM -- "$target" 2>/dev/null || true
    while pid_alive "$pid" && [ "$waited" -lt "$((timeout * 5))" ]; do
        sleep 0.2
        waited=$((waited + 1))
    done
    if pid_alive "$pid"; then
        say "$name did not stop within ${timeout}s, sending SIGKILL"
        kill -KILL -- "$target" 2>/dev/null || true
        sleep 0.5
    fi
}

# Starts a command detached from this shell: own session (a Ctrl-C in the terminal does not
# reach it; stack.sh stops things in order instead), stdin closed, output to a log file. The
# pid is written by the child itself so it is right whether or not setsid had to fork.
spawn() {
    local pidfile=$1 logfile=$2
    shift 2
    mkdir -p "$(dirname "$pidfile")" "$(dirname "$logfile")"
    rm -f "$pidfile"
    local launcher=()
    command -v setsid >/dev/null 2>&1 && launcher=(setsid)
    # shellcheck disable=SC2016  # $$ and $@ belong to the child shell.
    "${launcher[@]}" nohup bash -c 'echo $$ >"$0"; exec "$@"' "$pidfile" "$@" \
        </dev/null >>"$logfile" 2>&1 &
    local waited=0
    while [ ! -s "$pidfile" ] && [ "$waited" -lt 50 ]; do
        sleep 0.1
        waited=$((waited + 1))
    done
    [ -s "$pidfile" ] || die "could not start $1 (no pid file written)"
}
