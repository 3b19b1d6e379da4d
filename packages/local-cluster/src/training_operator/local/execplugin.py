"""A kubeconfig `exec` credential plug-in for the local cluster, standing in for `aws eks get-token`.

    python -m training_operator.local.execplugin --server URL --state-dir DIR --user NAME --ttl SECONDS

Each run asks the cluster (`POST /debug/tokens`, with the state dir's admin token) for a fresh token that
expires after `--ttl` seconds and prints it as an ExecCredential with its `expirationTimestamp`, so clients
must run the plug-in again before then, or after the 401 that follows. It checks `KUBERNETES_EXEC_INFO` the
way real plug-ins read it, and fails loudly when a client did not set it. Standard library only: it starts
in a few milliseconds, as often as a client asks.
"""

import argparse
import datetime
import json
import os
import ssl
import sys
import urllib.request
from pathlib import Path


def main(argv: list[str] | None = None) -> int:
    """Print one ExecCredential; exit 1 with a message on stderr when the cluster cannot issue a token."""
    parser = argparse.ArgumentParser(prog="training-operator-local-exec")
    parser.add_argument("--server", required=True)
    parser.add_argument("--state-dir", type=Path, required=True)
    parser.add_argument("--user", required=True)
    parser.add_argument("--ttl", type=float, default=3600.0)
    parser.add_argument("--api-version", default="client.authentication.k8s.io/v1")
    args = parser.parse_args(argv)
    info = json.loads(os.environ.get("KUBERNETES_EXEC_INFO") or "{}")
    if info.get("apiVersion") != args.api_version or info.get("kind") != "ExecCredential":
        print(f"KUBERNETES_EXEC_INFO is not an {args.api_version} ExecCredential: {info}", file=sys.stderr)
        return 1
    state = args.state_dir
    request = urllib.request.Request(
        f"{args.server}/debug/tokens",
        data=json.dumps({"user": args.user, "ttlSeconds": args.ttl}).encode(),
        headers={
            "Authorization": f"Bearer {(state / 'token').read_text().strip()}",
            "Content-Type": "application/json",
        },
        method="POST",
    )
    context = ssl.create_default_context(cafile=str(state / "ca.crt"))
    with urllib.request.urlopen(request, context=context, timeout=10) as answer:
        issued = json.loads(answer.read())
    expires = datetime.datetime.fromtimestamp(issued["expires"], datetime.UTC)
    status = {"token": issued["token"], "expirationTimestamp": expires.strftime("%Y-%m-%dT%H:%M:%SZ")}
    print(json.dumps({"apiVersion": args.api_version, "kind": "ExecCredential", "status": status}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
