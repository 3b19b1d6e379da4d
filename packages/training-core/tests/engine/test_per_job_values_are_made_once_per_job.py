"""`per_job` computes a whole-job value once for all the pods of a plan: the same job object and arguments
get the remembered value; another job object (even an equal one), or other arguments, get a fresh one."""

from training_operator.core.engine.per_job import per_job


class Job:
    def __init__(self, name: str) -> None:
        self.name = name


def test_the_same_job_and_arguments_compute_once_and_anything_else_again():
    calls = []

    @per_job
    def addresses(job: Job, count: int) -> tuple[str, ...]:
        calls.append((job.name, count))
        return tuple(f"{job.name}-worker-{i}" for i in range(count))

    job = Job("a")
    first = addresses(job, 3)
    assert [addresses(job, 3) for _ in range(1000)] == [first] * 1000
    assert calls == [("a", 3)]

    assert addresses(job, 2) == ("a-worker-0", "a-worker-1")  # other arguments
    assert addresses(Job("a"), 2) == ("a-worker-0", "a-worker-1")  # an equal but new job object
    renamed = Job("b")
    assert addresses(renamed, 2) == ("b-worker-0", "b-worker-1")
    assert calls == [("a", 3), ("a", 2), ("a", 2), ("b", 2)]
