"""Tests for :mod:`pennylane_qnative.execution.fusion`."""

from __future__ import annotations

import numpy as np
import pennylane as qp
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pennylane_qnative.execution.cache import fingerprint
from pennylane_qnative.execution.fusion import fuse_rotations

QS = qp.tape.QuantumScript
GATES = [qp.RX, qp.RY, qp.RZ, qp.PhaseShift]


def _names(tape):
    return [op.name for op in tape.operations]


def _random_tape(draw_ops, batch=None):
    ops = []
    for kind, wire, other, angle in draw_ops:
        if kind < len(GATES):
            value = np.full(batch, angle) + np.arange(batch) if batch else angle
            ops.append(GATES[kind](value, wire))
        elif kind == len(GATES):
            ops.append(qp.CNOT([wire, other]))
        else:
            ops.append(qp.Hadamard(wire))
    return QS(ops, [qp.expval(qp.Z(0) @ qp.Y(1)), qp.probs([1, 2])])


OPS = st.lists(
    st.tuples(
        st.integers(0, len(GATES) + 1),
        st.integers(0, 2),
        st.integers(0, 2),
        st.floats(-3, 3),
    ).filter(lambda t: t[1] != t[2]),
    min_size=1,
    max_size=14,
)


class TestFuseRotations:
    @settings(max_examples=60, deadline=None)
    @given(OPS, st.sampled_from([None, 3]))
    def test_same_results_as_the_circuit(self, draw_ops, batch):
        tape = _random_tape(draw_ops, batch)
        fused = fuse_rotations(tape)
        assert len(fused.operations) <= len(tape.operations)
        dev = qp.device("default.qubit")
        for a, b in zip(*dev.execute([tape, fused]), strict=True):
            np.testing.assert_allclose(a, b, atol=1e-12)

    def test_folds_across_other_wires_only(self):
        tape = QS(
            [qp.RY(0.1, 0), qp.RY(0.2, 1), qp.RY(0.3, 0), qp.CNOT([0, 1]), qp.RY(0.4, 0)],
            [qp.expval(qp.Z(0))],
        )
        fused = fuse_rotations(tape)
        assert _names(fused) == ["RY", "RY", "CNOT", "RY"]
        assert fused.operations[0].data[0] == pytest.approx(0.4)

    def test_different_axes_do_not_fold(self):
        tape = QS([qp.RY(0.1, 0), qp.RZ(0.2, 0), qp.RY(0.3, 0)], [qp.expval(qp.Z(0))])
        assert fuse_rotations(tape) is tape

    def test_broadcast_angles_add(self):
        tape = QS([qp.RY(np.array([0.1, 0.2]), 0), qp.RY(0.5, 0)], [qp.expval(qp.Z(0))])
        [op] = fuse_rotations(tape).operations
        np.testing.assert_allclose(op.data[0], [0.6, 0.7])
        assert op.batch_size == 2

    def test_wireless_operations_are_a_boundary(self):
        tape = QS([qp.RY(0.1, 0), qp.Snapshot(), qp.RY(0.3, 0)], [qp.expval(qp.Z(0))])
        assert fuse_rotations(tape) is tape

    def test_structure_gives_the_same_answer(self):
        tape = QS(
            [qp.RX(0.1, 0), qp.CNOT([1, 0]), qp.RX(0.2, 1), qp.RX(0.3, 1), qp.RX(0.4, 0)],
            [qp.expval(qp.Z(0))],
        )
        with_structure = fuse_rotations(tape, fingerprint(tape).structure)
        qp.assert_equal(with_structure, fuse_rotations(tape))
        assert _names(with_structure) == ["RX", "CNOT", "RX", "RX"]
