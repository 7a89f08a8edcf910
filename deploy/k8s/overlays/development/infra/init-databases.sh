#!/bin/bash
# Run once by the postgres image when it initialises its data directory: one role and one
# database per service, taken from the services' own database URLs
# (postgresql+asyncpg://<role>:<password>@<host>:<port>/<database>), so the passwords are
# written in one place only. Passwords must not need URL-encoding.
set -euo pipefail

for variable in ORDERS_DATABASE_URL INVENTORY_DATABASE_URL BILLING_DATABASE_URL DOCUMENTS_DATABASE_URL; do
    url="${!variable}"
    rest="${url#*://}"
    credentials="${rest%%@*}"
    role="${credentials%%:*}"
    password="${credentials#*:}"
    database="${rest##*/}"
    database="${database%%\?*}"
    echo "creating role and database ${database} (${variable})"
    psql -v ON_ERROR_STOP=1 --username "${POSTGRES_USER:-postgres}" --dbname postgres \
        --set=role="${role}" --set=password="${password}" --set=database="${database}" <<'SQL'
SELECT format('CREATE ROLE %I LOGIN PASSWORD %L', :'role', :'password')
 WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = :'role') \gexec
SELECT format('CREATE DATABASE %I OWNER %I', :'database', :'role')
 WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = :'database') \gexec
SQL
done
