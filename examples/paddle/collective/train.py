"""A collective PaddlePaddle job: every trainer trains a replica of one linear model on its own data shard.

`python -m paddle.distributed.launch` reads the operator's PADDLE_MASTER, PADDLE_NNODES and PADDLE_JOB_ID,
rendezvouses every pod at Worker 0 and starts this script with PADDLE_TRAINER_ID / PADDLE_TRAINERS_NUM set.
Gradients are all-reduced (gloo on CPU), so every rank ends with the same weights and the same loss; a final
all-reduce of the ranks proves every process took part.
"""

import hashlib

import numpy as np
import paddle
import paddle.distributed as dist

STEPS = 20


def shard(rank: int) -> tuple[paddle.Tensor, paddle.Tensor]:
    generator = np.random.default_rng(7 + rank)
    features = generator.normal(size=(64, 4)).astype("float32")
    labels = features @ np.array([[1.0], [-2.0], [0.5], [3.0]], dtype="float32")
    return paddle.to_tensor(features), paddle.to_tensor(labels)


def main() -> None:
    dist.init_parallel_env()
    rank, world_size = dist.get_rank(), dist.get_world_size()
    paddle.seed(0)
    model = paddle.DataParallel(paddle.nn.Linear(4, 1))
    optimizer = paddle.optimizer.SGD(learning_rate=0.05, parameters=model.parameters())
    features, labels = shard(rank)
    for _ in range(STEPS):
        loss = paddle.nn.functional.mse_loss(model(features), labels)
        loss.backward()
        optimizer.step()
        optimizer.clear_grad()
    total = paddle.to_tensor([float(loss)], dtype="float32")
    dist.all_reduce(total)  # the mean loss over every rank: the same number everywhere
    ranks = paddle.to_tensor([rank], dtype="int64")
    dist.all_reduce(ranks)
    weights = np.concatenate([p.numpy().ravel() for p in model.parameters()])
    digest = hashlib.sha256(np.round(weights, 5).tobytes()).hexdigest()[:16]
    print(
        f"rank={rank} world_size={world_size} rank_sum={int(ranks.item())} "
        f"mean_loss={float(total.item()) / world_size:.6f} weights={digest}",
        flush=True,
    )


if __name__ == "__main__":
    main()
