"""Tests of the state-vector simulator (pennylane_qnative.emulator.simulation)."""

from __future__ import annotations

import numpy as np
import pennylane as qp
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pennylane_qnative.emulator.simulation import (
    GateError,
    gate_matrix,
    probabilities,
    sample_counts,
    sparse,
)
from pennylane_qnative.ionq.backends import NATIVE_GATES, QIS_GATES

PI = np.pi


def little_endian(pl_probs: np.ndarray, n: int) -> np.ndarray:
    """PennyLane's probabilities (wire 0 most significant) re-indexed little-endian."""
    return pl_probs.reshape((2,) * n).transpose(tuple(reversed(range(n)))).reshape(-1)


class TestQisMatrices:
    """qis gate matrices agree with PennyLane's operators."""

    @pytest.mark.parametrize(
        ("gate", "op"),
        [
            pytest.param({"gate": "x"}, qp.PauliX(0), id="x"),
            pytest.param({"gate": "not"}, qp.PauliX(0), id="not"),
            pytest.param({"gate": "y"}, qp.PauliY(0), id="y"),
            pytest.param({"gate": "z"}, qp.PauliZ(0), id="z"),
            pytest.param({"gate": "h"}, qp.Hadamard(0), id="h"),
            pytest.param({"gate": "s"}, qp.S(0), id="s"),
            pytest.param({"gate": "si"}, qp.adjoint(qp.S(0)), id="si"),
            pytest.param({"gate": "t"}, qp.T(0), id="t"),
            pytest.param({"gate": "ti"}, qp.adjoint(qp.T(0)), id="ti"),
            pytest.param({"gate": "v"}, qp.SX(0), id="v"),
            pytest.param({"gate": "vi"}, qp.adjoint(qp.SX(0)), id="vi"),
            pytest.param({"gate": "rx", "rotation": 0.37}, qp.RX(0.37, 0), id="rx"),
            pytest.param({"gate": "ry", "rotation": -1.2}, qp.RY(-1.2, 0), id="ry"),
            pytest.param({"gate": "rz", "rotation": 2.5}, qp.RZ(2.5, 0), id="rz"),
            pytest.param({"gate": "swap"}, qp.SWAP([0, 1]), id="swap"),
            pytest.param({"gate": "xx", "rotation": 0.4}, qp.IsingXX(0.4, [0, 1]), id="xx"),
            pytest.param({"gate": "yy", "rotation": 0.5}, qp.IsingYY(0.5, [0, 1]), id="yy"),
            pytest.param({"gate": "zz", "rotation": 0.6}, qp.IsingZZ(0.6, [0, 1]), id="zz"),
        ],
    )
    def test_matches_pennylane(self, gate, op):
        """The matrix equals PennyLane's (first target = most significant)."""
        assert np.allclose(gate_matrix(gate, "qis"), qp.matrix(op))

    def test_pauliexp_little_endian_terms(self):
        """pauliexp is exp(-i t sum c P) with the last letter acting on targets[0]."""
        gate = {"gate": "pauliexp", "targets": [0, 1], "terms": ["XZ"], "coefficients": [0.7]}
        gate["time"] = 0.3
        expected = qp.matrix(qp.evolve(qp.PauliZ(0) @ qp.PauliX(1), 0.3 * 0.7), wire_order=[0, 1])
        assert np.allclose(gate_matrix(gate, "qis"), expected)


class TestNativeMatrices:
    """Native gates follow the contract (phases in turns), not pennylane-ionq's MS."""

    @pytest.mark.parametrize("phi", [0.0, 0.125, 0.3, 0.75])
    def test_gpi(self, phi):
        """GPI(phi) = [[0, e^-2pi i phi], [e^2pi i phi, 0]]."""
        expected = np.array([[0, np.exp(-2j * PI * phi)], [np.exp(2j * PI * phi), 0]])
        assert np.allclose(gate_matrix({"gate": "gpi", "phase": phi}, "native"), expected)

    @pytest.mark.parametrize("phi", [0.0, 0.25, 0.6])
    def test_gpi2(self, phi):
        """GPI2(phi) = (1/sqrt2) [[1, -i e^-2pi i phi], [-i e^2pi i phi, 1]]."""
        expected = np.array(
            [[1, -1j * np.exp(-2j * PI * phi)], [-1j * np.exp(2j * PI * phi), 1]]
        ) / np.sqrt(2)
        assert np.allclose(gate_matrix({"gate": "gpi2", "phase": phi}, "native"), expected)

    @pytest.mark.parametrize(
        ("phi0", "phi1", "theta"),
        [
            pytest.param(0.0, 0.0, 0.25, id="default"),
            pytest.param(0.1, 0.35, 0.25, id="phases"),
            pytest.param(0.2, 0.7, 0.1, id="partial"),
        ],
    )
    def test_ms(self, phi0, phi1, theta):
        """MS follows the contract's explicit matrix (targets[0] most significant)."""
        c, s = np.cos(PI * theta), np.sin(PI * theta)
        e = lambda x: np.exp(2j * PI * x)  # noqa: E731
        expected = np.array(
            [
                [c, 0, 0, -1j * s * e(-(phi0 + phi1))],
                [0, c, -1j * s * e(-(phi0 - phi1)), 0],
                [0, -1j * s * e(phi0 - phi1), c, 0],
                [-1j * s * e(phi0 + phi1), 0, 0, c],
            ]
        )
        gate = {"gate": "ms", "targets": [0, 1], "phases": [phi0, phi1], "angle": theta}
        if theta == 0.25:
            gate.pop("angle")
        assert np.allclose(gate_matrix(gate, "native"), expected)

    @pytest.mark.parametrize("key", ["angle", "phase"])
    def test_native_zz(self, key):
        """Native zz(theta) = diag(e^-i pi theta, e^i pi theta, e^i pi theta, e^-i pi theta)."""
        theta = 0.15
        m, p = np.exp(-1j * PI * theta), np.exp(1j * PI * theta)
        got = gate_matrix({"gate": "zz", "targets": [0, 1], key: theta}, "native")
        assert np.allclose(got, np.diag([m, p, p, m]))

    def test_nop_is_identity(self):
        """nop does nothing."""
        assert np.allclose(gate_matrix({"gate": "nop"}, "native"), np.eye(2))


class TestProbabilities:
    """End-to-end circuits: bit order, controls and errors."""

    @pytest.mark.parametrize(
        ("circuit", "n", "expected"),
        [
            pytest.param([{"gate": "x", "target": 0}], 2, {"1": 1.0}, id="qubit0-is-lsb"),
            pytest.param([{"gate": "x", "target": 1}], 2, {"2": 1.0}, id="qubit1"),
            pytest.param(
                [{"gate": "x", "target": 1}, {"gate": "cnot", "control": 1, "target": 0}],
                2,
                {"3": 1.0},
                id="cnot-reversed",
            ),
            pytest.param(
                [{"gate": "x", "targets": [0]}, {"gate": "x", "controls": [0, 2], "targets": [1]}],
                3,
                {"1": 1.0},
                id="toffoli-off",
            ),
            pytest.param(
                [
                    {"gate": "x", "target": 0},
                    {"gate": "x", "target": 2},
                    {"gate": "x", "controls": [0, 2], "targets": [1]},
                ],
                3,
                {"7": 1.0},
                id="toffoli-on",
            ),
            pytest.param(
                [{"gate": "x", "target": 0}, {"gate": "swap", "targets": [0, 2]}],
                3,
                {"4": 1.0},
                id="swap",
            ),
        ],
    )
    def test_basis_states(self, circuit, n, expected):
        """Deterministic circuits land on the little-endian index."""
        assert {k: round(v, 12) for k, v in sparse(probabilities(circuit, n)).items()} == expected

    def test_ghz_20_qubits(self):
        """A 20-qubit GHZ state has two equal outcomes: 0 and 2**20 - 1."""
        circuit = [{"gate": "h", "target": 0}]
        circuit += [{"gate": "cnot", "control": i, "target": i + 1} for i in range(19)]
        result = sparse(probabilities(circuit, 20))
        assert set(result) == {"0", str(2**20 - 1)}
        assert np.allclose(list(result.values()), 0.5)

    @pytest.mark.parametrize(
        ("circuit", "gateset", "match"),
        [
            pytest.param([{"gate": "foo", "target": 0}], "qis", "not in the qis", id="unknown"),
            pytest.param([{"gate": "ms", "targets": [0, 1]}], "qis", "not in the qis", id="ms-qis"),
            pytest.param([{"gate": "h", "target": 0}], "native", "native", id="h-native"),
            pytest.param([{"gate": "h", "target": 5}], "qis", "distinct", id="out-of-range"),
            pytest.param([{"gate": "h"}], "qis", "target", id="no-target"),
            pytest.param([{"gate": "rx", "target": 0}], "qis", "rotation", id="no-rotation"),
            pytest.param([{"gate": "cnot", "target": 0}], "qis", "control", id="cnot-no-control"),
            pytest.param(
                [{"gate": "cnot", "control": 0, "target": 0}], "qis", "distinct", id="same-wire"
            ),
            pytest.param([{"gate": "swap", "targets": [0]}], "qis", "2 target", id="swap-one"),
            pytest.param(
                [{"gate": "gpi", "target": 0, "phase": "x"}], "native", "phase", id="bad-phase"
            ),
        ],
    )
    def test_invalid_gates(self, circuit, gateset, match):
        """Invalid gates raise GateError with a precise message."""
        with pytest.raises(GateError, match=match):
            probabilities(circuit, 2, gateset)

    @pytest.mark.parametrize("n", [0, 30, 2.0])
    def test_invalid_register(self, n):
        """Register sizes outside [1, 29] are refused."""
        with pytest.raises(GateError, match="qubits"):
            probabilities([], n)


_ONE_Q = ["x", "y", "z", "h", "s", "si", "t", "ti", "v", "vi", "rx", "ry", "rz"]
_PL_ONE_Q = {
    "x": qp.PauliX,
    "y": qp.PauliY,
    "z": qp.PauliZ,
    "h": qp.Hadamard,
    "s": qp.S,
    "t": qp.T,
    "v": qp.SX,
}


def _pl_op(gate: dict):
    name, wires = gate["gate"], gate.get("targets") or [gate["target"]]
    if "control" in gate:
        return qp.CNOT([gate["control"], gate["target"]])
    if name in ("si", "ti", "vi"):
        return qp.adjoint(_PL_ONE_Q[name[0]](wires[0]))
    if name in _PL_ONE_Q:
        return _PL_ONE_Q[name](wires[0])
    ops = {"rx": qp.RX, "ry": qp.RY, "rz": qp.RZ, "xx": qp.IsingXX, "zz": qp.IsingZZ}
    return ops[name](gate["rotation"], wires if len(wires) > 1 else wires[0])


@st.composite
def qis_circuits(draw):
    """Random qis circuits on 1-4 qubits."""
    n = draw(st.integers(1, 4))
    circuit = []
    for _ in range(draw(st.integers(0, 12))):
        kind = draw(st.sampled_from(_ONE_Q + (["cnot", "xx", "zz"] if n > 1 else [])))
        q = draw(st.permutations(range(n)))
        angle = draw(st.floats(-np.pi, np.pi, allow_nan=False))
        if kind == "cnot":
            circuit.append({"gate": "cnot", "control": q[0], "target": q[1]})
        elif kind in ("xx", "zz"):
            circuit.append({"gate": kind, "targets": [q[0], q[1]], "rotation": angle})
        elif kind in ("rx", "ry", "rz"):
            circuit.append({"gate": kind, "target": q[0], "rotation": angle})
        else:
            circuit.append({"gate": kind, "target": q[0]})
    return n, circuit


class TestAgainstDefaultQubit:
    """Random qis circuits match default.qubit (re-indexed little-endian)."""

    @settings(max_examples=30, deadline=None)
    @given(qis_circuits())
    def test_random_circuits(self, data):
        """Probabilities agree to 1e-10."""
        n, circuit = data
        tape = qp.tape.QuantumScript([_pl_op(g) for g in circuit], [qp.probs(wires=range(n))])
        (expected,) = qp.execute([tape], qp.device("default.qubit"))
        assert np.allclose(probabilities(circuit, n), little_endian(expected, n), atol=1e-10)


class TestSampling:
    """Seeded multinomial sampling."""

    def test_counts_sum_and_determinism(self):
        """Counts sum to shots and repeat for the same seed."""
        probs = np.array([0.5, 0.0, 0.25, 0.25])
        a = sample_counts(probs, 1000, np.random.default_rng(3))
        b = sample_counts(probs, 1000, np.random.default_rng(3))
        assert a.sum() == 1000
        assert a[1] == 0
        assert np.array_equal(a, b)

    def test_sparse_drops_zeros(self):
        """sparse() keeps non-zero entries with decimal-string keys."""
        assert sparse(np.array([0.0, 0.5, 0.0, 0.5])) == {"1": 0.5, "3": 0.5}


class TestGateSets:
    """The simulator implements exactly the wire layer's gate sets."""

    @pytest.mark.parametrize("name", sorted(QIS_GATES))
    def test_every_qis_gate_simulates(self, name):
        """Every qis gate of the contract has a matrix."""
        gate = {"gate": name, "rotation": 0.3, "targets": [0, 1], "terms": ["XZ"], "time": 0.2}
        gate["coefficients"] = [1.0]
        matrix = gate_matrix(gate, "qis")
        assert np.allclose(matrix.conj().T @ matrix, np.eye(len(matrix)))

    @pytest.mark.parametrize("name", sorted(NATIVE_GATES))
    def test_every_native_gate_simulates(self, name):
        """Every native gate of the contract has a matrix."""
        gate = {"gate": name, "phase": 0.1, "phases": [0.1, 0.2], "angle": 0.2}
        matrix = gate_matrix(gate, "native")
        assert np.allclose(matrix.conj().T @ matrix, np.eye(len(matrix)))
