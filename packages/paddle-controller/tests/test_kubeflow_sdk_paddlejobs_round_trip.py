"""A PaddleJob as Kubeflow's SDK (`kubeflow-training` 1.9) serialises it is accepted unchanged.

Covers: the SDK's own model classes, with every PaddleJob field it has (elastic policy included), serialise
to a body that parses, serialises back to exactly the same JSON and passes admission; and the SDK's wire names
(`paddleReplicaSpecs`, `elasticPolicy.minReplicas`, ...) are the ones our model reads.
"""

import kubernetes
import pytest

from training_operator.core.testing import samples
from training_operator.paddle.plugin import FRAMEWORK

training = pytest.importorskip("kubeflow.training")


def sdk_paddlejob() -> dict:
    container = kubernetes.client.V1Container(
        name="paddle",
        image="registry.baidubce.com/paddlepaddle/paddle:2.4.0rc0-cpu",
        command=["python", "-m", "paddle.distributed.launch", "run_check"],
        ports=[kubernetes.client.V1ContainerPort(name="master", container_port=37777)],
    )
    template = kubernetes.client.V1PodTemplateSpec(spec=kubernetes.client.V1PodSpec(containers=[container]))
    spec = training.KubeflowOrgV1PaddleJobSpec(
        run_policy=training.KubeflowOrgV1RunPolicy(clean_pod_policy="None", backoff_limit=3),
        elastic_policy=training.KubeflowOrgV1PaddleElasticPolicy(
            min_replicas=1, max_replicas=4, max_restarts=3
        ),
        paddle_replica_specs={
            "Worker": training.KubeflowOrgV1ReplicaSpec(
                replicas=2, restart_policy="OnFailure", template=template
            )
        },
    )
    job = training.KubeflowOrgV1PaddleJob(
        api_version="kubeflow.org/v1",
        kind="PaddleJob",
        metadata=kubernetes.client.V1ObjectMeta(name="paddle-simple-cpu", namespace="kubeflow"),
        spec=spec,
    )
    return kubernetes.client.ApiClient().sanitize_for_serialization(job)


def test_the_sdks_paddlejob_is_accepted_unchanged():
    body = sdk_paddlejob()
    assert set(body["spec"]) == {"runPolicy", "elasticPolicy", "paddleReplicaSpecs"}
    samples.assert_accepted_unchanged(FRAMEWORK, body)


def test_the_sdks_elastic_bounds_are_read():
    job = FRAMEWORK.parse(sdk_paddlejob())
    assert job.spec.elastic_policy is not None
    policy = job.spec.elastic_policy
    assert (policy.min_replicas, policy.max_replicas, policy.max_restarts) == (1, 4, 3)
