"""Where the API server is and who we are to it: one credential source for the operator, kopf's login
hook, the SDK and the CLI (kubeconfig files with kubectl's merge rules, exec plug-ins, rotating service
account tokens, client certificates that never touch the disk).

The official client's and kubernetes_asyncio's loaders each import their whole generated client (1.7 s and
2.1 s here) and kr8s 0.55 s, more than the CLI's whole start-up budget; kr8s also leaves client keys in
temporary files and ignores expirationTimestamp. So this is our own, small, and imports only the standard
library and PyYAML.
"""

from training_operator.core.access.source import Credentials, Login, in_cluster, load

__all__ = ["Credentials", "Login", "in_cluster", "load"]
