"""Turns CustomResourceDefinitions into the JSON Schemas kubeconform reads.

    python deploy/k8s/schemas/crd2jsonschema.py OUT_DIR CRD.yaml... [--only Kind/version ...]

For every version a CRD serves it writes OUT_DIR/<group>/<kind>_<version>.json (lower case), the
layout of kubeconform's `{{.Group}}/{{.ResourceKind}}_{{.ResourceAPIVersion}}.json` schema
location. The schema is the version's `openAPIV3Schema`, made strict the way the API server
prunes: an object that lists its `properties` and neither allows other properties nor preserves
unknown fields gets `additionalProperties: false`, so a misspelt field fails. OpenAPI's
`nullable` becomes a `null` type. `apiVersion` and `kind` are pinned to the resource's.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

import yaml


def strict(node: Any) -> Any:
    """The node with strict objects, recursively."""
    if isinstance(node, list):
        return [strict(item) for item in node]
    if not isinstance(node, dict):
        return node
    out = {key: strict(value) for key, value in node.items()}
    if out.pop("nullable", False) and isinstance(out.get("type"), str):
        out["type"] = [out["type"], "null"]
    if (
        "properties" in out
        and "additionalProperties" not in out
        and not out.get("x-kubernetes-preserve-unknown-fields")
    ):
        out["additionalProperties"] = False
    return out


def schemas(crd: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """`<group>/<kind>_<version>.json` -> schema, for every served version of one CRD."""
    spec = crd["spec"]
    group, kind = spec["group"], spec["names"]["kind"]
    found = {}
    for version in spec["versions"]:
        if not version.get("served", True):
            continue
        schema = strict(version["schema"]["openAPIV3Schema"])
        properties = schema.setdefault("properties", {})
        properties["apiVersion"] = {"type": "string", "enum": [f"{group}/{version['name']}"]}
        properties["kind"] = {"type": "string", "enum": [kind]}
        schema["required"] = sorted({*schema.get("required", []), "apiVersion", "kind"})
        schema["$schema"] = "http://json-schema.org/draft-04/schema#"
        found[f"{group}/{kind.lower()}_{version['name']}.json"] = schema
    return found


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out_dir", type=Path)
    parser.add_argument("crds", nargs="+", type=Path)
    parser.add_argument("--only", action="append", default=[], help="Kind/version to keep")
    args = parser.parse_args(argv)
    only = {o.lower() for o in args.only}
    written = 0
    for path in args.crds:
        for doc in yaml.safe_load_all(path.read_text()):
            if not doc or doc.get("kind") != "CustomResourceDefinition":
                continue
            for name, schema in schemas(doc).items():
                kind_version = name.split("/", 1)[1].removesuffix(".json").replace("_", "/")
                if only and kind_version not in only:
                    continue
                target = args.out_dir / name
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_text(json.dumps(schema, indent=1, sort_keys=True) + "\n")
                written += 1
                print(f"{target}", file=sys.stderr)
    return 0 if written else 1


if __name__ == "__main__":
    sys.exit(main())
