"""Tests for pennylane_qnative.devices.ionq against the real emulator over loopback HTTP.

One emulator serves the module (instant profile); tests that need faults or a fixed API key
start their own. Every device writes its journal and result cache under ``tmp_path``.
"""

from __future__ import annotations

import logging
import math
import subprocess
import sys
import warnings

import httpx
import numpy as np
import pennylane as qp
import pytest
from pennylane import numpy as pnp
from pennylane.devices import ExecutionConfig

import pennylane_qnative as qnative
from pennylane_qnative.devices import ionq as ionq_module
from pennylane_qnative.devices.errors import DeviceConfigurationError
from pennylane_qnative.emulator import running
from pennylane_qnative.exceptions import (
    BudgetExceededError,
    IonQAuthenticationError,
    UnsupportedCircuitError,
)
from pennylane_qnative.gradients.natural import NaturalGradient
from pennylane_qnative.ionq.pricing import RateCard, count_gates, estimate_cost

KEY = "test"
SECRET = "sk-live-0123456789abcdef-secret"


@pytest.fixture(scope="module")
def url():
    """One instant-profile emulator for the module (any non-empty key accepted)."""
    with running(profile="instant", seed=2024, api_keys=()) as root:
        yield root


@pytest.fixture
def make(url, tmp_path):
    """Build a ``qnative.ionq`` device on the emulator, with files under ``tmp_path``."""

    def factory(wires=2, *, root=None, **kwargs):
        kwargs.setdefault("api_key", KEY)
        kwargs.setdefault("journal_path", tmp_path / "journal.sqlite")
        kwargs.setdefault("cache", False)
        if kwargs["cache"] is True:
            kwargs.setdefault("cache_path", tmp_path / "results.sqlite")
        return qp.device("qnative.ionq", wires=wires, api_url=(root or url) + "/v0.4", **kwargs)

    return factory


def jobs_created(url: str) -> int:
    """The emulator's count of top-level jobs created so far."""
    return httpx.get(url + "/_emulator/stats").json()["jobs_created"]


def bell_qnode(dev, shots=None):
    """RX(x) on wire 0 then CNOT: <Z1> = cos(x)."""

    @qp.qnode(dev)
    def circuit(x):
        qp.RX(x, 0)
        qp.CNOT([0, 1])
        return qp.expval(qp.Z(1))

    return qp.set_shots(circuit, shots=shots) if shots else circuit


# --- the reference step -------------------------------------------------------------------------


def reference_qnode(dev, method):
    @qp.qnode(dev, diff_method="device", gradient_kwargs={"method": method})
    def circuit(x, w):
        qp.AngleEmbedding(x, wires=range(8), rotation="Y")
        qnative.HardwareEfficientAnsatz(w, wires=range(8))
        return qp.expval(qp.Z(0))

    return circuit


def reference_data():
    rng = np.random.default_rng(7)
    x = pnp.array(rng.uniform(0, np.pi, (10, 8)), requires_grad=False)
    y = pnp.array(rng.choice([-1.0, 1.0], 10), requires_grad=False)
    w = pnp.array(rng.uniform(0, 2 * np.pi, (2, 8, 2)), requires_grad=True)
    return x, y, w


class TestOneJobPerStep:
    """diff_method="device": forward and gradient circuits of a step go out as one job."""

    def test_spsa_reference_step(self, make, url):
        """8 qubits, HEA depth 2, batch of 10, SPSA: 1 job of 30 circuits."""
        dev = make(wires=8, seed=0)
        circuit = reference_qnode(dev, "spsa")
        x, y, w = reference_data()
        assert w.size == 32

        def loss(w):
            return pnp.mean((circuit(x, w) - y) ** 2)

        before = jobs_created(url)
        with qp.Tracker(dev) as tracker:
            grad = qp.grad(loss)(w)
        assert jobs_created(url) - before == 1
        assert tracker.totals["jobs"] == 1
        assert tracker.totals["jobs_created"] == 1
        assert tracker.totals["executions"] == 30
        assert tracker.totals["submitted_circuits"] == 30
        assert tracker.totals["batches"] == 1
        assert grad.shape == (2, 8, 2)
        assert np.all(np.isfinite(grad))
        assert np.any(grad != 0)

    def test_parameter_shift_one_job_per_step(self, make, url):
        """Parameter-shift: one job per step, and the exact gradient of default.qubit."""
        dev = make(wires=8)
        circuit = reference_qnode(dev, "parameter-shift")
        x, y, w = reference_data()

        def loss(w):
            return pnp.mean((circuit(x, w) - y) ** 2)

        @qp.qnode(qp.device("default.qubit", wires=8), diff_method="backprop")
        def reference(x, w):
            qp.AngleEmbedding(x, wires=range(8), rotation="Y")
            qnative.HardwareEfficientAnsatz(w, wires=range(8))
            return qp.expval(qp.Z(0))

        before = jobs_created(url)
        with qp.Tracker(dev) as tracker:
            grads = [qp.grad(loss)(w), qp.grad(loss)(w + 0.1)]
        assert jobs_created(url) - before == 2
        assert tracker.history["jobs"] == [1, 1]
        assert tracker.totals["batches"] == 2
        expected = qp.grad(lambda w: pnp.mean((reference(x, w) - y) ** 2))(w)
        np.testing.assert_allclose(grads[0], expected, atol=1e-9)

    @pytest.mark.parametrize("gateset", ["qis", "native"])
    def test_trainable_broadcast_with_best(self, make, url, gateset):
        """diff_method="best" with a trainable broadcast parameter (PennyLane's param_shift
        refuses it): split per parameter set, parameter-shift on each in one job; the
        Jacobian of default.qubit's backprop."""

        def qnode(dev):
            @qp.qnode(dev)
            def circuit(x, w):
                qp.RX(x, 0)
                qp.RY(w, 1)
                qp.CNOT([0, 1])
                return qp.expval(qp.Z(1))

            return circuit

        x = pnp.array([0.1, 0.5, -0.3], requires_grad=True)
        w = pnp.array(0.4, requires_grad=True)
        dev = make(gateset=gateset)
        before = jobs_created(url)
        with qp.Tracker(dev) as tracker:
            jac = qp.jacobian(qnode(dev))(x, w)
        expected = qp.jacobian(qnode(qp.device("default.qubit", wires=2)))(x, w)
        # qp.jacobian runs the QNode once per argument: each time a batch of the 3 forward
        # circuits, then one of 2 shifts of x and of w for each; the second time re-attaches
        # to the first's jobs
        assert tracker.history["circuits"] == [3, 3 * 2 * 2] * 2
        assert tracker.history["jobs"] == [1, 1, 1, 1]
        assert jobs_created(url) - before == 2
        for ours, theirs in zip(jac, expected, strict=True):
            np.testing.assert_allclose(ours, theirs, atol=1e-9)


# --- agreement with qnative.simulator ---------------------------------------------------------


def random_circuit(seed: int, measure: bool = True):
    """A seeded random 3-qubit circuit with non-commuting measurements (angles drawn once)."""
    rng = np.random.default_rng(seed)
    gates = [
        lambda a, w: qp.RX(a[0], w[0]),
        lambda a, w: qp.RY(a[0], w[0]),
        lambda a, w: qp.RZ(a[0], w[0]),
        lambda a, w: qp.Rot(*a, w[0]),
        lambda a, w: qp.Hadamard(w[0]),
        lambda a, w: qp.S(w[0]),
        lambda a, w: qp.CNOT(w[:2]),
        lambda a, w: qp.CZ(w[:2]),
        lambda a, w: qp.IsingXX(a[0], w[:2]),
        lambda a, w: qp.IsingZZ(a[0], w[:2]),
        lambda a, w: qp.CRY(a[0], w[:2]),
        lambda a, w: qp.Toffoli(w),
    ]
    choices = [
        (gates[rng.integers(len(gates))], rng.uniform(-4, 4, 3), rng.permutation(3).tolist())
        for _ in range(12)
    ]

    def circuit():
        for gate, angles, wires in choices:
            gate(angles, wires)
        if not measure:
            return None
        return (
            qp.expval(qp.Z(0) @ qp.X(1)),
            qp.var(qp.Y(2)),
            qp.probs(wires=[2, 0]),
        )

    return circuit


GATESETS = [pytest.param("qis", id="qis"), pytest.param("native", id="native")]


class TestAgreesWithSimulator:
    """Results agree with qnative.simulator on random circuits, both gate sets."""

    @pytest.mark.parametrize("gateset", GATESETS)
    @pytest.mark.parametrize("seed", [pytest.param(s, id=f"seed{s}") for s in range(3)])
    def test_analytic(self, make, gateset, seed):
        """On the ideal simulator, analytic results match to 1e-9."""
        circuit = random_circuit(seed)
        got = qp.QNode(circuit, make(wires=3, gateset=gateset))()
        want = qp.QNode(circuit, qp.device("qnative.simulator", wires=3))()
        for a, b in zip(got, want, strict=True):
            np.testing.assert_allclose(a, b, atol=1e-9)

    @pytest.mark.parametrize("gateset", GATESETS)
    def test_finite_shots_within_binomial_tolerance(self, make, gateset):
        """With shots, each probability lies within 5 binomial standard deviations."""
        shots = 4000
        circuit = random_circuit(11, measure=False)

        def probs():
            circuit()
            return qp.probs(wires=[0, 1, 2])

        got = qp.set_shots(qp.QNode(probs, make(wires=3, gateset=gateset, seed=3)), shots=shots)()
        p = qp.QNode(probs, qp.device("qnative.simulator", wires=3))()
        sigma = np.sqrt(p * (1 - p) / shots)
        assert np.all(np.abs(got - p) <= 5 * sigma + 1e-12)

    def test_shot_vector(self, make):
        """A shot vector gives one result per partition, each from its own shots."""
        dev = make(seed=4)

        @qp.set_shots(shots=[300, (200, 2)])
        @qp.qnode(dev)
        def circuit():
            qp.RY(1.0, 0)
            qp.CNOT([0, 1])
            return qp.expval(qp.Z(1)), qp.counts(wires=[0, 1])

        with qp.Tracker(dev) as tracker:
            result = circuit()
        assert tracker.totals["jobs"] == 1
        assert tracker.totals["submitted_shots"] == 700  # one circuit, 700 shots paid
        assert tracker.totals["shots"] == 1400  # PennyLane's count, as default.qubit records
        assert len(result) == 3
        for (value, counts), shots in zip(result, (300, 200, 200), strict=True):
            assert sum(counts.values()) == shots
            assert set(counts) <= {"00", "11"}
            assert abs(value - math.cos(1.0)) <= 5 * math.sqrt((1 - math.cos(1.0) ** 2) / shots)

    @pytest.mark.parametrize("gateset", GATESETS)
    def test_hamiltonian_and_hermitian(self, make, gateset):
        """A Hamiltonian of non-commuting terms and a Hermitian variance match default.qubit."""

        def circuit(x):
            qp.RX(x, 0)
            qp.RY(0.4, 1)
            qp.CNOT([1, 0])
            hamiltonian = 0.5 * qp.X(0) @ qp.Y(1) + 2.0 * qp.Z(1) - qp.Y(0)
            hermitian = qp.Hermitian(np.array([[1, 1j], [-1j, 2]]), wires=1)
            return qp.expval(hamiltonian), qp.var(hermitian)

        got = qp.QNode(circuit, make(gateset=gateset))(0.3)
        want = qp.QNode(circuit, qp.device("default.qubit"))(0.3)
        np.testing.assert_allclose(got, want, atol=1e-9)

    @pytest.mark.parametrize("gateset", GATESETS)
    def test_matrix_parameters_bind_per_circuit(self, make, gateset):
        """QubitUnitary circuits of one structure each get their own matrices' results."""
        dev = make(gateset=gateset, cache=True)
        rng = np.random.default_rng(21)

        def unitary(n):
            z = rng.normal(size=(n, n)) + 1j * rng.normal(size=(n, n))
            q, r = np.linalg.qr(z)
            return q * (np.diag(r) / abs(np.diag(r)))

        def circuit(u, v):
            qp.QubitUnitary(u, wires=0)
            qp.Hadamard(1)
            qp.QubitUnitary(v, wires=[0, 1])
            return qp.probs(wires=[0, 1])

        for _ in range(3):
            u, v = unitary(2), unitary(4)
            got = qp.QNode(circuit, dev)(u, v)
            want = qp.QNode(circuit, qp.device("default.qubit"))(u, v)
            np.testing.assert_allclose(got, want, atol=1e-9)

    def test_ideal_noise_model_is_exact(self, make):
        """noise_model="ideal" is exact: analytic execution is allowed and exact."""
        assert bell_qnode(make(noise_model="ideal"))(0.4) == pytest.approx(math.cos(0.4), abs=1e-9)

    def test_reseed_repeats_samples(self, make):
        """reseed(s) restarts local sampling: the same seed gives the same samples."""
        dev = make(seed=5)

        @qp.set_shots(shots=50)
        @qp.qnode(dev)
        def sample():
            qp.Hadamard(0)
            qp.CNOT([0, 1])
            return qp.sample(wires=[0, 1])

        first = sample()
        dev.reseed(5)
        np.testing.assert_array_equal(sample(), first)
        assert np.all(first[:, 0] == first[:, 1])


# --- keyword arguments --------------------------------------------------------------------------


class TestKeywordArguments:
    """pennylane-ionq's keyword arguments are accepted; invalid values name the option."""

    def test_pennylane_ionq_kwargs_accepted(self, make):
        """Every pennylane-ionq keyword argument is accepted and kept."""
        dev = make(
            wires=3,
            target="qpu",
            gateset="native",
            error_mitigation={"debiasing": True},
            sharpen=True,
            compilation={"opt": 1},
            job_name="nightly",
            metadata={"project": "qml"},
            timeout=30.0,
            max_retries=3,
            retry_delay=0.1,
            dry_run=True,
        )
        assert dev.target == "qpu.aria-1"
        assert dev.gateset.value == "native"
        assert dev.entangler == "ms"
        assert dev.error_mitigation == {"debiasing": True}
        assert dev.sharpen is True
        assert dev.compilation == {"opt": 1}
        assert dev.job_name == "nightly"
        assert dev.metadata == {"project": "qml"}
        assert dev.dry_run is True
        assert dev.short_name == "qnative.ionq"

    def test_noise_kwargs_accepted(self, make):
        """noise_model and noise_seed are accepted on the simulator (which is then sampled)."""
        dev = make(noise_model="aria-1", noise_seed=7)
        assert (dev.noise_model, dev.noise_seed, dev.exact) == ("aria-1", 7, False)
        assert make(noise_model="ideal").exact is True

    def test_forte_uses_zz(self, make):
        """Forte-class targets compile to zz."""
        assert make(target="qpu.forte-1").entangler == "zz"

    @pytest.mark.parametrize(
        ("option", "value"),
        [
            pytest.param("target", "qpu.harmony-9", id="target"),
            pytest.param("gateset", "cirq", id="gateset"),
            pytest.param("noise_model", "loud", id="noise_model"),
            pytest.param("noise_seed", 0, id="noise_seed"),
            pytest.param("error_mitigation", "debias", id="error_mitigation"),
            pytest.param("sharpen", "yes", id="sharpen"),
            pytest.param("compilation", 3, id="compilation"),
            pytest.param("job_name", 5, id="job_name"),
            pytest.param("metadata", {"run": 1}, id="metadata"),
            pytest.param("timeout", -1.0, id="timeout"),
            pytest.param("max_retries", -1, id="max_retries"),
            pytest.param("retry_delay", -1.0, id="retry_delay"),
            pytest.param("dry_run", "no", id="dry_run"),
            pytest.param("seed", -1, id="seed"),
            pytest.param("budget_usd", -5.0, id="budget_usd"),
            pytest.param("cache", "yes", id="cache"),
            pytest.param("max_circuits_per_job", 0, id="max_circuits_per_job"),
            pytest.param("max_concurrent_jobs", 0, id="max_concurrent_jobs"),
            pytest.param("poll_policy", "fast", id="poll_policy"),
        ],
    )
    def test_invalid_value_names_option(self, make, option, value):
        """DeviceConfigurationError (also DeviceError and ValueError) names the option."""
        with pytest.raises(DeviceConfigurationError) as info:
            make(**{option: value})
        assert isinstance(info.value, qp.exceptions.DeviceError)
        assert isinstance(info.value, ValueError)
        assert option in str(info.value)

    def test_invalid_cache_finite_shots_names_option(self, make):
        """An unknown finite-shot policy names cache_finite_shots."""
        with pytest.raises(DeviceConfigurationError) as info:
            make(cache=True, cache_finite_shots="sometimes")
        assert "cache_finite_shots" in str(info.value)

    def test_too_many_wires(self, make):
        """More wires than the target's qubits is refused at construction."""
        with pytest.raises(DeviceConfigurationError, match="29 qubits"):
            make(wires=30)

    def test_unknown_device_option(self, make):
        """An unknown execution-config device option is refused."""
        dev = make()
        config = qp.devices.ExecutionConfig(device_options={"turbo": True})
        with pytest.raises(DeviceConfigurationError, match="turbo"):
            dev.setup_execution_config(config)


# --- validation before submission ---------------------------------------------------------------


class TestValidationBeforeSubmission:
    """Invalid circuits are refused before any job is created."""

    @staticmethod
    def wide(dev, n, shots=None):
        @qp.qnode(dev)
        def circuit():
            for w in range(n):
                qp.Hadamard(w)
            return qp.expval(qp.Z(0))

        return qp.set_shots(circuit, shots=shots) if shots else circuit

    @pytest.mark.parametrize(
        ("target", "n", "shots"),
        [
            pytest.param("simulator", 30, None, id="simulator-30"),
            pytest.param("qpu.aria-1", 26, 100, id="aria-26"),
        ],
    )
    def test_too_many_qubits(self, make, url, target, n, shots):
        """A circuit wider than the backend is refused."""
        before = jobs_created(url)
        with pytest.raises(UnsupportedCircuitError, match=f"{n} qubits"):
            self.wide(make(wires=None, target=target), n, shots)()
        assert jobs_created(url) == before

    @pytest.mark.parametrize(
        "shots",
        [
            pytest.param(1_000_001, id="above-1e6"),
            pytest.param([(600_000, 2)], id="shot-vector-above-1e6"),
        ],
    )
    def test_shots_out_of_range(self, make, url, shots):
        """More than 10**6 shots per circuit is refused."""
        before = jobs_created(url)
        with pytest.raises(UnsupportedCircuitError, match="shots"):
            bell_qnode(make(), shots=shots)(0.3)
        assert jobs_created(url) == before

    @pytest.mark.parametrize(
        "x",
        [
            pytest.param(math.nan, id="nan"),
            pytest.param(math.inf, id="inf"),
            pytest.param(np.array([0.1, math.nan]), id="nan-in-broadcast"),
        ],
    )
    def test_non_finite_parameter(self, make, url, x):
        """A NaN or infinite angle is refused, naming the gate."""
        before = jobs_created(url)
        with pytest.raises(UnsupportedCircuitError, match=r"RX.*non-finite"):
            bell_qnode(make())(x)
        assert jobs_created(url) == before

    @pytest.mark.parametrize(
        "options",
        [
            pytest.param({"noise_model": "aria-1"}, id="noisy-simulator"),
            pytest.param({"target": "qpu.aria-1"}, id="qpu"),
            pytest.param({"target": "qpu.forte-1"}, id="forte"),
        ],
    )
    def test_analytic_only_on_ideal_simulator(self, make, url, options):
        """Analytic execution on a sampled backend is refused with a hint to set shots."""
        before = jobs_created(url)
        with pytest.raises(UnsupportedCircuitError, match="set shots"):
            bell_qnode(make(**options))(0.3)
        assert jobs_created(url) == before


# --- budget and dry run -------------------------------------------------------------------------

BELL_GATES = [
    {"gate": "rx", "target": 0, "rotation": 0.3},
    {"gate": "cnot", "control": 0, "target": 1},
]
BELL_COST = estimate_cost(backend="qpu.aria-1", shots=100, gate_counts=[count_gates(BELL_GATES)])


class TestBudget:
    """budget_usd refuses an overspending batch before submission."""

    def test_batch_over_budget_refused(self, make, url):
        """A batch that would exceed the budget raises with spent, remaining and needed."""
        dev = make(target="qpu.aria-1", budget_usd=10.0)
        before = jobs_created(url)
        with pytest.raises(BudgetExceededError) as info:
            bell_qnode(dev, shots=100)(0.3)
        error = info.value
        assert (error.spent_usd, error.remaining_usd) == (0.0, 10.0)
        assert error.needed_usd == pytest.approx(BELL_COST)
        assert jobs_created(url) == before
        assert dev.budget.spent_usd == 0.0

    def test_within_budget_then_refused(self, make, url):
        """A batch within budget runs and is billed; the next one that does not fit is refused."""
        dev = make(target="qpu.aria-1", budget_usd=20.0)
        circuit = bell_qnode(dev, shots=100)
        before = jobs_created(url)
        with qp.Tracker(dev) as tracker:
            result = circuit(0.3)
        assert jobs_created(url) == before + 1
        assert -1.0 <= result <= 1.0
        assert tracker.totals["estimated_cost_usd"] == pytest.approx(BELL_COST)
        assert tracker.totals["billed_cost_usd"] > 0
        assert tracker.totals["billed_cost_usd"] == pytest.approx(BELL_COST)
        assert tracker.totals["shots"] == 100
        with pytest.raises(BudgetExceededError) as info:
            circuit(0.4)
        error = info.value
        assert error.spent_usd == pytest.approx(BELL_COST)
        assert error.remaining_usd == pytest.approx(20.0 - BELL_COST)
        assert error.needed_usd == pytest.approx(BELL_COST)
        assert jobs_created(url) == before + 1

    @pytest.mark.parametrize(
        ("options", "x", "expected"),
        [
            pytest.param({}, 0.3, BELL_COST, id="one-job-minimum"),
            pytest.param(
                {"error_mitigation": {"debiasing": True}},
                0.3,
                estimate_cost(
                    backend="qpu.aria-1",
                    shots=100,
                    gate_counts=[count_gates(BELL_GATES)],
                    error_mitigation=True,
                ),
                id="debiasing-minimum",
            ),
            pytest.param(
                {"max_circuits_per_job": 1},
                np.array([0.3, 0.4, 0.5]),
                3 * BELL_COST,
                id="three-jobs",
            ),
        ],
    )
    def test_estimate_matches_pricing_and_bill(self, make, url, options, x, expected):
        """The dry-run estimate, the run's estimate and the bill agree with estimate_cost."""
        dry = make(target="qpu.aria-1", dry_run=True, **options)
        with pytest.warns(UserWarning, match="dry_run"):
            bell_qnode(dry, shots=100)(x)
        assert dry.last_estimate_usd == pytest.approx(expected)
        dev = make(target="qpu.aria-1", budget_usd=expected, **options)
        with qp.Tracker(dev) as tracker:
            bell_qnode(dev, shots=100)(x)
        assert tracker.totals["estimated_cost_usd"] == pytest.approx(expected)
        assert tracker.totals["billed_cost_usd"] == pytest.approx(expected)
        assert dev.budget.spent_usd == pytest.approx(expected)

    def test_free_simulator_never_refused(self, make):
        """The simulator is free: a zero budget still runs."""
        dev = make(budget_usd=0.0)
        assert bell_qnode(dev)(0.0) == pytest.approx(1.0)


class TestDryRun:
    """dry_run=True estimates and submits nothing."""

    def test_nothing_submitted(self, make, url):
        """NaN results, the estimate on the device and tracker, a warning, no job."""
        dev = make(target="qpu.aria-1", dry_run=True)
        before = jobs_created(url)
        with qp.Tracker(dev) as tracker, pytest.warns(UserWarning, match="dry_run"):
            result = bell_qnode(dev, shots=100)(0.3)
        assert math.isnan(result)
        assert dev.last_estimate_usd == pytest.approx(BELL_COST)
        assert tracker.totals["estimated_cost_usd"] == pytest.approx(BELL_COST)
        assert tracker.totals["jobs"] == 0
        assert jobs_created(url) == before

    def test_probs_are_nan(self, make, url):
        """A probability vector of the right length, all NaN."""
        dev = make(target="qpu.aria-1", dry_run=True)

        @qp.set_shots(shots=100)
        @qp.qnode(dev)
        def circuit():
            qp.Hadamard(0)
            return qp.probs(wires=[0, 1])

        with pytest.warns(UserWarning, match="dry_run"):
            result = circuit()
        assert result.shape == (4,)
        assert np.all(np.isnan(result))


# --- result cache -------------------------------------------------------------------------------


class TestCache:
    """Repeated circuits cost no job; the persistent layer survives the device."""

    def test_repeat_is_a_cache_hit(self, make, url):
        """The second identical circuit is served from memory: no job."""
        dev = make(cache=True)
        circuit = bell_qnode(dev)
        before = jobs_created(url)
        with qp.Tracker(dev) as tracker:
            first, second = circuit(0.3), circuit(0.3)
        assert first == second == pytest.approx(math.cos(0.3))
        assert tracker.history["cache_hits"] == [0, 1]
        assert tracker.history["jobs"] == [1, 0]
        assert jobs_created(url) == before + 1

    def test_duplicates_in_a_batch_submitted_once(self, make, url):
        """Identical circuits of one batch (a broadcast) are sent once and share the result."""
        dev = make(cache=True)
        before = jobs_created(url)
        with qp.Tracker(dev) as tracker:
            result = bell_qnode(dev)(np.array([0.6, 0.6, 1.6]))
        np.testing.assert_allclose(result, np.cos([0.6, 0.6, 1.6]), atol=1e-9)
        assert tracker.totals["circuits"] == 3
        assert tracker.totals["submitted_circuits"] == 2
        assert jobs_created(url) == before + 1

    def test_new_device_reads_disk(self, make, url):
        """A new device on the same cache_path reads the result from disk (persistent_hits)."""
        first = make(cache=True)
        bell_qnode(first)(0.7)
        before = jobs_created(url)
        second = make(cache=True)
        assert bell_qnode(second)(0.7) == pytest.approx(math.cos(0.7))
        assert second.cache_stats()["persistent_hits"] == 1
        assert jobs_created(url) == before

    def test_cache_is_per_service(self, make, url):
        """Counts cached from one service (an emulator) are not served for another."""
        bell_qnode(make(target="qpu.aria-1", cache=True), shots=100)(0.3)
        with running(profile="instant", seed=9, api_keys=()) as other:
            dev = make(target="qpu.aria-1", cache=True, root=other)
            with qp.Tracker(dev) as tracker:
                bell_qnode(dev, shots=100)(0.3)
            assert tracker.totals["cache_hits"] == 0
            assert jobs_created(other) == 1

    def test_clear_cache_keeps_persistent_layer(self, make, url):
        """clear_cache empties memory; the disk layer still answers without a job."""
        dev = make(cache=True)
        circuit = bell_qnode(dev)
        circuit(1.1)
        dev.clear_cache()
        before = jobs_created(url)
        assert circuit(1.1) == pytest.approx(math.cos(1.1))
        assert dev.cache_stats()["persistent_hits"] == 1
        assert jobs_created(url) == before

    def test_different_parameters_miss(self, make, url):
        """A different angle, even by 1e-12, is a new circuit."""
        dev = make(cache=True)
        circuit = bell_qnode(dev)
        before = jobs_created(url)
        circuit(0.5)
        circuit(0.5 + 1e-12)
        assert jobs_created(url) == before + 2

    @pytest.mark.parametrize(
        "wires",
        [
            pytest.param([1, 0], id="reversed"),
            pytest.param(None, id="circuit-wires"),
            pytest.param([2, 0, 1], id="wider-permuted"),
        ],
    )
    def test_shared_cache_other_wire_order(self, make, wires):
        """A device with another wire order on the same cache_path still gets its own result."""

        def circuit():
            qp.PauliX(0)
            qp.Hadamard(1)
            qp.Hadamard(1)
            return qp.expval(qp.Z(0)), qp.expval(qp.Z(1))

        assert qp.QNode(circuit, make(wires=[0, 1], cache=True))() == (-1.0, 1.0)
        other = make(wires=wires, cache=True)
        assert qp.QNode(circuit, other)() == (-1.0, 1.0)

    @pytest.mark.parametrize("gateset", GATESETS)
    def test_one_template_per_structure(self, make, gateset):
        """Circuits of one structure compile once (compiled stats) and bind their own angles."""
        dev = make(cache=True, gateset=gateset)
        circuit = bell_qnode(dev)
        results = [circuit(x) for x in (0.2, 0.9, 2.1)]
        np.testing.assert_allclose(results, np.cos([0.2, 0.9, 2.1]), atol=1e-9)
        stats = dev.cache_stats()
        assert (stats["compiled_misses"], stats["compiled_hits"]) == (1, 2)

    def test_shots_reuse(self, make, url):
        """cache_finite_shots="reuse": a paid finite-shot circuit is not paid again."""
        dev = make(target="qpu.aria-1", cache=True, cache_finite_shots="reuse")
        circuit = bell_qnode(dev, shots=100)
        before = jobs_created(url)
        with qp.Tracker(dev) as tracker:
            circuit(0.3)
            circuit(0.3)
        assert tracker.history["cache_hits"] == [0, 1]
        assert jobs_created(url) == before + 1

    def test_shots_skip(self, make, url):
        """cache_finite_shots="skip": a repeated finite-shot circuit is measured again."""
        dev = make(target="qpu.aria-1", cache=True, cache_finite_shots="skip")
        circuit = bell_qnode(dev, shots=100)
        before = jobs_created(url)
        with qp.Tracker(dev) as tracker:
            circuit(0.3)
            circuit(0.3)
        assert tracker.history["cache_hits"] == [0, 0]
        assert tracker.history["jobs_created"] == [1, 1]
        assert jobs_created(url) == before + 2


# --- journal ------------------------------------------------------------------------------------


class TestJournal:
    """Devices sharing a journal pay for a batch once."""

    def test_shared_journal_one_job(self, make, url, tmp_path):
        """Two devices, one journal_path, the same batch: one job, a journal reuse."""
        journal = tmp_path / "shared.sqlite"
        a, b = make(journal_path=journal), make(journal_path=journal)
        before = jobs_created(url)
        with qp.Tracker(a) as ta:
            ra = bell_qnode(a)(0.9)
        with qp.Tracker(b) as tb:
            rb = bell_qnode(b)(0.9)
        assert ra == rb == pytest.approx(math.cos(0.9))
        assert jobs_created(url) == before + 1
        assert (ta.totals["jobs_created"], ta.totals["journal_reuses"]) == (1, 0)
        assert (tb.totals["jobs_created"], tb.totals["journal_reuses"]) == (0, 1)

    def test_job_name_and_metadata_reach_the_job(self, make, url):
        """job_name and metadata are attached to the created job."""
        dev = make(job_name="nightly", metadata={"project": "qml"})
        with qp.Tracker(dev) as tracker:
            bell_qnode(dev)(0.2)
        (job_id,) = tracker.history["job_ids"][0]
        job = httpx.get(
            f"{url}/v0.4/jobs/{job_id}", headers={"Authorization": f"apiKey {KEY}"}
        ).json()
        assert job["name"].startswith("nightly")
        assert job["metadata"]["project"] == "qml"


# --- faults and secrets -------------------------------------------------------------------------


class TestFaults:
    """Transient 5xx and 429 answers are retried transparently."""

    def test_correct_results_under_faults(self, tmp_path):
        """With 20% 5xx and 10% 429 injected, results are still exact."""
        with running(profile="instant", seed=5, api_keys=()) as root:
            faults = {"error_rate": 0.2, "rate_limit_rate": 0.1, "retry_after_s": 0.01}
            httpx.put(root + "/_emulator/faults", json=faults).raise_for_status()
            dev = qp.device(
                "qnative.ionq",
                wires=2,
                api_url=root + "/v0.4",
                api_key=KEY,
                cache=False,
                journal_path=tmp_path / "journal.sqlite",
                max_retries=20,
                retry_delay=0.01,
            )
            circuit = bell_qnode(dev)
            angles = [0.1, 0.7, 1.3, 2.2, 3.0]
            results = [circuit(x) for x in angles]
            injected = httpx.get(root + "/_emulator/stats").json()["faults_injected"]
        np.testing.assert_allclose(results, np.cos(angles), atol=1e-9)
        assert sum(injected.values()) > 0


class TestApiKeyNeverShown:
    """The API key appears in no repr, exception or log record."""

    def test_repr(self, make):
        """The device repr omits the key."""
        assert SECRET not in repr(make(api_key=SECRET))

    def test_successful_run_logs_and_files(self, make, tmp_path, caplog):
        """A successful run logs at DEBUG without the key and stores it in no file."""
        caplog.set_level(logging.DEBUG)
        dev = make(api_key=SECRET, cache=True)
        assert bell_qnode(dev)(0.3) == pytest.approx(math.cos(0.3))
        assert caplog.records
        for record in caplog.records:
            assert SECRET not in record.getMessage()
        for path in tmp_path.iterdir():
            if path.is_file():
                assert SECRET.encode() not in path.read_bytes(), path.name

    def test_authentication_error_and_logs(self, tmp_path, caplog):
        """A 401 names the failure, not the key; DEBUG logs never contain the key."""
        caplog.set_level(logging.DEBUG)
        with running(profile="instant", api_keys=("right",)) as root:
            dev = qp.device(
                "qnative.ionq",
                wires=2,
                api_url=root + "/v0.4",
                api_key=SECRET,
                cache=False,
                journal_path=tmp_path / "journal.sqlite",
            )
            with pytest.raises(IonQAuthenticationError) as info:
                bell_qnode(dev)(0.3)
        error = info.value
        assert error.status_code == 401
        texts = [str(error), repr(error), str(error.args), str(vars(error))]
        cause = error.__cause__ or error.__context__
        while cause is not None:
            texts.append(repr(cause))
            cause = cause.__cause__ or cause.__context__
        assert all(SECRET not in text for text in texts)
        assert caplog.records
        for record in caplog.records:
            assert SECRET not in record.getMessage()
            assert SECRET not in repr(record.args)


# --- one frozen configuration, lowered once, seeded per execution ------------------------------


def two_qubit_qnode(dev, *, shots=None, **kwargs):
    """RX, RY, CNOT: gates IonQ's QIS gate set takes as they are, so nothing to decompose."""

    @qp.qnode(dev, **kwargs)
    def circuit(w):
        qp.RX(w[0], 0)
        qp.RY(w[1], 1)
        qp.CNOT([0, 1])
        qp.RY(w[2], 0)
        return qp.expval(qp.Z(0) @ qp.Z(1))

    return qp.set_shots(circuit, shots=shots) if shots else circuit


WEIGHTS = pnp.array([0.3, -0.7, 1.1], requires_grad=True)


@pytest.fixture
def lowering_calls(monkeypatch):
    """Count calls of the device's lowering by caller, and every ``lowered`` verdict."""
    calls: dict[str, int] = {}
    verdicts: list[bool] = []
    real_lowering, real_lowered = ionq_module.lowering, ionq_module.lowered

    def lowering(*args, **kwargs):
        caller = sys._getframe(1).f_code.co_name
        calls[caller] = calls.get(caller, 0) + 1
        return real_lowering(*args, **kwargs)

    def lowered(*args, **kwargs):
        verdicts.append(real_lowered(*args, **kwargs))
        return verdicts[-1]

    monkeypatch.setattr(ionq_module, "lowering", lowering)
    monkeypatch.setattr(ionq_module, "lowered", lowered)
    return calls, verdicts


class TestLowerOnce:
    """Circuits are lowered in preprocessing; generated ones only when they need it."""

    def test_spsa_lowers_nothing_generated(self, make, lowering_calls):
        """SPSA's tapes come from lowered tapes: _lower_generated lowers none of them."""
        calls, verdicts = lowering_calls
        dev = make(seed=1)
        circuit = two_qubit_qnode(dev, shots=200, diff_method="device")
        grad = qp.grad(circuit)(WEIGHTS)
        assert calls.get("preprocess_transforms", 0) >= 1
        assert calls.get("_lower_generated", 0) == 0
        assert verdicts
        assert all(verdicts)
        assert np.all(np.isfinite(grad))

    def test_qnspsa_metric_tapes_lowered_and_exact(self, make, lowering_calls):
        """QN-SPSA's overlap tapes need lowering; the result is default.qubit's (analytic)."""
        calls, verdicts = lowering_calls
        dev = make()
        options = {"metric": "qnspsa", "seed": 3}
        ours = two_qubit_qnode(
            dev, diff_method="device", gradient_kwargs={"method": "natural", **options}
        )
        theirs = two_qubit_qnode(
            qp.device("default.qubit", wires=2), diff_method=NaturalGradient(**options)
        )
        grad = qp.grad(ours)(WEIGHTS)
        assert calls.get("_lower_generated", 0) == 1
        assert not all(verdicts)
        # exact probabilities on both sides: equal up to floating-point rounding
        np.testing.assert_allclose(grad, qp.grad(theirs)(WEIGHTS), rtol=0, atol=1e-9)


def _identities(dev) -> dict[str, int]:
    return {k: id(v) for k, v in vars(dev).items()}


class TestNoMutation:
    """Executing never rebinds an attribute of the device nor changes its options."""

    def test_execute_gradient_and_dry_run(self, make):
        """A shots call, a device-gradient step and a dry run leave vars(dev) as they were."""
        dev, dry = make(seed=5), make(target="qpu.aria-1", dry_run=True)
        before = {d: (_identities(d), d.options, id(d.options)) for d in (dev, dry)}
        two_qubit_qnode(dev, shots=100)(WEIGHTS)
        qp.grad(two_qubit_qnode(dev, shots=100, diff_method="device"))(WEIGHTS)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)
            two_qubit_qnode(dry, shots=100)(WEIGHTS)
        for d in (dev, dry):
            identities, options, options_id = before[d]
            assert _identities(d) == identities
            assert d.options == options
            assert id(d.options) == options_id
        assert dry.last_estimate_usd > 0  # the budget guard changed inside, not its identity


def _sample_tape(shots=64):
    ops = [qp.RX(1.1, 0), qp.RY(0.4, 1), qp.CNOT([0, 1])]
    return qp.tape.QuantumScript(ops, [qp.sample(wires=[0, 1])], shots=shots)


class TestDeviceOptions:
    """``device_options={"rng": seed}`` seeds one execution, not the device."""

    def _run(self, dev, options):
        config = dev.setup_execution_config(ExecutionConfig(device_options=options))
        return np.asarray(dev.execute([_sample_tape()], config)[0])

    def test_same_seed_same_samples(self, make):
        """Two executions with the same seed give identical samples; another seed differs."""
        dev = make(seed=0)
        first, again = self._run(dev, {"rng": 42}), self._run(dev, {"rng": 42})
        np.testing.assert_array_equal(first, again)
        assert first.shape == (64, 2)
        # P(two 64-shot runs of a 4-outcome distribution coincide) is astronomically small
        assert not np.array_equal(first, self._run(dev, {"rng": 43}))

    def test_device_stream_not_advanced(self, make):
        """Seeded executions leave the device's own stream where it was."""
        dev, twin = make(seed=9), make(seed=9)
        state = dev._rng.bit_generator.state
        self._run(dev, {"rng": 1})
        self._run(dev, {"rng": 2})
        assert dev._rng.bit_generator.state == state
        np.testing.assert_array_equal(self._run(dev, {}), self._run(twin, {}))

    def test_gradient_kwargs_shots_rng_is_a_device_option(self, make):
        """diff_method="device" moves gradient_kwargs' shots_rng into device_options."""
        dev = make()
        requested = ExecutionConfig(
            gradient_method="device",
            gradient_keyword_arguments={"method": "spsa", "shots_rng": 4},
        )
        config = dev.setup_execution_config(requested)
        assert "shots_rng" not in config.gradient_keyword_arguments
        assert isinstance(config.device_options["rng"], np.random.Generator)

    def test_unknown_option_refused(self, make):
        """An unknown device option is refused, naming it."""
        dev = make()
        with pytest.raises(DeviceConfigurationError, match="'max_shots'"):
            dev.setup_execution_config(ExecutionConfig(device_options={"max_shots": 3}))


class TestRateCardOption:
    """The rate_card option prices dry runs."""

    @pytest.mark.parametrize(
        ("target", "card", "expected"),
        [
            pytest.param(
                "qpu.aria-1",
                RateCard(cost_1q_gate_shot=0.001, cost_2q_gate_shot=0.01, job_cost_minimum=0.5),
                1000 * (3 * 0.001 + 1 * 0.01),
                id="custom-prices",
            ),
            pytest.param("qpu.aria-1", RateCard(), RateCard().job_cost_minimum, id="default"),
            pytest.param("simulator", RateCard(), 0.0, id="free-simulator"),
            pytest.param(
                "simulator",
                RateCard(free_backends=frozenset(), job_cost_minimum=2.0),
                2.0,
                id="billed-simulator",
            ),
        ],
    )
    def test_dry_run_estimate_follows_the_card(self, make, target, card, expected):
        """last_estimate_usd is the card's price of the circuit (3 1q gates, 1 2q gate)."""
        dev = make(target=target, dry_run=True, rate_card=card)
        with pytest.warns(UserWarning, match="dry_run"):
            two_qubit_qnode(dev, shots=1000)(WEIGHTS)
        assert dev.last_estimate_usd == pytest.approx(expected)


class TestShotSemantics:
    """Finite shots are new samples, a new job, unless reuse or a run identity is asked for."""

    def test_repeated_calls_are_new_jobs_by_default(self, make, url):
        """Four identical sampled calls make four jobs (PennyLane's semantics), cache on."""
        dev = make(target="qpu.aria-1", cache=True)
        circuit = bell_qnode(dev, shots=100)
        before = jobs_created(url)
        for _ in range(4):
            circuit(0.3)
        assert jobs_created(url) == before + 4

    def test_a_new_process_samples_anew(self, make, url, tmp_path):
        """The same call from a new process (same journal, same cache) is a new job."""
        script = (
            "import sys, pennylane as qp\n"
            "dev = qp.device('qnative.ionq', wires=2, target='qpu.aria-1', api_key=sys.argv[1],"
            " api_url=sys.argv[2], journal_path=sys.argv[3], cache=True, cache_path=sys.argv[4])\n"
            "@qp.set_shots(shots=100)\n@qp.qnode(dev)\n"
            "def c(x):\n    qp.RY(x, 0)\n    qp.CNOT([0, 1])\n"
            "    return qp.expval(qp.Z(0) @ qp.Z(1))\n"
            "c(0.3)\n"
        )
        paths = [str(tmp_path / "journal.sqlite"), str(tmp_path / "results.sqlite")]
        before = jobs_created(url)
        for _ in range(2):
            subprocess.run(
                [sys.executable, "-c", script, KEY, url + "/v0.4", *paths],
                check=True, timeout=120, capture_output=True,
            )  # fmt: skip
        assert jobs_created(url) == before + 2

    def test_run_identity_re_attaches_a_repeated_run(self, make, url):
        """Under one run_id and the same seeds, a repeated run pays nothing; a new id pays."""

        def run(run_id):
            dev = make(target="qpu.aria-1", run_id=run_id)
            config = qp.devices.ExecutionConfig(device_options={"rng": 7})
            tape = qp.tape.QuantumScript(
                [qp.RY(0.3, 0), qp.CNOT([0, 1])], [qp.expval(qp.Z(0) @ qp.Z(1))], shots=100
            )
            config = dev.setup_execution_config(config)
            return [float(dev.execute([tape], config)[0]) for _ in range(2)]

        before = jobs_created(url)
        first = run("run-a")
        assert jobs_created(url) == before + 2  # two calls of one run: fresh shots each
        assert run("run-a") == first  # the same run again: the same jobs, the same counts
        assert jobs_created(url) == before + 2
        run("run-b")
        assert jobs_created(url) == before + 4

    def test_reuse_is_an_explicit_opt_in(self, make, url):
        """cache_finite_shots="reuse" serves a paid result again: one job for four calls."""
        dev = make(target="qpu.aria-1", cache=True, cache_finite_shots="reuse")
        circuit = bell_qnode(dev, shots=100)
        before = jobs_created(url)
        for _ in range(4):
            circuit(0.3)
        assert jobs_created(url) == before + 1

    def test_default_is_skip(self, make):
        """The default finite-shot policy is PennyLane's: measure anew."""
        assert make().cache_finite_shots == "skip"
