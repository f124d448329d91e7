r"""
Scaling out with Dask
=====================

When circuits outgrow one process (many qubits, large batches, sweeps over many settings),
``qnative.simulator`` and :meth:`~pennylane_qnative.QuantumTrainer.optimize_hyperparameters`
hand the work to a `Dask distributed <https://distributed.dask.org>`_ cluster. Nothing about
the circuits or the training changes: the same code runs in one process, on a
``LocalCluster``, or on many machines (``dask scheduler`` on one, ``dask worker tcp://...`` on
the others, ``Client("tcp://scheduler:8786")`` here).

This tutorial starts a two-worker ``LocalCluster``, runs a batch of circuits on it and checks it
against ``default.qubit``, then runs a small hyper-parameter sweep on it and checks it against
the same sweep run serially. Its workers are threads of this process (``processes=False``), so
that the page builds anywhere; for speed use worker processes (``processes=True``, the default,
from a script guarded by ``if __name__ == "__main__":``) or machines of their own.
"""

import numpy as np
import pennylane as qp
from distributed import Client, LocalCluster

from pennylane_qnative import QuantumTrainer, TrainingConfig
from pennylane_qnative.training.reference import load_reference_data

cluster = LocalCluster(n_workers=2, threads_per_worker=1, processes=False, dashboard_address=None)
client = Client(cluster)

######################################################################
# A batch on the cluster
# ----------------------
#
# ``executor=client`` is the only change. One ``execute`` of 16 circuits of 12 qubits: circuits
# that share a structure are merged into broadcasts, cut into one piece per worker, shipped,
# and their results come back in order. The result cache stays here, in the client.

n = 12
rng = np.random.default_rng(0)
angles = rng.uniform(0, np.pi, (16, n))


def circuit(x):
    for i in range(n):
        qp.RY(x[i], i)
    for i in range(n - 1):
        qp.CNOT([i, i + 1])
    return qp.expval(qp.Z(n - 1))


def values(dev):
    tapes = [qp.tape.make_qscript(circuit)(x) for x in angles]
    return np.array(qp.execute(tapes, dev))


ours = values(qp.device("qnative.simulator", wires=n, executor=client))
theirs = values(qp.device("default.qubit", wires=n))
print("largest difference from default.qubit:", float(np.max(np.abs(ours - theirs))))

######################################################################
# A sweep on the cluster
# ----------------------
#
# Each trial (train a fresh model with the trial's settings, score it on validation data) is one
# Dask task. Trials are asked from optuna's seeded sampler in fixed batches and told back in
# order, so the sweep on the cluster is the serial sweep, trial for trial.

data = load_reference_data(n_train=40, n_test=40, n_features=4)
config = TrainingConfig(n_qubits=4, circuit_depth=1, epochs=1, gradient_method="spsa", seed=0)
space = {"learning_rate": (0.01, 0.5)}


def sweep(executor):
    trainer = QuantumTrainer(config, "qnative.simulator", progress=False)
    return trainer.optimize_hyperparameters(
        space, 4, data=data.X_train, y=data.y_train,
        validation_data=(data.X_test, data.y_test), seed=0, executor=executor,
    )  # fmt: skip


serial, distributed = sweep(None), sweep(client)
print("best learning rate, serial     :", serial["best_params"])
print("best learning rate, on 2 workers:", distributed["best_params"])
print("same validation losses:", serial["best_value"] == distributed["best_value"])

client.close()
cluster.close()
