"""Distributed JAX on CPUs: every process joins the coordinator on worker-0 and takes part in one reduction.

The operator gives every pod COORDINATOR_ADDRESS (`<job>-worker-0`), COORDINATOR_PORT, NUM_PROCESSES and
PROCESS_ID. `jax.distributed.initialize` starts the coordinator service in process 0 and connects every
process to it; the CPU collectives (gloo) then carry a real cross-process reduction: every process gathers
each process's contribution and sums it, so every process prints the same total.
"""

import os

import jax
import numpy as np
from jax.experimental import multihost_utils


def main() -> None:
    address = f"{os.environ['COORDINATOR_ADDRESS']}:{os.environ['COORDINATOR_PORT']}"
    processes, process_id = int(os.environ["NUM_PROCESSES"]), int(os.environ["PROCESS_ID"])
    jax.config.update("jax_cpu_collectives_implementation", "gloo")
    jax.distributed.initialize(coordinator_address=address, num_processes=processes, process_id=process_id)

    # process i contributes i + 1: the gathered vector is 1..N on every process, its sum N(N+1)/2
    contribution = np.array([process_id + 1.0], dtype=np.float32)
    gathered = np.asarray(multihost_utils.process_allgather(contribution)).ravel()
    total = float(gathered.sum())
    expected = processes * (processes + 1) / 2
    print(
        f"process={jax.process_index()} processes={jax.process_count()} "
        f"gathered={','.join(str(int(v)) for v in gathered)} total={total:g}",
        flush=True,
    )
    if jax.process_count() != processes or total != expected:
        raise SystemExit(f"expected {processes} processes summing to {expected:g}, got {total:g}")
    jax.distributed.shutdown()


if __name__ == "__main__":
    main()
