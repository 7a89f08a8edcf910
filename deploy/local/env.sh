# shellcheck shell=bash
# Default environment of the local stack. Source it (`. deploy/local/env.sh`) to talk to the
# stack from a shell or a test run. Every variable is set only when it is not already set, so
# pointing the suite at an external Kafka or PostgreSQL is just exporting the variable first.

# The repository root: from this file's location under bash, else from git, else the cwd.
if [ -n "${BASH_SOURCE[0]:-}" ]; then
    _suite_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
else
    _suite_root="$(git rev-parse --show-toplevel 2>/dev/null || pwd)"
fi

# Everything the local stack writes (jars, data, logs, pids) lives here; git-ignored.
: "${SUITE_STATE_DIR:=$_suite_root/.local}"
export SUITE_STATE_DIR
unset _suite_root

# Ports of the local Kafka broker and PostgreSQL server (off the usual ones on purpose, so a
# system-wide Kafka or PostgreSQL does not clash).
: "${KAFKA_PORT:=19092}"
export KAFKA_PORT
: "${KAFKA_CONTROLLER_PORT:=19093}"
export KAFKA_CONTROLLER_PORT
# A second listener that requires SCRAM-SHA-512 credentials (development values).
: "${KAFKA_SASL_PORT:=19094}"
export KAFKA_SASL_PORT
: "${KAFKA_SCRAM_USER:=suite}"
export KAFKA_SCRAM_USER
: "${KAFKA_SCRAM_PASSWORD:=suite-local-scram-password}"
export KAFKA_SCRAM_PASSWORD
: "${POSTGRES_PORT:=55432}"
export POSTGRES_PORT
: "${POSTGRES_PASSWORD:=postgres}"
export POSTGRES_PASSWORD

# HTTP ports of the four services.
: "${SUITE_ORDERS_PORT:=8001}"
export SUITE_ORDERS_PORT
: "${SUITE_INVENTORY_PORT:=8002}"
export SUITE_INVENTORY_PORT
: "${SUITE_BILLING_PORT:=8003}"
export SUITE_BILLING_PORT
: "${SUITE_DOCUMENTS_PORT:=8004}"
export SUITE_DOCUMENTS_PORT
# HTTP port of the web console.
: "${SUITE_CONSOLE_PORT:=8000}"
export SUITE_CONSOLE_PORT

# What the services read.
: "${KAFKA_BOOTSTRAP_SERVERS:=127.0.0.1:$KAFKA_PORT}"
export KAFKA_BOOTSTRAP_SERVERS
: "${POSTGRES_ADMIN_URL:=postgresql://postgres:$POSTGRES_PASSWORD@127.0.0.1:$POSTGRES_PORT/postgres}"
export POSTGRES_ADMIN_URL
# One role and one database per service; the password is the role name unless
# SUITE_<SERVICE>_DB_PASSWORD says otherwise (postgres.sh creates the roles with the same values).
: "${ORDERS_DATABASE_URL:=postgresql+asyncpg://orders:${SUITE_ORDERS_DB_PASSWORD:-orders}@127.0.0.1:$POSTGRES_PORT/orders}"
export ORDERS_DATABASE_URL
: "${INVENTORY_DATABASE_URL:=postgresql+asyncpg://inventory:${SUITE_INVENTORY_DB_PASSWORD:-inventory}@127.0.0.1:$POSTGRES_PORT/inventory}"
export INVENTORY_DATABASE_URL
: "${BILLING_DATABASE_URL:=postgresql+asyncpg://billing:${SUITE_BILLING_DB_PASSWORD:-billing}@127.0.0.1:$POSTGRES_PORT/billing}"
export BILLING_DATABASE_URL
: "${DOCUMENTS_DATABASE_URL:=postgresql+asyncpg://documents:${SUITE_DOCUMENTS_DB_PASSWORD:-documents}@127.0.0.1:$POSTGRES_PORT/documents}"
export DOCUMENTS_DATABASE_URL
: "${DOCUMENTS_STORAGE_DIR:=$SUITE_STATE_DIR/documents}"
export DOCUMENTS_STORAGE_DIR
: "${ORDERS_URL:=http://127.0.0.1:$SUITE_ORDERS_PORT}"
export ORDERS_URL
: "${INVENTORY_URL:=http://127.0.0.1:$SUITE_INVENTORY_PORT}"
export INVENTORY_URL
: "${BILLING_URL:=http://127.0.0.1:$SUITE_BILLING_PORT}"
export BILLING_URL
: "${DOCUMENTS_URL:=http://127.0.0.1:$SUITE_DOCUMENTS_PORT}"
export DOCUMENTS_URL
: "${CONSOLE_URL:=http://127.0.0.1:$SUITE_CONSOLE_PORT}"
export CONSOLE_URL
# The console is served over plain HTTP locally: its session cookie cannot be Secure here.
: "${CONSOLE_COOKIE_SECURE:=false}"
export CONSOLE_COOKIE_SECURE

# Development identity: API tokens signed with a shared secret (`uv run suite-token --role sales`).
# The services refuse this mode unless AUTH_ALLOW_DEV_SECRET=true; deployments use AUTH_JWKS_URL.
: "${AUTH_DEV_SECRET:=local-development-only-secret-0123456789abcdef}"
export AUTH_DEV_SECRET
: "${AUTH_ALLOW_DEV_SECRET:=true}"
export AUTH_ALLOW_DEV_SECRET
