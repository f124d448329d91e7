"""Tests for pennylane_qnative.devices.ionq_translation.

Compiled circuits are checked with the emulator's own state-vector simulator
(``pennylane_qnative.emulator.simulation``), an implementation independent of the translation,
against PennyLane's ``default.qubit``.
"""

from __future__ import annotations

import math
import re
import tomllib

import numpy as np
import pennylane as qp
import pytest
from pennylane.devices.capabilities import DeviceCapabilities

from pennylane_qnative.devices.ionq_translation import (
    CAPABILITIES_FILE,
    NATIVE_TWO_QUBIT,
    NO_OPS,
    QIS_OPERATIONS,
    CircuitTemplate,
    compile_circuit,
    native_supports,
    qis_gate,
    qis_supports,
    translatable,
    zyz_angles,
)
from pennylane_qnative.emulator.simulation import probabilities
from pennylane_qnative.exceptions import UnsupportedCircuitError
from pennylane_qnative.execution.cache import QuantumCircuitCache, fingerprint
from pennylane_qnative.ionq.backends import NATIVE_ENTANGLERS, QIS_GATES

N_QUBITS = 3
ATOL = 1e-10


def pennylane_order(little_endian: np.ndarray, n_qubits: int) -> np.ndarray:
    """Little-endian probabilities (bit q = qubit q) in PennyLane order (wire 0 first)."""
    tensor = little_endian.reshape((2,) * n_qubits)
    return tensor.transpose(tuple(reversed(range(n_qubits)))).reshape(-1)


def reference_probs(ops: list, n_qubits: int) -> np.ndarray:
    """default.qubit probabilities of ``ops`` on wires 0..n-1."""
    tape = qp.tape.QuantumScript(ops, [qp.probs(wires=range(n_qubits))])
    return np.asarray(qp.execute([tape], qp.device("default.qubit"))[0])


def emulated_probs(ops: list, n_qubits: int, gateset: str, entangler: str = "ms") -> np.ndarray:
    """Compile, bind and simulate with the emulator; PennyLane order."""
    tape = qp.tape.QuantumScript(ops)
    template = compile_circuit(
        tape, gateset=gateset, wire_order=range(n_qubits), entangler=entangler
    )
    gates = template.bind(tape.data)
    return pennylane_order(probabilities(gates, n_qubits, gateset), n_qubits)


def equal_up_to_phase(a: np.ndarray, b: np.ndarray) -> bool:
    """Whether unitaries ``a`` and ``b`` differ by a global phase only."""
    overlap = abs(np.trace(a.conj().T @ b)) / a.shape[0]
    return math.isclose(overlap, 1.0, abs_tol=1e-10)


def zyz_matrix(alpha: float, beta: float, gamma: float) -> np.ndarray:
    """RZ(alpha) RY(beta) RZ(gamma) as a matrix."""
    return qp.matrix(qp.RZ(alpha, 0)) @ qp.matrix(qp.RY(beta, 0)) @ qp.matrix(qp.RZ(gamma, 0))


def random_unitary(rng: np.random.Generator) -> np.ndarray:
    """A Haar-random 2x2 unitary (QR of a complex Gaussian matrix)."""
    z = rng.normal(size=(2, 2)) + 1j * rng.normal(size=(2, 2))
    q, r = np.linalg.qr(z)
    return q * (np.diag(r) / abs(np.diag(r)))


ONE_QUBIT = [
    lambda r, w: qp.RX(r.uniform(-7, 7), w),
    lambda r, w: qp.RY(r.uniform(-7, 7), w),
    lambda r, w: qp.RZ(r.uniform(-7, 7), w),
    lambda r, w: qp.Rot(*r.uniform(-7, 7, 3), w),
    lambda r, w: qp.PhaseShift(r.uniform(-7, 7), w),
    lambda r, w: qp.U3(*r.uniform(-7, 7, 3), w),
    lambda r, w: qp.Hadamard(w),
    lambda r, w: qp.S(w),
    lambda r, w: qp.T(w),
    lambda r, w: qp.SX(w),
    lambda r, w: qp.PauliX(w),
    lambda r, w: qp.PauliY(w),
]
TWO_QUBIT = [
    lambda r, w: qp.CNOT(w),
    lambda r, w: qp.CZ(w),
    lambda r, w: qp.IsingXX(r.uniform(-7, 7), w),
    lambda r, w: qp.IsingZZ(r.uniform(-7, 7), w),
]
QIS_ONE = [
    lambda r, w: qp.RX(r.uniform(-7, 7), w),
    lambda r, w: qp.RY(r.uniform(-7, 7), w),
    lambda r, w: qp.RZ(r.uniform(-7, 7), w),
    lambda r, w: qp.Hadamard(w),
    lambda r, w: qp.S(w),
    lambda r, w: qp.adjoint(qp.S(w)),
    lambda r, w: qp.T(w),
    lambda r, w: qp.adjoint(qp.T(w)),
    lambda r, w: qp.SX(w),
    lambda r, w: qp.adjoint(qp.SX(w)),
    lambda r, w: qp.PauliX(w),
    lambda r, w: qp.PauliY(w),
    lambda r, w: qp.PauliZ(w),
]
QIS_TWO = [
    lambda r, w: qp.CNOT(w),
    lambda r, w: qp.SWAP(w),
    lambda r, w: qp.IsingXX(r.uniform(-7, 7), w),
    lambda r, w: qp.IsingYY(r.uniform(-7, 7), w),
    lambda r, w: qp.IsingZZ(r.uniform(-7, 7), w),
]


def random_ops(seed: int, one: list, two: list, n_gates: int = 14) -> list:
    """A seeded random circuit on N_QUBITS wires."""
    rng = np.random.default_rng(seed)
    ops = []
    for _ in range(n_gates):
        if rng.random() < 0.35:
            wires = [int(w) for w in rng.choice(N_QUBITS, size=2, replace=False)]
            ops.append(two[rng.integers(len(two))](rng, wires))
        else:
            ops.append(one[rng.integers(len(one))](rng, int(rng.integers(N_QUBITS))))
    return ops


class TestQisTable:
    """qis: each supported PennyLane gate becomes one IonQ gate."""

    @pytest.mark.parametrize(
        ("op", "gate"),
        [
            pytest.param(qp.PauliX(1), {"gate": "x", "target": 1}, id="PauliX"),
            pytest.param(qp.PauliY(0), {"gate": "y", "target": 0}, id="PauliY"),
            pytest.param(qp.PauliZ(2), {"gate": "z", "target": 2}, id="PauliZ"),
            pytest.param(qp.Hadamard(0), {"gate": "h", "target": 0}, id="Hadamard"),
            pytest.param(qp.S(1), {"gate": "s", "target": 1}, id="S"),
            pytest.param(qp.adjoint(qp.S(1)), {"gate": "si", "target": 1}, id="Adjoint(S)"),
            pytest.param(qp.T(2), {"gate": "t", "target": 2}, id="T"),
            pytest.param(qp.adjoint(qp.T(2)), {"gate": "ti", "target": 2}, id="Adjoint(T)"),
            pytest.param(qp.SX(0), {"gate": "v", "target": 0}, id="SX"),
            pytest.param(qp.adjoint(qp.SX(0)), {"gate": "vi", "target": 0}, id="Adjoint(SX)"),
            pytest.param(qp.CNOT([2, 0]), {"gate": "cnot", "control": 2, "target": 0}, id="CNOT"),
            pytest.param(qp.SWAP([0, 2]), {"gate": "swap", "targets": [0, 2]}, id="SWAP"),
            pytest.param(qp.RX(0.3, 1), {"gate": "rx", "rotation": 0.3, "target": 1}, id="RX"),
            pytest.param(qp.RY(-1.2, 0), {"gate": "ry", "rotation": -1.2, "target": 0}, id="RY"),
            pytest.param(qp.RZ(2.5, 2), {"gate": "rz", "rotation": 2.5, "target": 2}, id="RZ"),
            pytest.param(
                qp.IsingXX(0.7, [1, 2]),
                {"gate": "xx", "rotation": 0.7, "targets": [1, 2]},
                id="IsingXX",
            ),
            pytest.param(
                qp.IsingYY(0.8, [2, 0]),
                {"gate": "yy", "rotation": 0.8, "targets": [2, 0]},
                id="IsingYY",
            ),
            pytest.param(
                qp.IsingZZ(0.9, [0, 1]),
                {"gate": "zz", "rotation": 0.9, "targets": [0, 1]},
                id="IsingZZ",
            ),
        ],
    )
    def test_one_to_one(self, op, gate):
        """The gate translates to exactly one IonQ gate and simulates like PennyLane."""
        tape = qp.tape.QuantumScript([op])
        template = compile_circuit(tape, gateset="qis", wire_order=range(N_QUBITS))
        assert template.bind(tape.data) == [gate]
        prep = [qp.RY(0.4, 0), qp.RX(1.1, 1), qp.RY(2.0, 2), qp.CNOT([0, 2])]
        np.testing.assert_allclose(
            emulated_probs([*prep, op], N_QUBITS, "qis"),
            reference_probs([*prep, op], N_QUBITS),
            atol=ATOL,
        )

    @pytest.mark.parametrize(
        "op",
        [
            pytest.param(qp.GlobalPhase(0.3), id="GlobalPhase"),
            pytest.param(qp.Identity(0), id="Identity"),
            pytest.param(qp.Barrier([0, 1]), id="Barrier"),
        ],
    )
    def test_no_ops_compile_to_nothing(self, op):
        """Operations with no effect on probabilities produce no gate."""
        tape = qp.tape.QuantumScript([op, qp.RX(0.5, 1)])
        template = compile_circuit(tape, gateset="qis", wire_order=range(2))
        assert template.bind(tape.data) == [{"gate": "rx", "rotation": 0.5, "target": 1}]

    def test_wire_labels_follow_wire_order(self):
        """Qubit indices are positions in the device's wire order, not labels."""
        tape = qp.tape.QuantumScript([qp.CNOT(["b", "a"])])
        template = compile_circuit(tape, gateset="qis", wire_order=["a", "b"])
        assert template.bind(tape.data) == [{"gate": "cnot", "control": 1, "target": 0}]

    @pytest.mark.parametrize("seed", [pytest.param(s, id=f"seed{s}") for s in range(10)])
    def test_random_circuits(self, seed):
        """Random qis circuits give PennyLane's probabilities."""
        ops = random_ops(seed, QIS_ONE, QIS_TWO)
        np.testing.assert_allclose(
            emulated_probs(ops, N_QUBITS, "qis"), reference_probs(ops, N_QUBITS), atol=ATOL
        )


class TestNativeCompile:
    """native: gpi2 pulses with virtual Z, and ms or zz, equal PennyLane's probabilities."""

    @pytest.mark.parametrize(
        "entangler", [pytest.param("ms", id="ms"), pytest.param("zz", id="zz")]
    )
    @pytest.mark.parametrize("seed", [pytest.param(s, id=f"seed{s}") for s in range(15)])
    def test_random_circuits(self, seed, entangler):
        """Random circuits compiled natively simulate like default.qubit."""
        ops = random_ops(100 + seed, ONE_QUBIT, TWO_QUBIT)
        np.testing.assert_allclose(
            emulated_probs(ops, N_QUBITS, "native", entangler),
            reference_probs(ops, N_QUBITS),
            atol=ATOL,
        )

    @pytest.mark.parametrize(
        "entangler", [pytest.param("ms", id="ms"), pytest.param("zz", id="zz")]
    )
    @pytest.mark.parametrize(
        "op",
        [
            pytest.param(qp.CNOT([0, 1]), id="CNOT"),
            pytest.param(qp.CNOT([1, 0]), id="CNOT-reversed"),
            pytest.param(qp.CZ([0, 1]), id="CZ"),
            pytest.param(qp.IsingXX(-2.9, [0, 1]), id="IsingXX-negative"),
            pytest.param(qp.IsingXX(5.5, [0, 1]), id="IsingXX-large"),
            pytest.param(qp.IsingZZ(-0.4, [1, 0]), id="IsingZZ-negative"),
            pytest.param(qp.IsingZZ(4 * math.pi - 0.1, [0, 1]), id="IsingZZ-large"),
        ],
    )
    def test_two_qubit_gates(self, op, entangler):
        """Each two-qubit gate alone, after a generic state preparation."""
        prep = [qp.RY(0.4, 0), qp.RX(1.1, 1), qp.Rot(0.3, 0.9, -0.5, 0)]
        np.testing.assert_allclose(
            emulated_probs([*prep, op], 2, "native", entangler),
            reference_probs([*prep, op], 2),
            atol=ATOL,
        )

    @pytest.mark.parametrize(
        "entangler", [pytest.param("ms", id="ms"), pytest.param("zz", id="zz")]
    )
    @pytest.mark.parametrize("seed", [pytest.param(s, id=f"seed{s}") for s in range(10)])
    def test_gates_within_ranges(self, seed, entangler):
        """MS angles lie in [0, 0.25] turns; every phase lies in [0, 1); only native gates."""
        ops = random_ops(200 + seed, ONE_QUBIT, TWO_QUBIT, n_gates=30)
        tape = qp.tape.QuantumScript(ops)
        gates = compile_circuit(
            tape, gateset="native", wire_order=range(N_QUBITS), entangler=entangler
        ).bind(tape.data)
        assert {g["gate"] for g in gates} <= {"gpi2", entangler}
        for gate in gates:
            if gate["gate"] == "ms":
                assert 0.0 <= gate["angle"] <= 0.25
                assert all(0.0 <= p < 1.0 for p in gate["phases"])
            elif gate["gate"] == "gpi2":
                assert 0.0 <= gate["phase"] < 1.0

    def test_rz_is_virtual(self):
        """RZ alone costs no pulse: it only shifts later phases and vanishes at the end."""
        tape = qp.tape.QuantumScript([qp.RZ(0.7, 0), qp.RZ(-1.3, 1), qp.PhaseShift(0.2, 0)])
        gates = compile_circuit(tape, gateset="native", wire_order=range(2)).bind(tape.data)
        assert gates == []

    def test_ms_splits_at_quarter_turn(self):
        """IsingXX(pi) (half a turn) is two MS pulses of a quarter turn each."""
        tape = qp.tape.QuantumScript([qp.IsingXX(math.pi, [0, 1])])
        gates = compile_circuit(tape, gateset="native", wire_order=range(2)).bind(tape.data)
        assert [g["gate"] for g in gates] == ["ms", "ms"]
        assert [g["angle"] for g in gates] == pytest.approx([0.25, 0.25])


class TestZyzAngles:
    """zyz_angles reconstructs single-qubit unitaries up to a global phase."""

    @pytest.mark.parametrize("seed", [pytest.param(s, id=f"seed{s}") for s in range(20)])
    def test_random_unitaries(self, seed):
        """A Haar-random unitary times a random phase is RZ RY RZ of its angles."""
        rng = np.random.default_rng(seed)
        u = random_unitary(rng) * np.exp(1j * rng.uniform(0, 2 * np.pi))
        alpha, beta, gamma = zyz_angles(u)
        assert 0.0 <= beta <= math.pi
        assert equal_up_to_phase(zyz_matrix(alpha, beta, gamma), u)

    @pytest.mark.parametrize(
        "op",
        [
            pytest.param(qp.RY(-0.7, 0), id="RY-negative"),
            pytest.param(qp.RY(-3.0, 0), id="RY-near-minus-pi"),
            pytest.param(qp.RY(5.0, 0), id="RY-beyond-pi"),
            pytest.param(qp.RZ(0.3, 0), id="beta-0"),
            pytest.param(qp.Identity(0), id="identity"),
            pytest.param(qp.PauliZ(0), id="PauliZ"),
            pytest.param(qp.PauliX(0), id="beta-pi-X"),
            pytest.param(qp.PauliY(0), id="beta-pi-Y"),
            pytest.param(qp.RY(math.pi, 0), id="RY-pi"),
            pytest.param(qp.RX(-math.pi, 0), id="RX-minus-pi"),
            pytest.param(qp.Hadamard(0), id="Hadamard"),
            pytest.param(qp.Rot(1.0, -2.0, 0.5, 0), id="Rot"),
        ],
    )
    def test_edge_cases(self, op):
        """Negative RY, beta = 0 and beta = pi are reconstructed."""
        u = qp.matrix(op)
        alpha, beta, gamma = zyz_angles(u)
        assert equal_up_to_phase(zyz_matrix(alpha, beta, gamma), u)

    def test_beta_of_ry(self):
        """RY(-b) has beta = b (the sign moves into the RZ phases)."""
        assert zyz_angles(qp.matrix(qp.RY(-0.7, 0)))[1] == pytest.approx(0.7)


class TestUnsupported:
    """A gate the gate set cannot express raises UnsupportedCircuitError naming it."""

    @pytest.mark.parametrize(
        ("op", "gateset", "name"),
        [
            pytest.param(qp.Toffoli([0, 1, 2]), "qis", "Toffoli", id="qis-Toffoli"),
            pytest.param(qp.Rot(0.1, 0.2, 0.3, 0), "qis", "Rot", id="qis-Rot"),
            pytest.param(qp.CZ([0, 1]), "qis", "CZ", id="qis-CZ"),
            pytest.param(qp.Toffoli([0, 1, 2]), "native", "Toffoli", id="native-Toffoli"),
            pytest.param(qp.SWAP([0, 1]), "native", "SWAP", id="native-SWAP"),
            pytest.param(qp.CRX(0.3, [0, 1]), "native", "CRX", id="native-CRX"),
            pytest.param(
                qp.adjoint(qp.RX(0.3, 0)), "native", "Adjoint(RX)", id="native-Adjoint(RX)"
            ),
        ],
    )
    def test_error_names_gate(self, op, gateset, name):
        """compile_circuit refuses the gate, naming it and its wires."""
        tape = qp.tape.QuantumScript([qp.Hadamard(0), op])
        with pytest.raises(UnsupportedCircuitError, match=re.escape(name)) as info:
            compile_circuit(tape, gateset=gateset, wire_order=range(N_QUBITS))
        assert str(op.wires.tolist()) in str(info.value)
        assert isinstance(info.value, ValueError)

    @pytest.mark.parametrize(
        ("op", "qis", "ms", "zz"),
        [
            pytest.param(qp.RX(0.1, 0), True, True, True, id="RX"),
            pytest.param(qp.Rot(0.1, 0.2, 0.3, 0), False, True, True, id="Rot"),
            pytest.param(qp.CNOT([0, 1]), True, True, True, id="CNOT"),
            pytest.param(qp.CZ([0, 1]), False, True, True, id="CZ"),
            pytest.param(qp.SWAP([0, 1]), True, False, False, id="SWAP"),
            pytest.param(qp.IsingYY(0.1, [0, 1]), True, False, False, id="IsingYY"),
            pytest.param(qp.Toffoli([0, 1, 2]), False, False, False, id="Toffoli"),
        ],
    )
    def test_supports(self, op, qis, ms, zz):
        """qis_supports and native_supports agree with the translation tables."""
        assert qis_supports(op) is qis
        assert native_supports(op, "ms") is ms
        assert native_supports(op, "zz") is zz


class TestTemplates:
    """A structure is compiled once; circuits of that structure bind their own parameters."""

    @staticmethod
    def circuit(x: float, y: float, z: tuple) -> qp.tape.QuantumScript:
        return qp.tape.QuantumScript(
            [qp.RX(x, 0), qp.CNOT([0, 1]), qp.Rot(*z, 1), qp.IsingXX(y, [1, 0])],
            [qp.probs(wires=[0, 1])],
        )

    @pytest.mark.parametrize(
        "gateset", [pytest.param("qis", id="qis"), pytest.param("native", id="native")]
    )
    def test_shared_template_binds_different_gates(self, gateset):
        """Two circuits of one structure hit one compiled template and bind their own gates."""
        a = self.circuit(0.3, 0.5, (0.1, 0.2, 0.3))
        b = self.circuit(-1.1, 2.5, (0.7, -0.4, 1.9))
        if gateset == "qis":
            a, b = (
                qp.tape.QuantumScript(t.operations[:2] + t.operations[3:], t.measurements)
                for t in (a, b)
            )
        fa, fb = fingerprint(a), fingerprint(b)
        assert fa.structure == fb.structure
        cache = QuantumCircuitCache()
        builds = []

        def build(tape):
            builds.append(tape)
            return compile_circuit(tape, gateset=gateset, wire_order=range(2))

        ta = cache.compiled((fa.structure, gateset, "ms"), lambda: build(a))
        tb = cache.compiled((fb.structure, gateset, "ms"), lambda: build(b))
        assert tb is ta
        assert isinstance(ta, CircuitTemplate)
        assert len(builds) == 1
        stats = cache.get_stats()
        assert (stats["compiled_misses"], stats["compiled_hits"]) == (1, 1)
        gates_a, gates_b = ta.bind(a.data), ta.bind(b.data)
        assert gates_a != gates_b
        assert gates_b == compile_circuit(b, gateset=gateset, wire_order=range(2)).bind(b.data)
        for tape, gates in ((a, gates_a), (b, gates_b)):
            np.testing.assert_allclose(
                pennylane_order(probabilities(gates, 2, gateset), 2),
                reference_probs(tape.operations, 2),
                atol=ATOL,
            )


class TestDispatchTable:
    """The singledispatch table: a precise error by default, one IonQ gate per operation."""

    @pytest.mark.parametrize(
        ("op", "gateset"),
        [
            pytest.param(qp.Toffoli([0, 1, 2]), "qis", id="qis-Toffoli"),
            pytest.param(qp.adjoint(qp.RX(0.3, 1)), "qis", id="qis-Adjoint(RX)"),
            pytest.param(qp.SWAP([0, 1]), "native", id="native-SWAP"),
        ],
    )
    def test_default_raises_naming_the_operation(self, op, gateset):
        """The default names the operation and its wires and says what to do."""
        tape = qp.tape.QuantumScript([op])
        with pytest.raises(UnsupportedCircuitError, match=re.escape(op.name)) as info:
            compile_circuit(tape, gateset=gateset, wire_order=range(N_QUBITS))
        message = str(info.value)
        assert str(op.wires.tolist()) in message
        assert repr(gateset) in message
        assert "decompose it" in message

    def test_qis_gate_default_raises(self):
        """qis_gate itself refuses an operation outside the table."""
        with pytest.raises(UnsupportedCircuitError, match="CRX"):
            qis_gate(qp.CRX(0.1, [0, 1]))

    @pytest.mark.parametrize(
        ("op", "gate"),
        [
            pytest.param(qp.adjoint(qp.T(0)), "ti", id="Adjoint(T)"),
            pytest.param(qp.IsingYY(0.2, [0, 1]), "yy", id="IsingYY"),
            pytest.param(qp.Barrier([0, 1]), None, id="Barrier"),
        ],
    )
    def test_qis_gate(self, op, gate):
        """qis_gate gives the IonQ gate name (None for a no-op)."""
        assert qis_gate(op) == gate

    def test_qis_gates_are_wire_layer_gates(self):
        """Every IonQ gate the table emits is in the wire layer's qis gate set."""
        ops = [qp.RX(0.1, 0), qp.CNOT([0, 1]), *[f(np.random.default_rng(0), 0) for f in QIS_ONE]]
        ops += [f(np.random.default_rng(0), [0, 1]) for f in QIS_TWO]
        gates = {qis_gate(op) for op in ops}
        assert gates <= QIS_GATES
        assert len(gates) == len(translatable("qis") - NO_OPS)


def toml_instance(name: str) -> qp.operation.Operator:
    """An instance of the PennyLane operation ``name`` (``Adjoint(S)`` included)."""
    if name.startswith("Adjoint("):
        return qp.adjoint(toml_instance(name[len("Adjoint(") : -1]))
    cls = getattr(qp, name)
    wires = [0, 1] if cls.num_wires == 2 else 0
    return cls(*[0.3] * cls.num_params, wires=wires) if cls.num_params else cls(wires=wires)


class TestTomlAgreement:
    """ionq.toml is the gate set: the translation table handles exactly its operations."""

    def test_qis_table_is_the_toml_gate_set(self):
        """Every TOML gate translates and every translatable gate is in the TOML."""
        capabilities = DeviceCapabilities.from_toml_file(str(CAPABILITIES_FILE))
        assert translatable("qis") == capabilities.gate_set() == QIS_OPERATIONS

    @pytest.mark.parametrize("name", sorted(QIS_OPERATIONS))
    def test_every_toml_gate_compiles(self, name):
        """Each TOML operation compiles for qis, and qis_supports says so."""
        op = toml_instance(name)
        assert op.name == name
        assert qis_supports(op)
        tape = qp.tape.QuantumScript([op])
        gates = compile_circuit(tape, gateset="qis", wire_order=range(2)).bind(tape.data)
        assert len(gates) == (0 if name in NO_OPS else 1)

    @pytest.mark.parametrize("entangler", NATIVE_ENTANGLERS)
    def test_native_table_is_the_toml_list(self, entangler):
        """The native two-qubit table is the TOML's [qnative.native] two_qubit list plus the
        entangler's own pulse."""
        with CAPABILITIES_FILE.open("rb") as file:
            native = tomllib.load(file)["qnative"]["native"]
        listed = frozenset(native["two_qubit"]) | frozenset(native["pulses"][entangler])
        assert translatable("native", entangler) == listed == NATIVE_TWO_QUBIT[entangler]

    def test_device_stops_decomposing_at_the_toml_gates(self):
        """qnative.ionq keeps TOML gates and decomposes the rest (here: Rot, CZ)."""
        dev = qp.device("qnative.ionq", wires=2, api_key="unused", dry_run=True)
        tape = qp.tape.QuantumScript(
            [qp.adjoint(qp.S(0)), qp.Rot(0.1, 0.2, 0.3, 1), qp.CZ([0, 1])], [qp.probs()]
        )
        (lowered,), _ = dev.preprocess_transforms()((tape,))
        assert {op.name for op in lowered.operations} <= QIS_OPERATIONS
        assert lowered.operations[0].name == "Adjoint(S)"
