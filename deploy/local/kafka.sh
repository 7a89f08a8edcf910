#!/usr/bin/env bash
# Local Apache Kafka broker (KRaft, one node acting as broker and controller) assembled from
# Kafka's artifacts on Maven Central; no Docker and no Kafka distribution tarball needed.
#
#   kafka.sh fetch     download the pinned broker jars (skipped when already there)
#   kafka.sh start     start the broker in the background and wait until it serves
#   kafka.sh stop      stop it (SIGTERM, then SIGKILL after KAFKA_STOP_TIMEOUT seconds)
#   kafka.sh status    one line; exit 0 when running, 3 when not
#   kafka.sh version   print the pinned Kafka version
#   kafka.sh reset     stop and delete the broker's data (topics, offsets)
set -euo pipefail

# shellcheck disable=SC2034  # read by say() in lib.sh
SCRIPT_NAME=kafka
# shellcheck source=lib.sh
. "$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/lib.sh"

POM="$LOCAL_DIR/kafka/pom.xml"
KAFKA_HOME="$SUITE_STATE_DIR/kafka"
KAFKA_LIBS="$KAFKA_HOME/libs"
KAFKA_DATA_DIR="$KAFKA_HOME/data"
KAFKA_CONFIG="$KAFKA_HOME/server.properties"
KAFKA_LOG="$LOG_DIR/kafka.log"
KAFKA_OUT="$LOG_DIR/kafka.out"
KAFKA_PID_FILE="$RUN_DIR/kafka.pid"
: "${KAFKA_START_TIMEOUT:=90}"
: "${KAFKA_STOP_TIMEOUT:=30}"
: "${KAFKA_HEAP_OPTS:=-Xmx512m -Xms256m}"

# The one place the version is pinned is the pom, so read it from there.
kafka_version() {
    sed -n 's:.*<kafka.version>\(.*\)</kafka.version>.*:\1:p' "$POM" | head -n 1
}

java_bin() {
    if [ -n "${JAVA_HOME:-}" ] && [ -x "$JAVA_HOME/bin/java" ]; then
        printf '%s\n' "$JAVA_HOME/bin/java"
    else
        command -v java || true
    fi
}

# Kafka 4 brokers need Java 17 or newer.
java_major() {
    "$1" -XshowSettings:properties -version 2>&1 |
        sed -n 's/^ *java\.specification\.version = \([0-9.]*\).*/\1/p' | sed 's/^1\.//; s/\..*//'
}

need_java() {
    local java major
    java="$(java_bin)"
    if [ -z "$java" ]; then
        can_apt || die "java not found: install a Java 17+ runtime (Debian: apt-get install openjdk-17-jre-headless)"
        apt_install "$(jre_package)"
        java="$(java_bin)"
        [ -n "$java" ] || die "java still not found after installing it"
    fi
    major="$(java_major "$java")"
    if [ -z "$major" ] || [ "$major" -lt 17 ]; then
        die "Kafka $(kafka_version) needs Java 17 or newer; $java is version ${major:-unknown} (set JAVA_HOME to a newer one)"
    fi
    JAVA="$java"
}

# openjdk-17 is the pinned choice; distributions that no longer ship it get their default JRE.
jre_package() {
    if apt-cache show openjdk-17-jre-headless >/dev/null 2>&1; then
        echo openjdk-17-jre-headless
    else
        echo default-jre-headless
    fi
}

need_maven() {
    command -v mvn >/dev/null 2>&1 && return 0
    can_apt || die "mvn (Apache Maven) not found: install it (Debian: apt-get install maven); it downloads the Kafka jars"
    apt_install maven
    command -v mvn >/dev/null 2>&1 || die "mvn still not found after installing maven"
}

# The marker records the version and the pom's checksum: editing the pom (a new version or
# dependency) triggers a fresh download, anything else reuses the jars.
fetch_stamp() {
    printf 'kafka.version=%s\npom.sha256=%s\n' "$(kafka_version)" "$(sha256sum "$POM" | cut -d' ' -f1)"
}

fetched() {
    [ -f "$KAFKA_LIBS/.fetched" ] && [ "$(cat "$KAFKA_LIBS/.fetched")" = "$(fetch_stamp)" ]
}

cmd_fetch() {
    if fetched; then
        say "Kafka $(kafka_version) jars already in $KAFKA_LIBS"
        return 0
    fi
    need_java
    need_maven
    say "downloading Kafka $(kafka_version) broker jars from Maven Central (first time only)"
    # Download next to the final place and swap, so an interrupted fetch never looks complete.
    local tmp="$KAFKA_HOME/libs.tmp"
    rm -rf "$tmp"
    mkdir -p "$tmp"
    # Maven's output goes to a file and is shown only when it fails (its quiet mode still
    # prints colour codes).
    mkdir -p "$LOG_DIR"
    local mvn_log="$LOG_DIR/kafka-fetch.log"
    # shellcheck disable=SC2086  # MVN_ARGS is a list of extra flags, split on purpose.
    if ! mvn -q -B -f "$POM" ${MVN_ARGS:-} dependency:copy-dependencies \
        -DincludeScope=runtime -DoutputDirectory="$tmp" >"$mvn_log" 2>&1; then
        rm -rf "$tmp"
        tail -n 30 "$mvn_log" >&2
        die "mvn could not download the Kafka jars (output above, full log $mvn_log; is Maven Central reachable? extra flags go in MVN_ARGS)"
    fi
    rm -rf "$LOCAL_DIR/kafka/target"
    ls "$tmp"/kafka_2.13-*.jar >/dev/null 2>&1 || die "the download has no kafka_2.13 jar; see the output above"
    fetch_stamp >"$tmp/.fetched"
    rm -rf "$KAFKA_LIBS"
    mv "$tmp" "$KAFKA_LIBS"
    say "Kafka $(kafka_version) jars in $KAFKA_LIBS"
}

kafka_java() {
    "$JAVA" -cp "$KAFKA_LIBS/*" \
        -Dlog4j2.configurationFile="$LOCAL_DIR/kafka/log4j2.properties" \
        -Dkafka.logs.dir="$LOG_DIR" "$@"
}

render_config() {
    mkdir -p "$KAFKA_DATA_DIR"
    sed -e "s|@KAFKA_PORT@|$KAFKA_PORT|g" \
        -e "s|@KAFKA_CONTROLLER_PORT@|$KAFKA_CONTROLLER_PORT|g" \
        -e "s|@KAFKA_SASL_PORT@|$KAFKA_SASL_PORT|g" \
        -e "s|@KAFKA_DATA_DIR@|$KAFKA_DATA_DIR|g" \
        "$LOCAL_DIR/kafka/server.properties.template" >"$KAFKA_CONFIG"
}

# KRaft storage is formatted once; meta.properties is what `format` writes. The controller's
# address is stored by the format, so a changed KAFKA_CONTROLLER_PORT needs `kafka.sh reset`.
format_storage() {
    local stamp="$KAFKA_HOME/formatted-controller-port"
    if [ -f "$KAFKA_DATA_DIR/meta.properties" ]; then
        if [ -f "$stamp" ] && [ "$(cat "$stamp")" != "$KAFKA_CONTROLLER_PORT" ]; then
            die "the data dir was formatted for controller port $(cat "$stamp"), not $KAFKA_CONTROLLER_PORT: run '$0 reset' first (deletes the topics)"
        fi
        [ -f "$KAFKA_HOME/formatted-scram-user" ] ||
            say "warning: this data dir has no SCRAM user (formatted by an older version); '$0 reset' adds it"
        return 0
    fi
    local cluster_id
    cluster_id="$(kafka_java kafka.tools.StorageTool random-uuid | tail -n 1)"
    [ -n "$cluster_id" ] || die "could not generate a cluster id (see $KAFKA_LOG)"
    say "formatting KRaft storage in $KAFKA_DATA_DIR (cluster id $cluster_id)"
    kafka_java kafka.tools.StorageTool format -t "$cluster_id" -c "$KAFKA_CONFIG" --standalone \
        --add-scram "SCRAM-SHA-512=[name=$KAFKA_SCRAM_USER,password=$KAFKA_SCRAM_PASSWORD]" >&2 ||
        die "formatting the KRaft storage failed (see $KAFKA_LOG)"
    printf '%s\n' "$KAFKA_SCRAM_USER" >"$KAFKA_HOME/formatted-scram-user"
    printf '%s\n' "$cluster_id" >"$KAFKA_HOME/cluster.id"
    printf '%s\n' "$KAFKA_CONTROLLER_PORT" >"$stamp"
}

# Prints the pid of our running broker, nothing when there is none (a stale pid file is removed).
running_pid() {
    local pid
    pid="$(read_pid "$KAFKA_PID_FILE")"
    if [ -n "$pid" ] && pid_alive "$pid" && pid_cmdline_has "$pid" kafka.Kafka; then
        printf '%s\n' "$pid"
    else
        rm -f "$KAFKA_PID_FILE"
    fi
}

# Byte offsets of the logs when the broker was launched, so readiness and error reports look
# only at this run's lines (kept in a file: a second `start` may wait for a broker in start-up).
LAUNCH_FILE="$RUN_DIR/kafka.launch"

log_size() {
    if [ -f "$1" ]; then wc -c <"$1"; else echo 0; fi
}

# Prints the lines a log got since the launch (the last $2 of them, long lines shortened).
since_launch() {
    local file=$1 lines=$2 offset=0
    case $file in
    "$KAFKA_LOG") offset="$(sed -n 1p "$LAUNCH_FILE" 2>/dev/null || true)" ;;
    "$KAFKA_OUT") offset="$(sed -n 2p "$LAUNCH_FILE" 2>/dev/null || true)" ;;
    esac
    [ -f "$file" ] || return 0
    tail -c "+$((${offset:-0} + 1))" "$file" | tail -n "$lines" | cut -c1-400
}

tail_logs() {
    say "last lines of $KAFKA_LOG:"
    since_launch "$KAFKA_LOG" 30 >&2
    if [ -n "$(since_launch "$KAFKA_OUT" 10)" ]; then
        say "output of the JVM ($KAFKA_OUT):"
        since_launch "$KAFKA_OUT" 10 >&2
    fi
}

# Ready = the broker logged that it started (during this run) and its client port accepts
# connections.
wait_ready() {
    local pid=$1 deadline=$((SECONDS + KAFKA_START_TIMEOUT))
    while [ "$SECONDS" -lt "$deadline" ]; do
        if ! pid_alive "$pid"; then
            tail_logs
            die "the broker exited during start-up"
        fi
        # grep without -q reads all its input: with pipefail, an early exit would fail tail.
        if since_launch "$KAFKA_LOG" 1000000 | grep -F 'Kafka Server started' >/dev/null &&
            port_open 127.0.0.1 "$KAFKA_PORT"; then
            return 0
        fi
        sleep 0.5
    done
    tail_logs
    die "the broker was not ready within ${KAFKA_START_TIMEOUT}s (KAFKA_START_TIMEOUT); it is left running as pid $pid, '$0 stop' stops it"
}

cmd_start() {
    local pid
    pid="$(running_pid)"
    if [ -n "$pid" ]; then
        if port_open 127.0.0.1 "$KAFKA_PORT"; then
            say "already running (pid $pid) on 127.0.0.1:$KAFKA_PORT"
            return 0
        fi
        say "pid $pid is starting; waiting for it"
        wait_ready "$pid"
        say "running (pid $pid) on 127.0.0.1:$KAFKA_PORT"
        return 0
    fi
    local port
    for port in "$KAFKA_PORT" "$KAFKA_SASL_PORT" "$KAFKA_CONTROLLER_PORT"; do
        ! port_open 127.0.0.1 "$port" ||
            die "port $port is already in use by another process; stop it or set KAFKA_PORT / KAFKA_SASL_PORT / KAFKA_CONTROLLER_PORT"
    done
    fetched || cmd_fetch
    need_java
    mkdir -p "$LOG_DIR" "$RUN_DIR"
    # One previous run's logs are kept as *.1, so the logs never grow past two runs.
    local f
    for f in "$KAFKA_LOG" "$KAFKA_OUT"; do
        if [ -f "$f" ]; then mv -f "$f" "$f.1"; fi
    done
    render_config
    format_storage
    printf '%s\n%s\n' "$(log_size "$KAFKA_LOG")" "$(log_size "$KAFKA_OUT")" >"$LAUNCH_FILE"
    say "starting Kafka $(kafka_version) on 127.0.0.1:$KAFKA_PORT (log: $KAFKA_LOG)"
    # shellcheck disable=SC2086  # KAFKA_HEAP_OPTS / KAFKA_JVM_OPTS hold several flags.
    spawn "$KAFKA_PID_FILE" "$KAFKA_OUT" \
        "$JAVA" $KAFKA_HEAP_OPTS ${KAFKA_JVM_OPTS:-} -Djava.awt.headless=true \
        -Dlog4j2.configurationFile="$LOCAL_DIR/kafka/log4j2.properties" \
        -Dkafka.logs.dir="$LOG_DIR" \
        -cp "$KAFKA_LIBS/*" kafka.Kafka "$KAFKA_CONFIG"
    pid="$(read_pid "$KAFKA_PID_FILE")"
    wait_ready "$pid"
    say "running (pid $pid) on 127.0.0.1:$KAFKA_PORT"
}

cmd_stop() {
    local pid
    pid="$(running_pid)"
    if [ -z "$pid" ]; then
        say "not running"
        return 0
    fi
    say "stopping (pid $pid)"
    terminate "$pid" "$KAFKA_STOP_TIMEOUT" kafka
    rm -f "$KAFKA_PID_FILE" "$LAUNCH_FILE"
    say "stopped"
}

cmd_status() {
    local pid
    pid="$(running_pid)"
    if [ -n "$pid" ]; then
        echo "kafka      running  pid $pid  127.0.0.1:$KAFKA_PORT  log $KAFKA_LOG"
    else
        echo "kafka      stopped"
        return 3
    fi
}

cmd_reset() {
    cmd_stop
    rm -rf "$KAFKA_DATA_DIR" "$KAFKA_HOME/cluster.id" "$KAFKA_HOME/formatted-controller-port" \
        "$KAFKA_HOME/formatted-scram-user"
    say "data deleted; the next start formats a fresh cluster"
}

case "${1:-}" in
fetch) cmd_fetch ;;
start) cmd_start ;;
stop) cmd_stop ;;
status) cmd_status ;;
version) kafka_version ;;
reset) cmd_reset ;;
*)
    echo "usage: $0 {fetch|start|stop|status|version|reset}" >&2
    exit 2
    ;;
esac
