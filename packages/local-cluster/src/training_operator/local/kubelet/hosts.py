"""The generated /etc/hosts of a pod: how service and pod DNS names resolve without a DNS server.

Pure. For the pod itself: its IP for its hostname (and FQDN when it has a subdomain), as the kubelet writes
it; without that entry gloo and MPI advertise 127.0.0.1. For its namespace: every service name (short,
`.ns`, `.ns.svc`, `.ns.svc.cluster.local`) → the IPs of the pods it selects, and every pod with
hostname+subdomain → its IP under the subdomain names. Regenerated in place as pods come and go.

A DNS resolver would also try a short name against the pod's search list (`spec.dnsConfig.searches`);
/etc/hosts lookups never do, so each name under one of the pod's extra search domains is also listed
without it. MPICH and Intel MPI need exactly this: their proxies dial the launcher by its bare hostname,
which MPIJob makes resolvable with the search domain `<job>.<ns>.svc.cluster.local`.

Its companion resolv.conf names no reachable server on purpose: a pod's network namespace cannot reach the
machine's nameserver, so a name missing from /etc/hosts would otherwise cost the resolver's timeout (5 s,
twice) instead of the instant "not found" a cluster DNS answers. Init containers polling for a peer and
torch's reverse lookups of its peers' addresses both pay that on every miss.
"""

from typing import Any

from training_operator.local import selectors

DOMAIN = "cluster.local"
HEADER = "# Kubernetes-managed hosts file (training-operator local cluster).\n"


RESOLV_CONF = (
    "# training-operator local cluster: names resolve through /etc/hosts; no DNS server is reachable from\n"
    "# a pod, so a lookup that misses must fail at once rather than wait for one.\n"
    "nameserver 127.0.0.1\n"
    "options timeout:1 attempts:1\n"
)


def pod_hostname(pod: dict[str, Any]) -> str:
    """spec.hostname or the pod name, cut to 63 characters as upstream does."""
    return str(pod["spec"].get("hostname") or pod["metadata"]["name"])[:63].rstrip("-.")


def _service_names(name: str, namespace: str) -> list[str]:
    return [name, f"{name}.{namespace}", f"{name}.{namespace}.svc", f"{name}.{namespace}.svc.{DOMAIN}"]


def _selected(service: dict[str, Any], pods: list[dict[str, Any]]) -> list[dict[str, Any]]:
    selector = service.get("spec", {}).get("selector") or {}
    if not selector:
        return []
    reqs = selectors.selector_from_match({"matchLabels": selector})
    return [p for p in pods if selectors.labels_match(reqs, p)]


def _ip(pod: dict[str, Any]) -> str | None:
    ip = pod.get("status", {}).get("podIP")
    if (
        not ip
        or pod["metadata"].get("deletionTimestamp")
        or pod["status"].get("phase") in ("Succeeded", "Failed")
    ):
        return None
    return str(ip)


def _searched(names: list[str], searches: list[str]) -> list[str]:
    """The short forms of `names` that a resolver would complete with one of `searches`."""
    short: list[str] = []
    for search in searches:
        suffix = f".{search}"
        short.extend(n[: -len(suffix)] for n in names if n.endswith(suffix) and len(n) > len(suffix))
    return short


def hosts_file(
    pod: dict[str, Any], own_ip: str, pods: list[dict[str, Any]], services: list[dict[str, Any]]
) -> str:
    """The full file for `pod`, given its namespace's pods and services."""
    namespace = pod["metadata"]["namespace"]
    hostname = pod_hostname(pod)
    subdomain = pod["spec"].get("subdomain")
    lines = [HEADER, "127.0.0.1\tlocalhost\n", "::1\tlocalhost ip6-localhost ip6-loopback\n"]
    own = [f"{hostname}.{subdomain}.{namespace}.svc.{DOMAIN}", hostname] if subdomain else [hostname]
    lines.append(f"{own_ip}\t{' '.join(own)}\n")
    entries: dict[str, list[str]] = {}
    for other in pods:
        ip = own_ip if other["metadata"]["name"] == pod["metadata"]["name"] else _ip(other)
        other_sub = other["spec"].get("subdomain")
        if ip and other_sub:
            name = pod_hostname(other)
            full = f"{name}.{other_sub}"
            for alias in (
                full,
                f"{full}.{namespace}",
                f"{full}.{namespace}.svc",
                f"{full}.{namespace}.svc.{DOMAIN}",
            ):
                entries.setdefault(ip, []).append(alias)
    for service in services:
        ips = []
        for target in _selected(service, pods):
            ip = own_ip if target["metadata"]["name"] == pod["metadata"]["name"] else _ip(target)
            if ip:
                ips.append(ip)
        for ip in sorted(set(ips)):
            entries.setdefault(ip, []).extend(_service_names(service["metadata"]["name"], namespace))
    searches = [str(s).rstrip(".") for s in (pod["spec"].get("dnsConfig") or {}).get("searches") or []]
    for ip, names in entries.items():
        names.extend(_searched(names, searches))
        unique = list(dict.fromkeys(n for n in names if n not in own or ip != own_ip))
        if unique:
            lines.append(f"{ip}\t{' '.join(unique)}\n")
    return "".join(lines)
