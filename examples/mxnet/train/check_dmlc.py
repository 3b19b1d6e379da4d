"""Proves the DMLC_* contract of an MXJob over sockets, the way ps-lite bootstraps (MXNet itself is retired).

The scheduler listens at DMLC_PS_ROOT_URI:DMLC_PS_ROOT_PORT; every server and worker registers there with
its role and its MX_CONFIG identity; once DMLC_NUM_SERVER + DMLC_NUM_WORKER nodes have registered, the
scheduler answers all of them with the roster. Servers then serve their own MX_CONFIG address and every worker
dials every server. Each process exits 0 only when the counts, roles and addresses all agree.
"""

import json
import os
import socket
import sys
import time

DEADLINE = time.monotonic() + float(os.environ.get("CHECK_DEADLINE_SECONDS", "120"))


def env_int(name: str) -> int:
    return int(os.environ[name])


def connect(host: str, port: int) -> socket.socket:
    while True:
        try:
            return socket.create_connection((host, port), timeout=5)
        except OSError:
            if time.monotonic() > DEADLINE:
                raise
            time.sleep(0.2)


def schedule(port: int, expected: int) -> int:
    listener = socket.create_server(("", port))
    members = []
    while len(members) < expected:
        connection, _ = listener.accept()
        members.append((connection, connection.recv(256).decode()))
    roster = json.dumps(sorted(identity for _, identity in members)).encode()
    for connection, _ in members:
        connection.sendall(roster)
        connection.close()
    print(f"scheduler: {expected} nodes registered: {roster.decode()}", flush=True)
    return 0


def register(identity: str) -> list[str]:
    with connect(os.environ["DMLC_PS_ROOT_URI"], env_int("DMLC_PS_ROOT_PORT")) as connection:
        connection.sendall(identity.encode())
        roster: list[str] = json.loads(connection.recv(4096).decode())
    return roster


def main() -> int:
    config = json.loads(os.environ["MX_CONFIG"])
    role, index = config["task"]["type"], config["task"]["index"]
    if role != os.environ["DMLC_ROLE"]:
        print(f"DMLC_ROLE={os.environ['DMLC_ROLE']} but MX_CONFIG says {role}", flush=True)
        return 1
    servers = config["cluster"].get("server", [])
    expected = env_int("DMLC_NUM_SERVER") + env_int("DMLC_NUM_WORKER")
    if role == "scheduler":
        return schedule(env_int("DMLC_PS_ROOT_PORT"), expected)
    if role == "server":
        listener = socket.create_server(("", servers[index]["port"]))
    roster = register(f"{role}:{index}")
    if len(roster) != expected:
        return 1
    if role == "server":
        for _ in range(env_int("DMLC_NUM_WORKER")):
            connection, _ = listener.accept()
            connection.sendall(f"server:{index}".encode())
            connection.close()
    elif role == "worker":
        for i, server in enumerate(servers):
            with connect(server["url"], server["port"]) as connection:
                if connection.recv(64).decode() != f"server:{i}":
                    return 1
    print(f"{role}:{index}: roster of {len(roster)} agrees with DMLC_NUM_SERVER/DMLC_NUM_WORKER", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
