"""`slotsPerWorker: 0` is valid (mpi.md §6, ≥ 0) and reaches mpirun as 0 slots, not as the default 1."""

import pytest

from training_operator.mpi.env import launcher_env
from training_operator.mpi.testing import a_job


@pytest.mark.parametrize(
    ("implementation", "variable"),
    [("OpenMPI", "OMPI_MCA_orte_set_default_slots"), ("Intel", "I_MPI_PERHOST")],
)
def test_zero_slots_per_worker_are_passed_on(implementation: str, variable: str) -> None:
    env = {
        e["name"]: e["value"] for e in launcher_env(a_job(slotsPerWorker=0, mpiImplementation=implementation))
    }
    assert env[variable] == "0"
