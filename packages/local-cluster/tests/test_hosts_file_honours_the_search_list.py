"""A pod's generated /etc/hosts answers short names the way its DNS search list would: MPICH and Intel MPI
proxies on the workers dial the launcher by its bare hostname, which MPIJob makes resolvable only through
the search domain `<job>.<ns>.svc.cluster.local` it adds to every worker."""

from training_operator.local.kubelet import hosts


def pod(name: str, ip: str, *, subdomain: str | None = "pi", searches: list[str] | None = None) -> dict:
    spec: dict = {"hostname": name}
    if subdomain:
        spec["subdomain"] = subdomain
    if searches is not None:
        spec["dnsConfig"] = {"searches": searches}
    return {
        "metadata": {"name": name, "namespace": "default"},
        "spec": spec,
        "status": {"podIP": ip, "phase": "Running"},
    }


def names_for(content: str, ip: str) -> set[str]:
    return {n for line in content.splitlines() if line.startswith(f"{ip}\t") for n in line.split()[1:]}


LAUNCHER = pod("pi-launcher", "10.0.0.2")


def test_a_worker_with_the_job_search_domain_resolves_the_launcher_by_short_name():
    worker = pod("pi-worker-0", "10.0.0.3", searches=["pi.default.svc.cluster.local"])
    content = hosts.hosts_file(worker, "10.0.0.3", [LAUNCHER, worker], [])
    assert "pi-launcher" in names_for(content, "10.0.0.2")
    assert "pi-launcher.pi.default.svc.cluster.local" in names_for(content, "10.0.0.2")


def test_without_the_search_domain_the_short_name_stays_unknown():
    worker = pod("pi-worker-0", "10.0.0.3")
    content = hosts.hosts_file(worker, "10.0.0.3", [LAUNCHER, worker], [])
    assert "pi-launcher" not in names_for(content, "10.0.0.2")
    assert "pi-launcher.pi" in names_for(content, "10.0.0.2")


def test_a_search_domain_never_produces_an_empty_or_foreign_name():
    worker = pod("pi-worker-0", "10.0.0.3", searches=["other.default.svc.cluster.local."])
    content = hosts.hosts_file(worker, "10.0.0.3", [LAUNCHER, worker], [])
    assert names_for(content, "10.0.0.2") == {
        "pi-launcher.pi",
        "pi-launcher.pi.default",
        "pi-launcher.pi.default.svc",
        "pi-launcher.pi.default.svc.cluster.local",
    }
