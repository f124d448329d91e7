r"""
Budgets, sessions and resuming a paid run
=========================================

On a QPU every job waits in a queue (hours on real hardware) and costs at least a job minimum
(about $12 on Aria). This tutorial trains a small classifier on ``qpu.aria-1`` through the
local emulator, with a queue scaled down to a second, and shows the three things that keep
such a run cheap and safe:

1. a **session** holds the backend for the whole training, so the queue is waited once;
2. a **budget** refuses, before submitting, a step that would overspend;
3. a run stopped by its budget (or killed) **resumes** from its checkpoint, re-attaching to the
   jobs it already paid for instead of paying again.

Everything runs offline: :func:`pennylane_qnative.emulator.running` starts an
IonQ-compatible HTTP server on a free loopback port.
"""

import pathlib
import tempfile
import time

from pennylane_qnative import QuantumModel, QuantumTrainer, TrainingConfig
from pennylane_qnative.emulator import LatencyModel, running
from pennylane_qnative.exceptions import BudgetExceededError
from pennylane_qnative.training.reference import load_reference_data

######################################################################
# The emulator and the workload
# -----------------------------
#
# The emulator's ``qpu`` profile, with a queue of 1 s before each job and 2 ms per shot: the
# queue is several times a job's execution, as on real hardware. The data are 40 samples of the
# reference workload (8 features, 8 qubits, a depth-2 ansatz), in batches of 10, 100 shots per
# circuit: 4 steps, each one job of 30 circuits (SPSA: the batch and 2 perturbations).

server = running(
    profile="qpu", latency=LatencyModel(validation_s=0.05, queue_s=1.0, exec_per_shot_s=2e-6)
)
url = server.__enter__()
data = load_reference_data()
X, y = data.X_train[:40], data.y_train[:40]
config = TrainingConfig(
    gradient_method="spsa", epochs=1, seed=0, learning_rate=0.1, shots_per_circuit=100
)
scratch = pathlib.Path(tempfile.mkdtemp())


def device_options(name, **extra):
    """``qnative.ionq`` on the emulator's Aria, with its journal in a scratch folder."""
    return {
        "api_url": url + "/v0.4",
        "api_key": "tutorial-key",
        "target": "qpu.aria-1",
        "cache": False,
        "journal_path": scratch / f"{name}.sqlite",
        **extra,
    }


def train(name, *, session=None, epochs=1, resume=False, **extra):
    trainer = QuantumTrainer(
        config,
        "qnative.ionq",
        output_dir=scratch / name,
        progress=False,
        device_kwargs=device_options(name, **extra),
        session=session,
    )
    model = QuantumModel.from_config(config)
    start = time.perf_counter()
    history = trainer.fit(model, X, y, epochs=epochs, resume=resume)
    return trainer, history, time.perf_counter() - start


######################################################################
# One queue wait instead of one per step
# --------------------------------------
#
# Without a session each of the 4 jobs queues; with ``session=True`` the first job queues and
# the next ones start as soon as the previous one ends. The tracker's ``queued_seconds`` says
# how long each step's job waited.

_, plain, plain_s = train("no-session")
trainer, held, held_s = train("session", session=True)
print(f"no session : {plain_s:5.1f} s, queued {sum(plain['queued_seconds']):4.1f} s")
print(f"session    : {held_s:5.1f} s, queued {sum(held['queued_seconds']):4.1f} s")
print("jobs per step:", held["jobs"], " session:", sorted(set(held["session_id"])))

######################################################################
# A budget that refuses before it is spent
# ----------------------------------------
#
# Every batch is estimated before it is submitted (the estimate uses the same packed payloads
# that are then sent). With ``budget_usd`` set below what 4 steps cost, the step that would
# overspend is refused with :class:`~pennylane_qnative.exceptions.BudgetExceededError`, and
# nothing of it is submitted. The trainer wrote a checkpoint after every step it completed.

per_step = held["cost_usd"][0]
print(f"one step costs about ${per_step:.2f}")
try:
    train("budget", budget_usd=2.5 * per_step)
except BudgetExceededError as error:
    print("refused:", str(error).split(";")[0])

######################################################################
# Resuming pays only for what is left
# -----------------------------------
#
# Resuming with a larger budget continues from the checkpoint: the first two steps are not run
# again, and the journal would re-attach a job the stopped run had already paid for (the
# trainer keeps the run's identity in its checkpoint). Only the remaining steps are billed.

trainer, resumed, _ = train("budget", resume=True, budget_usd=10 * per_step)
print("steps in the history:", len(resumed["loss"]), " jobs per step:", resumed["jobs"])
print(f"spent by the resumed run: ${trainer.device.budget.spent_usd:.2f}")

server.__exit__(None, None, None)
