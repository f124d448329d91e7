"""Tests for pennylane_qnative.devices.ionq_ops: IonQ's native gates as PennyLane operations."""

from __future__ import annotations

import numpy as np
import pennylane as qp
import pytest

from pennylane_qnative.devices.ionq_ops import GPI, GPI2, MS, NativeZZ, from_ionq
from pennylane_qnative.devices.ionq_translation import compile_circuit
from pennylane_qnative.emulator.simulation import probabilities
from pennylane_qnative.exceptions import UnsupportedCircuitError

OPS = [
    pytest.param(GPI(0.13, 0), id="GPI"),
    pytest.param(GPI2(0.37, 0), id="GPI2"),
    pytest.param(MS(0.1, 0.7, 0.2, wires=[0, 1]), id="MS"),
    pytest.param(MS(0.4, 0.9, wires=[0, 1]), id="MS-full"),
    pytest.param(NativeZZ(0.3, wires=[0, 1]), id="NativeZZ"),
]


def emulated(gates: list[dict], n: int) -> np.ndarray:
    """Probabilities of an IonQ native circuit by the emulator's own simulation, in
    PennyLane's order (the emulator's is little-endian)."""
    little = probabilities(gates, n, "native")
    return np.array([little[int(f"{k:0{n}b}"[::-1], 2)] for k in range(2**n)])


class TestOperations:
    @pytest.mark.parametrize("op", OPS)
    def test_decomposition_is_the_matrix(self, op):
        """The decomposition (qis gates) equals the matrix exactly, and the matrix is unitary."""
        matrix = qp.matrix(op)
        decomposed = qp.matrix(qp.tape.QuantumScript(op.decomposition()), wire_order=op.wires)
        np.testing.assert_allclose(decomposed, matrix, atol=1e-12)
        np.testing.assert_allclose(matrix.conj().T @ matrix, np.eye(len(matrix)), atol=1e-12)

    @pytest.mark.parametrize("op", OPS)
    def test_the_emulator_agrees(self, op):
        """IonQ's definition (the emulator's simulation of the JSON gate) is the matrix."""
        prep = [qp.Hadamard(0), qp.RY(0.4, 1)]
        tape = qp.tape.QuantumScript([*prep, op], [qp.probs(wires=[0, 1])])
        entangler = "zz" if isinstance(op, NativeZZ) else "ms"
        gates = compile_circuit(tape, gateset="native", wire_order=[0, 1], entangler=entangler)
        expected = qp.device("default.qubit").execute(tape)
        np.testing.assert_allclose(emulated(gates.bind(tape.data), 2), expected, atol=1e-10)

    def test_broadcast_matrix(self):
        """Broadcast phases give one matrix per element."""
        phases = np.array([0.1, 0.2])
        assert qp.matrix(GPI2(phases, 0)).shape == (2, 2, 2)
        assert qp.matrix(MS(phases, 0.3, 0.1, wires=[0, 1])).shape == (2, 4, 4)


class TestFromIonQ:
    @pytest.mark.parametrize(
        ("gate", "op"),
        [
            pytest.param({"gate": "gpi", "target": 1, "phase": 0.2}, GPI(0.2, "b"), id="gpi"),
            pytest.param({"gate": "gpi2", "target": 0, "phase": 0.5}, GPI2(0.5, "a"), id="gpi2"),
            pytest.param(
                {"gate": "ms", "targets": [1, 0], "phases": [0.1, 0.2], "angle": 0.1},
                MS(0.1, 0.2, 0.1, wires=["b", "a"]),
                id="ms",
            ),
            pytest.param(
                {"gate": "zz", "targets": [0, 1], "angle": 0.3},
                NativeZZ(0.3, wires=["a", "b"]),
                id="zz",
            ),
        ],
    )
    def test_round_trip(self, gate, op):
        """A JSON gate becomes its operation on the wires, which translates back to it."""
        made = from_ionq(gate, ["a", "b"])
        qp.assert_equal(made, op)
        tape = qp.tape.QuantumScript([made])
        entangler = "zz" if gate["gate"] == "zz" else "ms"
        template = compile_circuit(
            tape, gateset="native", wire_order=["a", "b"], entangler=entangler
        )
        assert template.bind(tape.data) == [gate]

    def test_not_native(self):
        """A qis gate has no native operation: the error names it."""
        with pytest.raises(UnsupportedCircuitError, match="'cnot' is not a native gate"):
            from_ionq({"gate": "cnot", "control": 0, "target": 1}, [0, 1])


class TestOnTheDevice:
    """User-written native gates run on qnative.ionq in both gate sets (dry, no server)."""

    @pytest.mark.parametrize("gateset", ["qis", "native"])
    def test_lowered_for_the_gate_set(self, gateset):
        """native keeps MS and GPI2 as written; qis decomposes them into its gates."""
        dev = qp.device("qnative.ionq", wires=2, api_key="unused", gateset=gateset, dry_run=True)
        tape = qp.tape.QuantumScript(
            [GPI2(0.1, 0), MS(0.2, 0.3, wires=[0, 1])], [qp.probs(wires=[0, 1])]
        )
        (lowered,), _ = dev.preprocess_transforms()((tape,))
        names = {op.name for op in lowered.operations}
        assert names == ({"GPI2", "MS"} if gateset == "native" else {"RZ", "RX", "IsingXX"})
        if gateset == "native":
            assert lowered.operations == tape.operations

    def test_other_entangler_is_decomposed(self):
        """An MS on a zz (Forte-class) backend becomes zz pulses."""
        dev = qp.device(
            "qnative.ionq", wires=2, api_key="unused", gateset="native", target="qpu.forte-1",
            dry_run=True,
        )  # fmt: skip
        tape = qp.tape.QuantumScript(
            [MS(0.2, 0.3, wires=[0, 1])], [qp.probs(wires=[0, 1])], shots=100
        )
        (lowered,), _ = dev.preprocess_transforms()((tape,))
        assert {op.name for op in lowered.operations} == {"GPI2", "NativeZZ"}
