"""Proves a TF_CONFIG is right without TensorFlow: every task reaches every other task at its address.

TensorFlow's distribution strategies read `cluster` (role → list of host:port) and `task` (type, index) from
TF_CONFIG, listen on their own address and dial every peer's. This script does the same with plain sockets:
it serves its own entry, dials every other entry until each answers with the identity TF_CONFIG gives it, and
keeps serving until every peer has dialled it too. It exits 0 only when the whole cluster is mutually
reachable and every address names the task that really answers there.
"""

import json
import os
import socket
import sys
import threading
import time

DEADLINE_SECONDS = float(os.environ.get("CHECK_DEADLINE_SECONDS", "120"))


def tasks(cluster: dict[str, list[str]]) -> dict[str, str]:
    return {
        f"{role}:{i}": address for role, addresses in cluster.items() for i, address in enumerate(addresses)
    }


def serve(listener: socket.socket, me: str, seen: set[str], expected: int) -> None:
    while len(seen) < expected:
        connection, _ = listener.accept()
        with connection:
            peer = connection.recv(256).decode()
            connection.sendall(me.encode())
            seen.add(peer)


def dial(address: str, me: str, deadline: float) -> str:
    host, port = address.rsplit(":", 1)
    while True:
        try:
            with socket.create_connection((host, int(port)), timeout=2) as connection:
                connection.sendall(me.encode())
                return connection.recv(256).decode()
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


def main() -> int:
    config = json.loads(os.environ["TF_CONFIG"])
    me = f"{config['task']['type']}:{config['task']['index']}"
    peers = tasks(config["cluster"])
    if me not in peers:  # an evaluator is not part of the cluster: it only needs to reach it
        peers_to_serve: set[str] = set()
    else:
        peers_to_serve = set(peers) - {me}
    deadline = time.monotonic() + DEADLINE_SECONDS
    seen: set[str] = set()
    server = None
    if me in peers:
        listener = socket.create_server(("", int(peers[me].rsplit(":", 1)[1])), reuse_port=False)
        server = threading.Thread(target=serve, args=(listener, me, seen, len(peers_to_serve)), daemon=True)
        server.start()
    for task, address in sorted(peers.items()):
        if task == me:
            continue
        answer = dial(address, me, deadline)
        if answer != task:
            print(f"{me}: {address} answered as {answer}, TF_CONFIG says {task}", flush=True)
            return 1
    if server is not None:
        server.join(max(0.0, deadline - time.monotonic()))
    missing = peers_to_serve - seen
    print(
        f"task={me} reached={len(peers) - (me in peers)} dialled_by={len(seen)} missing={sorted(missing)}",
        flush=True,
    )
    return 1 if missing else 0


if __name__ == "__main__":
    sys.exit(main())
