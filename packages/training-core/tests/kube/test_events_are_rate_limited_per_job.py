"""Events on a job pass client-go's spam-filter shape: 25 writes at once per job, then one per 5 minutes;
identical events fold into one Event whose count is patched; other jobs have budgets of their own."""

from training_operator.core.engine.plan import Event
from training_operator.core.kube.recorder import EventRecorder


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def job(uid: str) -> dict:
    return {
        "apiVersion": "kubeflow.org/v1",
        "kind": "PyTorchJob",
        "metadata": {"name": f"job-{uid}", "namespace": "default", "uid": uid},
    }


async def test_a_big_job_gets_25_events_then_one_per_five_minutes(client):
    clock = Clock()
    recorder = EventRecorder(client, clock=clock)
    for index in range(1000):
        created = Event("Normal", "SuccessfulCreatePod", f"Created pod: job-a-worker-{index}")
        recorder.record(job("a"), created, component="pytorchjob-controller")
    await recorder.flush()
    assert len(client.writes) == 25
    clock.now += 299
    recorder.record(job("a"), Event("Normal", "X", "late"), component="c")
    await recorder.flush()
    assert len(client.writes) == 25
    clock.now += 1
    recorder.record(job("a"), Event("Normal", "X", "late"), component="c")
    await recorder.flush()
    assert len(client.writes) == 26


async def test_repeats_patch_one_event_and_spend_the_same_budget(client):
    recorder = EventRecorder(client, burst=3, clock=Clock())
    for _ in range(5):
        recorder.record(job("a"), Event("Warning", "ExitedWithCode", "code 1"), component="c")
    await recorder.flush()
    assert [(m, p.rsplit("/", 1)[-1] if m == "PATCH" else p) for m, p, _ in client.writes] == [
        ("POST", "/api/v1/namespaces/default/events"),
        ("PATCH", client.writes[0][2]["metadata"]["name"]),
        ("PATCH", client.writes[0][2]["metadata"]["name"]),
    ]
    assert [b["count"] for _, _, b in client.writes[1:]] == [2, 3]


async def test_every_job_has_its_own_budget(client):
    recorder = EventRecorder(client, burst=2, clock=Clock())
    for uid in ("a", "b"):
        for index in range(5):
            recorder.record(job(uid), Event("Normal", "R", str(index)), component="c")
    await recorder.flush()
    assert len(client.writes) == 4
