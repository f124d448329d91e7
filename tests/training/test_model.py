"""Tests for :mod:`pennylane_qnative.training.model` (``QuantumModel``, ``QuantumLayer``)."""

from __future__ import annotations

import numpy as np
import pennylane as qp
import pytest

from pennylane_qnative.exceptions import ConfigurationError
from pennylane_qnative.training.config import TrainingConfig
from pennylane_qnative.training.model import Embedding, QuantumModel, Task

TOL = 1e-12  # exact simulation: only floating-point rounding separates the two paths


def _device(n):
    return qp.device("qnative.simulator", wires=n, seed=0)


class TestParameters:
    """Parameter shapes, initialisation and from_config."""

    @pytest.mark.parametrize(
        ("hea", "shape"),
        [
            pytest.param(True, (2, 3, 2), id="ry-rz"),
            pytest.param(False, (2, 3, 3), id="strongly-entangling"),
        ],
    )
    def test_shape(self, hea, shape):
        """(depth, n_qubits, 2) for RY+RZ, (depth, n_qubits, 3) for RX-RY-RZ."""
        model = QuantumModel(3, 2, hardware_efficient_ansatz=hea, seed=0)
        assert model.quantum_layer.parameters.shape == shape
        assert model.n_parameters == int(np.prod(shape))

    def test_seeded_initialisation(self):
        """One seed gives the same weights, in [0, 2 pi); another seed different ones."""
        a, b = QuantumModel(3, 2, seed=4), QuantumModel(3, 2, seed=4)
        assert np.array_equal(a.quantum_layer.parameters, b.quantum_layer.parameters)
        assert not np.array_equal(
            a.quantum_layer.parameters, QuantumModel(3, 2, seed=5).quantum_layer.parameters
        )
        params = a.quantum_layer.parameters
        assert np.all((params >= 0) & (params < 2 * np.pi))

    @pytest.mark.parametrize("hea", [True, False], ids=["ry-rz", "strongly-entangling"])
    def test_from_config(self, hea):
        """from_config takes qubits, depth, ansatz and seed; n_parameters agrees with config."""
        config = TrainingConfig(n_qubits=3, circuit_depth=2, seed=9, hardware_efficient_ansatz=hea)
        model = QuantumModel.from_config(config, output_dim=2)
        assert model.quantum_layer.n_qubits == 3
        assert model.quantum_layer.circuit_depth == 2
        assert model.output_dim == 2
        assert model.n_parameters == config.n_parameters
        expected = QuantumModel(3, 2, 2, hardware_efficient_ansatz=hea, seed=9)
        assert np.array_equal(model.quantum_layer.parameters, expected.quantum_layer.parameters)


class TestForward:
    """A batch is one broadcast circuit with the per-sample results."""

    @pytest.mark.parametrize(
        ("hea", "output_dim"),
        [
            pytest.param(True, 1, id="hea-one-output"),
            pytest.param(True, 3, id="hea-three-outputs"),
            pytest.param(False, 2, id="sel-two-outputs"),
        ],
    )
    def test_batch_equals_per_sample(self, hea, output_dim):
        """forward(batch)[i] == forward(sample i) and the batch is one execution."""
        model = QuantumModel(3, 1, output_dim, hardware_efficient_ansatz=hea, seed=1)
        dev = _device(3)
        qnode = model.qnode(dev)
        X = np.random.default_rng(2).uniform(0, np.pi, (4, 3))
        weights = model.quantum_layer.parameters
        with qp.Tracker(dev) as tracker:
            batch = np.asarray(model.forward(qnode, weights, X))
        assert tracker.totals["batches"] == 1
        assert tracker.totals["executions"] == 4
        expected_shape = (4,) if output_dim == 1 else (4, output_dim)
        assert batch.shape == expected_shape
        for i, x in enumerate(X):
            single = np.asarray(model.forward(qnode, weights, x))
            np.testing.assert_allclose(batch[i], np.reshape(single, batch[i].shape), atol=TOL)

    def test_outputs_match_default_qubit(self):
        """The model's outputs are the circuit's <Z_i>, as default.qubit computes them."""
        model = QuantumModel(2, 2, 2, seed=3)
        X = np.random.default_rng(0).uniform(0, np.pi, (3, 2))
        ours = model.forward(model.qnode(_device(2)), model.quantum_layer.parameters, X)
        ref_qnode = model.qnode(qp.device("default.qubit", wires=2))
        ref = model.forward(ref_qnode, model.quantum_layer.parameters, X)
        np.testing.assert_allclose(np.asarray(ours), np.asarray(ref), atol=TOL)
        assert np.all(np.abs(np.asarray(ours)) <= 1 + TOL)

    def test_single_row_is_batch_of_one(self):
        """A 1-D input is treated as one sample."""
        model = QuantumModel(2, 1, seed=0)
        assert model.check_inputs([0.1, 0.2]).shape == (1, 2)

    def test_amplitude_embedding(self):
        """Amplitude embedding takes up to 2**n features, padded and normalised."""
        model = QuantumModel(2, 1, embedding="amplitude", seed=0)
        assert model.quantum_layer.embedding is Embedding.AMPLITUDE
        assert model.quantum_layer.n_features == 4
        qnode = model.qnode(_device(2))
        weights = model.quantum_layer.parameters
        X = np.array([[1.0, 2.0, 3.0, 4.0], [0.5, 0.0, 0.0, 0.5]])
        batch = np.asarray(model.forward(qnode, weights, X))
        assert batch.shape == (2,)
        for i, x in enumerate(X):
            np.testing.assert_allclose(batch[i], model.forward(qnode, weights, x), atol=TOL)
        # three features are padded with a zero amplitude: same as the explicit padding
        padded = np.asarray(model.forward(qnode, weights, np.array([[1.0, 2.0, 3.0]])))
        explicit = np.asarray(model.forward(qnode, weights, np.array([[1.0, 2.0, 3.0, 0.0]])))
        np.testing.assert_allclose(padded, explicit, atol=TOL)

    def test_build_circuit(self):
        """build_circuit's tape has one <Z> per output and computes what forward computes."""
        model = QuantumModel(3, 1, 2, seed=0)
        x = np.array([0.3, 1.2, 2.5])
        tape = model.quantum_layer.build_circuit(x, output_dim=2)
        assert [m.obs for m in tape.measurements] == [qp.Z(0), qp.Z(1)]
        result = qp.execute([tape], qp.device("default.qubit", wires=3))[0]
        expected = model.forward(
            model.qnode(_device(3)), model.quantum_layer.parameters, x[None, :]
        )
        np.testing.assert_allclose(np.ravel(result), np.ravel(expected), atol=TOL)


class TestValidation:
    """Constructor and input errors."""

    @pytest.mark.parametrize(
        ("kwargs", "match"),
        [
            pytest.param({"n_qubits": 0, "circuit_depth": 1}, "n_qubits", id="zero-qubits"),
            pytest.param({"n_qubits": 2.0, "circuit_depth": 1}, "n_qubits", id="float-qubits"),
            pytest.param({"n_qubits": 2, "circuit_depth": 0}, "circuit_depth", id="zero-depth"),
            pytest.param(
                {"n_qubits": 2, "circuit_depth": 1, "output_dim": 3}, "output_dim", id="outputs"
            ),
            pytest.param(
                {"n_qubits": 2, "circuit_depth": 1, "output_dim": 0}, "output_dim", id="no-output"
            ),
            pytest.param(
                {"n_qubits": 2, "circuit_depth": 1, "embedding": "basis"}, "embedding", id="embed"
            ),
            pytest.param({"n_qubits": 2, "circuit_depth": 1, "task": "ranking"}, "task", id="task"),
        ],
    )
    def test_constructor_errors(self, kwargs, match):
        """Bad sizes or choices raise a ConfigurationError naming the argument."""
        with pytest.raises(ConfigurationError, match=match):
            QuantumModel(**kwargs)

    @pytest.mark.parametrize(
        ("embedding", "X", "match"),
        [
            pytest.param("angle", np.zeros((2, 3)), r"shape \(batch, 2\)", id="angle-too-wide"),
            pytest.param("angle", np.zeros((2, 1)), r"shape \(batch, 2\)", id="angle-too-narrow"),
            pytest.param("angle", np.zeros((2, 2, 2)), r"got \(2, 2, 2\)", id="three-dims"),
            pytest.param("amplitude", np.ones((2, 5)), r"shape \(batch, 4\)", id="amp-too-wide"),
            pytest.param("angle", np.array([[0.1, np.nan]]), "NaN", id="nan"),
            pytest.param("angle", np.array([[np.inf, 0.1]]), "NaN or infinite", id="inf"),
        ],
    )
    def test_input_errors(self, embedding, X, match):
        """Inputs of the wrong shape, or with NaN/inf, are refused before any circuit runs."""
        model = QuantumModel(2, 1, embedding=embedding, seed=0)
        with pytest.raises(ConfigurationError, match=match):
            model.check_inputs(X)


class TestPredictLabels:
    """Class labels from outputs."""

    def test_binary(self):
        """<Z> > 0 is class 0, < 0 is class 1."""
        model = QuantumModel(2, 1, seed=0)
        np.testing.assert_array_equal(model.predict_labels([0.3, -0.1, 0.9, -1.0]), [0, 1, 0, 1])

    def test_multiclass(self):
        """Several outputs: arg-max."""
        model = QuantumModel(3, 1, 3, seed=0)
        outputs = np.array([[0.1, 0.5, -0.2], [0.9, -0.9, 0.0]])
        np.testing.assert_array_equal(model.predict_labels(outputs), [1, 0])

    def test_task_enum(self):
        """task is stored as the Task enum."""
        assert QuantumModel(2, 1, task="regression").task is Task.REGRESSION


class TestEntanglement:
    """The ansatz's wiring pattern: ``entanglement=``, or the deprecated ``entangler=``."""

    def test_pattern_reaches_the_ansatz(self):
        """``entanglement="ring"`` couples the last wire to the first."""
        model = QuantumModel(3, 1, entanglement="ring", seed=0)
        ops = model.quantum_layer.build_circuit(np.zeros(3)).operations
        assert ops[-1].hyperparameters["pairs"] == ((0, 1), (1, 2), (2, 0))

    def test_old_keyword(self):
        """``entangler=`` warns and sets the same pattern."""
        with pytest.warns(DeprecationWarning, match="entanglement="):
            model = QuantumModel(3, 1, entangler="ring", seed=0)
        assert model.quantum_layer.entanglement == "ring"
