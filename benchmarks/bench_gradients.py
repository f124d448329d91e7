"""Compare gradient methods on the reference workload (docs/benchmarks.md, "Gradients").

Workload: 100 training samples of scikit-learn's breast-cancer dataset, standardised and
reduced to 8 features by PCA, angle-encoded on 8 qubits; a depth-2 hardware-efficient ansatz
(RY, RZ per qubit per layer, CNOT ring: 32 parameters); output the mean of <Z> over the
qubits, square loss against labels +-1; 5 epochs of mini-batches of 10 (one broadcast tape
per batch), Adam (lr 0.05, the same for every method); accuracy on 100 test samples.
Circuits are counted with ``qp.Tracker`` (one per sample: a broadcast tape of 10 samples
counts 10), forward passes included.

Accuracy is also measured on the samples outside both splits ("held out"), which is where
variants of the adaptive rule were compared before the test split was looked at.

Run:  python benchmarks/bench_gradients.py [--seeds 5] [--epochs 5]   (analytic, default.qubit)
      [--methods SUBSTRING ...]  only the rows whose name contains one of the substrings
      [--cache FILE.json]        reuse/record the per-seed results of the slow
                                 parameter-shift baseline (same seed, epochs and learning
                                 rate); the other rows always run
      [--jobs N]                 run N seeds at a time in separate processes
      [--no-richardson]          skip the Richardson table
Needs scikit-learn.
"""

from __future__ import annotations

import argparse
import json
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np
import pennylane as qp
from pennylane import numpy as pnp
from sklearn.datasets import load_breast_cancer
from sklearn.decomposition import PCA
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler

from pennylane_qnative.gradients import (
    SPSA,
    AdaptiveGradient,
    NaturalGradient,
    rademacher_sampler,
)

N_QUBITS, DEPTH, BATCH = 8, 2, 10


def load_data(seed: int):
    """Training, test and held-out (the 369 other samples) features and +-1 labels."""
    x, y = load_breast_cancer(return_X_y=True)
    index = np.arange(len(y))
    train, test = train_test_split(
        index, train_size=100, test_size=100, stratify=y, random_state=seed
    )
    held_out = np.setdiff1d(index, np.concatenate([train, test]))
    scaler = StandardScaler().fit(x[train])
    pca = PCA(n_components=N_QUBITS, random_state=seed).fit(scaler.transform(x[train]))

    def prepare(rows):
        z = pca.transform(scaler.transform(x[rows]))
        return np.pi / 2 * np.tanh(z / 2), 2.0 * y[rows] - 1  # angles in (-pi/2, pi/2)

    return prepare(train), prepare(test), prepare(held_out)


def ansatz(weights, features, ring=True):
    """Angle encoding, then DEPTH layers of RY, RZ on every qubit and a CNOT ring."""
    for w in range(N_QUBITS):
        qp.RY(features[:, w], w)
    w = qp.math.reshape(weights, (DEPTH, N_QUBITS, 2))
    for layer in range(DEPTH):
        for q in range(N_QUBITS):
            qp.RY(w[layer, q, 0], q)
            qp.RZ(w[layer, q, 1], q)
        for q in range(N_QUBITS if ring else N_QUBITS - 1):
            qp.CNOT([q, (q + 1) % N_QUBITS])


READOUT = "mean"


def model(weights, features):
    """The classifier's score in [-1, 1]."""
    if READOUT == "mean":  # average magnetisation
        ansatz(weights, features)
        return qp.expval(qp.sum(*[qp.Z(q) for q in range(N_QUBITS)]) / N_QUBITS)
    ansatz(weights, features, ring=READOUT != "chain-z0")
    return qp.expval(qp.Z(0))


# the specification's rule taken literally (AdaptiveGradient's defaults before issue #3):
# plateau test on two single mini-batch losses, one independent random SPSA direction,
# block-diagonal metric on a one-direction SPSA base Jacobian, no norm matching
SPEC_RULE = {
    "plateau_test": "endpoints",
    "match_norms": False,
    "spsa": {"num_directions": 1, "sampler": rademacher_sampler},
    "natural": {
        "metric": "block-diag",
        "lam": 0.01,
        "rescale": False,
        "gradient_kwargs": {"num_directions": 1},
    },
}


def methods(seed: int):
    """name -> (diff_method, gradient_kwargs, object to observe losses or None)."""
    adaptive = AdaptiveGradient(seed=seed)
    spec = AdaptiveGradient(seed=seed, **SPEC_RULE)
    spec_qnspsa = AdaptiveGradient(
        seed=seed, **{**SPEC_RULE, "natural": {**SPEC_RULE["natural"], "metric": "qnspsa"}}
    )
    exact_often = AdaptiveGradient(seed=seed, **{**SPEC_RULE, "threshold": -np.inf}, exact_every=5)
    return {
        "parameter-shift": ("parameter-shift", {}, None),
        "PL spsa_grad (h=0.1, Generator)": (
            "spsa",
            {"h": 0.1, "sampler_rng": np.random.default_rng(seed)},
            None,
        ),
        # an int sampler_rng re-seeds every call: the same direction at every step
        "PL spsa_grad (h=0.1, int seed)": ("spsa", {"h": 0.1, "sampler_rng": seed}, None),
        "qnative SPSA (c=0.1)": (SPSA(schedule="spall", c=0.1, seed=seed), {}, None),
        "qnative natural_grad (block-diag)": (NaturalGradient(metric="block-diag"), {}, None),
        "qnative AdaptiveGradient (default)": (adaptive, {}, adaptive),
        "qnative AdaptiveGradient (spec rule, literal)": (spec, {}, spec),
        "qnative AdaptiveGradient (spec rule, literal, qnspsa metric)": (
            spec_qnspsa,
            {},
            spec_qnspsa,
        ),
        "qnative AdaptiveGradient (spec rule, literal, exact_every=5, no natural)": (
            exact_often,
            {},
            exact_often,
        ),
    }


def train(diff_method, gradient_kwargs, observer, data, *, epochs: int, seed: int, lr: float):
    (x_train, y_train), test, held_out = data
    dev = qp.device("default.qubit")
    circuit = qp.QNode(model, dev, diff_method=diff_method, gradient_kwargs=gradient_kwargs)
    rng = np.random.default_rng(seed)
    weights = pnp.array(rng.normal(0, 0.1, DEPTH * N_QUBITS * 2), requires_grad=True)
    opt = qp.AdamOptimizer(lr)

    def cost(w, xb, yb):
        return qp.math.mean((circuit(w, xb) - yb) ** 2)

    start = time.perf_counter()
    with qp.Tracker(dev) as tracker:
        for _ in range(epochs):
            order = rng.permutation(len(x_train))
            for i in range(0, len(order), BATCH):
                idx = order[i : i + BATCH]
                xb = pnp.array(x_train[idx], requires_grad=False)
                yb = pnp.array(y_train[idx], requires_grad=False)
                (weights, _, _), loss = opt.step_and_cost(cost, weights, xb, yb)
                if observer is not None:
                    observer.observe(loss)
    seconds = time.perf_counter() - start
    circuits = tracker.totals.get("executions", 0)
    predict = qp.QNode(model, dev)
    test_acc, held_out_acc = (
        float(np.mean(np.sign(predict(weights, x)) == y)) for x, y in (test, held_out)
    )
    return circuits, test_acc, held_out_acc, seconds


def richardson_comparison() -> None:
    """Error per circuit of richardson_grad against PennyLane's finite_diff (12 parameters)."""
    from pennylane_qnative.gradients import richardson_grad

    dev = qp.device("default.qubit")
    w = pnp.array(np.random.default_rng(0).uniform(0, np.pi, 12), requires_grad=True)

    def tape_for(shots):
        with qp.queuing.AnnotatedQueue() as q:
            for layer in qp.math.reshape(w, (2, 3, 2)):
                for i in range(3):
                    qp.RY(layer[i, 0], i)
                    qp.RZ(layer[i, 1], i)
                for i in range(3):
                    qp.CNOT([i, (i + 1) % 3])
        return qp.tape.QuantumScript(q.queue, [qp.expval(qp.Z(0) @ qp.Z(1))], shots=shots)

    exact_tapes, exact_fn = qp.gradients.param_shift(tape_for(None))
    exact = np.array(exact_fn(qp.execute(exact_tapes, dev)))
    candidates = {
        "PL finite_diff (forward, h=1e-7)": (qp.gradients.finite_diff, {}),
        "PL finite_diff (center, h=1e-7)": (
            qp.gradients.finite_diff,
            {"approx_order": 2, "strategy": "center"},
        ),
        "richardson_grad levels=1, h=auto": (richardson_grad, {"levels": 1}),
        "richardson_grad levels=2, h=auto": (richardson_grad, {"levels": 2}),
        "richardson_grad levels=3, h=auto": (richardson_grad, {"levels": 3}),
    }
    print("| method | shots | circuits | max abs error |")
    print("|---|---:|---:|---:|")
    for shots in (None, 10_000):
        for name, (fn, options) in candidates.items():
            errors = []
            for seed in range(5 if shots else 1):
                tapes, post = fn(tape_for(shots), **options)
                res = qp.execute(tapes, qp.device("default.qubit", seed=seed), diff_method=None)
                errors.append(np.max(np.abs(np.array(post(res)) - exact)))
            print(f"| {name} | {shots or 'analytic'} | {len(tapes)} | {np.mean(errors):.1e} |")


CACHED = ("parameter-shift",)  # stateless and slow: the only rows --cache may reuse


def _load_cache(path: Path | None) -> dict:
    if path is None or not path.exists():
        return {}
    return json.loads(path.read_text())


def run_seed(seed: int, names: list[str], epochs: int, lr: float):
    """[(name, (circuits, test accuracy, held-out accuracy, seconds), method history)]."""
    data = load_data(seed)
    out = []
    for name, (method, kwargs, observer) in methods(seed).items():
        if name in names:
            result = train(method, kwargs, observer, data, epochs=epochs, seed=seed, lr=lr)
            out.append((name, result, observer.method_history if observer else None))
    return out


def _paired(runs, reference, column: int) -> str:
    """Mean ± standard error of the per-seed difference, and seeds won/tied/lost."""
    diff = np.array([r[column] for r in runs]) - np.array([r[column] for r in reference])
    se = diff.std(ddof=1) / np.sqrt(len(diff)) if len(diff) > 1 else float("nan")
    won, lost = int(np.sum(diff > 1e-9)), int(np.sum(diff < -1e-9))
    return f"{diff.mean():+.3f} ± {se:.3f} | {won}/{len(diff) - won - lost}/{lost}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--lr", type=float, default=0.05)
    parser.add_argument("--methods", nargs="*", default=None, help="name substrings to run")
    parser.add_argument(
        "--cache", type=Path, default=None, help="JSON file of parameter-shift results"
    )
    parser.add_argument("--jobs", type=int, default=1, help="seeds run at a time")
    parser.add_argument("--no-richardson", action="store_true")
    args = parser.parse_args()
    if not args.no_richardson:
        richardson_comparison()

    names = [n for n in methods(0) if not args.methods or any(m in n for m in args.methods)]
    cache = _load_cache(args.cache)

    def key(name, seed):
        return f"{name}|seed={seed}|epochs={args.epochs}|lr={args.lr}|held-out"

    results: dict[tuple[str, int], tuple] = {}
    todo: dict[int, list[str]] = {}
    for seed in range(args.seeds):
        for name in names:
            if name in CACHED and key(name, seed) in cache:
                results[name, seed] = tuple(cache[key(name, seed)])
            else:
                todo.setdefault(seed, []).append(name)
    history = []
    with ProcessPoolExecutor(args.jobs) as pool:
        futures = {
            seed: pool.submit(run_seed, seed, n, args.epochs, args.lr) for seed, n in todo.items()
        }
        for seed, future in futures.items():
            for name, result, h in future.result():
                results[name, seed] = result
                if h is not None:
                    history.append((name, seed, h))
                if name in CACHED and args.cache is not None:
                    cache[key(name, seed)] = list(result)
                    args.cache.write_text(json.dumps(cache, indent=1))

    rows = {name: [results[name, seed] for seed in range(args.seeds)] for name in names}
    baseline = rows.get("parameter-shift")
    print(f"seeds 0-{args.seeds - 1}, {args.epochs} epochs, Adam lr {args.lr}")
    print("| method | circuits | fewer than PS | test accuracy | held-out accuracy | s/run |")
    print("|---|---:|---:|---:|---:|---:|")
    for name, runs in rows.items():
        circuits, test, held_out, secs = (np.array(col) for col in zip(*runs, strict=True))
        ratio = f"{np.mean([r[0] for r in baseline]) / circuits.mean():.1f}x" if baseline else "-"
        print(
            f"| {name} | {circuits.mean():.0f} | {ratio} | {test.mean():.3f} ± {test.std():.3f} | "
            f"{held_out.mean():.3f} ± {held_out.std():.3f} | {secs.mean():.1f} |"
        )
    if baseline:
        print("\npaired difference to parameter shift, per seed (mean ± standard error):")
        print("| method | test | won/tied/lost | held out | won/tied/lost |")
        print("|---|---:|---:|---:|---:|")
        for name, runs in rows.items():
            if name != "parameter-shift":
                print(f"| {name} | {_paired(runs, baseline, 1)} | {_paired(runs, baseline, 2)} |")
    print("\nevaluations per method and run (mean, min-max over seeds):")
    for name in names:
        runs = [h for n, _, h in history if n == name]
        for method in sorted({m for h in runs for m in h}):
            counts = [h.count(method) for h in runs]
            print(f"  {name}: {method} {np.mean(counts):.1f} ({min(counts)}-{max(counts)})")


if __name__ == "__main__":
    main()
