"""Linear regression with tf.distribute.MultiWorkerMirroredStrategy, configured only by the TF_CONFIG the
operator writes. Every task trains on its own shard; gradients are averaged across tasks, so every task must
end with the same weights and the same global loss, which it prints for the test to compare."""

import json
import os

import tensorflow as tf

STEPS = 40
LEARNING_RATE = 0.1
TRUE_WEIGHTS = [[1.0], [-2.0], [3.0], [0.5]]

# first: collective ops can only be configured before any tensor exists
strategy = tf.distribute.MultiWorkerMirroredStrategy()
task = json.loads(os.environ["TF_CONFIG"])["task"]
print(f"task={task['type']}-{task['index']} workers={strategy.num_replicas_in_sync}", flush=True)

# each task's own shard: a seed that differs per task, the same target function
seed = {"chief": 0, "worker": 1 + int(task["index"])}.get(task["type"], 99)
features = tf.random.stateless_normal([256, 4], seed=[seed, 7])
labels = features @ tf.constant(TRUE_WEIGHTS) + 0.25

with strategy.scope():
    weights = tf.Variable(tf.zeros([4, 1]), aggregation=tf.VariableAggregation.MEAN)
    bias = tf.Variable(0.0, aggregation=tf.VariableAggregation.MEAN)


@tf.function
def train_step() -> tf.Tensor:
    def replica_step() -> tf.Tensor:
        with tf.GradientTape() as tape:
            loss = tf.reduce_mean(tf.square(features @ weights + bias - labels))
        grad_w, grad_b = tape.gradient(loss, [weights, bias])
        # MEAN-aggregated variables average these updates over every task before applying them
        weights.assign_sub(LEARNING_RATE * grad_w)
        bias.assign_sub(LEARNING_RATE * grad_b)
        return loss

    per_replica = strategy.run(replica_step)
    return strategy.reduce(tf.distribute.ReduceOp.MEAN, per_replica, axis=None)


for _ in range(STEPS):
    loss = train_step()
print(f"final_loss={float(loss):.6f}", flush=True)
print("weights=" + ",".join(f"{float(v):.5f}" for v in tf.reshape(weights, [-1])), flush=True)
