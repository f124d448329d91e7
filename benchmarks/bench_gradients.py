"""Compare gradient methods on the reference workload (docs/benchmarks.md, "Gradients").

Workload: 100 training samples of scikit-learn's breast-cancer dataset, standardised and
reduced to 8 features by PCA, angle-encoded on 8 qubits; a depth-2 hardware-efficient ansatz
(RY, RZ per qubit per layer, CNOT ring: 32 parameters); output <Z0>, square loss against
labels +-1; 5 epochs of mini-batches of 10 (one broadcast tape per batch), Adam (lr 0.05,
the same for every method);
accuracy on 100 held-out samples. Circuits are counted with ``qp.Tracker`` (one per sample:
a broadcast tape of 10 samples counts 10), forward passes included.

Run:  python benchmarks/bench_gradients.py [--seeds 5] [--epochs 5]   (analytic, default.qubit)
      [--methods SUBSTRING ...]  only the rows whose name contains one of the substrings
      [--cache FILE.json]        reuse/record the per-seed results of the slow
                                 parameter-shift baseline (same seed, epochs and learning
                                 rate); the other rows always run
      [--no-richardson]          skip the Richardson table
Needs scikit-learn.
"""

from __future__ import annotations

import argparse
import json
import time
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
    x, y = load_breast_cancer(return_X_y=True)
    x_train, x_test, y_train, y_test = train_test_split(
        x, y, train_size=100, test_size=100, stratify=y, random_state=seed
    )
    scaler = StandardScaler().fit(x_train)
    pca = PCA(n_components=N_QUBITS, random_state=seed).fit(scaler.transform(x_train))

    def prepare(v):
        z = pca.transform(scaler.transform(v))
        return np.pi / 2 * np.tanh(z / 2)  # angles in (-pi/2, pi/2)

    return prepare(x_train), 2.0 * y_train - 1, prepare(x_test), 2.0 * y_test - 1


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
        "qnative SPSA (c=0.1)": (SPSA(c=0.1, seed=seed), {}, None),
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
    x_train, y_train, x_test, y_test = data
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
    predictions = np.sign(qp.QNode(model, dev)(weights, x_test))
    accuracy = float(np.mean(predictions == y_test))
    return circuits, accuracy, seconds


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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--lr", type=float, default=0.05)
    parser.add_argument("--methods", nargs="*", default=None, help="name substrings to run")
    parser.add_argument(
        "--cache", type=Path, default=None, help="JSON file of parameter-shift results"
    )
    parser.add_argument("--no-richardson", action="store_true")
    args = parser.parse_args()
    if not args.no_richardson:
        richardson_comparison()

    cache = _load_cache(args.cache)
    rows: dict[str, list[tuple[int, float, float]]] = {}
    history = []
    for seed in range(args.seeds):
        data = load_data(seed)
        for name, (method, kwargs, observer) in methods(seed).items():
            if args.methods and not any(m in name for m in args.methods):
                continue
            key = f"{name}|seed={seed}|epochs={args.epochs}|lr={args.lr}"
            cached = name in CACHED and key in cache
            if cached:
                result = tuple(cache[key])
            else:
                result = train(
                    method, kwargs, observer, data, epochs=args.epochs, seed=seed, lr=args.lr
                )
            rows.setdefault(name, []).append(result)
            if name in CACHED and not cached and args.cache is not None:
                cache[key] = list(result)
                args.cache.write_text(json.dumps(cache, indent=1))
            if cached:
                continue
            if observer is not None:
                history.append((name, seed, observer.method_history))

    baseline = (
        np.mean([c for c, _, _ in rows["parameter-shift"]]) if "parameter-shift" in rows else None
    )
    print(f"seeds 0-{args.seeds - 1}, {args.epochs} epochs, Adam lr {args.lr}")
    print("| method | circuits | fewer than PS | test accuracy (mean ± std) | s/run |")
    print("|---|---:|---:|---:|---:|")
    for name, runs in rows.items():
        circuits = np.mean([c for c, _, _ in runs])
        acc = np.array([a for _, a, _ in runs])
        secs = np.mean([s for _, _, s in runs])
        ratio = f"{baseline / circuits:.1f}x" if baseline else "-"
        print(
            f"| {name} | {circuits:.0f} | {ratio} | "
            f"{acc.mean():.3f} ± {acc.std():.3f} | {secs:.1f} |"
        )
    if "parameter-shift" in rows:
        reference = np.array([a for _, a, _ in rows["parameter-shift"]])
        print("\npaired difference to parameter shift, per seed (mean ± standard error):")
        for name, runs in rows.items():
            if name == "parameter-shift" or len(runs) != len(reference):
                continue
            diff = np.array([a for _, a, _ in runs]) - reference
            se = diff.std(ddof=1) / np.sqrt(len(diff)) if len(diff) > 1 else float("nan")
            print(f"  {name}: {diff.mean():+.3f} ± {se:.3f}")
    for name, seed, h in history:
        print(name, f"seed {seed}", {m: h.count(m) for m in sorted(set(h))})


if __name__ == "__main__":
    main()
