#!/usr/bin/env bash
# Installs what the suite needs on a fresh machine, then the Python workspace:
#   uv (from PyPI), the Debian packages for fonts (PDFs), PostgreSQL and Chromium (the console's
#   browser tests), Java + Maven and the pinned Kafka jars (through kafka.sh); the workspace on
#   the distribution's Python 3.11 when there is one. Safe to run again: it skips what is already there.
set -euo pipefail
SCRIPT_NAME=setup
# shellcheck source=lib.sh
. "$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/lib.sh"

# uv: the workspace's package manager. Installed from PyPI into the user's Python.
if ! command -v uv >/dev/null 2>&1; then
    command -v python3 >/dev/null 2>&1 || die "python3 is missing: install Python 3.11"
    say "installing uv from PyPI"
    # A distribution's own Python refuses installs outside a virtualenv (PEP 668): then into
    # the user's site (~/.local/bin), which touches none of the distribution's packages.
    python3 -m pip install --quiet --disable-pip-version-check uv >&2 \
        || python3 -m pip install --quiet --disable-pip-version-check --user \
            --break-system-packages uv >&2 \
        || die "could not install uv with pip (python3 -m pip install --user uv)"
    # pyenv-managed Pythons expose new console scripts only after a rehash
    if command -v pyenv >/dev/null 2>&1; then pyenv rehash >/dev/null 2>&1 || true; fi
    hash -r
    command -v uv >/dev/null 2>&1 ||
        die "uv was installed but is not on PATH (add $(python3 -m site --user-base)/bin to PATH)"
fi

# The documents service embeds DejaVu Sans so any language renders in PDFs.
if [ ! -f /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf ] && [ -z "${DOCUMENTS_FONT_PATH:-}" ]; then
    if can_apt; then
        apt_install fonts-dejavu-core
    else
        die "the DejaVu fonts are missing: install fonts-dejavu-core or set DOCUMENTS_FONT_PATH"
    fi
fi

# The web console's browser tests drive headless Chromium from the distribution's packages
# (Playwright is pointed at /usr/bin/chromium; its own browser download is never used).
if ! command -v chromium >/dev/null 2>&1 || ! command -v chromedriver >/dev/null 2>&1; then
    if can_apt; then
        apt_install chromium chromium-driver
    else
        say "warning: Chromium is missing (packages chromium and chromium-driver): the console's browser tests will fail"
    fi
fi

# PostgreSQL binaries (postgres.sh installs them too; doing it here keeps start-up quiet).
if ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 && ! command -v initdb >/dev/null 2>&1 \
    && [ "${SUITE_LOCAL_POSTGRES:-1}" != 0 ]; then
    if can_apt; then
        apt_install postgresql
    else
        die "PostgreSQL is missing: install the postgresql package"
    fi
fi

# Java, Maven and the broker jars (only when the local Kafka is used).
if [ "${SUITE_LOCAL_KAFKA:-1}" != 0 ]; then
    bash "$LOCAL_DIR/kafka.sh" fetch
fi

# The workspace's interpreter (docs/adr/0046): SUITE_PYTHON when set; else the distribution's
# CPython 3.11, built with profile-guided and link-time optimisation into one executable, the
# interpreter the images run; else whichever Python 3.11 uv finds (a pyenv build, say, which
# may be compiled without those and run the same code slower). A venv made with another
# interpreter is made again with this one.
workspace_python() {
    if [ -n "${SUITE_PYTHON:-}" ]; then
        printf '%s\n' "$SUITE_PYTHON"
    elif [ -x /usr/bin/python3.11 ]; then
        printf '%s\n' /usr/bin/python3.11
    fi
}

python="$(workspace_python)"
say "syncing the Python workspace (uv sync --frozen --compile-bytecode${python:+ --python $python})"
(cd "$REPO_ROOT" && uv sync --frozen --quiet --compile-bytecode ${python:+--python "$python"}) ||
    die "uv sync failed"
# Bytecode written ahead, for the dependencies (above) and the workspace's own modules and
# migrations: where the environment says not to write it (PYTHONDONTWRITEBYTECODE), every
# process would otherwise compile each module it imports again, about two seconds of CPU per
# service process started. Only what changed since is compiled again.
(cd "$REPO_ROOT" && .venv/bin/python -m compileall -q -j 0 libs/*/src services/*/src \
    services/*/migrations scripts) || die "compiling the workspace's modules failed"
say "ready"
