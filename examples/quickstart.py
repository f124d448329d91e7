"""Quickstart: a QNode on ``qnative.simulator``, showing batching and the result cache.

Run with ``python examples/quickstart.py``. Everything runs offline.

A 4-qubit variational circuit is differentiated with parameter shift (16 parameters, so 32
shifted circuits per gradient). ``qnative.simulator`` merges those circuits, which share one
structure, into a single broadcast simulation, and its exact result cache answers repeated
evaluations without simulating again.
"""

from __future__ import annotations

import time

import pennylane as qp
from pennylane import numpy as pnp

N_WIRES, N_LAYERS = 4, 2


def make_circuit(dev: qp.devices.Device) -> qp.QNode:
    @qp.qnode(dev, diff_method="parameter-shift")
    def circuit(weights, x):
        qp.AngleEmbedding(x, wires=range(N_WIRES))
        for layer in weights:
            for wire, (theta, phi) in enumerate(layer):
                qp.RY(theta, wire)
                qp.RZ(phi, wire)
            for wire in range(N_WIRES - 1):
                qp.CNOT([wire, wire + 1])
        return qp.expval(qp.Z(0))

    return circuit


def run(dev: qp.devices.Device, weights, x) -> tuple[float, dict, float]:
    """Five gradient evaluations at the same point: counts (tracked) and time (untracked)."""
    circuit = make_circuit(dev)
    gradient = qp.grad(circuit, argnums=0)
    with qp.Tracker(dev) as tracker:
        for _ in range(5):
            grad = gradient(weights, x)
    start = time.perf_counter()
    for step in range(1, 6):  # new points: the timing is not helped by the cache
        gradient(weights + 1e-3 * step, x)
    return grad, tracker.totals, (time.perf_counter() - start) / 5


def main() -> None:
    rng = pnp.random.default_rng(0)
    weights = pnp.array(rng.uniform(0, 3.14, (N_LAYERS, N_WIRES, 2)), requires_grad=True)
    x = pnp.array([0.1, 0.2, 0.3, 0.4], requires_grad=False)

    ours = qp.device("qnative.simulator", wires=N_WIRES)
    grad, totals, seconds = run(ours, weights, x)
    ref_grad, ref_totals, ref_seconds = run(qp.device("default.qubit", wires=N_WIRES), weights, x)

    if not pnp.allclose(grad, ref_grad, atol=1e-10):
        raise SystemExit("qnative.simulator disagrees with default.qubit")
    stats = ours.cache_stats()
    print(f"5 parameter-shift gradients of a {weights.size}-parameter circuit")
    print(
        f"  circuits requested      : {totals['executions']} (default.qubit ran all"
        f" {ref_totals['executions']})"
    )
    print(f"  merged into broadcasts  : {totals.get('merged_circuits', 0)}")
    print(f"  backend simulations     : {totals.get('backend_executions', 0)}")
    hits, misses = totals["cache_hits"], totals["cache_misses"]
    print(f"  cache hits / misses     : {hits} / {misses} ({hits / (hits + misses):.0%} hits)")
    print(f"  cache after the run     : {stats['entries']} entries, {stats['bytes']} bytes")
    print(f"  time per gradient, qnative.simulator : {seconds * 1e3:6.1f} ms")
    print(f"  time per gradient, default.qubit     : {ref_seconds * 1e3:6.1f} ms")
    print(f"  gradients agree with default.qubit to 1e-10 (|grad| = {pnp.linalg.norm(grad):.4f})")


if __name__ == "__main__":
    main()
