"""Distributed XGBoost: the master runs the collective tracker, every rank trains on its own data shard.

The operator gives every pod MASTER_ADDR, MASTER_PORT, WORLD_SIZE and RANK. Rank 0 (the master) starts the
tracker on MASTER_PORT; every rank, the master included, joins it and trains one booster together with the
others: gradients are all-reduced, so every rank ends with the same model and reports the same final error.
"""

import hashlib
import os

import numpy as np
import xgboost as xgb
from xgboost import collective
from xgboost.tracker import RabitTracker

ROUNDS = int(os.environ.get("ROUNDS", "10"))


def shard(rank: int) -> xgb.DMatrix:
    generator = np.random.default_rng(7 + rank)
    features = generator.normal(size=(400, 6))
    labels = (features[:, 0] + 0.5 * features[:, 1] - features[:, 2] > 0).astype(int)
    return xgb.DMatrix(features, label=labels)


def main() -> None:
    rank, world_size = int(os.environ["RANK"]), int(os.environ["WORLD_SIZE"])
    address, port = os.environ["MASTER_ADDR"], int(os.environ["MASTER_PORT"])
    tracker = None
    if rank == 0:
        tracker = RabitTracker(n_workers=world_size, host_ip="0.0.0.0", port=port)
        tracker.start()
    args = {"dmlc_tracker_uri": address, "dmlc_tracker_port": port, "dmlc_task_id": str(rank)}
    with collective.CommunicatorContext(**args):
        data = shard(rank)
        history: dict[str, dict[str, list[float]]] = {}
        params = {"objective": "binary:logistic", "max_depth": 3, "eval_metric": "error", "nthread": 1}
        booster = xgb.train(
            params, data, ROUNDS, evals=[(data, "train")], evals_result=history, verbose_eval=False
        )
        digest = hashlib.sha256(booster.save_raw("json")).hexdigest()[:16]
        error = history["train"]["error"][-1]
        print(
            f"rank={collective.get_rank()} world_size={collective.get_world_size()} final_error={error:.6f} "
            f"model={digest}",
            flush=True,
        )
    if tracker is not None:
        tracker.wait_for()


if __name__ == "__main__":
    main()
