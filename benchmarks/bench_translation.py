"""What the compiled-structure cache saves when translating circuits for IonQ (not a test).

A reference circuit (8 qubits, angle embedding, depth-2 RY+RZ ansatz, CNOT chain: 54 gates)
is translated from scratch (``compile_circuit`` then ``bind``, what every circuit would cost
without the cache) and by binding new parameters into the cached template (what the device
does for every later circuit of the same structure), for both gate sets.

Usage: ``python benchmarks/bench_translation.py``
"""

from __future__ import annotations

import time

import numpy as np
import pennylane as qp

from pennylane_qnative.devices.ionq_translation import compile_circuit

N_QUBITS, REPEATS = 8, 2000


def reference_tape(seed: int) -> qp.tape.QuantumScript:
    rng = np.random.default_rng(seed)
    ops = [qp.RY(x, w) for w, x in enumerate(rng.uniform(0, np.pi, N_QUBITS))]
    for layer in rng.uniform(0, 2 * np.pi, (2, N_QUBITS, 2)):
        ops += [qp.RY(a, w) for w, (a, _) in enumerate(layer)]
        ops += [qp.RZ(b, w) for w, (_, b) in enumerate(layer)]
        ops += [qp.CNOT([w, w + 1]) for w in range(N_QUBITS - 1)]
    return qp.tape.QuantumScript(ops, [qp.expval(qp.Z(0))])


def per_call(fn, repeats: int = REPEATS) -> float:
    start = time.perf_counter()
    for _ in range(repeats):
        fn()
    return (time.perf_counter() - start) / repeats


def main() -> None:
    tapes = [reference_tape(seed) for seed in range(8)]
    wires = list(range(N_QUBITS))
    print(f"{'gate set':10s} {'from scratch':>14s} {'bind only':>12s} {'saving':>8s} {'gates':>6s}")
    for gateset, entangler in (("qis", "ms"), ("native", "ms"), ("native", "zz")):
        template = compile_circuit(tapes[0], gateset=gateset, wire_order=wires, entangler=entangler)

        def scratch(t=tapes[1], gs=gateset, ent=entangler):
            compile_circuit(t, gateset=gs, wire_order=wires, entangler=ent).bind(t.data)

        def bind(t=tapes[1], template=template):
            template.bind(t.data)

        full, only = per_call(scratch), per_call(bind)
        gates = len(template.bind(tapes[1].data))
        label = f"{gateset}/{entangler}" if gateset == "native" else gateset
        print(
            f"{label:10s} {full * 1e6:11.1f} us {only * 1e6:9.1f} us {full / only:7.1f}x {gates:6d}"
        )


if __name__ == "__main__":
    main()
