"""Tests for :mod:`pennylane_qnative.execution.rebinding`: PennyLane's results, faster."""

from __future__ import annotations

import numpy as np
import pennylane as qp
import pytest

from pennylane_qnative.execution.rebinding import batch_size, rebind

QS = qp.tape.QuantumScript


def _dq():
    return qp.device("default.qubit")


def _tape(x, y=0.2):
    ops = [qp.RX(x, 0), qp.RY(y, 1), qp.CNOT([0, 1])]
    return QS(ops, [qp.expval(qp.Z(0) @ qp.Z(1))])


def _mixed_tape(rng, batch=None):
    """Plain gates (fast path) and others (PennyLane's path), some parameters broadcast."""
    x = rng.uniform(0, np.pi, batch) if batch else float(rng.uniform(0, np.pi))
    ops = [
        qp.RX(x, 0),
        qp.Rot(*rng.uniform(0, np.pi, 3), 1),
        qp.CNOT([0, 1]),
        qp.CRX(float(rng.uniform()), [1, 2]),
        qp.IsingZZ(float(rng.uniform()), [0, 2]),
        qp.QubitUnitary(qp.matrix(qp.RY(0.3, 0)), 2),
        qp.PauliRot(float(rng.uniform()), "XY", [1, 2]),
        qp.U2(0.1, 0.2, 0),
    ]
    return QS(ops, [qp.expval(qp.Z(0) @ qp.X(2)), qp.probs([1])], trainable_params=[1, 2])


class TestRebind:
    """``rebind`` is PennyLane's ``bind_new_parameters``, faster for plain gates."""

    @pytest.mark.parametrize("batch", [None, 3])
    def test_equals_pennylane(self, batch):
        rng = np.random.default_rng(0)
        tape = _mixed_tape(rng, batch)
        indices = [0, 1, 2, 3, 4, 5, 7, 8, 9]  # 6 is the QubitUnitary's matrix
        for size in (None, 4):
            values = [
                rng.uniform(size=size) if i in (0, 2, 5) and size else float(rng.uniform())
                for i in indices
            ]
            if batch and not size:
                values[0] = rng.uniform(size=batch)
            ours, theirs = rebind(tape, values, indices), tape.bind_new_parameters(values, indices)
            assert ours.batch_size == theirs.batch_size
            assert ours.trainable_params == theirs.trainable_params == [1, 2]
            for a, b in zip(ours.operations, theirs.operations, strict=True):
                qp.assert_equal(a, b)
                assert a.batch_size == b.batch_size
                assert a.ndim_params == b.ndim_params
            res_ours, res_theirs = _dq().execute([ours, theirs])
            for a, b in zip(res_ours, res_theirs, strict=True):
                np.testing.assert_allclose(a, b, atol=1e-12)

    def test_original_is_untouched(self):
        tape = _tape(0.1)
        new = rebind(tape, [np.array([0.5, 0.6])], [0])
        assert tape.get_parameters() == [0.1, 0.2]
        assert tape.batch_size is None
        assert new.batch_size == 2
        assert new.operations[1] is tape.operations[1]  # unchanged operations are shared

    def test_all_gate_parameters_when_no_indices(self):
        new = rebind(_tape(0.1), [0.7, 0.8])
        assert new.get_parameters() == [0.7, 0.8]

    def test_observable_parameters_take_pennylanes_path(self):
        tape = QS([qp.RX(0.1, 0)], [qp.expval(qp.Hamiltonian([0.5], [qp.Z(0)]))])
        new = rebind(tape, [0.9], [1])
        assert new.get_parameters(trainable_only=False) == [0.1, 0.9]

    def test_wrong_dimensions_raise_like_pennylane(self):
        with pytest.raises(ValueError, match="wrong number"):
            rebind(_tape(0.1), [np.ones((2, 2))], [0])
        tape = QS([qp.Rot(0.1, 0.2, 0.3, 0)], [qp.expval(qp.Z(0))])
        with pytest.raises(ValueError, match="broadcast dimensions differ"):
            rebind(tape, [np.ones(2), np.ones(3)], [0, 1])

    def test_framework_tensors_take_pennylanes_path(self):
        from pennylane import numpy as pnp

        value = pnp.array(0.4, requires_grad=True)
        new = rebind(_tape(0.1), [value], [0])
        assert new.operations[0].data[0] is value


class TestBatchSize:
    """``batch_size`` fills PennyLane's own lazy cache with the values PennyLane would."""

    @pytest.mark.parametrize("batch", [None, 3])
    def test_equals_pennylanes_inference(self, batch):
        ours, theirs = _mixed_tape(np.random.default_rng(2), batch), None
        theirs = QS([op.__class__._unflatten(*op._flatten()) for op in ours.operations])
        assert batch_size(ours) == theirs.batch_size == batch
        for a, b in zip(ours.operations, theirs.operations, strict=True):
            assert a.batch_size == b.batch_size
            assert a.ndim_params == b.ndim_params

    def test_mismatched_broadcast_raises(self):
        tape = QS([qp.Rot(np.ones(2), np.ones(3), 0.1, 0)], [qp.probs()])
        with pytest.raises(ValueError, match="broadcast dimensions differ"):
            batch_size(tape)
