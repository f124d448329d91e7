"""Cost-aware training against the emulator, paired over seeds (not a test).

The reference workload (8 qubits, depth-2 RY+RZ ansatz, 100 training samples, batches of 10,
5 epochs, Adam 0.1, SPSA), with a 50-sample validation split run inside each epoch's last job
(what ``qnative train`` does), is trained per seed ``s`` several ways, each on the same data
split and initial weights (``TrainingConfig(seed=s)``):

``qpu`` part, emulated ``qpu.aria-1`` (its noise model; the ``instant`` latency profile,
because cost does not depend on queueing):

1. ``fixed``: ``shots_per_circuit=1000`` (``qnative train --shots 1000``);
2. ``adaptive``: ``shots_per_circuit="adaptive"`` (``qnative train --shots adaptive``);
3. ``rosalin``: PennyLane's ``ShotAdaptiveOptimizer`` (min_shots 10), on ``qnative.ionq``
   (one job a step). It takes one QNode returning one expectation, so each step is one
   training sample, with the margin objective ``-y f(x)``; 50 steps. Its shots are what the
   device ran (``submitted_shots``), beside what it reports (``total_shots_used``);
4. ``pennylane-ionq``: pennylane-ionq's ``ionq.qpu`` (``backend="aria-1"``) with parameter
   shift at 1,000 shots, Adam, the same batches (``--pennylane-ionq``: slow, 10,500 circuits
   a run). Its cost is the rate card's for the jobs and circuits it made.

``cloud`` part, the emulator's ``cloud-simulator`` profile (about 1 s of queue a job, free):
``fixed`` and ``adaptive`` (which there fills each job: see
:func:`pennylane_qnative.training.planning.fill_jobs`).

After every step the test accuracy (200 held-out samples, exact, on ``qnative.simulator``: no
job) is recorded with the cumulative cost and jobs, so the report can say what each run
needed to *reach* the ``fixed`` run's final test accuracy, and what ``fixed`` had reached at
the ``adaptive`` run's total cost. Differences are paired per seed: mean and a 95 % interval
(Student t).

Usage: ``python benchmarks/bench_cost.py [--seeds 10] [--parts qpu cloud] [--pennylane-ionq]
[--json results.json]``
"""

from __future__ import annotations

import argparse
import json
import math
import statistics
import sys
import tempfile
import warnings
from pathlib import Path

import numpy as np
import pennylane as qp
from bench_ionq import GATES, KEY, adam_steps
from pennylane import numpy as pnp
from scipy import stats

from pennylane_qnative import QuantumModel, QuantumTrainer, TrainingConfig
from pennylane_qnative.emulator import running
from pennylane_qnative.ionq.pricing import estimate_cost
from pennylane_qnative.training.reference import load_reference_data


class Evaluator:
    """Exact test accuracy of a model's parameters, on the local simulator (no job)."""

    def __init__(self, data) -> None:
        self.data = data
        config = TrainingConfig(seed=0)
        self.trainer = QuantumTrainer(config, "qnative.simulator", progress=False)

    def accuracy(self, model: QuantumModel) -> float:
        return self.trainer.evaluate(model, self.data.X_test, self.data.y_test)["accuracy"]


def _device_kwargs(url: str, target: str) -> dict:
    scratch = Path(tempfile.mkdtemp())
    return {
        "api_url": f"{url}/v0.4",
        "api_key": KEY,
        "target": target,
        "journal_path": scratch / "journal.sqlite",
        "cache": False,
    }


def run_trainer(url: str, target: str, data, seed: int, shots) -> dict:
    """One ``qnative train``-like run with a per-step trace of (cost, jobs, test accuracy)."""
    config = TrainingConfig(gradient_method="spsa", seed=seed, shots_per_circuit=shots)
    kwargs = _device_kwargs(url, target)
    trainer = QuantumTrainer(config, "qnative.ionq", progress=False, device_kwargs=kwargs)
    model = QuantumModel.from_config(config)
    evaluator = Evaluator(data)
    trace, totals = [], {"cost": 0.0, "jobs": 0, "shots": 0}

    def record(model, row):
        totals["cost"] += row["cost_usd"]
        totals["jobs"] += row["jobs"]
        totals["shots"] += row["device_shots"]
        trace.append((totals["cost"], totals["jobs"], evaluator.accuracy(model)))

    trainer.fit(
        model,
        data.X_train,
        data.y_train,
        validation_data=(data.X_val, data.y_val),
        callbacks=[record],
    )
    history = trainer.tracker.history
    return {
        **totals,
        "accuracy": trace[-1][2],
        "trace": trace,
        "mean_shots": statistics.mean(history["shots"]),
    }


def run_rosalin(url: str, data, seed: int, steps: int = 50) -> dict:
    """PennyLane's ShotAdaptiveOptimizer on qnative.ionq, one training sample a step."""
    config = TrainingConfig(seed=seed)
    model = QuantumModel.from_config(config)
    device = qp.device("qnative.ionq", wires=8, **_device_kwargs(url, "qpu.aria-1"))
    layer = model.quantum_layer

    @qp.set_shots(shots=100)
    @qp.qnode(device, diff_method="parameter-shift")
    def margin(flat, x, sign):  # Rosalin indexes its gradient per flat parameter
        tape = layer.build_circuit(x, qp.math.reshape(flat, layer.parameters.shape), output_dim=1)
        for op in tape.operations:
            qp.apply(op)
        return qp.expval(-sign * qp.Z(0))

    rng = np.random.default_rng(seed)
    np.random.seed(seed)  # the optimiser samples with numpy's global stream
    optimizer = qp.ShotAdaptiveOptimizer(min_shots=10)
    shape = layer.parameters.shape
    weights = pnp.array(layer.parameters.ravel(), requires_grad=True)
    evaluator = Evaluator(data)
    trace = []
    with qp.Tracker(device) as tracker:
        for _ in range(steps):
            i = int(rng.integers(len(data.y_train)))
            x = pnp.array(data.X_train[i], requires_grad=False)
            sign = 1.0 - 2.0 * float(data.y_train[i])  # the model's target encoding
            weights = optimizer.step(margin, weights, x, sign)[0]  # it returns every argument
            layer.parameters = np.asarray(weights).reshape(shape)
            cost = float(tracker.totals.get("estimated_cost_usd", 0.0))
            trace.append((cost, int(tracker.totals.get("jobs", 0)), evaluator.accuracy(model)))
    return {
        "cost": trace[-1][0],
        "jobs": trace[-1][1],
        "shots": int(tracker.totals.get("submitted_shots", 0)),
        "reported_shots": int(optimizer.total_shots_used),
        "tracker": {k: v for k, v in tracker.totals.items() if isinstance(v, int | float)},
        "accuracy": trace[-1][2],
        "trace": trace,
    }


def run_pennylane_ionq(url: str, data, seed: int, epochs: int = 5) -> dict:
    """pennylane-ionq's ionq.qpu (aria-1) + parameter shift, 1,000 shots, Adam, same batches."""
    from pennylane_ionq.api_client import APIClient

    APIClient.BASE_URL = f"{url}/v0.4"
    device = qp.device("ionq.qpu", wires=8, backend="aria-1", api_key=KEY)
    config = TrainingConfig(seed=seed)
    model = QuantumModel.from_config(config)
    qnode = qp.set_shots(model.qnode(device, diff_method="parameter-shift"), shots=1000)
    evaluator = Evaluator(data)
    trace, jobs, circuits = [], 0, 0
    steps = adam_steps(
        device, qnode, data, model.quantum_layer.parameters, epochs=epochs, seed=seed
    )
    for weights, n, batches in steps:
        jobs, circuits = jobs + batches, circuits + n
        model.quantum_layer.parameters = weights
        trace.append((_rate_card(jobs, circuits), jobs, evaluator.accuracy(model)))
    result = {"cost": trace[-1][0], "jobs": jobs, "accuracy": trace[-1][2], "trace": trace}
    return result | {"shots": circuits * 1000}


def _rate_card(jobs: int, circuits: int) -> float:
    per_job = [circuits // jobs + (i < circuits % jobs) for i in range(jobs)]
    return sum(
        estimate_cost(backend="qpu.aria-1", shots=1000, gate_counts=[GATES] * n)
        for n in per_job
        if n
    )


def reached(trace: list, accuracy: float) -> tuple[float, int] | None:
    """(cost, jobs) at the first step whose test accuracy is at least ``accuracy``."""
    return next(((c, j) for c, j, a in trace if a >= accuracy - 1e-12), None)


def at_cost(trace: list, cost: float) -> float:
    """Test accuracy of the last step within ``cost`` (the first step's when none is)."""
    within = [a for c, _, a in trace if c <= cost + 1e-9]
    return within[-1] if within else trace[0][2]


def paired(values: list[float]) -> str:
    """Mean and 95 % interval of paired differences."""
    n = len(values)
    mean = statistics.mean(values)
    if n < 2:
        return f"{mean:+.3f}"
    half = stats.t.ppf(0.975, n - 1) * statistics.stdev(values) / math.sqrt(n)
    return f"{mean:+.3f} [{mean - half:+.3f}, {mean + half:+.3f}]"


def qpu_part(seeds: list[int], with_pennylane_ionq: bool) -> dict:
    runs = {}
    with running(api_keys=[KEY]) as url:
        for seed in seeds:
            data = load_reference_data(n_train=100, seed=seed, n_validation=50)
            runs[seed] = {
                "fixed": run_trainer(url, "qpu.aria-1", data, seed, 1000),
                "adaptive": run_trainer(url, "qpu.aria-1", data, seed, "adaptive"),
                "rosalin": run_rosalin(url, data, seed),
            }
            if with_pennylane_ionq:
                runs[seed]["pennylane-ionq"] = run_pennylane_ionq(url, data, seed)
            print(f"qpu seed {seed}: " + _brief(runs[seed]), file=sys.stderr, flush=True)
    return runs


def cloud_part(seeds: list[int]) -> dict:
    runs = {}
    with running(profile="cloud-simulator", api_keys=[KEY]) as url:
        for seed in seeds:
            data = load_reference_data(n_train=100, seed=seed, n_validation=50)
            runs[seed] = {
                "fixed": run_trainer(url, "simulator", data, seed, 1000),
                "adaptive": run_trainer(url, "simulator", data, seed, "adaptive"),
            }
            print(f"cloud seed {seed}: " + _brief(runs[seed]), file=sys.stderr, flush=True)
    return runs


def _brief(runs: dict) -> str:
    return "; ".join(
        f"{name} ${r['cost']:,.0f} {r['jobs']} jobs acc {r['accuracy']:.3f}"
        for name, r in runs.items()
    )


def _names(runs: dict) -> list[str]:
    return list(dict.fromkeys(name for seed in sorted(runs) for name in runs[seed]))


def report_qpu(runs: dict) -> list[str]:
    lines = [f"qpu.aria-1 (emulated, noisy), {len(runs)} seeds, paired per seed", ""]
    lines.append("| run | seeds | mean cost $ | fixed's cost / this | jobs | shots run | test acc "
                 "| Δ acc vs fixed, 95 % CI |")  # fmt: skip
    lines.append("|---|---:|---:|---:|---:|---:|---:|---:|")
    for name in _names(runs):
        seeds = [s for s in sorted(runs) if name in runs[s]]
        fixed_cost = statistics.mean(runs[s]["fixed"]["cost"] for s in seeds)
        rows = [runs[s][name] for s in seeds]
        cost = statistics.mean(r["cost"] for r in rows)
        shots = statistics.mean(r.get("shots", 0) for r in rows)
        delta = [runs[s][name]["accuracy"] - runs[s]["fixed"]["accuracy"] for s in seeds]
        lines.append(
            f"| {name} | {len(seeds)} | {cost:,.0f} | {fixed_cost / cost:.2f}x | "
            f"{statistics.mean(r['jobs'] for r in rows):.0f} | {shots:,.0f} | "
            f"{statistics.mean(r['accuracy'] for r in rows):.3f} | {paired(delta)} |"
        )
    seeds = sorted(runs)
    if "rosalin" in runs[seeds[0]]:
        reported = statistics.mean(runs[s]["rosalin"]["reported_shots"] for s in seeds)
        lines.append(f"\nrosalin reports {reported:,.0f} shots a run; the device ran the above.")
    lines += ["", "To reach the fixed run's final test accuracy (first step at or above it):", ""]
    for name in _names(runs):
        seeds = [s for s in sorted(runs) if name in runs[s]]
        got = [reached(runs[s][name]["trace"], runs[s]["fixed"]["accuracy"]) for s in seeds]
        costs = [g[0] for g in got if g is not None]
        lines.append(
            f"- {name}: reached in {len(costs)}/{len(seeds)} seeds, median cost "
            f"${statistics.median(costs):,.0f}"
            if costs
            else f"- {name}: never reached"
        )
    seeds = sorted(runs)
    equal = [
        runs[s]["adaptive"]["accuracy"]
        - at_cost(runs[s]["fixed"]["trace"], runs[s]["adaptive"]["cost"])
        for s in seeds
    ]
    lines.append(
        f"\nAt equal cost (fixed's accuracy when it had spent what adaptive spent in all): "
        f"adaptive - fixed = {paired(equal)}"
    )
    return lines


def report_cloud(runs: dict) -> list[str]:
    seeds = sorted(runs)
    lines = [f"cloud-simulator profile (free), {len(seeds)} seeds, paired per seed", ""]
    fixed_jobs = statistics.mean(runs[s]["fixed"]["jobs"] for s in seeds)
    for name in ("fixed", "adaptive"):
        rows = [runs[s][name] for s in seeds]
        delta = [runs[s][name]["accuracy"] - runs[s]["fixed"]["accuracy"] for s in seeds]
        got = [reached(runs[s][name]["trace"], runs[s]["fixed"]["accuracy"]) for s in seeds]
        jobs = [g[1] for g in got if g is not None]
        lines.append(
            f"- {name}: {statistics.mean(r['jobs'] for r in rows):.0f} jobs "
            f"({fixed_jobs / statistics.mean(r['jobs'] for r in rows):.2f}x fewer than fixed), "
            f"test acc {statistics.mean(r['accuracy'] for r in rows):.3f} (Δ {paired(delta)}); "
            f"reached fixed's final accuracy in {len(jobs)}/{len(seeds)} seeds, median "
            f"{statistics.median(jobs) if jobs else '-'} jobs"
        )
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=10)
    parser.add_argument("--first-seed", type=int, default=0)
    parser.add_argument("--parts", nargs="+", choices=["qpu", "cloud"], default=["qpu", "cloud"])
    parser.add_argument("--pennylane-ionq", action="store_true")
    parser.add_argument("--json", type=Path, default=None)
    parser.add_argument(
        "--report",
        type=Path,
        nargs="+",
        default=None,
        help="merge --json files (per seed and run: a later file's runs replace an earlier's)",
    )
    args = parser.parse_args()
    if args.report:
        merged: dict = {}
        for path in args.report:
            for part, runs in json.loads(path.read_text(encoding="utf-8")).items():
                for seed, named in runs.items():  # a later file replaces the runs it holds
                    merged.setdefault(part, {}).setdefault(int(seed), {}).update(named)
        if "qpu" in merged:
            print("\n".join(report_qpu(merged["qpu"])))
        if "cloud" in merged:
            print("\n" + "\n".join(report_cloud(merged["cloud"])))
        return
    seeds = list(range(args.first_seed, args.first_seed + args.seeds))
    warnings.simplefilter("ignore")  # PennyLane's and the emulator's notices, not results
    results = {}
    if "qpu" in args.parts:
        results["qpu"] = qpu_part(seeds, args.pennylane_ionq)
        print("\n".join(report_qpu(results["qpu"])))
    if "cloud" in args.parts:
        results["cloud"] = cloud_part(seeds)
        print("\n" + "\n".join(report_cloud(results["cloud"])))
    if args.json is not None:
        args.json.write_text(json.dumps(results, indent=1), encoding="utf-8")


if __name__ == "__main__":
    main()
