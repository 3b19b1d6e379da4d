"""An elastic job's smallest proof: every process torchrun starts joins one rendezvous and agrees on it.

torchrun reads its whole configuration from the operator's PET_* variables (nodes, rendezvous backend,
endpoint and id, processes per node, max restarts), so the command is just `torchrun train.py`. Each process
all-reduces its rank; the sum is the same on every process only if all of them joined the same group.
"""

import os

import torch
import torch.distributed as dist


def main() -> None:
    dist.init_process_group("gloo")
    rank, world_size = dist.get_rank(), dist.get_world_size()
    total = torch.tensor([rank], dtype=torch.int64)
    dist.all_reduce(total)
    expected = world_size * (world_size - 1) // 2
    group = os.environ.get("TORCHELASTIC_RUN_ID", "?")
    print(
        f"rank={rank} world_size={world_size} rank_sum={int(total)} expected={expected} run_id={group}",
        flush=True,
    )
    dist.destroy_process_group()
    if int(total) != expected:
        raise SystemExit("ranks disagree on the group")


if __name__ == "__main__":
    main()
