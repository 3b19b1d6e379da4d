"""Data-parallel training of a tiny regression model with torch.distributed on CPU (gloo).

Every process learns the same weights from its own shard of data: DistributedDataParallel all-reduces the
gradients, so after training every rank holds identical parameters and reports the same global loss. The
operator's MASTER_ADDR, MASTER_PORT, RANK and WORLD_SIZE are all it needs (`init_method="env://"`).
"""

import hashlib
import os
import sys
from datetime import timedelta

import torch
import torch.distributed as dist

STEPS = int(os.environ.get("STEPS", "20"))
FEATURES = 8


def shard(rank: int) -> tuple[torch.Tensor, torch.Tensor]:
    generator = torch.Generator().manual_seed(1000 + rank)
    inputs = torch.randn(128, FEATURES, generator=generator)
    true_weights = torch.linspace(-1.0, 1.0, FEATURES)
    return inputs, inputs @ true_weights + 0.5


def main() -> None:
    # torch waits 30 minutes for missing peers by default; a rank restarted after its peers have finished
    # would sit that long before failing
    dist.init_process_group("gloo", timeout=timedelta(minutes=5))
    rank, world_size = dist.get_rank(), dist.get_world_size()
    torch.manual_seed(0)
    model = torch.nn.parallel.DistributedDataParallel(torch.nn.Linear(FEATURES, 1))
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    inputs, targets = shard(rank)
    for _ in range(STEPS):
        optimizer.zero_grad()
        loss = torch.nn.functional.mse_loss(model(inputs).squeeze(1), targets)
        loss.backward()
        optimizer.step()
    global_loss = loss.detach().clone()
    dist.all_reduce(global_loss)
    global_loss /= world_size
    flat = torch.cat([p.detach().flatten() for p in model.parameters()])
    checksum = hashlib.sha256(flat.numpy().tobytes()).hexdigest()[:16]
    print(
        f"rank={rank} world_size={world_size} final_loss={global_loss.item():.6f} weights={checksum}",
        flush=True,
    )
    dist.destroy_process_group()
    # torch can abort ("terminate called without an active exception") while the interpreter tears down
    # gloo's threads after a run like this one has finished: about one process in fifty on the local node.
    # The exit code would then report a failure that did not happen, and restartPolicy OnFailure would
    # restart a rank whose peers are gone. Everything is written, so leave without that teardown.
    sys.stdout.flush()
    os._exit(0)


if __name__ == "__main__":
    main()
