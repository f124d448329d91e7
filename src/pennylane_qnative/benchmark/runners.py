"""The three training loops of the benchmark, run inside a worker process.

Each runner trains the reference model (:class:`~.QuantumModel`, the same initial weights and
batch order for every configuration) for the configuration's measured steps and returns a plain
dict (see :func:`run`): per-step losses, circuits, jobs and seconds, the training's wall time,
the test accuracy when every step was trained (``None`` otherwise: a model trained for a few
steps says nothing about the method), and, against the emulator, the *floor*: the time the
emulator's own plan gives the training's jobs (validation, queue and execution, one after
another), which no client can beat.

- :func:`run_v32`: the v3.2 trainer: each sample is its own QNode call with parameter shift,
  the gradients are averaged and a plain gradient step is taken;
- :func:`run_pennylane`: one broadcast QNode call per batch with PennyLane's gradient (or the
  device's), Adam;
- :func:`run_qnative`: :class:`~.QuantumTrainer` on our devices, the gradient inside the device.
"""

from __future__ import annotations

import contextlib
import tempfile
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np
import pennylane as qp
from autograd import value_and_grad
from pennylane import numpy as pnp

from pennylane_qnative.benchmark import peak_rss_mb
from pennylane_qnative.benchmark.configs import Configuration, Platform, Runner, Workload
from pennylane_qnative.exceptions import ConfigurationError
from pennylane_qnative.training import ArrayLoader, QuantumModel, QuantumTrainer, TrainingConfig
from pennylane_qnative.training.losses import accuracy, encode_targets, mse
from pennylane_qnative.training.optimizers import adam

__all__ = [
    "API_KEY",
    "REPEATS",
    "REPEAT_BELOW_S",
    "Context",
    "run",
    "run_pennylane",
    "run_qnative",
    "run_v32",
]

API_KEY = "bench-key"
"""The key the harness starts its emulators with."""

_RUNNER_KEYS = frozenset({"device", "diff_method", "spsa_seed", "gradient", "session"})


@dataclass(frozen=True, kw_only=True, slots=True)
class Context:
    """What a runner needs besides its configuration.

    Args:
        workload (Workload): the training
        data (Mapping): ``X_train``, ``y_train``, ``X_test``, ``y_test`` arrays
        url (str | None): the emulator's root URL for cloud and QPU platforms
        scratch (Path): a folder for journals
    """

    workload: Workload
    data: Mapping[str, np.ndarray]
    url: str | None = None
    scratch: Path = field(default_factory=lambda: Path(tempfile.mkdtemp()))


class _Counter(qp.Tracker):
    """A device tracker without PennyLane's resource analysis (it slows simulators down)."""

    record_resources = False


class _Emulator:
    """The emulator's own view of the jobs: counts and timelines, through its HTTP API."""

    def __init__(self, url: str) -> None:
        import httpx

        self.client = httpx.Client(
            base_url=url, headers={"Authorization": f"apiKey {API_KEY}"}, timeout=30
        )

    def jobs_created(self) -> int:
        return int(self.client.get("/_emulator/stats").json()["jobs_created"])

    def jobs(self) -> dict[str, dict[str, Any]]:
        """Every top-level job, by id."""
        jobs: dict[str, dict[str, Any]] = {}
        cursor = None
        while True:
            params: dict[str, Any] = {"limit": 1000} | ({"next": cursor} if cursor else {})
            page = self.client.get("/v0.4/jobs", params=params).json()
            jobs |= {j["id"]: j for j in page["jobs"] if j["parent_job_id"] is None}
            cursor = page.get("next")
            if not cursor:
                return jobs

    def floor(self, before: set[str]) -> float:
        """Seconds from submission to completion of the jobs not in ``before``, summed."""
        new = [j for i, j in self.jobs().items() if i not in before]
        return sum(_seconds(j["submitted_at"], j["completed_at"]) for j in new if j["completed_at"])


def _seconds(start: str, end: str) -> float:
    def parse(stamp: str) -> datetime:
        return datetime.fromisoformat(stamp.replace("Z", "+00:00"))

    return (parse(end) - parse(start)).total_seconds()


@dataclass(slots=True)
class _Log:
    """Per-step records of a run, and the emulator's counts around it."""

    emulator: _Emulator | None
    losses: list[float] = field(default_factory=list)
    circuits: list[int] = field(default_factory=list)
    jobs: list[int] = field(default_factory=list)
    seconds: list[float] = field(default_factory=list)
    shots: list[int | None] = field(default_factory=list)  # per step, when a policy sets them
    before: set[str] = field(default_factory=set)

    def start(self) -> None:
        if self.emulator is not None:
            self.before = set(self.emulator.jobs())

    @contextlib.contextmanager
    def step(self, tracker: qp.Tracker) -> Iterator[None]:
        """Time the block; count its circuits and jobs (the emulator's count when there is one)."""
        counts = dict(tracker.totals)
        jobs = self.emulator.jobs_created() if self.emulator else 0
        start = time.perf_counter()
        yield
        self.seconds.append(time.perf_counter() - start)
        self.circuits.append(int(tracker.totals.get("executions", 0) - counts.get("executions", 0)))
        if self.emulator is not None:
            self.jobs.append(self.emulator.jobs_created() - jobs)
        else:  # device batches (lightning.qubit's tracker has none: one call per step)
            batches = int(tracker.totals.get("batches", 0) - counts.get("batches", 0))
            self.jobs.append(batches or int(self.circuits[-1] > 0))

    def result(self, accuracy_: float | None) -> dict[str, Any]:
        floor = self.emulator.floor(self.before) if self.emulator is not None else None
        return {
            "steps_measured": len(self.losses),
            "seconds": float(sum(self.seconds)),
            "step_seconds": self.seconds,
            "step_losses": self.losses,
            "step_circuits": self.circuits,
            "step_jobs": self.jobs,
            "step_shots": self.shots,
            "test_accuracy": accuracy_,
            "floor_s": floor,
            "peak_rss_mb": peak_rss_mb(),  # the training's, before any test evaluation
        }


def _steps(configuration: Configuration, workload: Workload) -> int:
    return min(configuration.measure_steps or workload.steps, workload.steps)


def _batches(context: Context, steps: int) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    workload = context.workload
    loader = ArrayLoader(
        context.data["X_train"],
        context.data["y_train"],
        batch_size=workload.batch_size,
        seed=workload.seed,
    )
    done = 0
    for epoch in range(workload.epochs):
        for X, y in loader.epoch(epoch):
            if done == steps:
                return
            done += 1
            yield X, encode_targets(y, output_dim=1, classification=True)


def _training_config(workload: Workload, **fields: Any) -> TrainingConfig:
    return TrainingConfig(
        learning_rate=workload.learning_rate,
        batch_size=workload.batch_size,
        n_qubits=workload.n_qubits,
        circuit_depth=workload.depth,
        epochs=workload.epochs,
        seed=workload.seed,
        **fields,
    )


def _pennylane_device(configuration: Configuration, context: Context) -> Any:
    name = configuration.options["device"]
    extra = {k: v for k, v in configuration.options.items() if k not in _RUNNER_KEYS}
    wires = context.workload.n_qubits
    if name.startswith("ionq."):
        from pennylane_ionq.api_client import APIClient

        if context.url is None:
            raise ConfigurationError(f"{configuration.name!r} needs the emulator's URL.")
        APIClient.BASE_URL = context.url + "/v0.4"
        return qp.device(name, wires=wires, api_key=API_KEY, **extra)
    return qp.device(name, wires=wires, **extra)


def _qnode(configuration: Configuration, model: QuantumModel, device: Any, diff_method: str):
    gradient_kwargs = {}
    if "spsa_seed" in configuration.options:
        gradient_kwargs["sampler_rng"] = np.random.default_rng(configuration.options["spsa_seed"])
    qnode = model.qnode(device, diff_method=diff_method, gradient_kwargs=gradient_kwargs)
    return qp.set_shots(qnode, shots=configuration.shots) if configuration.shots else qnode


def _test_accuracy(model: QuantumModel, qnode: Callable, weights: Any, context: Context) -> float:
    outputs = model.forward(qnode, pnp.array(weights, requires_grad=False), context.data["X_test"])
    targets = encode_targets(context.data["y_test"], output_dim=1, classification=True)
    return float(accuracy(np.asarray(outputs), targets))


def _finish(log: _Log, full: bool, score: Callable[[], float]) -> dict[str, Any]:
    result = log.result(None)  # the floor of the training's jobs, before the evaluation's
    if full:
        result["test_accuracy"] = score()
    return result


def _emulator(context: Context) -> _Emulator | None:
    return _Emulator(context.url) if context.url is not None else None


def run_v32(configuration: Configuration, context: Context) -> dict[str, Any]:
    """The v3.2 trainer: per-sample QNode calls, parameter shift, a plain gradient step."""
    workload, steps = context.workload, _steps(configuration, context.workload)
    model = QuantumModel.from_config(_training_config(workload))
    device = _pennylane_device(configuration, context)
    qnode = _qnode(configuration, model, device, "parameter-shift")
    sample = value_and_grad(lambda w, x, t: (qnode(w, x) - t) ** 2)
    weights = np.asarray(model.quantum_layer.parameters, dtype=float)
    log = _Log(_emulator(context))
    log.start()
    with _Counter(device) as tracker:
        for X, targets in _batches(context, steps):
            with log.step(tracker):
                w = pnp.array(weights, requires_grad=True)
                pairs = [sample(w, x, t) for x, t in zip(X, targets, strict=True)]
                grads = np.mean([np.asarray(g) for _, g in pairs], axis=0)
                weights = weights - workload.learning_rate * grads
            log.losses.append(float(np.mean([float(v) for v, _ in pairs])))
    return _finish(
        log, steps == workload.steps, lambda: _test_accuracy(model, qnode, weights, context)
    )


def run_pennylane(configuration: Configuration, context: Context) -> dict[str, Any]:
    """One broadcast QNode call per batch, PennyLane's gradient, Adam."""
    workload, steps = context.workload, _steps(configuration, context.workload)
    model = QuantumModel.from_config(_training_config(workload))
    device = _pennylane_device(configuration, context)
    qnode = _qnode(configuration, model, device, configuration.options["diff_method"])
    loss = value_and_grad(lambda w, X, t: mse(model.forward(qnode, w, X), t))
    optimizer = adam(workload.learning_rate)
    weights = np.asarray(model.quantum_layer.parameters, dtype=float)
    state = optimizer.init(weights)
    log = _Log(_emulator(context))
    log.start()
    with _Counter(device) as tracker:
        for X, targets in _batches(context, steps):
            with log.step(tracker):
                value, grads = loss(pnp.array(weights, requires_grad=True), X, targets)
                updates, state = optimizer.update(np.asarray(grads), state, weights)
                weights = weights + updates
            log.losses.append(float(value))
    return _finish(
        log, steps == workload.steps, lambda: _test_accuracy(model, qnode, weights, context)
    )


def _qnative_device_kwargs(configuration: Configuration, context: Context) -> dict[str, Any]:
    kwargs = {k: v for k, v in configuration.options.items() if k not in _RUNNER_KEYS}
    if configuration.options["device"] == "qnative.ionq":
        if context.url is None:
            raise ConfigurationError(f"{configuration.name!r} needs the emulator's URL.")
        target = "qpu.aria-1" if configuration.platform == Platform.QPU else "simulator"
        kwargs = {
            "api_url": context.url + "/v0.4",
            "api_key": API_KEY,
            "target": target,
            "journal_path": context.scratch / "journal.sqlite",
            "cache": False,
        } | kwargs
    return kwargs


def run_qnative(configuration: Configuration, context: Context) -> dict[str, Any]:
    """:class:`~.QuantumTrainer` on our devices, the gradient inside the device, Adam."""
    workload, steps = context.workload, _steps(configuration, context.workload)
    options = configuration.options
    config = _training_config(
        workload, gradient_method=options["gradient"], shots_per_circuit=configuration.shots
    )
    full = steps == workload.steps
    samples = workload.n_train if full else steps * workload.batch_size
    X, y = context.data["X_train"][:samples], context.data["y_train"][:samples]
    trainer = QuantumTrainer(
        config,
        options["device"],
        progress=False,
        device_kwargs=_qnative_device_kwargs(configuration, context),
        session=options.get("session"),
    )
    model = QuantumModel.from_config(config)
    log = _Log(_emulator(context))
    log.start()
    jobs = log.emulator.jobs_created() if log.emulator else 0
    with _Counter(trainer.device) as tracker:
        start = time.perf_counter()
        trainer.fit(model, X, y, epochs=workload.epochs if full else 1)
        seconds = time.perf_counter() - start
    rows = trainer.tracker.rows
    log.losses = [float(r["loss"]) for r in rows]
    log.circuits = [int(r["circuits"]) for r in rows]
    log.shots = [r["shots"] for r in rows]  # per step: a policy may change them
    log.jobs = _step_jobs(rows, tracker, log.emulator, jobs)
    # the steps' own timers leave out the trainer's work between steps: spread the rest evenly
    log.seconds = [float(r["seconds"]) for r in rows]
    extra = (seconds - sum(log.seconds)) / max(len(rows), 1)
    log.seconds = [s + extra for s in log.seconds]
    result = log.result(None)  # the floor of the training's jobs, before the evaluation's
    result["complete"] = full  # every epoch trained (a policy may make fewer, larger steps)
    if full:
        result["test_accuracy"] = float(trainer.evaluate(model, *_test(context))["accuracy"])
    if hasattr(trainer.device, "close"):
        trainer.device.close()  # ends a session the evaluation opened
    return result


def _test(context: Context) -> tuple[np.ndarray, np.ndarray]:
    return context.data["X_test"], context.data["y_test"]


def _step_jobs(rows: list[dict], tracker: qp.Tracker, emulator: Any, before: int) -> list[int]:
    """Jobs per step: the trainer's rows, else the device batches spread over the steps."""
    jobs = [int(r["jobs"] or 0) for r in rows]
    if emulator is not None and sum(jobs) != emulator.jobs_created() - before:
        raise RuntimeError("the trainer's job counts differ from the emulator's")
    if not any(jobs) and rows:
        batches = int(tracker.totals.get("batches", 0))
        jobs = [batches // len(rows) + (i < batches % len(rows)) for i in range(len(rows))]
    return jobs


RUNNERS: Mapping[Runner, Callable[[Configuration, Context], dict[str, Any]]] = {
    Runner.V32: run_v32,
    Runner.PENNYLANE: run_pennylane,
    Runner.QNATIVE: run_qnative,
}


REPEAT_BELOW_S = 5.0
"""A simulator training shorter than this is timed :data:`REPEATS` times (the median kept)."""

REPEATS = 5


def run(configuration: Configuration, context: Context) -> dict[str, Any]:
    """Train ``configuration``; returns its per-step records.

    A training on the simulator platform that takes under :data:`REPEAT_BELOW_S` runs
    :data:`REPEATS` times from the same initial weights, and the run of median wall time is
    kept: a training of a fraction of a second is otherwise at the mercy of the scheduler.
    Remote platforms run once (each run would pay again, and their time is the emulator's).

    Returns:
        dict: ``steps_measured``, ``seconds`` (the training's wall time), ``step_seconds``,
        ``step_losses``, ``step_circuits``, ``step_jobs``, ``test_accuracy`` (``None`` unless
        every step was trained), ``floor_s`` (``None`` off the emulator), ``peak_rss_mb``
        (the process's peak RSS when the training ended, before the test evaluation) and
        ``repeats_s`` (the wall time of every run)
    """
    runner = RUNNERS[configuration.runner]
    runs = [runner(configuration, context)]
    if configuration.platform == Platform.SIMULATOR and runs[0]["seconds"] < REPEAT_BELOW_S:
        runs += [runner(configuration, context) for _ in range(REPEATS - 1)]
    kept = sorted(runs, key=lambda r: r["seconds"])[len(runs) // 2]
    # the first training's peak: later ones start after its test evaluation
    return kept | {"repeats_s": [r["seconds"] for r in runs], "peak_rss_mb": runs[0]["peak_rss_mb"]}
