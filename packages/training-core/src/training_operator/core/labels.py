"""Every label and annotation key the operator reads or writes (common.md §1.10).

A literal key anywhere else is a bug: these strings are the wire contract with Kubeflow's operator, kubectl
users' selectors and gang schedulers.
"""

from __future__ import annotations

JOB_NAME = "training.kubeflow.org/job-name"
OPERATOR_NAME = "training.kubeflow.org/operator-name"
REPLICA_TYPE = "training.kubeflow.org/replica-type"
REPLICA_INDEX = "training.kubeflow.org/replica-index"
JOB_ROLE = "training.kubeflow.org/job-role"
JOB_ROLE_MASTER = "master"

VOLCANO_GROUP_NAME = "scheduling.k8s.io/group-name"
VOLCANO_TASK_SPEC = "volcano.sh/task-spec"
SCHEDULER_PLUGINS_POD_GROUP = "scheduling.x-k8s.io/pod-group"

OPERATOR_PREFIX = "training.kubeflow.org/"

# ours, not Kubeflow's: the whole-job restart attempt a pod was created for (engine/restart.py)
RESTART_ATTEMPT = "training-operator.io/restart-attempt"

# MPIJob v2beta1 (mpi.md §6, §15)
APP = "app"
JOB_ROLE_LAUNCHER = "launcher"
JOB_ROLE_WORKER = "worker"
VOLCANO_QUEUE_NAME = "scheduling.volcano.sh/queue-name"
