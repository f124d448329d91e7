"""Sessions on a queued QPU: a 10-step reference training with and without one (not a test).

The emulator runs on the ``qpu`` profile with its delays scaled down but kept in hardware
proportion: a job waits ``--queue`` seconds in the queue (default 6 s) and runs 0.1 ms per shot,
so one training step (30 circuits of 100 shots: forward batch and SPSA's two perturbed
batches) executes in 0.3 s: the queue is 20 times a job's execution, as on hardware, where
queues of hours meet jobs of minutes. (At exactly 10x, the bound on what a session can save
is about 5x: it removes the queue, not the execution or the validation of each job.)
``qpu.aria-1`` is noisy (its noise model).

Three runs of the same 10 steps (8 qubits, depth 2, batches of 10, SPSA, 100 shots):

1. ``qnative.ionq`` through :class:`~.QuantumTrainer`, no session: every job queues;
2. the same with ``session=True``: the first job queues, the others start when the previous
   one ends;
3. pennylane-ionq's ``ionq.qpu`` (``aria-1``) with PennyLane's ``spsa_grad``: it has no
   sessions (forward and gradient are two jobs per step).

Reported: wall time of the training, time its jobs spent queued (``started_at -
submitted_at`` as the emulator reports it), jobs, and the estimated cost at the rate card.

Usage: ``python benchmarks/bench_sessions.py [--steps 10] [--queue 6.0] [--skip-pennylane-ionq]``
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

import bench_ionq
import httpx
import numpy as np
import pennylane as qp
from pennylane import numpy as pnp
from pennylane_ionq.api_client import APIClient

from pennylane_qnative import QuantumModel, QuantumTrainer, TrainingConfig
from pennylane_qnative.training.data import ArrayLoader
from pennylane_qnative.training.losses import encode_targets, mse
from pennylane_qnative.training.optimizers import adam
from pennylane_qnative.training.reference import load_reference_data

KEY = "bench-key"
HEADERS = {"Authorization": f"apiKey {KEY}"}
SHOTS = 100
EXEC_PER_SHOT_S = 0.0001  # 100 shots: 10 ms a circuit, 0.3 s a 30-circuit step
VALIDATION_S = 0.05


def start_emulator(queue_s: float) -> tuple[subprocess.Popen, str]:
    return bench_ionq.start_emulator(
        0, "qpu", "--queue-delay", str(queue_s), "--validation-delay", str(VALIDATION_S),
        "--exec-per-circuit", "0", "--exec-per-shot", str(EXEC_PER_SHOT_S),
        "--log-level", "WARNING", key=KEY,
    )  # fmt: skip


def top_level_jobs(url: str) -> dict[str, dict]:
    """Every top-level job of the emulator, by id."""
    jobs, cursor = {}, None
    with httpx.Client(base_url=url + "/v0.4", headers=HEADERS, timeout=30) as api:
        while True:
            params = {"limit": 1000} | ({"next": cursor} if cursor else {})
            page = api.get("/jobs", params=params).json()
            jobs |= {j["id"]: j for j in page["jobs"] if j["parent_job_id"] is None}
            cursor = page["next"]
            if not cursor:
                return jobs


def _seconds(a: str, b: str) -> float:
    parse = lambda s: datetime.fromisoformat(s.replace("Z", "+00:00"))  # noqa: E731
    return (parse(b) - parse(a)).total_seconds()


def account(url: str, before: set[str]) -> dict:
    """Jobs, seconds queued and estimated cost of the jobs created since ``before``."""
    new = [j for i, j in top_level_jobs(url).items() if i not in before]
    with httpx.Client(base_url=url + "/v0.4", headers=HEADERS, timeout=30) as api:
        cost = sum(api.get(f"/jobs/{j['id']}/cost").json()["estimated_cost"]["value"] for j in new)
    queued = sum(_seconds(j["submitted_at"], j["started_at"]) for j in new if j["started_at"])
    sessions = {j["session_id"] for j in new}
    return {"jobs": len(new), "queued": queued, "cost": cost, "sessions": sessions}


def run_qnative(url: str, data, steps: int, session: bool) -> dict:
    scratch = Path(tempfile.mkdtemp())
    config = TrainingConfig(
        gradient_method="spsa", seed=0, epochs=1, learning_rate=0.1, shots_per_circuit=SHOTS
    )
    kwargs = {
        "api_url": url + "/v0.4",
        "api_key": KEY,
        "target": "qpu.aria-1",
        "journal_path": scratch / "journal.sqlite",
        "cache": False,
    }
    trainer = QuantumTrainer(
        config, "qnative.ionq", progress=False, device_kwargs=kwargs, session=session or None
    )
    model = QuantumModel.from_config(config)
    X, y = data.X_train[: steps * config.batch_size], data.y_train[: steps * config.batch_size]
    before = set(top_level_jobs(url))
    start = time.perf_counter()
    history = trainer.fit(model, X, y)
    seconds = time.perf_counter() - start
    row = account(url, before) | {"seconds": seconds, "steps": len(history["loss"])}
    row["tracker_queued"] = sum(history["queued_seconds"])
    return row


def run_pennylane_ionq(url: str, data, steps: int) -> dict:
    """The same model, data order and optimiser on pennylane-ionq's ``ionq.qpu``."""
    APIClient.BASE_URL = url + "/v0.4"
    device = qp.device("ionq.qpu", wires=8, backend="aria-1", api_key=KEY)
    config = TrainingConfig(seed=0, epochs=1, learning_rate=0.1)
    model = QuantumModel.from_config(config)
    qnode = model.qnode(
        device, diff_method="spsa", gradient_kwargs={"sampler_rng": np.random.default_rng(0)}
    )
    qnode = qp.set_shots(qnode, shots=SHOTS)
    optimizer = adam(config.learning_rate)
    weights = model.quantum_layer.parameters
    state = optimizer.init(weights)
    loader = ArrayLoader(data.X_train, data.y_train, batch_size=10, seed=0)
    before = set(top_level_jobs(url))
    start = time.perf_counter()
    for k, (X, y) in enumerate(loader.epoch(0)):
        if k == steps:
            break
        targets = encode_targets(y, output_dim=1, classification=True)
        w = pnp.array(weights, requires_grad=True)
        grads = qp.grad(lambda w, X=X, t=targets: mse(qnode(w, X), t))(w)
        updates, state = optimizer.update(np.asarray(grads), state, weights)
        weights = weights + updates
    seconds = time.perf_counter() - start
    return account(url, before) | {"seconds": seconds, "steps": steps, "tracker_queued": None}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=10)
    parser.add_argument("--queue", type=float, default=6.0, help="queue wait of a job, s")
    parser.add_argument("--skip-pennylane-ionq", action="store_true")
    args = parser.parse_args()
    data = load_reference_data(seed=0)
    emulator, url = start_emulator(args.queue)
    rows: dict[str, dict] = {}
    try:
        rows["qnative.ionq, no session"] = run_qnative(url, data, args.steps, session=False)
        rows["qnative.ionq, session=True"] = run_qnative(url, data, args.steps, session=True)
        if not args.skip_pennylane_ionq:
            rows["pennylane-ionq ionq.qpu + spsa_grad"] = run_pennylane_ionq(url, data, args.steps)
        for name, row in rows.items():
            print(f"{name}: {row}", file=sys.stderr)
    finally:
        emulator.terminate()
    execution = 30 * SHOTS * EXEC_PER_SHOT_S
    print(
        f"\n{args.steps} steps on qpu.aria-1 (noisy), queue {args.queue:g} s per job, "
        f"execution {execution:.2f} s per step job ({args.queue / execution:.0f}x)"
    )
    print(
        f"{'run':38s} {'wall s':>7s} {'queued s':>9s} {'jobs':>5s} {'sessions':>8s} {'cost $':>8s}"
    )
    for name, row in rows.items():
        sessions = len({s for s in row["sessions"] if s})
        print(
            f"{name:38s} {row['seconds']:7.1f} {row['queued']:9.1f} {row['jobs']:5d} "
            f"{sessions:8d} {row['cost']:8.2f}"
        )
    plain, held = rows["qnative.ionq, no session"], rows["qnative.ionq, session=True"]
    print(f"session speed-up (wall): {plain['seconds'] / held['seconds']:.1f}x")


if __name__ == "__main__":
    main()
