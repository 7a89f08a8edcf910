#!/usr/bin/env bash
# Builds the suite's container images from the Dockerfile without a Docker engine or a registry:
# buildah (chroot isolation) builds them, on base images made here from Debian's packages.
#
#   deploy/image/build.sh [SERVICE...]      build localhost/sales-order-suite/<service>:dev
#                                           (every service when none is named)
#   deploy/image/build.sh check SERVICE     build it, then run its command line inside the image:
#                                           print the OpenAPI document, migrate a real database,
#                                           start the API and get its /health/ready
#   deploy/image/build.sh base [--refresh]  only the two base images (--refresh: from today's packages)
#   deploy/image/build.sh tools             only install buildah and mmdebstrap
#
# The Dockerfile takes its bases through build arguments; their defaults (the upstream python
# and uv images) are what a build against a real registry uses. Here they are replaced by:
#
#   PYTHON_IMAGE  localhost/sales-order-suite-base/python:<X.Y>-<suite>-<recipe>: a root file
#                 system made by mmdebstrap from Debian's packages (python3, python-is-python3,
#                 passwd, ca-certificates on minbase with merged /usr) for the Debian suite and
#                 the Python version the default names (python:3.11-slim-bookworm: bookworm,
#                 whose python3 is 3.11). The root file system is kept as a tar under
#                 .local/images/ (SUITE_IMAGE_CACHE), the image in buildah's storage; both are
#                 reused until the recipe changes or `base --refresh` makes them again.
#   UV_IMAGE      localhost/sales-order-suite-base/uv:<version>: the uv binary of the wheel of
#                 the version the default names, downloaded from PyPI, alone in an image.
#
# Settings: SUITE_IMAGE_REPO (localhost/sales-order-suite), SUITE_IMAGE_TAG (dev),
# SUITE_IMAGE_CACHE (.local/images). The machine lends its CA bundle (SUITE_BUILD_CA_FILE, else
# SSL_CERT_FILE, else Debian's /etc/ssl/certs/ca-certificates.crt) to the build's RUN steps and uv
# trusts the system's certificates there, so a proxy that re-signs HTTPS traffic with a CA of the
# machine's works; the bundle is mounted, never stored in an image.
# buildah and mmdebstrap are installed from Debian's packages when missing (as root).
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/../.." || exit 2
ROOT="$(pwd)"
REPO="${SUITE_IMAGE_REPO:-localhost/sales-order-suite}"
TAG="${SUITE_IMAGE_TAG:-dev}"
CACHE="${SUITE_IMAGE_CACHE:-$ROOT/.local/images}"
BASE_REPO="localhost/sales-order-suite-base"
SERVICES=(orders inventory billing documents console)
# The base's packages; python3 comes from the suite the Dockerfile's default image names.
BASE_PACKAGES="python3,python-is-python3,passwd,ca-certificates"

say() { printf 'image: %s\n' "$*" >&2; }
die() { say "error: $*"; exit 1; }

# --- tools -------------------------------------------------------------------------------------
ensure_tools() {
    local missing=()
    command -v buildah >/dev/null 2>&1 || missing+=(buildah)
    command -v mmdebstrap >/dev/null 2>&1 || missing+=(mmdebstrap)
    [[ ${#missing[@]} == 0 ]] && return 0
    if [[ "$(id -u)" != 0 ]] || ! command -v apt-get >/dev/null 2>&1; then
        die "${missing[*]} missing: install the Debian package(s) ${missing[*]}"
    fi
    say "installing ${missing[*]} from Debian's packages"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >&2 || die "apt-get update failed"
    apt-get install -y -qq --no-install-recommends -o DPkg::Lock::Timeout=300 "${missing[@]}" >&2 ||
        die "apt-get install ${missing[*]} failed"
}

# --- what the Dockerfile's defaults name -------------------------------------------------------
dockerfile_default() {  # ARG name -> its default value
    sed -n "s/^ARG $1=\\(.*\\)$/\\1/p" Dockerfile | head -n 1
}
read_defaults() {
    local python_image uv_image
    python_image="$(dockerfile_default PYTHON_IMAGE)"   # python:3.11-slim-bookworm
    uv_image="$(dockerfile_default UV_IMAGE)"           # ghcr.io/astral-sh/uv:0.13.9
    [[ "$python_image" =~ :([0-9]+\.[0-9]+)-.*-([a-z]+)$ ]] ||
        die "cannot read the Python version and Debian suite from PYTHON_IMAGE=$python_image"
    PYTHON_VERSION="${BASH_REMATCH[1]}"
    SUITE="${BASH_REMATCH[2]}"
    [[ "$uv_image" =~ :([0-9][0-9.]*)$ ]] || die "cannot read uv's version from UV_IMAGE=$uv_image"
    UV_VERSION="${BASH_REMATCH[1]}"
    local recipe
    recipe="$(printf '%s|%s|%s' "$SUITE" "$BASE_PACKAGES" "$(sed -n '/^mmdebstrap_base()/,/^}/p' "${BASH_SOURCE[0]}")" |
        sha256sum | cut -c1-12)"
    PYTHON_BASE="$BASE_REPO/python:$PYTHON_VERSION-$SUITE-$recipe"
    UV_BASE="$BASE_REPO/uv:$UV_VERSION"
}

image_exists() { buildah inspect --type image "$1" >/dev/null 2>&1; }

# --- base images -------------------------------------------------------------------------------
mmdebstrap_base() {  # TARGET.tar: a minimal Debian root file system with Python
    mmdebstrap --mode=root --variant=minbase \
        --hook-dir=/usr/share/mmdebstrap/hooks/merged-usr \
        --include="$BASE_PACKAGES" \
        --aptopt='Acquire::Languages "none"' \
        --dpkgopt='path-exclude=/usr/share/man/*' \
        --dpkgopt='path-exclude=/usr/share/doc/*' \
        --dpkgopt='path-include=/usr/share/doc/*/copyright' \
        --dpkgopt='path-exclude=/usr/share/locale/*' \
        "$SUITE" "$1"
}

build_python_base() {
    local refresh="$1" tar="$CACHE/${PYTHON_BASE##*/}.tar"
    tar="${tar/:/-}"
    if [[ "$refresh" == 0 ]] && image_exists "$PYTHON_BASE"; then return 0; fi
    mkdir -p "$CACHE"
    if [[ "$refresh" == 1 || ! -s "$tar" ]]; then
        local started=$SECONDS
        say "making a Debian $SUITE root file system with mmdebstrap (${tar#"$ROOT"/})"
        mmdebstrap_base "$tar.part" >"$CACHE/mmdebstrap.log" 2>&1 ||
            { tail -n 30 "$CACHE/mmdebstrap.log" >&2; die "mmdebstrap failed (log: $CACHE/mmdebstrap.log)"; }
        mv "$tar.part" "$tar"
        say "root file system made in $((SECONDS - started)) s"
    fi
    local ctr
    ctr="$(buildah from scratch)"
    buildah add "$ctr" "$tar" / >/dev/null
    buildah config --env LANG=C.UTF-8 --cmd '["python3"]' \
        --label "org.opencontainers.image.description=Debian $SUITE with Python $PYTHON_VERSION, made by mmdebstrap" "$ctr"
    local found
    found="$(buildah run --isolation chroot "$ctr" -- python -c 'import sys; print("%d.%d" % sys.version_info[:2])')"
    if [[ "$found" != "$PYTHON_VERSION" ]]; then
        buildah rm "$ctr" >/dev/null
        die "Debian $SUITE ships Python $found, the Dockerfile's default image Python $PYTHON_VERSION"
    fi
    buildah commit --quiet --rm "$ctr" "$PYTHON_BASE" >/dev/null
    say "base image $PYTHON_BASE (Python $found)"
}

build_uv_base() {
    local refresh="$1"
    if [[ "$refresh" == 0 ]] && image_exists "$UV_BASE"; then return 0; fi
    local dir="$CACHE/uv-$UV_VERSION"
    rm -rf "$dir" && mkdir -p "$dir"
    say "downloading uv $UV_VERSION from PyPI"
    python3 -m pip download --quiet --disable-pip-version-check --no-deps --only-binary=:all: \
        -d "$dir" "uv==$UV_VERSION" >&2 || die "pip download uv==$UV_VERSION failed"
    python3 - "$dir" "$UV_VERSION" <<'PY' || die "no uv binary in the wheel"
import pathlib, sys, zipfile
folder, version = pathlib.Path(sys.argv[1]), sys.argv[2]
wheel = next(folder.glob(f"uv-{version}-*.whl"))
binary = folder / "uv"
binary.write_bytes(zipfile.ZipFile(wheel).read(f"uv-{version}.data/scripts/uv"))
binary.chmod(0o755)
PY
    local ctr
    ctr="$(buildah from scratch)"
    buildah copy "$ctr" "$dir/uv" /uv >/dev/null
    buildah commit --quiet --rm "$ctr" "$UV_BASE" >/dev/null
    rm -rf "$dir"
    say "base image $UV_BASE"
}

bases() {
    ensure_tools
    read_defaults
    build_python_base "${1:-0}"
    build_uv_base "${1:-0}"
}

# --- service images ----------------------------------------------------------------------------
build_service() {
    local service="$1" started=$SECONDS
    local mounts=() ca="${SUITE_BUILD_CA_FILE:-${SSL_CERT_FILE:-/etc/ssl/certs/ca-certificates.crt}}"
    if [[ -n "$ca" && -f "$ca" ]]; then
        mkdir -p "$CACHE"
        printf '# Mounted into the build by deploy/image/build.sh only.\nsystem-certs = true\n' >"$CACHE/uv.toml"
        mounts=(--volume "$ca:/etc/ssl/certs/ca-certificates.crt:ro" --volume "$CACHE/uv.toml:/etc/uv/uv.toml:ro")
    fi
    say "building $REPO/$service:$TAG"
    # --format docker: the OCI format drops the Dockerfile's SHELL (bash with pipefail).
    buildah bud --isolation chroot --format docker --layers --pull-never \
        --build-arg "SERVICE=$service" \
        --build-arg "PYTHON_IMAGE=$PYTHON_BASE" \
        --build-arg "UV_IMAGE=$UV_BASE" \
        "${mounts[@]}" \
        --tag "$REPO/$service:$TAG" --file Dockerfile . >&2 || die "building $service failed"
    # buildah 1.28 leaves a working container behind for a stage that is only a FROM (the uv stage).
    local leftover
    for leftover in $(buildah containers --quiet --filter "ancestor=$UV_BASE"); do
        buildah rm "$leftover" >/dev/null
    done
    say "built $REPO/$service:$TAG in $((SECONDS - started)) s"
}

# --- running the image's command line ----------------------------------------------------------
# Runs the image's entrypoint command (`suite-service ARGS`) as the image's user, in a chroot, on
# the host's network.
CONTAINER=""
IN_IMAGE_ENV=(--env AUTH_DEV_SECRET=image-check-documents-only-0123456789abcdef --env AUTH_ALLOW_DEV_SECRET=true)
in_image() {
    buildah run --isolation chroot "${IN_IMAGE_ENV[@]}" "${RUN_ENV[@]}" "$CONTAINER" -- "$@"
}

PRIVATE_PG=""
API_PID=""
cleanup_check() {  # best effort, every step: it runs on EXIT, also after a failure
    set +e
    if [[ -n "$API_PID" ]]; then
        kill -TERM "$API_PID" 2>/dev/null
        wait "$API_PID" 2>/dev/null
    fi
    API_PID=""
    [[ -n "$CONTAINER" ]] && buildah rm "$CONTAINER" >/dev/null 2>&1
    if [[ -n "$PRIVATE_PG" ]]; then
        SUITE_STATE_DIR="$PRIVATE_PG" bash deploy/local/postgres.sh reset >/dev/null 2>&1
        rm -rf "$PRIVATE_PG"
    fi
    if [[ -n "${CHECK_DB:-}" && -n "${POSTGRES_ADMIN_URL:-}" ]]; then
        psql "$POSTGRES_ADMIN_URL" -X -q -c "DROP DATABASE IF EXISTS $CHECK_DB WITH (FORCE)" >/dev/null 2>&1
    fi
    [[ -n "$WORK" ]] && rm -rf "$WORK"
    return 0
}

# A database for the check: a throwaway one on POSTGRES_ADMIN_URL's server when that is set
# (the tests' PostgreSQL), else a private cluster from the distribution's packages.
check_database() {
    local service="$1"
    CHECK_DB="image_check_${service}_$$"
    if [[ -n "${POSTGRES_ADMIN_URL:-}" ]]; then
        psql "$POSTGRES_ADMIN_URL" -X -q -v ON_ERROR_STOP=1 -c "CREATE DATABASE $CHECK_DB" >&2 ||
            die "could not create database $CHECK_DB on POSTGRES_ADMIN_URL"
        DB_URL="$(python3 -c 'import sys, urllib.parse as u; p = u.urlsplit(sys.argv[1]); print(p._replace(scheme="postgresql+asyncpg", path="/" + sys.argv[2]).geturl())' \
            "$POSTGRES_ADMIN_URL" "$CHECK_DB")"
        CHECK_PSQL_URL="${POSTGRES_ADMIN_URL%/*}/$CHECK_DB"
        return 0
    fi
    PRIVATE_PG="$(mktemp -d "${TMPDIR:-/tmp}/suite-image-pg.XXXXXX")"
    chmod 755 "$PRIVATE_PG"
    local port
    port="$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
    CHECK_DB="$service"
    export POSTGRES_PORT="$port" POSTGRES_PASSWORD=postgres
    SUITE_STATE_DIR="$PRIVATE_PG" PG_FAST=1 bash deploy/local/postgres.sh start >&2 ||
        die "could not start a private PostgreSQL"
    DB_URL="postgresql+asyncpg://$service:$service@127.0.0.1:$port/$service"
    CHECK_PSQL_URL="postgresql://$service:$service@127.0.0.1:$port/$service"
}

WORK=""
check_service() {
    local service="$1" image="$REPO/$1:$TAG" work
    WORK="$(mktemp -d "${TMPDIR:-/tmp}/suite-image-check.XXXXXX")"
    work="$WORK"
    RUN_ENV=()
    trap cleanup_check EXIT
    CONTAINER="$(buildah from --pull-never "$image")"

    local user entrypoint
    user="$(buildah inspect --type image --format '{{.Docker.Config.User}}' "$image")"
    entrypoint="$(buildah inspect --type image --format '{{.Docker.Config.Entrypoint}}' "$image")"
    [[ "$user" == "10001:10001" ]] || die "$image runs as '$user', not 10001:10001"
    [[ "$entrypoint" == "[suite-service]" ]] || die "$image's entrypoint is $entrypoint"

    local started=$SECONDS
    in_image suite-service --help >/dev/null || die "suite-service --help failed in $image"
    if [[ "$service" == console ]]; then
        say "$image: suite-service --help ($((SECONDS - started)) s); the console owns no database and no API document"
        return 0
    fi
    in_image suite-service openapi >"$work/openapi.json" || die "suite-service openapi failed in $image"
    python3 - "$work/openapi.json" "$service" <<'PY' || die "$image printed no usable OpenAPI document"
import json, sys
doc = json.load(open(sys.argv[1]))
assert doc["openapi"].startswith("3.") and doc["paths"], "no paths"
print(f"image: {sys.argv[2]}: OpenAPI {doc['openapi']} '{doc['info']['title']}', {len(doc['paths'])} paths", file=sys.stderr)
PY
    say "$image: openapi ($((SECONDS - started)) s)"

    started=$SECONDS
    check_database "$service"
    local var
    var="$(printf '%s' "$service" | tr '[:lower:]' '[:upper:]')_DATABASE_URL"
    RUN_ENV=(--env "$var=$DB_URL")
    in_image suite-service migrate >"$work/migrate.log" 2>&1 ||
        { tail -n 30 "$work/migrate.log" >&2; die "suite-service migrate failed in $image"; }
    local head applied
    head="$(in_image python -c "from alembic.script import ScriptDirectory; from $service.entrypoints.cli import MIGRATIONS_DIR; print(ScriptDirectory(str(MIGRATIONS_DIR)).get_current_head())")"
    applied="$(psql "$CHECK_PSQL_URL" -X -A -t -c 'SELECT version_num FROM alembic_version')"
    [[ -n "$head" && "$applied" == "$head" ]] ||
        die "$image migrated its database to '$applied', its migrations' head is '$head'"
    say "$image: migrate to $head ($((SECONDS - started)) s, $(grep -c 'Running upgrade' "$work/migrate.log") migrations)"

    # The API process itself: it must answer its readiness probe (the database reached).
    started=$SECONDS
    local port
    port="$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
    # buildah itself in the background (not a function, whose subshell would get the signal): on
    # SIGTERM it stops the process it runs.
    buildah run --isolation chroot "${IN_IMAGE_ENV[@]}" "${RUN_ENV[@]}" "$CONTAINER" -- \
        suite-service api --host 127.0.0.1 --port "$port" >"$work/api.log" 2>&1 &
    API_PID=$!
    if ! python3 - "$port" <<'PY'; then
import json, sys, time, urllib.request
deadline = time.monotonic() + 120
while time.monotonic() < deadline:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{sys.argv[1]}/health/ready", timeout=5) as answer:
            body = json.load(answer)
            sys.exit(0 if body["checks"]["database"] == "ok" else 1)
    except OSError:
        time.sleep(1)
sys.exit(1)
PY
        tail -n 30 "$work/api.log" >&2
        die "suite-service api in $image did not answer /health/ready"
    fi
    kill -TERM "$API_PID" 2>/dev/null || true
    wait "$API_PID" 2>/dev/null || true  # buildah reports the stopped process as status 1
    API_PID=""
    say "$image: api answers /health/ready ($((SECONDS - started)) s)"
}

# --- main --------------------------------------------------------------------------------------
case "${1:-}" in
tools)
    ensure_tools
    ;;
base)
    refresh=0
    [[ "${2:-}" == --refresh ]] && refresh=1
    bases "$refresh"
    ;;
check)
    [[ -n "${2:-}" ]] || die "usage: $0 check SERVICE"
    [[ " ${SERVICES[*]} " == *" $2 "* ]] || die "unknown service $2 (${SERVICES[*]})"
    bases
    build_service "$2"
    check_service "$2"
    ;;
-h | --help)
    sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed -e '$d' -e 's/^# \{0,1\}//'
    ;;
*)
    bases
    wanted=("$@")
    [[ ${#wanted[@]} == 0 ]] && wanted=("${SERVICES[@]}")
    for service in "${wanted[@]}"; do
        [[ " ${SERVICES[*]} " == *" $service "* ]] || die "unknown service $service (${SERVICES[*]})"
        build_service "$service"
    done
    ;;
esac
