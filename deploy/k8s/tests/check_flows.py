"""Evaluates Kubernetes NetworkPolicies against the flows the suite needs (flows.yaml).

    python check_flows.py flows.yaml RENDERED.yaml [RENDERED.yaml ...]

A flow passes when the source's egress and the destination's ingress both allow it, with the
semantics of networking.k8s.io/v1: a pod selected by no policy of a direction is open in that
direction; otherwise some rule of a selecting policy must match the peer and the port (named
ports resolved against the destination's containers). Addresses outside the cluster's pods match
only rules without `to` peers (the suite uses no ipBlock). Prints each wrong flow; exits 1 if any.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml


@dataclass
class Pod:
    name: str
    namespace: str | None  # None: outside the cluster's pods
    labels: dict[str, str] = field(default_factory=dict)
    ports: dict[str, int] = field(default_factory=dict)  # named container ports


def selects(selector: dict[str, Any] | None, labels: dict[str, str]) -> bool:
    if selector is None:
        return True
    if any(labels.get(k) != v for k, v in selector.get("matchLabels", {}).items()):
        return False
    for expr in selector.get("matchExpressions", []):
        key, op, values = expr["key"], expr["operator"], expr.get("values", [])
        present = key in labels
        if op == "In" and not (present and labels[key] in values):
            return False
        if op == "NotIn" and present and labels[key] in values:
            return False
        if op == "Exists" and not present:
            return False
        if op == "DoesNotExist" and present:
            return False
    return True


def peer_matches(peer: dict[str, Any], policy_ns: str, other: Pod) -> bool:
    if "ipBlock" in peer:
        raise SystemExit("ipBlock peers are not modelled: extend check_flows.py")
    if other.namespace is None:
        return False
    if "namespaceSelector" in peer:
        ns_labels = {"kubernetes.io/metadata.name": other.namespace}
        if not selects(peer["namespaceSelector"], ns_labels):
            return False
    elif other.namespace != policy_ns:
        return False
    return selects(peer.get("podSelector"), other.labels)


def port_matches(ports: list[dict[str, Any]] | None, port: int, protocol: str, dst: Pod) -> bool:
    if not ports:
        return True
    for p in ports:
        if p.get("protocol", "TCP") != protocol:
            continue
        wanted = p.get("port")
        if wanted is None:
            return True
        number = dst.ports.get(wanted) if isinstance(wanted, str) else wanted
        end = p.get("endPort", number)
        if number is not None and number <= port <= end:
            return True
    return False


def direction_allows(
    policies: list[dict[str, Any]],
    kind: str,
    subject: Pod,
    other: Pod,
    port: int,
    protocol: str,
    dst: Pod,
) -> bool:
    if subject.namespace is None:
        return True
    rule_key, peer_key = ("egress", "to") if kind == "Egress" else ("ingress", "from")
    selecting = [
        p
        for p in policies
        if p["metadata"]["namespace"] == subject.namespace
        and kind in p["spec"].get("policyTypes", ["Ingress"])
        and selects(p["spec"].get("podSelector", {}), subject.labels)
    ]
    if not selecting:
        return True
    for policy in selecting:
        for rule in policy["spec"].get(rule_key, []) or []:
            peers = rule.get(peer_key)
            peer_ok = not peers or any(
                peer_matches(peer, policy["metadata"]["namespace"], other) for peer in peers
            )
            if peer_ok and port_matches(rule.get("ports"), port, protocol, dst):
                return True
    return False


def suite_pods(docs: list[dict[str, Any]]) -> dict[str, Pod]:
    pods = {}
    for d in docs:
        ns = d["metadata"].get("namespace", "default")
        if d["kind"] in ("Deployment", "StatefulSet", "Job"):
            template = d["spec"]["template"]
            ports = {
                port["name"]: port["containerPort"]
                for c in template["spec"]["containers"]
                for port in c.get("ports", [])
                if "name" in port
            }
            pods[d["metadata"]["name"]] = Pod(
                d["metadata"]["name"], ns, template["metadata"].get("labels", {}), ports
            )
        elif d["kind"] == "Cluster" and d["apiVersion"].startswith("postgresql.cnpg.io/"):
            labels = {"cnpg.io/cluster": d["metadata"]["name"], "cnpg.io/podRole": "instance"}
            labels |= d["spec"].get("inheritedMetadata", {}).get("labels", {})
            pods[d["metadata"]["name"]] = Pod(d["metadata"]["name"], ns, labels)
    return pods


def main(argv: list[str]) -> int:
    spec = yaml.safe_load(Path(argv[1]).read_text())
    docs = [d for path in argv[2:] for d in yaml.safe_load_all(Path(path).read_text()) if d]
    policies = [d for d in docs if d["kind"] == "NetworkPolicy"]
    pods = suite_pods(docs)
    for name, pod in spec.get("pods", {}).items():
        pods[name] = Pod(name, pod["namespace"], pod.get("labels", {}))
    for name in spec.get("external", []):
        pods[name] = Pod(name, None)
    problems, checked = [], 0
    for expected, flows in (
        ("allowed", spec.get("allowed", [])),
        ("denied", spec.get("denied", [])),
    ):
        for src_name, dst_name, port_spec in flows:
            if src_name not in pods or dst_name not in pods:
                problems.append(f"{src_name} -> {dst_name}: unknown pod (renamed?)")
                continue
            src, dst = pods[src_name], pods[dst_name]
            port_text, _, protocol = str(port_spec).partition("/")
            port, protocol = int(port_text), protocol or "TCP"
            allowed = direction_allows(
                policies, "Egress", src, dst, port, protocol, dst
            ) and direction_allows(policies, "Ingress", dst, src, port, protocol, dst)
            checked += 1
            if allowed != (expected == "allowed"):
                problems.append(
                    f"{src_name} -> {dst_name}:{port_spec} should be {expected}, "
                    f"is {'allowed' if allowed else 'denied'}"
                )
    print("\n".join(problems) or f"{checked} flows as expected, {len(policies)} policies")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
