"""Tests for the shared machinery in :mod:`pennylane_qnative.gradients._common`."""

from __future__ import annotations

import numpy as np
import pennylane as qp
import pytest
from pennylane import numpy as pnp

from pennylane_qnative.gradients._common import scale_jacobian, select_parameters, shifted_tapes
from pennylane_qnative.gradients._compat import (
    find_and_validate_gradient_methods,
    generate_multishifted_tapes,
)

QS = qp.tape.QuantumScript


def _random_tape(rng, n_wires=4, n_ops=12, measured=(0,)):
    ops = []
    for _ in range(n_ops):
        kind = rng.integers(3)
        wires = [int(w) for w in rng.choice(n_wires, 2, replace=False)]
        if kind == 0:
            ops.append(qp.RX(float(rng.uniform()), wires[0]))
        elif kind == 1:
            ops.append(qp.CNOT(wires))
        else:
            ops.append(qp.IsingZZ(float(rng.uniform()), wires))
    tape = QS(ops, [qp.expval(qp.Z(w)) for w in measured])
    tape.trainable_params = list(range(len(tape.get_parameters(trainable_only=False))))
    return tape


class TestShiftedTapes:
    def test_equal_to_pennylanes(self):
        rng = np.random.default_rng(1)
        tape = _random_tape(rng)
        n = len(tape.trainable_params)
        indices = [0, n - 1] if n > 1 else [0]
        shifts = rng.normal(size=(3, len(indices)))
        ours = shifted_tapes(tape, indices, shifts)
        theirs = generate_multishifted_tapes(tape, indices, shifts)
        for a, b in zip(ours, theirs, strict=True):
            qp.assert_equal(a, b)
            assert a.trainable_params == b.trainable_params

    def test_framework_parameters_take_pennylanes_path(self):
        tape = QS([qp.RX(pnp.array(0.3, requires_grad=True), 0)], [qp.expval(qp.Z(0))])
        [shifted] = shifted_tapes(tape, [0], np.array([[0.5]]))
        assert isinstance(shifted.get_parameters()[0], pnp.tensor)
        assert np.isclose(shifted.get_parameters()[0], 0.8)


class TestLightCone:
    """Parameters that cannot reach a measurement get a zero derivative, as PennyLane decides."""

    @pytest.mark.parametrize("seed", range(20))
    def test_same_zeros_as_pennylanes_graph(self, seed):
        rng = np.random.default_rng(seed)
        tape = _random_tape(rng, measured=(int(rng.integers(4)),))
        chosen = list(range(len(tape.trainable_params)))
        if not chosen:
            pytest.skip("no parameters drawn")
        theirs = find_and_validate_gradient_methods(tape, "numeric", chosen)
        expected = tuple(i for i in chosen if theirs[i] != "0")
        selection = select_parameters(tape, None, "test")
        assert selection.indices == expected

    def test_unreachable_gate_is_skipped(self):
        tape = QS([qp.RX(0.1, 0), qp.RX(0.2, 1)], [qp.expval(qp.Z(0))], trainable_params=[0, 1])
        assert select_parameters(tape, None, "test").indices == (0,)

    def test_measurement_without_wires_sees_every_wire(self):
        tape = QS([qp.RX(0.1, 0), qp.RX(0.2, 1)], [qp.probs()], trainable_params=[0, 1])
        assert select_parameters(tape, None, "test").indices == (0, 1)

    def test_mid_circuit_measurements_use_pennylanes_graph(self):
        m = qp.ops.MidMeasure(1)
        ops = [qp.RX(0.1, 1), m, qp.ops.Conditional(qp.measurements.MeasurementValue([m]), qp.X(0))]
        tape = QS(ops, [qp.expval(qp.Z(0))], trainable_params=[0])
        assert select_parameters(tape, None, "test").indices == (0,)


class TestScaleJacobian:
    """``scale_jacobian`` on plain and nested Jacobians."""

    def test_nested(self):
        """Every array of a nested tuple is scaled; the nesting is kept as tuples."""
        jac = (np.array([1.0, 2.0]), [np.array([3.0]), np.array([-4.0])])
        scaled = scale_jacobian(jac, 0.5)
        assert isinstance(scaled, tuple)
        assert isinstance(scaled[1], tuple)
        np.testing.assert_allclose(scaled[0], [0.5, 1.0])
        np.testing.assert_allclose(np.concatenate(scaled[1]), [1.5, -2.0])

    def test_plain(self):
        """A single array is multiplied by the factor."""
        np.testing.assert_allclose(scale_jacobian(np.array([2.0, -1.0]), 3.0), [6.0, -3.0])
