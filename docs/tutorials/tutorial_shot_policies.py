r"""
Spending shots where they count
===============================

A fixed 1,000 shots a circuit spends as much on the first steps of a training, when the
gradient is large and a rough estimate points the right way, as on the last ones. This
tutorial trains the same classifier on ``qpu.aria-1`` (through the local emulator, with its
noise model) with a fixed shot count and with ``shots_per_circuit="adaptive"``, then gives the
run a budget, stops it early on a validation target, and moves it to the free cloud simulator,
where the policy fills each job instead of making more of them. The concepts are in
:doc:`../cost-aware`.
"""

import pathlib
import tempfile

import numpy as np

from pennylane_qnative import QuantumModel, QuantumTrainer, TrainingConfig
from pennylane_qnative.emulator import running
from pennylane_qnative.training.reference import load_reference_data

######################################################################
# The workload
# ------------
#
# 60 samples of the reference data (8 features, 8 qubits, a depth-2 ansatz: 32 parameters),
# batches of 10, 3 epochs: 18 steps, each one job of 30 circuits (SPSA: the batch and two
# perturbations). A 30-sample validation split, outside the test split, rides in the last job
# of each epoch.

data = load_reference_data(n_train=60, n_test=100, seed=1, n_validation=30)
server = running()
url = server.__enter__()
scratch = pathlib.Path(tempfile.mkdtemp())


def train(name, target="qpu.aria-1", **settings):
    """Train a fresh model; returns the trainer and the model."""
    config = TrainingConfig(
        n_qubits=8, circuit_depth=2, epochs=3, gradient_method="spsa", seed=1, **settings
    )
    device = {
        "api_url": url + "/v0.4",
        "api_key": "tutorial-key",
        "target": target,
        "cache": False,
        "journal_path": scratch / f"{name}.sqlite",
    }
    trainer = QuantumTrainer(config, "qnative.ionq", progress=False, device_kwargs=device)
    model = QuantumModel.from_config(config)
    trainer.fit(model, data.X_train, data.y_train, validation_data=(data.X_val, data.y_val))
    return trainer, model


def exact_accuracy(model):
    """Test accuracy of the trained parameters, exactly, on the local simulator (no job)."""
    local = QuantumTrainer(TrainingConfig(n_qubits=8, circuit_depth=2), "qnative.simulator")
    return local.evaluate(model, data.X_test, data.y_test)["accuracy"]


def summary(name, trainer, model):
    stats = trainer.get_performance_stats()
    print(
        f"{name:9s} {stats['steps']:2d} steps, {stats['jobs']:2d} jobs, "
        f"{stats['device_shots']:>9,} shots run, ${stats['cost_usd']:>9,.2f}, "
        f"test accuracy {exact_accuracy(model):.3f}"
    )


######################################################################
# Fixed against adaptive
# ----------------------
#
# The adaptive policy starts at its floor (``min_shots=150``; never below what the job minimum
# pays for anyway, about $12 on Aria: 18 shots of these 30 circuits) and raises the shots as the
# gradient's signal-to-noise ratio falls, by iCANS's rule
# :math:`s^\star = \kappa\,\mathrm{tr}\,\Sigma / \lVert g\rVert^2` applied to the whole
# step, because a job has one shot count.

fixed = train("fixed", shots_per_circuit=1000)
adaptive = train("adaptive", shots_per_circuit="adaptive")
summary("fixed", *fixed)
summary("adaptive", *adaptive)
print("adaptive shots per step:", adaptive[0].tracker.history["shots"])

######################################################################
# The history's ``shots`` column is the policy's choice, ``device_shots`` what the device ran
# (shots times circuits), ``cost_usd`` the rate card's price of the step's job. The validation
# circuits are in the epochs' last jobs: 18 steps, 18 jobs.

row = adaptive[0].tracker.rows[-1]
print({key: row[key] for key in ("step", "shots", "circuits", "device_shots", "jobs", "cost_usd")})

######################################################################
# A budget
# --------
#
# ``budget_usd`` plans the run before anything is paid: a dry run prices a step, then a fixed
# count that would overspend is lowered (or the steps cut), and each step's shots are capped
# so that the rest of the run stays affordable.

budget = 0.25 * fixed[0].get_performance_stats()["cost_usd"]
planned = train("budget", shots_per_circuit=1000, budget_usd=budget)
summary("budgeted", *planned)
print(f"budget ${budget:,.2f}; shots a step: {sorted(set(planned[0].tracker.history['shots']))}")

######################################################################
# Early stopping
# --------------
#
# ``target_accuracy`` stops once the validation accuracy reaches it; the validation runs in a
# step's job, so stopping costs no extra round trip.

stopped = train("stop", shots_per_circuit="adaptive", target_accuracy=0.8, validate_every=2)
summary("stopped", *stopped)
print("why:", stopped[0].stop_reason)

######################################################################
# A free target: fewer, fuller jobs
# ---------------------------------
#
# On the cloud simulator a job costs its queue, not its shots or circuits. There the adaptive
# policy averages 8 SPSA directions a step, doubles the batch (half the jobs), scales Adam's
# step by :math:`\sqrt 8` and validates in every job.

free_fixed = train("free-fixed", target="simulator", shots_per_circuit=1000)
free = train("free", target="simulator", shots_per_circuit="adaptive")
summary("fixed", *free_fixed)
summary("adaptive", *free)
print("circuits per job:", sorted(set(free[0].tracker.history["circuits"])))

server.__exit__(None, None, None)
assert np.isfinite(adaptive[0].get_performance_stats()["cost_usd"])
