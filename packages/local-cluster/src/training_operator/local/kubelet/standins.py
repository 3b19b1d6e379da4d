"""Commands an image would provide that must behave differently on the local node.

Pods here resolve names through the `/etc/hosts` the kubelet writes for them, not through a cluster DNS
server, so tools that query DNS directly would never find a job's services. `nslookup` (used by PyTorchJob's
init container to wait for the master) is provided as a stand-in that resolves the way the pod's processes
do. The stand-ins are written into the node's state directory at start-up and put on every container's PATH,
after the interpreter's own bin directory and before the machine's.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

NSLOOKUP = '''
"""nslookup for the local node: resolves through the pod's /etc/hosts like its other processes do."""
import socket
import sys

names = [arg for arg in sys.argv[1:] if not arg.startswith("-")]
if not names:
    sys.exit("usage: nslookup NAME")
name = names[0]
try:
    addresses = sorted({info[4][0] for info in socket.getaddrinfo(name, None, socket.AF_INET)})
except OSError:
    print(f"** server can't find {name}: NXDOMAIN")
    sys.exit(1)
print("Server:\\t\\tlocal-node /etc/hosts\\n")
for address in addresses:
    print(f"Name:\\t{name}\\nAddress: {address}")
'''

COMMANDS = {"nslookup": NSLOOKUP}


def install(directory: Path) -> Path:
    """Write every stand-in into `directory` (executable, run by this interpreter); returns the directory."""
    directory.mkdir(parents=True, exist_ok=True)
    for name, source in COMMANDS.items():
        path = directory / name
        path.write_text(f"#!{sys.executable}\n{source.lstrip()}")
        os.chmod(path, 0o755)
    return directory
