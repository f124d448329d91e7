"""Tests for pennylane_qnative.templates.hea."""

from __future__ import annotations

import numpy as np
import pennylane as qp
import pytest
from pennylane import numpy as pnp

from pennylane_qnative import HardwareEfficientAnsatz
from pennylane_qnative.exceptions import ConfigurationError
from pennylane_qnative.templates import entanglement_pairs, entangler_pairs


def manual(weights, wires, rotations, pairs):
    """The ansatz written out gate by gate."""
    for layer in weights:
        for position, wire in enumerate(wires):
            for r, name in enumerate(rotations):
                getattr(qp, name)(layer[position, r], wires=wire)
        for a, b in pairs:
            qp.CNOT([wires[a], wires[b]])


class TestEntanglerPairs:
    """The wire pairs of each entangler pattern."""

    @pytest.mark.parametrize(
        ("entangler", "n", "expected"),
        [
            pytest.param("linear", 4, ((0, 1), (1, 2), (2, 3)), id="linear"),
            pytest.param("ring", 4, ((0, 1), (1, 2), (2, 3), (3, 0)), id="ring"),
            pytest.param("ring", 2, ((0, 1),), id="ring-2-wires-no-repeat"),
            pytest.param("full", 3, ((0, 1), (0, 2), (1, 2)), id="full"),
            pytest.param([(2, 0), (1, 2)], 3, ((2, 0), (1, 2)), id="explicit"),
            pytest.param("linear", 1, (), id="single-wire"),
        ],
    )
    def test_patterns(self, entangler, n, expected):
        """Each pattern couples the documented pairs."""
        assert entangler_pairs(entangler, n) == expected

    def test_device_all_to_all(self):
        """A device without a connectivity attribute is all-to-all."""
        dev = qp.device("qnative.simulator", wires=3)
        assert entangler_pairs("device", 3, device=dev) == entangler_pairs("full", 3)

    def test_device_connectivity(self):
        """A device's connectivity restricts the pairs."""

        class Chain:
            connectivity = [(1, 0), (1, 2)]

        assert entangler_pairs("device", 3, device=Chain()) == ((0, 1), (1, 2))

    @pytest.mark.parametrize(
        ("entangler", "kwargs", "match"),
        [
            pytest.param("star", {}, "entangler must be one of", id="unknown-name"),
            pytest.param([(0, 0)], {}, "two distinct positions", id="self-pair"),
            pytest.param([(0, 5)], {}, "range", id="out-of-range"),
            pytest.param("device", {}, "needs the device", id="device-missing"),
        ],
    )
    def test_errors(self, entangler, kwargs, match):
        """Bad patterns raise a ConfigurationError that says what to do."""
        with pytest.raises(ConfigurationError, match=match):
            entangler_pairs(entangler, 3, **kwargs)


class TestAnsatz:
    """The template's shape, decomposition and numerics."""

    def test_reference_parameter_count(self):
        """8 qubits, depth 2, RY+RZ: 32 parameters (a third fewer than RX-RY-RZ's 48)."""
        shape = HardwareEfficientAnsatz.shape(n_layers=2, n_wires=8)
        assert shape == (2, 8, 2)
        assert np.prod(shape) == 32
        assert np.prod(HardwareEfficientAnsatz.shape(2, 8, n_rotations=3)) == 48

    @pytest.mark.parametrize("entangler", ["linear", "ring", "full", [(0, 2)]])
    @pytest.mark.parametrize("rotations", [("RY", "RZ"), ("RX",), ("RX", "RY", "RZ")])
    def test_matches_manual_circuit(self, entangler, rotations):
        """The template's unitary equals the circuit written out by hand."""
        wires = ["a", "b", "c"]
        weights = np.random.default_rng(1).uniform(0, 2 * np.pi, (2, 3, len(rotations)))
        op = HardwareEfficientAnsatz(weights, wires, rotations=rotations, entangler=entangler)
        pairs = entangler_pairs(entangler, 3)
        expected = qp.matrix(manual, wire_order=wires)(weights, wires, rotations, pairs)
        np.testing.assert_allclose(qp.matrix(op, wire_order=wires), expected, atol=1e-12)

    def test_decomposition_gate_counts(self):
        """Each layer has n_wires * n_rotations rotations and one gate per pair."""
        weights = np.zeros((2, 8, 2))
        ops = HardwareEfficientAnsatz(weights, range(8)).decomposition()
        names = [op.name for op in ops]
        assert names.count("RY") == names.count("RZ") == 16
        assert names.count("CNOT") == 14

    def test_cz_gate(self):
        """gate="CZ" entangles with CZ."""
        ops = HardwareEfficientAnsatz(np.zeros((1, 2, 2)), [0, 1], gate="CZ").decomposition()
        assert [op.name for op in ops][-1] == "CZ"

    def test_broadcasting(self):
        """A leading batch axis on the weights broadcasts the circuit."""
        dev = qp.device("qnative.simulator", wires=3)

        @qp.qnode(dev)
        def circuit(weights):
            HardwareEfficientAnsatz(weights, range(3), entangler="ring")
            return qp.expval(qp.Z(0) @ qp.Z(2))

        batch = np.random.default_rng(2).uniform(0, np.pi, (4, 2, 3, 2))
        expected = [circuit(w) for w in batch]
        np.testing.assert_allclose(circuit(batch), expected, atol=1e-12)

    def test_gradients_agree(self):
        """Parameter shift through the template equals backprop."""
        weights = pnp.array(
            np.random.default_rng(3).uniform(0, np.pi, (2, 3, 2)), requires_grad=True
        )

        def build(diff_method):
            @qp.qnode(qp.device("qnative.simulator", wires=3), diff_method=diff_method)
            def circuit(w):
                HardwareEfficientAnsatz(w, range(3))
                return qp.expval(qp.Z(1))

            return circuit

        np.testing.assert_allclose(
            qp.grad(build("parameter-shift"))(weights),
            qp.grad(build("backprop"))(weights),
            atol=1e-10,
        )

    @pytest.mark.parametrize(
        ("kwargs", "match"),
        [
            pytest.param({"weights": np.zeros((2, 3))}, "must have shape", id="2d-weights"),
            pytest.param({"weights": np.zeros((1, 4, 2))}, "must have shape", id="wrong-wires"),
            pytest.param({"rotations": ("RW",)}, "rotations must be", id="bad-rotation"),
            pytest.param({"rotations": ()}, "rotations must be", id="no-rotation"),
            pytest.param({"gate": "SWAP"}, "gate must be", id="bad-gate"),
        ],
    )
    def test_errors(self, kwargs, match):
        """Inputs that do not fit raise a ConfigurationError (also a ValueError)."""
        arguments = {"weights": np.zeros((1, 3, 2)), "wires": range(3), **kwargs}
        with pytest.raises(ValueError, match=match):
            HardwareEfficientAnsatz(**arguments)

    @pytest.mark.parametrize("bad", [0, -1, 1.5])
    def test_shape_errors(self, bad):
        """shape() refuses non-positive or non-integer sizes."""
        with pytest.raises(ConfigurationError, match="positive integer"):
            HardwareEfficientAnsatz.shape(bad, 3)


class TestEntanglementName:
    """``entanglement`` names the wiring pattern; ``entangler`` is its deprecated alias."""

    @pytest.mark.parametrize("pattern", ["linear", "ring", "full", [(0, 2)]])
    def test_old_function_name(self, pattern):
        """``entangler_pairs`` warns and gives the pairs of ``entanglement_pairs``."""
        with pytest.warns(DeprecationWarning, match="entanglement_pairs"):
            old = entangler_pairs(pattern, 3)
        assert old == entanglement_pairs(pattern, 3)

    def test_old_keyword(self):
        """``entangler=`` warns and builds the same operation as ``entanglement=``."""
        weights = np.zeros((1, 3, 2))
        with pytest.warns(DeprecationWarning, match="entanglement="):
            old = HardwareEfficientAnsatz(weights, range(3), entangler="ring")
        new = HardwareEfficientAnsatz(weights, range(3), entanglement="ring")
        assert old.hyperparameters["pairs"] == new.hyperparameters["pairs"]

    def test_both_keywords_refused(self):
        """Giving the pattern twice is an error."""
        with (
            pytest.warns(DeprecationWarning, match="entanglement="),
            pytest.raises(ConfigurationError, match="give entanglement= only"),
        ):
            HardwareEfficientAnsatz(
                np.zeros((1, 3, 2)), range(3), entanglement="ring", entangler="full"
            )

    def test_error_names_the_new_keyword(self):
        """An unknown pattern given as ``entanglement=`` is reported under that name."""
        with pytest.raises(ConfigurationError, match="entanglement must be one of"):
            HardwareEfficientAnsatz(np.zeros((1, 3, 2)), range(3), entanglement="star")

    def test_error_names_the_old_keyword(self):
        """An unknown pattern given as ``entangler=`` is reported under that name."""
        with (
            pytest.warns(DeprecationWarning, match="entanglement="),
            pytest.raises(ConfigurationError, match="entangler must be one of"),
        ):
            HardwareEfficientAnsatz(np.zeros((1, 3, 2)), range(3), entangler="star")
