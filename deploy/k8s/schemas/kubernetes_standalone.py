"""Writes kubeconform's standalone Kubernetes schemas for the kinds of some manifests.

    python kubernetes_standalone.py SOURCE_DIR OUT_DIR MANIFEST.yaml...

SOURCE_DIR is one version's strict schemas as the kubernetes-validate package ships them
(`v1.30.0-local-strict/`: one file per kind whose `$ref`s point into a shared
`_definitions.json`). kubeconform reads one self-contained file per kind, so each kind the
manifests use is written to OUT_DIR/<kind>[-<group>]-<version>.json with the definitions it
reaches copied under `$defs`. A kind without a schema is left out: kubeconform then fails on it.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import yaml

SHARED = "/api/_definitions.json#/$defs/"


def refs(node: Any) -> set[str]:
    """The names of the shared definitions a node refers to."""
    if isinstance(node, list):
        return set().union(*(refs(item) for item in node)) if node else set()
    if not isinstance(node, dict):
        return set()
    found = set().union(*(refs(value) for value in node.values())) if node else set()
    ref = node.get("$ref")
    if isinstance(ref, str) and "#/$defs/" in ref:
        found.add(ref.split("#/$defs/", 1)[1])
    return found


def local(node: Any) -> Any:
    """The node with its references to the shared definitions made document-local."""
    if isinstance(node, list):
        return [local(item) for item in node]
    if not isinstance(node, dict):
        return node
    out = {key: local(value) for key, value in node.items()}
    if isinstance(out.get("$ref"), str) and out["$ref"].startswith(SHARED):
        out["$ref"] = "#/$defs/" + out["$ref"][len(SHARED) :]
    return out


def file_name(api_version: str, kind: str) -> str:
    group, _, version = api_version.rpartition("/")
    suffix = f"-{group.split('.')[0]}-{version}" if group else f"-{version}"
    return f"{kind.lower()}{suffix}.json"


def main(argv: list[str]) -> int:
    source, out = Path(argv[0]), Path(argv[1])
    definitions = json.loads((source / "_definitions.json").read_text())["$defs"]
    wanted = set()
    for manifest in argv[2:]:
        for doc in filter(None, yaml.safe_load_all(Path(manifest).read_text())):
            group = doc["apiVersion"].rpartition("/")[0]
            if "." not in group or group.endswith(".k8s.io"):  # Kubernetes' own APIs
                wanted.add(file_name(doc["apiVersion"], doc["kind"]))
    out.mkdir(parents=True, exist_ok=True)
    for name in sorted(wanted):
        if not (source / name).is_file():
            continue
        schema = json.loads((source / name).read_text())
        todo, reached = refs(schema), set()
        while todo:
            ref = todo.pop()
            if ref not in reached and ref in definitions:
                reached.add(ref)
                todo |= refs(definitions[ref])
        schema["$defs"] = {ref: definitions[ref] for ref in sorted(reached)}
        (out / name).write_text(json.dumps(local(schema)))
    print(f"{len(wanted)} kinds: {' '.join(sorted(wanted))}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
