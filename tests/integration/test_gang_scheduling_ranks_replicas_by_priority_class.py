"""Gang scheduling reads PriorityClasses from the cluster (common.md §14.3): a Volcano PodGroup's
`minResources` counts the first `minAvailable` pods with the highest-priority replica type first, and follows
a PriorityClass created after the operator started. Upstream never fills its PriorityClass informer, so it
would count in random map order."""

import pytest

pytestmark = [pytest.mark.integration, pytest.mark.timeout(60)]
OPEN_SCHEMA = {"openAPIV3Schema": {"type": "object", "x-kubernetes-preserve-unknown-fields": True}}
PODGROUP_CRD = {
    "apiVersion": "apiextensions.k8s.io/v1",
    "kind": "CustomResourceDefinition",
    "metadata": {"name": "podgroups.scheduling.volcano.sh"},
    "spec": {
        "group": "scheduling.volcano.sh",
        "scope": "Namespaced",
        "names": {"plural": "podgroups", "singular": "podgroup", "kind": "PodGroup"},
        "versions": [
            {
                "name": "v1beta1",
                "served": True,
                "storage": True,
                "schema": OPEN_SCHEMA,
            }
        ],
    },
}
PODGROUP = "/apis/scheduling.volcano.sh/v1beta1/namespaces/default/podgroups"


def ranked_job(name: str) -> dict:
    """PS needs 4 CPUs, each Worker 1; only 2 pods must start together, and the Workers are `urgent`."""

    def replica(count: int, cpu: str, priority: str | None) -> dict:
        container = {"name": "tensorflow", "image": "local", "resources": {"requests": {"cpu": cpu}}}
        spec: dict = {"containers": [container]}
        if priority:
            spec["priorityClassName"] = priority
        return {"replicas": count, "restartPolicy": "Never", "template": {"spec": spec}}

    return {
        "apiVersion": "kubeflow.org/v1",
        "kind": "TFJob",
        "metadata": {"name": name, "namespace": "default"},
        "spec": {
            "runPolicy": {"schedulingPolicy": {"minAvailable": 2}},
            "tfReplicaSpecs": {"PS": replica(1, "4", None), "Worker": replica(2, "1", "urgent")},
        },
    }


async def test_min_resources_count_the_highest_priority_type_first(api, operator, kit):
    await api.request("POST", "/apis/apiextensions.k8s.io/v1/customresourcedefinitions", body=PODGROUP_CRD)
    operator.args = ["--disable-webhooks", "--gang-scheduler-name=volcano"]
    await operator.start()

    # no PriorityClass yet: every type ranks 0 and the canonical order (PS before Worker) decides
    await api.request("POST", kit.TFJOBS, body=ranked_job("before"))
    before = await kit.eventually(lambda: _min_cpu(api, "before"), what="the first PodGroup")
    assert before == "5"  # PS (4) + one Worker (1)

    priority_class = {"apiVersion": "scheduling.k8s.io/v1", "kind": "PriorityClass", "value": 1000}
    priority_class["metadata"] = {"name": "urgent"}
    await api.request("POST", "/apis/scheduling.k8s.io/v1/priorityclasses", body=priority_class)
    await api.request("POST", kit.TFJOBS, body=ranked_job("after"))
    after = await kit.eventually(lambda: _min_cpu(api, "after", unless="5"), what="the second PodGroup")
    assert after == "2"  # the two urgent Workers


async def _min_cpu(api, name: str, unless: str | None = None) -> str | None:
    listing = await api.request("GET", PODGROUP)
    for group in listing.get("items") or []:
        owners = group["metadata"].get("ownerReferences") or []
        if any(o.get("name") == name for o in owners):
            cpu = (group.get("spec", {}).get("minResources") or {}).get("cpu")
            return None if cpu == unless else cpu
    return None
