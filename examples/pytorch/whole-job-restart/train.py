"""DDP training that survives the loss of any rank: checkpoint every few steps, resume from the last one.

Run with `runPolicy.wholeJobRestart`: when one rank dies (a node drops, the process is killed), the operator
restarts every rank together, and each one resumes from the last checkpoint in CHECKPOINT_DIR — a directory
all ranks share (a volume on a cluster, a local path on the local node). Rank 0 writes the checkpoint
atomically (a temporary file, then a rename), so a rank killed mid-write never leaves a torn one behind.
TRAINING_OPERATOR_RESTART_ATTEMPT says which attempt this is (0 for the first run).
"""

import hashlib
import os
import sys
import time
from datetime import timedelta
from pathlib import Path

import torch
import torch.distributed as dist

STEPS = int(os.environ.get("STEPS", "120"))
CHECKPOINT_EVERY = int(os.environ.get("CHECKPOINT_EVERY", "5"))
#: pacing so a run lasts long enough to be interrupted; real steps take this long on their own
STEP_SECONDS = float(os.environ.get("STEP_SECONDS", "0.05"))
CHECKPOINT = Path(os.environ.get("CHECKPOINT_DIR", "/tmp/whole-job-restart")) / "checkpoint.pt"
FEATURES = 8


def shard(rank: int) -> tuple[torch.Tensor, torch.Tensor]:
    generator = torch.Generator().manual_seed(1000 + rank)
    inputs = torch.randn(128, FEATURES, generator=generator)
    return inputs, inputs @ torch.linspace(-1.0, 1.0, FEATURES) + 0.5


def resume(model: torch.nn.Module, optimizer: torch.optim.Optimizer) -> int:
    """The step to start from: the checkpoint's, or 0 on a first run."""
    if not CHECKPOINT.exists():
        return 0
    state = torch.load(CHECKPOINT, weights_only=True)
    model.load_state_dict(state["model"])
    optimizer.load_state_dict(state["optimizer"])
    return int(state["step"])


def save(step: int, model: torch.nn.Module, optimizer: torch.optim.Optimizer) -> None:
    CHECKPOINT.parent.mkdir(parents=True, exist_ok=True)
    partial = CHECKPOINT.with_suffix(".partial")
    torch.save({"step": step, "model": model.state_dict(), "optimizer": optimizer.state_dict()}, partial)
    os.replace(partial, CHECKPOINT)


def main() -> None:
    dist.init_process_group("gloo", timeout=timedelta(minutes=5))
    rank, world_size = dist.get_rank(), dist.get_world_size()
    attempt = os.environ.get("TRAINING_OPERATOR_RESTART_ATTEMPT", "0")
    torch.manual_seed(0)
    model = torch.nn.Linear(FEATURES, 1)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.05)
    start = resume(model, optimizer)  # before DDP wraps the model: every rank loads the same state
    ddp = torch.nn.parallel.DistributedDataParallel(model)
    print(f"rank={rank} attempt={attempt} resumed_from={start}", flush=True)
    inputs, targets = shard(rank)
    step = start
    while step < STEPS:
        optimizer.zero_grad()
        torch.nn.functional.mse_loss(ddp(inputs).squeeze(1), targets).backward()
        optimizer.step()
        step += 1
        if rank == 0 and step % CHECKPOINT_EVERY == 0:
            save(step, model, optimizer)
        time.sleep(STEP_SECONDS)
    flat = torch.cat([p.detach().flatten() for p in model.parameters()])
    checksum = hashlib.sha256(flat.numpy().tobytes()).hexdigest()[:16]
    print(f"rank={rank} world_size={world_size} final_step={step} weights={checksum}", flush=True)
    dist.destroy_process_group()
    # as in smoke-dist: torch can abort while tearing down gloo's threads after a finished run, which would
    # report a failure that did not happen (and here restart the whole job); everything is written, so leave
    sys.stdout.flush()
    os._exit(0)


if __name__ == "__main__":
    main()
