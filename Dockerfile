# syntax=docker/dockerfile:1.7
#
# One image per service of the suite, all from this file:
#
#   docker build --build-arg SERVICE=orders -t sales-order-suite/orders .
#
# Without a Docker engine or a registry, `make image` builds it with buildah and passes local
# bases as PYTHON_IMAGE and UV_IMAGE (deploy/image/build.sh: Debian's packages, PyPI's uv).
#
# SERVICE is one of orders, inventory, billing, documents, console. The entrypoint is the service's
# own command line, so one image runs every process of the service (the console, which has no
# database and no worker, runs `serve`):
#
#   docker run IMAGE api        HTTP API            docker run IMAGE migrate    Alembic upgrade
#   docker run IMAGE worker     consumers + relay   docker run IMAGE asyncapi   AsyncAPI document
#   docker run IMAGE serve      both in one process docker run IMAGE openapi    OpenAPI document
#
# The image also carries the operator tools: `--entrypoint suite-topics` (create the topics) and
# `--entrypoint suite-dlq` (list and replay dead letters). It listens on 8000 and runs as the
# unprivileged user 10001 with nothing to write outside /tmp and DOCUMENTS_STORAGE_DIR.

ARG PYTHON_IMAGE=python:3.11-slim-bookworm
ARG UV_IMAGE=ghcr.io/astral-sh/uv:0.13.9

FROM ${UV_IMAGE} AS uv

# --- builder: the service's virtual environment, with its workspace sources installed in place ---
FROM ${PYTHON_IMAGE} AS builder
ARG SERVICE
SHELL ["/bin/bash", "-o", "pipefail", "-c"]
RUN case "${SERVICE}" in \
        orders|inventory|billing|documents|console) ;; \
        *) echo "build with --build-arg SERVICE=orders|inventory|billing|documents|console" >&2; exit 1 ;; \
    esac
COPY --from=uv /uv /usr/local/bin/uv
ENV UV_COMPILE_BYTECODE=1 \
    UV_LINK_MODE=copy \
    UV_PYTHON_DOWNLOADS=never \
    UV_PROJECT_ENVIRONMENT=/app/.venv
WORKDIR /app

# Dependencies first: this layer changes only when the lock file or a pyproject.toml does.
# uv needs every workspace member's pyproject.toml to read the workspace, not their sources.
COPY uv.lock pyproject.toml ./
COPY libs/contracts/pyproject.toml libs/contracts/
COPY libs/servicekit/pyproject.toml libs/servicekit/
COPY libs/pricing/pyproject.toml libs/pricing/
COPY services/orders/pyproject.toml services/orders/
COPY services/inventory/pyproject.toml services/inventory/
COPY services/billing/pyproject.toml services/billing/
COPY services/documents/pyproject.toml services/documents/
COPY services/console/pyproject.toml services/console/
RUN --mount=type=cache,target=/root/.cache/uv \
    uv sync --frozen --no-dev --no-install-workspace --package "${SERVICE}"

# Then the sources: the shared libraries and this one service (migrations included).
COPY libs/contracts/ libs/contracts/
COPY libs/servicekit/ libs/servicekit/
COPY libs/pricing/ libs/pricing/
COPY services/${SERVICE}/ services/${SERVICE}/
RUN --mount=type=cache,target=/root/.cache/uv \
    uv sync --frozen --no-dev --package "${SERVICE}" \
    && python -m compileall -q libs/contracts/src libs/servicekit/src libs/pricing/src "services/${SERVICE}" \
    && /app/.venv/bin/python -c "import ${SERVICE}.entrypoints.cli, servicekit.topics, servicekit.dlq_cli"

# --- runtime: Python, the environment and the sources; no compiler, no uv ---
FROM ${PYTHON_IMAGE} AS runtime
ARG SERVICE
SHELL ["/bin/bash", "-o", "pipefail", "-c"]

# documents renders its PDFs with DejaVu Sans (DOCUMENTS_FONT_PATH); the other services need no fonts.
RUN if [ "${SERVICE}" = "documents" ]; then \
        apt-get update \
        && apt-get install -y --no-install-recommends fonts-dejavu-core=2.37-6 \
        && rm -rf /var/lib/apt/lists/*; \
    fi

RUN groupadd --system --gid 10001 suite \
    && useradd --system --uid 10001 --gid suite --home-dir /nonexistent --no-create-home \
        --shell /usr/sbin/nologin suite \
    && install -d -o 10001 -g 10001 -m 0750 /var/lib/documents

# Owned by root and only readable by the service: the code cannot be changed at run time.
COPY --from=builder /app /app
RUN ln -s "/app/.venv/bin/${SERVICE}" /usr/local/bin/suite-service

ENV PATH=/app/.venv/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    SUITE_SERVICE=${SERVICE} \
    ORDERS_HOST=0.0.0.0 ORDERS_PORT=8000 \
    INVENTORY_HOST=0.0.0.0 INVENTORY_PORT=8000 \
    BILLING_HOST=0.0.0.0 BILLING_PORT=8000 \
    DOCUMENTS_HOST=0.0.0.0 DOCUMENTS_PORT=8000 \
    CONSOLE_HOST=0.0.0.0 CONSOLE_PORT=8000 \
    DOCUMENTS_STORAGE_DIR=/var/lib/documents

LABEL org.opencontainers.image.title="sales-order-suite ${SERVICE}" \
      org.opencontainers.image.description="The ${SERVICE} service of the sales order suite" \
      org.opencontainers.image.licenses="Apache-2.0"

WORKDIR /app
USER 10001:10001
EXPOSE 8000
ENTRYPOINT ["suite-service"]
CMD ["serve"]
