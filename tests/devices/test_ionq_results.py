"""Tests for pennylane_qnative.devices.ionq_results."""

from __future__ import annotations

import math

import numpy as np
import pennylane as qp
import pytest

from pennylane_qnative.devices.ionq_results import Distribution, tape_results
from pennylane_qnative.exceptions import ConfigurationError

N = 3
PREP = [
    qp.RY(0.7, 0),
    qp.RX(1.9, 1),
    qp.CNOT([0, 2]),
    qp.RY(-0.4, 2),
    qp.CNOT([1, 0]),
    qp.RX(0.3, 2),
]


def exact_distribution(ops: list, n_qubits: int = N) -> Distribution:
    """The distribution of ``ops`` from default.qubit, via IonQ's little-endian map."""
    tape = qp.tape.QuantumScript(ops, [qp.probs(wires=range(n_qubits))])
    probs = np.asarray(qp.execute([tape], qp.device("default.qubit"))[0])
    little = {}
    for index, p in enumerate(probs):
        if p > 1e-15:
            bits = [(index >> (n_qubits - 1 - w)) & 1 for w in range(n_qubits)]  # bit of wire w
            little[str(sum(b << q for q, b in enumerate(bits)))] = float(p)
    return Distribution.from_ionq(little, n_qubits=n_qubits)


def run_default(tape: qp.tape.QuantumScript):
    """The tape's result on default.qubit."""
    return qp.execute([tape], qp.device("default.qubit"))[0]


class TestFromIonQ:
    """IonQ's little-endian keys become PennyLane indices."""

    @pytest.mark.parametrize(
        ("probabilities", "n_qubits", "indices", "probs"),
        [
            pytest.param({"1": 0.25, "0": 0.75}, 2, [2, 0], [0.25, 0.75], id="str-keys"),
            pytest.param({1: 0.25, 0: 0.75}, 2, [2, 0], [0.25, 0.75], id="int-keys"),
            pytest.param({"1": 1.0}, 3, [4], [1.0], id="qubit0-is-msb"),
            pytest.param({"4": 1.0}, 3, [1], [1.0], id="qubit2-is-lsb"),
            pytest.param({"6": 0.5, "3": 0.5}, 3, [3, 6], [0.5, 0.5], id="reversal"),
            pytest.param({"0": 2.0, "3": 2.0}, 2, [0, 3], [0.5, 0.5], id="renormalised"),
            pytest.param({"0": 1.0}, 1, [0], [1.0], id="one-qubit"),
        ],
    )
    def test_indices(self, probabilities, n_qubits, indices, probs):
        """Keys are bit-reversed into PennyLane order; probabilities are normalised."""
        d = Distribution.from_ionq(probabilities, n_qubits=n_qubits)
        assert d.indices.tolist() == indices
        np.testing.assert_allclose(d.probs, probs)
        assert d.n_qubits == n_qubits

    def test_wide_register_stays_sparse(self):
        """36 qubits: keys beyond 32 bits, no dense vector."""
        d = Distribution.from_ionq({str(2**35): 1.0}, n_qubits=36)
        assert d.indices.tolist() == [1]
        assert d.nbytes < 100

    def test_json_round_trip(self):
        """to_json and from_json are inverse."""
        d = Distribution.from_ionq({"1": 0.25, "6": 0.75}, n_qubits=3)
        back = Distribution.from_json(d.to_json())
        assert back.indices.tolist() == d.indices.tolist()
        np.testing.assert_array_equal(back.probs, d.probs)
        assert back.n_qubits == 3

    @pytest.mark.parametrize(
        ("data", "fragment"),
        [
            pytest.param([1, 2], "keys", id="not-a-map"),
            pytest.param({"n": 1, "i": [0]}, "keys", id="missing-key"),
            pytest.param({"n": 1, "i": [0], "p": [1.0], "x": 0}, "keys", id="extra-key"),
            pytest.param({"n": 0, "i": [0], "p": [1.0]}, "qubit count", id="zero-qubits"),
            pytest.param({"n": 99, "i": [0], "p": [1.0]}, "qubit count", id="too-wide"),
            pytest.param({"n": True, "i": [0], "p": [1.0]}, "qubit count", id="bool-size"),
            pytest.param({"n": 2, "i": 0, "p": [1.0]}, "lists", id="not-lists"),
            pytest.param({"n": 2, "i": [0, 1], "p": [1.0]}, "2 outcomes but 1", id="lengths"),
            pytest.param({"n": 2, "i": [4], "p": [1.0]}, "2**2 - 1", id="outcome-too-big"),
            pytest.param({"n": 2, "i": [-1], "p": [1.0]}, "2**2 - 1", id="negative-outcome"),
            pytest.param({"n": 2, "i": [1, 1], "p": [0.5, 0.5]}, "distinct", id="repeated"),
            pytest.param({"n": 2, "i": [1.5], "p": [1.0]}, "integers", id="float-outcome"),
            pytest.param({"n": 1, "i": [0], "p": ["1"]}, "numbers", id="string-prob"),
            pytest.param({"n": 1, "i": [0], "p": [math.nan]}, "[0, 1]", id="nan-prob"),
            pytest.param({"n": 1, "i": [0, 1], "p": [0.9, 0.9]}, "sum to 1", id="sum"),
            pytest.param({"n": 1, "i": [0, 1], "p": [1.5, -0.5]}, "[0, 1]", id="negative"),
        ],
    )
    def test_from_json_refuses_malformed(self, data, fragment):
        """A malformed stored value raises ConfigurationError saying what is wrong."""
        with pytest.raises(ConfigurationError, match="stored distribution is malformed") as info:
            Distribution.from_json(data)
        assert fragment in str(info.value)


class TestMarginal:
    """Marginals over any subset and order of qubits."""

    @pytest.mark.parametrize(
        "positions",
        [
            pytest.param([0], id="first"),
            pytest.param([2], id="last"),
            pytest.param([2, 0], id="reversed-pair"),
            pytest.param([0, 1, 2], id="all"),
            pytest.param([1, 2, 0], id="permuted"),
        ],
    )
    def test_marginal_equals_default_qubit(self, positions):
        """The marginal equals default.qubit's probs on those wires in that order."""
        d = exact_distribution(PREP)
        tape = qp.tape.QuantumScript(PREP, [qp.probs(wires=positions)])
        np.testing.assert_allclose(d.marginal(positions), run_default(tape), atol=1e-12)

    def test_empty_marginal(self):
        """The marginal over no qubits is [1]."""
        assert exact_distribution(PREP).marginal([]).tolist() == pytest.approx([1.0])


MEASUREMENTS = [
    pytest.param(qp.expval(qp.Z(0)), id="expval-Z0"),
    pytest.param(qp.expval(qp.Z(0) @ qp.Z(2)), id="expval-ZZ"),
    pytest.param(qp.var(qp.Z(1)), id="var-Z1"),
    pytest.param(qp.var(qp.Z(1) @ qp.Z(2)), id="var-ZZ"),
    pytest.param(qp.probs(wires=[2, 0]), id="probs-20"),
    pytest.param(qp.expval(qp.Projector([1], wires=1)), id="expval-projector"),
]


class TestExact:
    """Analytic results from exact probabilities equal default.qubit."""

    @pytest.mark.parametrize("measurement", MEASUREMENTS)
    def test_single_measurement(self, measurement):
        """expval, var and probs of diagonal observables."""
        tape = qp.tape.QuantumScript(PREP, [measurement])
        result = tape_results(
            tape, exact_distribution(PREP), range(N), exact=True, rng=np.random.default_rng(0)
        )
        np.testing.assert_allclose(result, run_default(tape), atol=1e-12)

    def test_several_measurements(self):
        """Several measurements give a tuple in order."""
        tape = qp.tape.QuantumScript(
            PREP, [qp.expval(qp.Z(0)), qp.probs(wires=[1]), qp.var(qp.Z(2))]
        )
        result = tape_results(
            tape, exact_distribution(PREP), range(N), exact=True, rng=np.random.default_rng(0)
        )
        expected = run_default(tape)
        assert isinstance(result, tuple)
        assert len(result) == 3
        for got, want in zip(result, expected, strict=True):
            np.testing.assert_allclose(got, want, atol=1e-12)

    def test_wire_order_labels(self):
        """Measurement wires are located in the device's wire order."""
        d = Distribution.from_ionq({"1": 1.0}, n_qubits=2)  # qubit 0 ("a") is |1>
        tape = qp.tape.QuantumScript([], [qp.expval(qp.Z("a")), qp.expval(qp.Z("b"))])
        result = tape_results(tape, d, ["a", "b"], exact=True, rng=np.random.default_rng(0))
        assert result == (pytest.approx(-1.0), pytest.approx(1.0))


class TestSampling:
    """Finite shots from exact probabilities or from a histogram of counts."""

    @pytest.mark.parametrize("seed", [pytest.param(s, id=f"seed{s}") for s in range(3)])
    def test_exact_sampling_within_binomial_tolerance(self, seed):
        """Sampled probabilities lie within 5 binomial standard deviations of the truth."""
        shots = 4000
        d = exact_distribution(PREP)
        tape = qp.tape.QuantumScript(PREP, [qp.probs(wires=range(N))], shots=shots)
        got = tape_results(tape, d, range(N), exact=True, rng=np.random.default_rng(seed))
        p = d.marginal(range(N))
        sigma = np.sqrt(p * (1 - p) / shots)
        assert np.all(np.abs(got - p) <= 5 * sigma + 1e-12)

    def test_expval_within_variance_tolerance(self):
        """A sampled <Z> lies within 5 sigma, sigma^2 = (1 - <Z>^2) / shots."""
        shots = 2000
        d = exact_distribution(PREP)
        tape = qp.tape.QuantumScript(PREP, [qp.expval(qp.Z(0))], shots=shots)
        exact = float(run_default(qp.tape.QuantumScript(PREP, [qp.expval(qp.Z(0))])))
        got = tape_results(tape, d, range(N), exact=True, rng=np.random.default_rng(11))
        assert abs(got - exact) <= 5 * math.sqrt((1 - exact**2) / shots)

    def test_same_seed_same_samples(self):
        """Sampling is a function of the generator's seed."""
        d = exact_distribution(PREP)
        a = d.sample(50, exact=True, rng=np.random.default_rng(3))
        b = d.sample(50, exact=True, rng=np.random.default_rng(3))
        np.testing.assert_array_equal(a, b)
        assert a.shape == (50, N)

    @pytest.mark.parametrize("shots", [pytest.param(s, id=f"shots{s}") for s in (8, 80, 800)])
    def test_histogram_reproduces_counts(self, shots):
        """exact=False returns the measured counts exactly, only shuffled."""
        d = Distribution.from_ionq({"0": 0.125, "5": 0.5, "6": 0.375}, n_qubits=3)
        tape = qp.tape.QuantumScript([], [qp.counts(wires=range(3))], shots=shots)
        got = tape_results(tape, d, range(3), exact=False, rng=np.random.default_rng(0))
        assert got == {"000": shots // 8, "101": shots // 2, "011": 3 * shots // 8}

    def test_histogram_rounding(self):
        """Counts that do not divide evenly still sum to the shots, each off by < 1."""
        d = Distribution.from_ionq({"0": 1 / 3, "1": 1 / 3, "2": 1 / 3}, n_qubits=2)
        samples = d.sample(100, exact=False, rng=np.random.default_rng(0))
        assert samples.shape == (100, 2)
        _, counts = np.unique(samples @ [2, 1], axis=0, return_counts=True)
        assert counts.sum() == 100
        assert np.all(np.abs(counts - 100 / 3) < 1)

    def test_histogram_expval_is_exact_for_counts(self):
        """From a histogram, <Z0> is the counts' mean with no resampling noise."""
        d = Distribution.from_ionq({"0": 0.3, "1": 0.7}, n_qubits=1)
        tape = qp.tape.QuantumScript([], [qp.expval(qp.Z(0))], shots=1000)
        got = tape_results(tape, d, [0], exact=False, rng=np.random.default_rng(5))
        assert got == pytest.approx(0.3 - 0.7, abs=1e-12)


class TestShotVectors:
    """Partitioned shots give one result per partition."""

    def test_shot_vector_structure(self):
        """Shots [10, 10, 30] give three results, each from its own number of samples."""
        d = exact_distribution(PREP)
        tape = qp.tape.QuantumScript(
            PREP, [qp.sample(wires=[0, 1]), qp.expval(qp.Z(2))], shots=[(10, 2), 30]
        )
        got = tape_results(tape, d, range(N), exact=True, rng=np.random.default_rng(1))
        assert len(got) == 3
        assert [np.shape(g[0]) for g in got] == [(10, 2), (10, 2), (30, 2)]
        for _, value in got:
            assert -1.0 <= value <= 1.0

    def test_shot_vector_histogram_partitions_the_counts(self):
        """From a histogram, the partitions together hold exactly the measured counts."""
        d = Distribution.from_ionq({"0": 0.25, "3": 0.75}, n_qubits=2)
        tape = qp.tape.QuantumScript([], [qp.counts(wires=[0, 1])], shots=[40, 60])
        first, second = tape_results(tape, d, range(2), exact=False, rng=np.random.default_rng(2))
        total = {k: first.get(k, 0) + second.get(k, 0) for k in {*first, *second}}
        assert total == {"00": 25, "11": 75}
        assert sum(first.values()) == 40
        assert sum(second.values()) == 60
