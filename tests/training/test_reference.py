"""Tests for :mod:`pennylane_qnative.training.reference` (reference data and v3.2 baseline)."""

from __future__ import annotations

import numpy as np
import pennylane as qp
import pytest
from pennylane import numpy as pnp

from pennylane_qnative.training.model import QuantumModel
from pennylane_qnative.training.reference import (
    BaselineTiming,
    load_reference_data,
    time_v32_baseline,
)

pytest.importorskip("sklearn")


@pytest.fixture(scope="module")
def data():
    return load_reference_data(n_train=40, n_test=30, n_features=3, seed=0)


class TestReferenceData:
    """load_reference_data."""

    def test_shapes_and_labels(self, data):
        """Splits have the requested sizes and features; labels are 0/1 ints."""
        assert data.X_train.shape == (40, 3)
        assert data.X_test.shape == (30, 3)
        assert data.y_train.shape == (40,)
        assert data.y_test.shape == (30,)
        assert data.y_train.dtype.kind == "i"
        assert set(np.unique(np.concatenate([data.y_train, data.y_test]))) == {0, 1}

    def test_default_shapes(self):
        """The defaults are the specification's workload: 100 x 8 training, 200 test."""
        default = load_reference_data()
        assert default.X_train.shape == (100, 8)
        assert default.X_test.shape == (200, 8)

    def test_features_in_range(self, data):
        """Features are angles in [0, pi]; the training split spans it per feature."""
        for X in (data.X_train, data.X_test):
            assert X.min() >= 0.0
            assert X.max() <= np.pi
        np.testing.assert_allclose(data.X_train.min(axis=0), 0.0, atol=1e-12)
        np.testing.assert_allclose(data.X_train.max(axis=0), np.pi, atol=1e-12)

    def test_disjoint_splits(self, data):
        """No test row equals a training row."""
        train_rows = {tuple(row) for row in data.X_train}
        assert not any(tuple(row) in train_rows for row in data.X_test)

    def test_stratified(self):
        """Both splits keep the data set's class balance (212 of 569 are class 0)."""
        split = load_reference_data(n_train=100, n_test=200, seed=1)
        overall = 212 / 569
        assert abs(np.mean(split.y_train == 0) - overall) <= 1 / 100
        assert abs(np.mean(split.y_test == 0) - overall) <= 1 / 200

    def test_deterministic(self, data):
        """One seed gives identical arrays; another seed another split."""
        again = load_reference_data(n_train=40, n_test=30, n_features=3, seed=0)
        for a, b in zip(
            (data.X_train, data.y_train, data.X_test, data.y_test),
            (again.X_train, again.y_train, again.X_test, again.y_test),
            strict=True,
        ):
            assert np.array_equal(a, b)
        other = load_reference_data(n_train=40, n_test=30, n_features=3, seed=1)
        assert not np.array_equal(other.X_train, data.X_train)


def _independent_count(model, X, y, batch_size):
    """Circuits of one v3.2 step, counted by a qp.Tracker on a fresh default.qubit."""
    dev = qp.device("default.qubit", wires=model.quantum_layer.n_qubits)
    qnode = model.qnode(dev, diff_method="parameter-shift")
    weights = pnp.array(model.quantum_layer.parameters, requires_grad=True)
    with qp.Tracker(dev) as tracker:
        for x, label in zip(X[:batch_size], y[:batch_size], strict=True):
            target = 1.0 - 2.0 * label
            qp.grad(lambda w, x=x, t=target: (qnode(w, x) - t) ** 2)(weights)
    return int(tracker.totals["executions"])


class TestBaseline:
    """time_v32_baseline."""

    @pytest.mark.parametrize(
        ("n_qubits", "depth", "hea"),
        [
            pytest.param(3, 1, True, id="hea-3q"),
            pytest.param(2, 2, False, id="sel-2q"),
        ],
    )
    def test_circuits_per_step(self, data, n_qubits, depth, hea):
        """circuits_per_step is what default.qubit runs for one per-sample parameter-shift step."""
        X, y = data.X_train[:, :n_qubits], data.y_train
        model = QuantumModel(n_qubits, depth, hardware_efficient_ansatz=hea, seed=0)
        timing = time_v32_baseline(model, X, y, batch_size=4, steps=1)
        expected = _independent_count(model, X, y, batch_size=4)
        assert timing.circuits_per_step == expected
        # batch * (1 forward + the shifted circuits of the parameters with non-zero gradient)
        tape = model.quantum_layer.build_circuit(X[0], pnp.array(model.quantum_layer.parameters))
        tape = qp.tape.QuantumScript(tape.operations, tape.measurements)
        [tape], _ = qp.devices.preprocess.decompose(
            tape, stopping_condition=lambda op: op.name in {"RY", "RZ", "RX", "CNOT", "Rot"}
        )
        n_inputs = n_qubits  # the embedding angles come first
        tape.trainable_params = list(range(n_inputs, tape.num_params))
        shifted, _ = qp.gradients.param_shift(tape)
        assert expected == 4 * (1 + len(shifted))

    def test_timing_fields(self, data):
        """The measured rate is positive and extrapolates linearly."""
        model = QuantumModel(3, 1, seed=0)
        timing = time_v32_baseline(model, data.X_train, data.y_train, batch_size=2, steps=2)
        assert isinstance(timing, BaselineTiming)
        assert timing.steps_measured == 2
        assert timing.seconds_per_step > 0
        assert timing.extrapolate(10) == pytest.approx(10 * timing.seconds_per_step)

    def test_model_unchanged(self, data):
        """Timing the baseline does not train the model passed in."""
        model = QuantumModel(3, 1, seed=0)
        before = model.quantum_layer.parameters.copy()
        time_v32_baseline(model, data.X_train, data.y_train, batch_size=2, steps=1)
        assert np.array_equal(model.quantum_layer.parameters, before)
