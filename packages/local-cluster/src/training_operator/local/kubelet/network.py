"""Pod networking on one machine: a network, UTS and mount namespace per pod, or a degraded loopback mode.

Namespaces mode (root, iproute2 and util-linux present): the cluster gets its own "node" network namespace
holding a bridge on 10.244.0.1/16; each pod gets a network namespace joined to it by a veth pair and an
address from 10.244.0.0/16, so two pods can listen on the same port. Every container process is started
through `nsenter --net` + `unshare --uts --mount`: the pod hostname is set, the generated /etc/hosts and
every volume are bind-mounted at their paths (with a resolv.conf beside the hosts file that fails lookups at
once), and only then is the command exec'd (same pid, same process
group). No address outside these namespaces is ever configured or routed to.

Loopback mode (no root or no tools): each pod gets a distinct 127.x address as its podIP, but processes
share the host's network, /etc/hosts and filesystem: DNS names of pods/services do not resolve, volumes are
not visible at their mountPath (only in the sandbox, see $POD_SANDBOX), and equal ports collide.
"""

import asyncio
import hashlib
import ipaddress
import logging
import os
import re
import shlex
import shutil
from pathlib import Path

from training_operator.local.kubelet.volumes import Mount

log = logging.getLogger(__name__)
POD_CIDR = ipaddress.IPv4Network("10.244.0.0/16")
GATEWAY = "10.244.0.1"
_TOOLS = ("ip", "nsenter", "unshare", "mount")


#: our namespaces' names: "tol" + the cluster id (six hex digits), then "-node" or "-p<n>"
_OURS = re.compile(r"^(tol[0-9a-f]{6})-(node|p[0-9]+)$")
#: the bridge's alias names the process that owns a cluster's namespaces, so another cluster can tell a
#: dead owner's leftovers from a live cluster's namespaces
_ALIAS = "training-operator owner="
_OWNER = re.compile(re.escape(_ALIAS) + r"([0-9]+):([0-9]+) in (\S+)")


async def _run(*args: str) -> str:
    process = await asyncio.create_subprocess_exec(
        *args, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE
    )
    out, err = await process.communicate()
    if process.returncode != 0:
        raise OSError(f"{' '.join(args)} failed ({process.returncode}): {err.decode().strip()}")
    return out.decode(errors="replace")


def _start_time(pid: int) -> int | None:
    """The process's start time in clock ticks since boot (field 22 of /proc/PID/stat), None if it is gone.

    A pid alone can be reused once its process is gone; pid and start time together name one process.
    """
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = stat.rsplit(")", 1)[1].split()  # the command name, in parentheses, may hold spaces
    return None if fields[0] == "Z" else int(fields[19])


def _pid_namespace() -> str:
    """Which pid namespace this process sees pids in ("pid:[4026531836]"): pids mean nothing across them."""
    try:
        return os.readlink("/proc/self/ns/pid")
    except OSError:
        return "unknown"


def owner_mark() -> str:
    """What this process writes on its node namespace's bridge: pid, start time and pid namespace."""
    return f"{_ALIAS}{os.getpid()}:{_start_time(os.getpid())} in {_pid_namespace()}"


async def _owner_is_gone(node_ns: str) -> bool:
    """True only when the node namespace's bridge names an owner process that no longer runs.

    A namespace without the mark (made by an older version, or one whose owner is between creating it and
    marking it), or marked by a process of another pid namespace (another container sharing /run/netns), is
    never called gone: leaving a leftover is better than removing a live cluster's network.
    """
    try:
        shown = await _run("ip", "-n", node_ns, "-o", "link", "show", "br0")
    except OSError:
        return False
    found = _OWNER.search(shown)
    if found is None or found.group(3) != _pid_namespace():
        return False
    pid, started = int(found.group(1)), int(found.group(2))
    return _start_time(pid) != started


def missing_tools() -> list[str]:
    """Tools namespaces mode needs that are not on PATH (iproute2: ip; util-linux: the rest)."""
    return [tool for tool in _TOOLS if shutil.which(tool) is None]


def _named_namespaces(prefix: str) -> list[str]:
    """Network namespaces `ip netns` knows whose name starts with `prefix`."""
    root = Path("/run/netns")
    return sorted(p.name for p in root.glob(f"{prefix}*")) if root.exists() else []


async def _delete_namespaces(names: list[str], node_ns: str) -> None:
    """Delete namespaces, the node's last (a live cluster always has its node namespace before its pods')."""
    for name in sorted(names, key=lambda n: n == node_ns):
        try:
            await _run("ip", "netns", "del", name)
        except OSError as exc:
            log.warning("could not remove network namespace %s: %s", name, exc)


async def sweep_orphans(own_prefix: str) -> list[str]:
    """Remove other clusters' namespaces whose owner process is gone; return the prefixes removed.

    A cluster killed without its goodbye (SIGKILL, OOM, a power cut of the test runner) cannot delete its
    namespaces, and its state dir may never start again (a test's temporary directory), so every cluster
    looks for such leftovers when it sets up. A cluster's pod namespaces without its node namespace are
    leftovers too: the node namespace is made before any pod's and deleted after all of them.
    """
    groups: dict[str, list[str]] = {}
    for name in _named_namespaces("tol"):
        if (found := _OURS.match(name)) and found.group(1) != own_prefix:
            groups.setdefault(found.group(1), []).append(name)
    swept = []
    for prefix, names in sorted(groups.items()):
        node_ns = f"{prefix}-node"
        if node_ns in names and not await _owner_is_gone(node_ns):
            continue
        log.warning("removing %d network namespaces of a local cluster whose process is gone", len(names))
        await _delete_namespaces(names, node_ns)
        swept.append(prefix)
    return swept


def _setup_script(hostname: str, hosts: Path, mounts: list[Mount], workdir: str | None) -> str:
    q = shlex.quote
    lines = [
        "set -e",
        f"echo {q(hostname)} > /proc/sys/kernel/hostname",
        f"mount --bind {q(str(hosts))} /etc/hosts",
        f"mount --bind {q(str(hosts.with_name('resolv.conf')))} /etc/resolv.conf",
    ]
    for mount in mounts:
        target = q(mount.target)
        if mount.source.is_dir():
            lines.append(f"mkdir -p {target}")
        else:
            lines.append(f"mkdir -p $(dirname {target}); [ -e {target} ] || : > {target}")
        lines.append(f"mount --bind {q(str(mount.source))} {target}")
        if mount.read_only:
            lines.append(f"mount -o remount,bind,ro {target}")
    if workdir:
        lines.append(f"mkdir -p {q(workdir)}; cd {q(workdir)}")
    lines.append('exec "$@"')
    return "\n".join(lines)


class LoopbackNetwork:
    """Degraded mode: distinct 127.x podIPs, nothing isolated."""

    mode = "loopback"

    def __init__(self) -> None:
        self._next = int(ipaddress.IPv4Address("127.1.0.1"))
        self._ips: dict[str, str] = {}

    async def setup(self) -> None:
        """Nothing to prepare."""

    async def attach(self, uid: str) -> str:
        """A fresh 127.x address for the pod."""
        if uid not in self._ips:
            self._ips[uid] = str(ipaddress.IPv4Address(self._next))
            self._next += 1
        return self._ips[uid]

    def wrap(
        self,
        uid: str,
        *,
        hostname: str,
        hosts: Path,
        mounts: list[Mount],
        workdir: str | None,
        command: list[str],
    ) -> tuple[list[str], str | None]:
        """The command unchanged; it runs in workingDir when that exists."""
        return command, workdir if workdir and os.path.isdir(workdir) else None

    async def detach(self, uid: str) -> None:
        """Forget the address."""
        self._ips.pop(uid, None)

    async def teardown(self) -> None:
        """Nothing to remove."""


class NamespaceNetwork:
    """Per-pod network/UTS/mount namespaces joined to a bridge in a node namespace of our own."""

    mode = "namespaces"

    def __init__(self, cluster_id: str) -> None:
        self.prefix = f"tol{cluster_id}"
        self.node_ns = f"{self.prefix}-node"
        self._hosts = iter(POD_CIDR.hosts())
        next(self._hosts)  # the gateway
        self._pods: dict[str, tuple[str, str, str]] = {}  # uid → (netns, veth, ip)
        self._counter = 0

    async def setup(self) -> None:
        """Remove leftovers of an earlier run and of dead clusters, then create the node namespace and bridge.

        The bridge's alias names this process (pid and start time) as the owner, for `sweep_orphans`.
        """
        await self.teardown()
        await sweep_orphans(self.prefix)
        await _run("ip", "netns", "add", self.node_ns)
        await _run("ip", "-n", self.node_ns, "link", "set", "lo", "up")
        await _run("ip", "-n", self.node_ns, "link", "add", "br0", "type", "bridge")
        await _run("ip", "-n", self.node_ns, "link", "set", "br0", "alias", owner_mark())
        await _run("ip", "-n", self.node_ns, "addr", "add", f"{GATEWAY}/{POD_CIDR.prefixlen}", "dev", "br0")
        await _run("ip", "-n", self.node_ns, "link", "set", "br0", "up")

    async def attach(self, uid: str) -> str:
        """Create the pod's namespace and veth; return its address."""
        if uid in self._pods:
            return self._pods[uid][2]
        self._counter += 1
        netns, veth, ip = f"{self.prefix}-p{self._counter}", f"v{self._counter}", str(next(self._hosts))
        await _run("ip", "netns", "add", netns)
        await _run(
            "ip",
            "-n",
            self.node_ns,
            "link",
            "add",
            veth,
            "type",
            "veth",
            "peer",
            "name",
            "eth0",
            "netns",
            netns,
        )
        await _run("ip", "-n", self.node_ns, "link", "set", veth, "master", "br0", "up")
        await _run("ip", "-n", netns, "addr", "add", f"{ip}/{POD_CIDR.prefixlen}", "dev", "eth0")
        await _run("ip", "-n", netns, "link", "set", "eth0", "up")
        await _run("ip", "-n", netns, "link", "set", "lo", "up")
        await _run("ip", "-n", netns, "route", "add", "default", "via", GATEWAY)
        self._pods[uid] = (netns, veth, ip)
        return ip

    def wrap(
        self,
        uid: str,
        *,
        hostname: str,
        hosts: Path,
        mounts: list[Mount],
        workdir: str | None,
        command: list[str],
    ) -> tuple[list[str], str | None]:
        """nsenter into the pod's network, new UTS+mount namespaces, set up, exec the command."""
        netns = self._pods[uid][0]
        script = _setup_script(hostname, hosts, mounts, workdir)
        return [
            "nsenter",
            f"--net=/run/netns/{netns}",
            "--",
            "unshare",
            "--uts",
            "--mount",
            "--propagation",
            "private",
            "--",
            "/bin/sh",
            "-c",
            script,
            "pod-init",
            *command,
        ], None

    async def detach(self, uid: str) -> None:
        """Delete the pod's namespace (its veth goes with it)."""
        entry = self._pods.pop(uid, None)
        if entry is not None:
            try:
                await _run("ip", "netns", "del", entry[0])
            except OSError as exc:
                log.warning("could not remove network namespace %s: %s", entry[0], exc)

    async def teardown(self) -> None:
        """Delete every namespace of this cluster (the node's last)."""
        await _delete_namespaces(_named_namespaces(f"{self.prefix}-"), self.node_ns)
        self._pods.clear()


PodNetwork = LoopbackNetwork | NamespaceNetwork


def cluster_id(state_dir: Path) -> str:
    """Six hex digits naming this state dir's namespaces, so two clusters on one machine never clash."""
    return hashlib.sha256(os.path.abspath(state_dir).encode()).hexdigest()[:6]


async def choose(mode: str, state_dir: Path) -> PodNetwork:
    """`auto`: namespaces when root with the tools and a probe succeeds, else loopback (logged)."""
    if mode == "loopback":
        return LoopbackNetwork()
    reason = ""
    if os.geteuid() != 0:
        reason = "not running as root"
    elif missing_tools():
        reason = f"missing tools: {', '.join(missing_tools())} (Debian packages iproute2, util-linux, mount)"
    if not reason:
        network = NamespaceNetwork(cluster_id(state_dir))
        try:
            await network.setup()
            return network
        except OSError as exc:
            reason = str(exc)
            await network.teardown()
    if mode == "namespaces":
        raise RuntimeError(f"pod network namespaces are not available: {reason}")
    log.warning("pod networking degraded to loopback mode: %s", reason)
    return LoopbackNetwork()
