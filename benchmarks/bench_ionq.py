"""Reference training against the IonQ emulator: qnative.ionq vs pennylane-ionq (not a test).

The reference workload (8 qubits, angle embedding, depth-2 RY+RZ ansatz: 32 parameters,
100 training samples, batches of 10 broadcast, 5 epochs = 50 steps, Adam) is trained three
ways against ONE emulator process on the ``cloud-simulator`` profile (about 1 s of queue per
job), all with 1,000 shots per circuit on the ideal simulator (pennylane-ionq refuses exact
expectation values):

1. ``qnative.ionq`` + our trainer, SPSA as device gradient (forward + 2 perturbed batches:
   one job per step);
2. pennylane-ionq's ``ionq.simulator`` + parameter shift;
3. pennylane-ionq's ``ionq.simulator`` + PennyLane's ``spsa_grad``.

Reported per run: jobs (the emulator's own count), circuits, wall time, and the estimated cost
of the same circuits on ``qpu.aria-1`` at 1,000 shots each, from the rate card
(``pennylane_qnative.ionq.pricing``), one job per job the run made.

Usage: ``python benchmarks/bench_ionq.py [--epochs 5] [--port 0]``
"""

from __future__ import annotations

import argparse
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
import numpy as np
import pennylane as qp
from pennylane import numpy as pnp
from pennylane_ionq.api_client import APIClient

from pennylane_qnative import QuantumModel, QuantumTrainer, TrainingConfig
from pennylane_qnative.ionq.pricing import GateCounts, estimate_cost
from pennylane_qnative.training.data import ArrayLoader
from pennylane_qnative.training.losses import encode_targets, mse
from pennylane_qnative.training.optimizers import adam
from pennylane_qnative.training.reference import load_reference_data

KEY = "bench-key"
ADMIN = {"Authorization": f"apiKey {KEY}"}  # the admin endpoints need a key when keys are set
SHOTS_FOR_COST = 1000
# gates of one reference circuit in qis: 8 RY (embedding) + 32 rotations, 14 CNOT
GATES = GateCounts(one_qubit=40, two_qubit=14)


def start_emulator(
    port: int, profile: str = "cloud-simulator", *extra: str, key: str = KEY
) -> tuple[subprocess.Popen, str]:
    """An emulator process on loopback (``extra``: more command-line options)."""
    if port == 0:
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
    command = ["qnative-ionq-emulator", "--port", str(port), "--profile", profile, *extra]
    process = subprocess.Popen(
        [*command, "--api-key", key], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    url = f"http://127.0.0.1:{port}"
    for _ in range(100):
        try:
            httpx.get(url + "/v0.4/backends", timeout=1).raise_for_status()
            return process, url
        except httpx.HTTPError:
            time.sleep(0.1)
    raise SystemExit("the emulator did not start")


def jobs_created(url: str) -> int:
    return httpx.get(url + "/_emulator/stats", headers=ADMIN).json()["jobs_created"]


def qpu_cost(jobs: int, circuits: int) -> float:
    """Rate-card cost of ``circuits`` reference circuits spread over ``jobs`` jobs on Aria."""
    per_job = [circuits // jobs + (i < circuits % jobs) for i in range(jobs)]
    return sum(
        estimate_cost(backend="qpu.aria-1", shots=SHOTS_FOR_COST, gate_counts=[GATES] * n)
        for n in per_job
        if n
    )


def run_qnative(url: str, data, epochs: int) -> dict:
    scratch = Path(tempfile.mkdtemp())
    config = TrainingConfig(
        gradient_method="spsa",
        seed=0,
        epochs=epochs,
        learning_rate=0.1,
        shots_per_circuit=SHOTS_FOR_COST,
    )
    kwargs = {
        "api_url": url + "/v0.4",
        "api_key": KEY,
        "journal_path": scratch / "journal.sqlite",
        "cache_path": scratch / "results.sqlite",
    }
    trainer = QuantumTrainer(config, "qnative.ionq", progress=False, device_kwargs=kwargs)
    model = QuantumModel.from_config(config)
    before = jobs_created(url)
    start = time.perf_counter()
    trainer.fit(model, data.X_train, data.y_train)
    seconds = time.perf_counter() - start
    jobs = jobs_created(url) - before
    stats = trainer.get_performance_stats()
    accuracy = trainer.evaluate(model, data.X_test, data.y_test)["accuracy"]
    return {"jobs": jobs, "circuits": stats["circuits"], "seconds": seconds, "accuracy": accuracy}


def run_pennylane_ionq(url: str, data, epochs: int, diff_method: str, **grad_kwargs) -> dict:
    """The same model, data order and optimiser on pennylane-ionq's device."""
    APIClient.BASE_URL = url + "/v0.4"
    device = qp.device("ionq.simulator", wires=8, api_key=KEY)
    config = TrainingConfig(seed=0, epochs=epochs, learning_rate=0.1)
    model = QuantumModel.from_config(config)
    qnode = model.qnode(device, diff_method=diff_method, gradient_kwargs=grad_kwargs)
    qnode = qp.set_shots(qnode, shots=SHOTS_FOR_COST)
    weights, circuits = model.quantum_layer.parameters, 0
    before = jobs_created(url)
    start = time.perf_counter()
    for step in adam_steps(device, qnode, data, weights, epochs=epochs, seed=0):
        weights, circuits = step[0], circuits + step[1]
    seconds = time.perf_counter() - start
    jobs = jobs_created(url) - before
    outputs = np.asarray(qnode(pnp.array(weights, requires_grad=False), data.X_test))
    targets = encode_targets(data.y_test, output_dim=1, classification=True)
    accuracy = float(np.mean(np.sign(outputs) == np.sign(targets)))
    return {"jobs": jobs, "circuits": circuits, "seconds": seconds, "accuracy": accuracy}


def adam_steps(device, qnode, data, weights, *, epochs: int, seed: int, learning_rate=0.1):
    """Adam on the MSE of ``qnode`` over the reference batches (``ArrayLoader``, batches of
    10, shuffled by ``seed``), PennyLane computing the gradient; yields per step the weights
    after it, the circuits it ran and its device batches (jobs on a cloud device)."""
    optimizer = adam(learning_rate)
    state = optimizer.init(weights)
    loader = ArrayLoader(data.X_train, data.y_train, batch_size=10, seed=seed)
    for epoch in range(epochs):
        for X, y in loader.epoch(epoch):
            targets = encode_targets(y, output_dim=1, classification=True)
            w = pnp.array(weights, requires_grad=True)
            with qp.Tracker(device) as tracker:
                grads = qp.grad(lambda w, X=X, t=targets: mse(qnode(w, X), t))(w)
            circuits = int(tracker.totals.get("executions", 0))
            updates, state = optimizer.update(np.asarray(grads), state, weights)
            weights = weights + updates
            yield weights, circuits, int(tracker.totals.get("batches", circuits))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--port", type=int, default=0)
    args = parser.parse_args()
    data = load_reference_data(seed=0)
    emulator, url = start_emulator(args.port)
    rows = {}
    try:
        runs = {
            "qnative.ionq + SPSA (device gradient)": lambda: run_qnative(url, data, args.epochs),
            "pennylane-ionq + parameter shift": lambda: run_pennylane_ionq(
                url, data, args.epochs, "parameter-shift"
            ),
            "pennylane-ionq + PL spsa_grad": lambda: run_pennylane_ionq(
                url, data, args.epochs, "spsa", sampler_rng=np.random.default_rng(0)
            ),
        }
        for name, run in runs.items():
            row = run()  # jobs and time of the training only (not the final evaluation)
            row["cost"] = qpu_cost(row["jobs"], row["circuits"])
            rows[name] = row
            print(f"{name}: {row}", file=sys.stderr)
    finally:
        emulator.terminate()
    ours = rows["qnative.ionq + SPSA (device gradient)"]
    print(f"\n{args.epochs} epochs, emulator cloud-simulator profile (about 1 s queue per job)")
    header = f"{'run':40s} {'jobs':>6s} {'circuits':>9s} {'wall s':>8s} {'QPU cost $':>12s}"
    print(header + f" {'speed-up':>9s} {'cheaper':>8s} {'test acc':>8s}")
    for name, row in rows.items():
        print(
            f"{name:40s} {row['jobs']:6d} {row['circuits']:9d} {row['seconds']:8.1f} "
            f"{row['cost']:12,.0f} {row['seconds'] / ours['seconds']:8.2f}x "
            f"{row['cost'] / ours['cost']:7.1f}x {row['accuracy']:8.3f}"
        )
    print("(speed-up and cheaper: that run divided by qnative.ionq's)")


if __name__ == "__main__":
    main()
