"""Benchmark of ``qnative.simulator`` on the reference workload (not a test).

Reference workload: 8 qubits, angle embedding, depth-2 RY+RZ ansatz with a CNOT chain
(32 parameters), a batch of 10 samples broadcast through one QNode call, 50 gradient steps
with PennyLane's ``spsa_grad``. Reports, in one run:

1. wall time of the 50 steps on ``qnative.simulator``, ``default.qubit`` and ``lightning.qubit``;
2. per-circuit overhead of our batching + caching layer (time in ``execute`` outside the
   backend, divided by the circuits executed), inside the training runs of 1. and on
   synthetic batches, with simplification off (``fuse=False``: the layer the target is
   about) and on (the default: it adds to our time and takes more off the backend's);
3. cache lookup time with 10,000 entries, and key computation time;
4. peak memory of a 10,000-entry cache (tracemalloc);
5. what simplification (``fuse=True``: readout pruning, rotation fusion) takes off one
   30-wide broadcast of the circuit, reading ``Z(0)`` (a light cone of 3 qubits) or ``Z`` on
   every qubit (the whole circuit).

Usage: ``python benchmarks/bench_simulator.py [--steps 50] [--repeats 3]``
"""

from __future__ import annotations

import argparse
import gc
import platform
import time
import tracemalloc

import numpy as np
import pennylane as qp
from pennylane import numpy as pnp

from pennylane_qnative import QuantumCircuitCache
from pennylane_qnative.gradients import spsa_grad

N_QUBITS, DEPTH, BATCH = 8, 2, 10


def ansatz(weights, x):
    qp.AngleEmbedding(x, wires=range(N_QUBITS))
    for layer in weights:
        for wire in range(N_QUBITS):
            qp.RY(layer[wire, 0], wire)
            qp.RZ(layer[wire, 1], wire)
        for wire in range(N_QUBITS - 1):
            qp.CNOT([wire, wire + 1])


def make_loss(dev, diff_method="spsa", gradient_kwargs=None):
    kwargs = {"sampler_rng": 1234} if gradient_kwargs is None else gradient_kwargs

    @qp.qnode(dev, diff_method=diff_method, gradient_kwargs=kwargs)
    def model(weights, x):
        ansatz(weights, x)
        return qp.expval(qp.Z(0))

    def loss(weights, x, y):
        return pnp.mean((model(weights, x) - y) ** 2)

    return loss


def data(seed=0):
    rng = np.random.default_rng(seed)
    x = pnp.array(rng.uniform(0, np.pi, (BATCH, N_QUBITS)), requires_grad=False)
    y = pnp.array(rng.choice([-1.0, 1.0], BATCH), requires_grad=False)
    w0 = rng.uniform(0, 2 * np.pi, (DEPTH, N_QUBITS, 2))
    return x, y, w0


def train(dev, steps, **qnode_options):
    x, y, w0 = data()
    loss = make_loss(dev, **qnode_options)
    grad = qp.grad(loss, argnums=0)
    weights = pnp.array(w0, requires_grad=True)
    start = time.perf_counter()
    for _ in range(steps):
        weights = weights - 0.05 * grad(weights, x, y)
    return time.perf_counter() - start, float(loss(weights, x, y))


def overhead_in_training(steps, fuse, **qnode_options):
    """Per-circuit time in ``qnative.simulator.execute`` outside and inside its backend.

    Every circuit the device receives counts (a broadcast tape of 10 is 10 circuits).
    """
    from pennylane_qnative.devices.simulator import SimulatorDevice

    totals = {"ours": 0.0, "backend": 0.0, "circuits": 0}
    execute = SimulatorDevice.execute

    def timed(self, circuits, execution_config=None):
        start = time.perf_counter()
        try:
            return execute(self, circuits, execution_config)
        finally:
            totals["ours"] += time.perf_counter() - start
            totals["circuits"] += sum(c.batch_size or 1 for c in circuits)

    SimulatorDevice.execute = timed  # before the device exists: its gradient runner binds it
    try:
        dev = qp.device("qnative.simulator", wires=N_QUBITS, seed=1, fuse=fuse)
        inner = dev._backend.execute

        def backend(circuits, config=None):
            start = time.perf_counter()
            try:
                return inner(circuits, config)
            finally:
                totals["backend"] += time.perf_counter() - start

        dev._backend.execute = backend
        train(dev, steps, **qnode_options)
    finally:
        SimulatorDevice.execute = execute
    n = totals["circuits"]
    return (totals["ours"] - totals["backend"]) / n, totals["backend"] / n, n


def bench_training(steps, repeats):
    devices = {
        "qnative.simulator": lambda: qp.device("qnative.simulator", wires=N_QUBITS, seed=1),
        "default.qubit": lambda: qp.device("default.qubit", wires=N_QUBITS, seed=1),
        "lightning.qubit": lambda: qp.device("lightning.qubit", wires=N_QUBITS, seed=1),
    }
    device_spsa = {"diff_method": "device", "gradient_kwargs": {"method": "spsa-grad", "rng": 1}}
    runs = {name: (make, {}) for name, make in devices.items()}
    runs["qnative.simulator, SPSA in the device"] = (devices["qnative.simulator"], device_spsa)
    for make, options in runs.values():  # warm-up: imports and first-call compilation
        train(make(), 2, **options)
    rows = {}
    for name, (make, options) in runs.items():
        times, final = [], None
        for _ in range(repeats):
            seconds, final = train(make(), steps, **options)
            times.append(seconds)
        rows[name] = (min(times), final)
    overheads = {
        f"{name}, {label}": overhead_in_training(steps, fuse, **options)
        for name, options in (("PL spsa_grad", {}), ("SPSA in the device", device_spsa))
        for label, fuse in (("batch+cache", False), ("+ simplify", True))
    }
    base = rows["qnative.simulator"][0]
    print(f"\n1. {steps} SPSA gradient steps, reference workload (best of {repeats})")
    print(f"   {'device':38s} {'seconds':>8s} {'ms/step':>8s} {'vs qnative':>10s} {'loss':>8s}")
    for name, (seconds, final) in rows.items():
        print(
            f"   {name:38s} {seconds:8.3f} {seconds / steps * 1e3:8.2f} "
            f"{seconds / base:9.2f}x {final:8.4f}"
        )
    print(f"\n   per circuit during these {steps} steps: our layer, and the backend")
    for name, (ours, backend, circuits) in overheads.items():
        print(
            f"   {name:38s} {ours * 1e6:6.1f} us ours, {backend * 1e6:6.1f} us backend "
            f"({circuits:,} circuits)"
        )


def reference_tapes(n, seed=0):
    """n distinct, un-broadcast reference circuits (one structure)."""
    rng = np.random.default_rng(seed)
    tapes = []
    for _ in range(n):
        w = rng.uniform(0, 2 * np.pi, (DEPTH, N_QUBITS, 2))
        x = rng.uniform(0, np.pi, N_QUBITS)
        ops = qp.tape.make_qscript(ansatz)(w, x).operations
        tapes.append(qp.tape.QuantumScript(ops, [qp.expval(qp.Z(0))]))
    program = qp.device("qnative.simulator", wires=N_QUBITS).preprocess_transforms()
    return list(program(tapes)[0])


def layer_overhead(dev, tapes, *, collect=True):
    """Seconds per circuit spent in dev.execute outside the backend's execute.

    ``collect`` runs the garbage collector first, so that a collection triggered by earlier
    cases does not land in this one; for short repeated measurements it is off, because
    the freshly emptied heap makes the next few hundred microseconds of allocation slower
    (about +10 us/circuit on the reference step).
    """
    backend_time = 0.0
    inner = dev._backend.execute

    def timed(circuits, config=None):
        nonlocal backend_time
        start = time.perf_counter()
        try:
            return inner(circuits, config)
        finally:
            backend_time += time.perf_counter() - start

    dev._backend.execute = timed
    if collect:
        gc.collect()
    start = time.perf_counter()
    dev.execute(tapes)
    total = time.perf_counter() - start
    return (total - backend_time) / len(tapes), total / len(tapes)


def bench_overhead():
    print("\n2. Per-circuit overhead of batching + caching (outside the backend)")
    tapes = reference_tapes(1000)
    cases = {
        "1,000 distinct circuits, cold cache (key+merge+split+store)": dict(),
        "same 1,000 circuits, warm cache (key+lookup)": None,
        "1,000 distinct circuits, cache off (fingerprint+merge+split)": dict(cache=False),
    }
    dev = qp.device("qnative.simulator", wires=N_QUBITS, fuse=False)
    for label, options in cases.items():
        if options is not None:
            dev = qp.device("qnative.simulator", wires=N_QUBITS, fuse=False, **options)
        overhead, total = layer_overhead(dev, tapes)
        print(f"   {label:64s} {overhead * 1e6:7.1f} us/circuit (total {total * 1e6:7.1f})")
    x, _, w0 = (np.asarray(v) for v in data())  # NumPy, as a QNode hands circuits to devices
    tape = qp.tape.make_qscript(ansatz)(w0, x)
    tape = qp.tape.QuantumScript(tape.operations, [qp.expval(qp.Z(0))])
    [tape], _ = qp.device("qnative.simulator", wires=N_QUBITS).preprocess_transforms()([tape])
    tape.trainable_params = [i for i, p in enumerate(tape.data) if np.ndim(p) == 0]
    step = [tape, *spsa_grad(tape, rng=1)[0]]  # one reference SPSA step: 3 tapes x 10 inputs
    for fuse in (False, True):
        label = "reference SPSA step: 3 broadcast tapes = 30 circuits" + (
            ", + simplify" if fuse else ""
        )
        overheads = []
        for _ in range(200):
            dev = qp.device("qnative.simulator", wires=N_QUBITS, fuse=fuse)
            per_circuit, _ = layer_overhead(dev, step, collect=False)
            overheads.append(per_circuit * len(step) / 30)
        print(f"   {label:64s} {np.median(overheads) * 1e6:7.1f} us/circuit")
    direct = qp.device("default.qubit", wires=N_QUBITS)
    start = time.perf_counter()
    direct.execute(tapes)
    per = (time.perf_counter() - start) / len(tapes)
    label = "for scale: default.qubit executing them one by one"
    print(f"   {label:64s} {per * 1e6:7.1f} us/circuit")


def bench_cache(n=10_000):
    print(f"\n3./4. QuantumCircuitCache with {n:,} entries (expval results)")
    tapes = reference_tapes(n, seed=1)
    cache = QuantumCircuitCache(max_entries=n)
    start = time.perf_counter()
    keys = [cache.key(t) for t in tapes]
    key_us = (time.perf_counter() - start) / n * 1e6
    tracemalloc.start()
    for key in keys:
        cache.put(key, np.float64(0.5))
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    order = np.random.default_rng(2).permutation(n)
    start = time.perf_counter()
    for i in order:
        cache.get(keys[i])
    lookup_us = (time.perf_counter() - start) / n * 1e6
    print(f"   lookup (get, hit)           {lookup_us:7.2f} us   (target <= 10 us)")
    print(f"   key of a 63-gate circuit    {key_us:7.2f} us   (sha256 of the exact serialisation)")
    print(f"   peak memory while filling   {peak / 2**20:7.2f} MiB (target <= 30 MB)")
    probs = QuantumCircuitCache(max_entries=n)
    tracemalloc.start()
    for key in keys:
        probs.put(key, np.full(2**N_QUBITS, 1 / 2**N_QUBITS))
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    print(f"   same with 8-qubit probs     {peak / 2**20:7.2f} MiB ({n:,} x 256 float64 results)")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=50)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    print(f"pennylane {qp.__version__}, numpy {np.__version__}, python {platform.python_version()}")
    bench_training(args.steps, args.repeats)
    bench_overhead()
    bench_cache()
    bench_readout()


def _gates(op):
    return op.decomposition() if op.name == "AngleEmbedding" else [op]


def bench_readout(width=30, repeats=30):
    print(f"\n5. One {width}-wide broadcast of the circuit, by readout (median of {repeats})")
    rng = np.random.default_rng(0)
    x = rng.uniform(0, np.pi, (width, N_QUBITS))
    weights = rng.uniform(0, 2 * np.pi, (DEPTH, N_QUBITS, 2, width))
    with qp.queuing.AnnotatedQueue() as queue:
        ansatz(weights, x)
    readouts = {
        "Z(0)": [qp.expval(qp.Z(0))],
        "Z on every qubit": [qp.expval(qp.Z(w)) for w in range(N_QUBITS)],
    }
    ops = [o for op in queue.queue for o in _gates(op)]
    for name, readout in readouts.items():
        tape = qp.tape.QuantumScript(ops, readout)
        times = {}
        for fuse in (False, True):
            dev = qp.device("qnative.simulator", wires=N_QUBITS, fuse=fuse, cache=False)
            dev.execute([tape])
            samples = []
            for _ in range(repeats):
                start = time.perf_counter()
                dev.execute([tape])
                samples.append(time.perf_counter() - start)
            times[fuse] = 1e3 * float(np.median(samples))
        print(
            f"   {name:18s} fuse=False {times[False]:6.2f} ms   fuse=True {times[True]:6.2f} ms"
            f"   ({times[False] / times[True]:.2f}x)"
        )


if __name__ == "__main__":
    main()
