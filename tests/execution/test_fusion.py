"""Tests for :mod:`pennylane_qnative.execution.fusion`."""

from __future__ import annotations

import numpy as np
import pennylane as qp
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pennylane_qnative.execution.cache import fingerprint
from pennylane_qnative.execution.fusion import fuse_rotations, prune_unread, simplify
from pennylane_qnative.templates import HardwareEfficientAnsatz

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


# --- readout pruning ------------------------------------------------------------------------

PRUNE_GATES = [
    lambda a, w, o: qp.RX(a, w),
    lambda a, w, o: qp.RY(a, w),
    lambda a, w, o: qp.RZ(a, w),
    lambda a, w, o: qp.PhaseShift(a, w),
    lambda a, w, o: qp.IsingZZ(a, [w, o]),
    lambda a, w, o: qp.CRZ(a, [w, o]),
    lambda a, w, o: qp.CNOT([w, o]),
    lambda a, w, o: qp.CZ([w, o]),
    lambda a, w, o: qp.SWAP([w, o]),
    lambda a, w, o: qp.Hadamard(w),
    lambda a, w, o: qp.S(w),
    lambda a, w, o: qp.Y(w),
]
READOUTS = [
    [qp.expval(qp.Z(0))],
    [qp.expval(qp.Z(0) @ qp.Z(2)), qp.probs([1])],
    [qp.var(qp.Z(3))],
    [qp.probs([0, 3])],
    [qp.expval(qp.X(1))],  # not in the computational basis: only the light cone applies
    [qp.expval(qp.Z(0) + 0.5 * qp.Y(2))],
    [qp.expval(qp.Z(0)), qp.var(qp.X(1))],
]
PRUNE_OPS = st.lists(
    st.tuples(
        st.integers(0, len(PRUNE_GATES) - 1),
        st.integers(0, 3),
        st.integers(0, 3),
        st.floats(-3, 3),
        st.booleans(),
    ).filter(lambda t: t[1] != t[2]),
    min_size=1,
    max_size=16,
)


def _pruning_tape(draw_ops, readout, batch=None, shots=None):
    ops = []
    for kind, wire, other, angle, broadcast in draw_ops:
        value = angle + np.arange(batch) if batch and broadcast else angle
        ops.append(PRUNE_GATES[kind](value, wire, other))
    return QS(ops, READOUTS[readout], shots=shots)


def _reference_tape(readout):
    """The reference model's circuit: RY embedding, depth-2 RY+RZ ansatz, CNOT chain."""
    x, weights = np.linspace(0.1, 2.8, 8), np.linspace(-1.0, 1.0, 32).reshape(2, 8, 2)
    with qp.queuing.AnnotatedQueue() as queue:
        qp.AngleEmbedding(x, wires=range(8), rotation="Y")
        HardwareEfficientAnsatz(weights, wires=range(8))
    ops = [o for op in queue.queue for o in op.decomposition()]
    return QS(ops, readout)


def _assert_same(tape, a, b):
    if len(tape.measurements) == 1:
        a, b = (a,), (b,)
    for x, y in zip(a, b, strict=True):
        np.testing.assert_allclose(x, y, atol=1e-12)


class TestPruneUnread:
    @settings(max_examples=300, deadline=None)
    @given(PRUNE_OPS, st.integers(0, len(READOUTS) - 1), st.sampled_from([None, 3]))
    def test_same_results_as_the_circuit(self, draw_ops, readout, batch):
        tape = _pruning_tape(draw_ops, readout, batch)
        dev = qp.device("default.qubit", wires=4)
        structure = fingerprint(tape).structure
        for pruned in (prune_unread(tape), simplify(tape), simplify(tape, structure)):
            assert len(pruned.operations) <= len(tape.operations)
            assert pruned.batch_size == tape.batch_size
            _assert_same(tape, *dev.execute([tape, pruned]))

    def test_reference_readout_sees_its_light_cone(self):
        """Z(0) after the CNOT chain sees wires 0-2: 11 of the 46 gates left after fusion."""
        tape = _reference_tape([qp.expval(qp.Z(0))])
        fused, simplified = fuse_rotations(tape), simplify(tape, fingerprint(tape).structure)
        assert (len(tape.operations), len(fused.operations)) == (54, 46)
        assert len(simplified.operations) == 11
        assert simplified.wires.tolist() == [0, 1, 2]
        assert {op.name for op in simplified.operations} == {"RY", "RZ", "CNOT"}
        [a, b] = qp.device("default.qubit", wires=8).execute([tape, simplified])
        np.testing.assert_allclose(a, b, atol=1e-12)

    def test_readout_of_every_wire_keeps_the_rotations(self):
        """Z on every wire: the whole circuit is seen; only the last layer's RZ are phases."""
        tape = _reference_tape([qp.expval(qp.Z(w)) for w in range(8)])
        pruned = prune_unread(tape)
        assert len(tape.operations) - len(pruned.operations) == 8
        assert all(op.name != "RZ" for op in pruned.operations[-15:])
        _assert_same(tape, *qp.device("default.qubit").execute([tape, pruned]))

    def test_phases_stay_before_a_rotated_readout(self):
        tape = QS([qp.RY(0.3, 0), qp.RZ(0.5, 0)], [qp.expval(qp.X(0))])
        assert prune_unread(tape) is tape
        tape = QS([qp.RY(0.3, 0), qp.RZ(0.5, 0)], [qp.expval(qp.Z(0))])
        assert [op.name for op in prune_unread(tape).operations] == ["RY"]

    def test_phase_before_a_rotation_is_kept(self):
        """A diagonal gate followed by a rotation on its wire changes the readout."""
        tape = QS([qp.Hadamard(0), qp.RZ(0.5, 0), qp.RY(0.3, 0)], [qp.expval(qp.Z(0))])
        assert prune_unread(tape) is tape

    def test_phase_carried_onto_a_rotated_wire_is_kept(self):
        """CNOT(1, 0) carries RZ on wire 0 onto wire 1, which a rotation follows: kept."""
        ops = [qp.Hadamard(0), qp.Hadamard(1), qp.RZ(0.5, 0), qp.CNOT([1, 0]), qp.RY(0.3, 1)]
        tape = QS(ops, [qp.probs([0, 1])])
        assert prune_unread(tape) is tape
        without = QS(ops[:2] + ops[3:], tape.measurements)
        [a, b] = qp.device("default.qubit").execute([tape, without])
        assert not np.allclose(a, b)  # the phase does change the readout

    def test_phase_moves_through_permutations(self):
        tape = QS(
            [qp.Hadamard(0), qp.Hadamard(1), qp.CRZ(0.7, [0, 1]), qp.CNOT([1, 0]), qp.SWAP([0, 1])],
            [qp.probs([0, 1])],
        )
        pruned = prune_unread(tape)
        assert [op.name for op in pruned.operations] == ["Hadamard", "Hadamard", "CNOT", "SWAP"]
        [a, b] = qp.device("default.qubit").execute([tape, pruned])
        np.testing.assert_allclose(a, b, atol=1e-12)

    def test_finite_shots_sample_the_same_distribution(self):
        """Samples of the pruned circuit follow the circuit's probabilities."""
        ops = [qp.RY(1.1, 0), qp.RX(0.4, 1), qp.CNOT([0, 1]), qp.RX(0.9, 2), qp.RZ(0.3, 1)]
        tape = QS(ops, [qp.sample(wires=[0, 1])], shots=20_000)
        pruned = prune_unread(tape)
        assert [op.name for op in pruned.operations] == ["RY", "RX", "CNOT"]
        dev = qp.device("default.qubit", seed=3)
        [samples] = dev.execute([pruned])
        [probs] = dev.execute([QS(ops, [qp.probs([0, 1])])])
        counts = np.bincount(samples[:, 0] * 2 + samples[:, 1], minlength=4) / 20_000
        # each frequency within 5 standard errors of its probability
        np.testing.assert_allclose(counts, probs, atol=5 * np.sqrt(0.25 / 20_000))

    @pytest.mark.parametrize(
        "measurements",
        [
            pytest.param([qp.state()], id="state"),
            pytest.param([qp.probs()], id="all-wires"),
            pytest.param([qp.density_matrix([0])], id="density-matrix"),
            pytest.param([qp.expval(qp.Z(0)), qp.sample()], id="sample-all"),
        ],
    )
    def test_measurements_of_more_than_their_wires_prune_nothing(self, measurements):
        tape = QS([qp.RY(0.3, 0), qp.RX(0.2, 1), qp.RZ(0.5, 0)], measurements)
        assert prune_unread(tape) is tape

    @pytest.mark.parametrize(
        "op",
        [
            pytest.param(qp.Snapshot(), id="snapshot"),
            pytest.param(qp.Barrier(only_visual=False), id="barrier"),
            pytest.param(qp.Barrier([2], only_visual=False), id="barrier-elsewhere"),
        ],
    )
    def test_opaque_operations_prune_nothing(self, op):
        tape = QS([qp.RY(0.3, 0), op, qp.RX(0.2, 1), qp.RZ(0.5, 0)], [qp.expval(qp.Z(0))])
        assert prune_unread(tape) is tape

    def test_global_phase_is_unread(self):
        tape = QS([qp.RY(0.3, 0), qp.GlobalPhase(0.4), qp.RX(0.2, 0)], [qp.probs([0])])
        assert [op.name for op in prune_unread(tape).operations] == ["RY", "RX"]

    def test_mid_circuit_readout_prunes_nothing(self):
        m = qp.measure(1)
        tape = QS([qp.RX(0.2, 1), *m.measurements, qp.RY(0.3, 0)], [qp.expval(m)])
        assert prune_unread(tape) is tape

    def test_broadcast_is_never_pruned_away(self):
        """Dropping the only broadcast gate would change the result's shape: nothing goes."""
        tape = QS([qp.RY(0.3, 0), qp.RX(np.array([0.1, 0.2]), 1)], [qp.expval(qp.Z(0))])
        assert prune_unread(tape) is tape

    def test_noise_outside_the_light_cone(self):
        """A channel on wires the readout does not see is dropped; results are equal."""
        ops = [qp.RY(0.7, 0), qp.DepolarizingChannel(0.2, 1), qp.RX(0.4, 1), qp.CNOT([1, 2])]
        tape = QS([*ops, qp.AmplitudeDamping(0.3, 0)], [qp.expval(qp.Z(0))])
        pruned = prune_unread(tape)
        assert [op.name for op in pruned.operations] == ["RY", "AmplitudeDamping"]
        [a, b] = qp.device("default.mixed", wires=3).execute([tape, pruned])
        np.testing.assert_allclose(a, b, atol=1e-12)
