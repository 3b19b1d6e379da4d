"""What launcher and workers share when their pod is built from the user's template (mpi.md §6, §8.4, §8.5).

The template is deep-copied and only container 0 is touched: operator labels win over same-named template
labels, hostname/subdomain give the pod its stable DNS name behind the headless Service, and the SSH (and,
for the launcher, hostfile) volumes are appended after the user's own.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from training_operator.core import labels
from training_operator.core.engine import restart
from training_operator.core.engine.json_copy import json_copy
from training_operator.core.framework import EngineOptions
from training_operator.mpi import gang, naming
from training_operator.mpi.api import MPIJob, MPIReplicaSpec

HOST_NETWORK_DNS_POLICY = "ClusterFirstWithHostNet"


def pod_template(
    job: MPIJob,
    spec: MPIReplicaSpec,
    *,
    role: str,
    hostname: str,
    index: int | None,
    env: Sequence[dict[str, str]],
    volumes: Sequence[tuple[dict[str, Any], dict[str, Any]]],
    options: EngineOptions,
) -> dict[str, Any]:
    """A decorated copy of the replica's template: `{metadata, spec}`."""
    template = json_copy(dict(spec.template))
    meta = dict(template.get("metadata") or {})
    pod_labels = {**(meta.get("labels") or {}), **naming.selector(job), labels.JOB_ROLE: role}
    if index is not None:
        pod_labels[labels.REPLICA_INDEX] = str(index)
    meta["labels"] = pod_labels
    pod = dict(template.get("spec") or {})
    pod["hostname"] = hostname
    pod["subdomain"] = job.name
    if pod.get("hostNetwork"):
        # host-network pods must still resolve the job's Service names (mpi.md §8.4)
        pod["dnsPolicy"] = HOST_NETWORK_DNS_POLICY
    pod["restartPolicy"] = spec.restart_policy
    containers = list(pod.get("containers") or [{}])
    main = dict(containers[0])
    main["env"] = [*(main.get("env") or []), *env]
    main["volumeMounts"] = [*(main.get("volumeMounts") or []), *(mount for _, mount in volumes)]
    containers[0] = main
    pod["containers"] = containers
    pod["volumes"] = [*(pod.get("volumes") or []), *(source for source, _ in volumes)]
    gang.decorate(job, meta, pod, options=options)
    template["metadata"] = meta
    template["spec"] = pod
    restart.stamp_pod(job, template)  # ours: runPolicy.wholeJobRestart (attempt label and env, Never)
    return template
