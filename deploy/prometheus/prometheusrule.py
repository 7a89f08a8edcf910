"""Writes the alert rules of alerts.yml as a PrometheusRule for the Prometheus Operator.

    python deploy/prometheus/prometheusrule.py           # (re)writes the PrometheusRule
    python deploy/prometheus/prometheusrule.py --check   # exit 1 when it is stale

alerts.yml stays the one source (promtool-tested, loaded as is by Compose's Prometheus); the
generated file is committed so that `kubectl apply -k` needs no generator.
"""

from __future__ import annotations

import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
SOURCE = ROOT / "deploy/prometheus/alerts.yml"
TARGET = ROOT / "deploy/k8s/optional/prometheus-operator/prometheusrule.yaml"
HEADER = (
    "# GENERATED from deploy/prometheus/alerts.yml by deploy/prometheus/prometheusrule.py\n"
    "# (`make rules`): edit alerts.yml, never this file.\n"
)


def render() -> str:
    rules = yaml.safe_load(SOURCE.read_text())
    resource = {
        "apiVersion": "monitoring.coreos.com/v1",
        "kind": "PrometheusRule",
        "metadata": {"name": "sales-order-suite"},
        "spec": {"groups": rules["groups"]},
    }
    return HEADER + yaml.safe_dump(resource, sort_keys=False, width=100, allow_unicode=True)


def main(argv: list[str]) -> int:
    text = render()
    if "--check" in argv:
        if not TARGET.is_file() or TARGET.read_text() != text:
            print(f"{TARGET.relative_to(ROOT)} is stale: run `make rules`", file=sys.stderr)
            return 1
        print(f"{TARGET.relative_to(ROOT)} matches alerts.yml")
        return 0
    TARGET.write_text(text)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
