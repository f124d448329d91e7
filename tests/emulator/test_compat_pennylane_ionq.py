"""IonQ's own PennyLane client (pennylane-ionq), unmodified, against the emulator.

``APIClient.BASE_URL`` is a class attribute: it is pointed at ``<emulator>/v0.4``. Random
circuits run on ``ionq.simulator`` must give default.qubit's exact probabilities (the ideal
simulator returns exact probabilities; pennylane-ionq's ``probs`` reads them without sampling).
"""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import numpy as np
import pennylane as qp
import pytest
from pennylane_ionq.api_client import APIClient, JobExecutionError
from pennylane_ionq.ops import GPI, GPI2, MS

from pennylane_qnative.emulator import LatencyModel, running

N_WIRES = 4
PI = np.pi
ONE_QUBIT = [qp.PauliX, qp.PauliY, qp.PauliZ, qp.Hadamard, qp.S, qp.T, qp.SX]
ROTATIONS = [qp.RX, qp.RY, qp.RZ]
TWO_QUBIT = [qp.CNOT, qp.SWAP]
ISING = [qp.IsingXX, qp.IsingYY, qp.IsingZZ]


ADMIN = {"Authorization": "apiKey pl-key"}  # the admin endpoints need a key when keys are set


@pytest.fixture
def ionq_url(monkeypatch) -> Iterator[str]:
    """An emulator with pennylane-ionq's APIClient pointed at it."""
    with running(api_keys=["pl-key"], seed=3) as url:
        monkeypatch.setattr(APIClient, "BASE_URL", f"{url}/v0.4")
        yield url


def ionq_device(**options):
    """pennylane-ionq's simulator device (the API key is the emulator's)."""
    return qp.device("ionq.simulator", wires=N_WIRES, api_key="pl-key", **options)


def random_ops(rng: np.random.Generator, depth: int = 12) -> list:
    """A random qis circuit as PennyLane operations."""
    ops = []
    for _ in range(depth):
        wires = [int(w) for w in rng.permutation(N_WIRES)[:2]]
        kind = rng.integers(4)
        if kind == 0:
            ops.append(ONE_QUBIT[rng.integers(len(ONE_QUBIT))](wires[0]))
        elif kind == 1:
            ops.append(ROTATIONS[rng.integers(3)](rng.uniform(-PI, PI), wires[0]))
        elif kind == 2:
            ops.append(TWO_QUBIT[rng.integers(2)](wires))
        else:
            ops.append(ISING[rng.integers(3)](rng.uniform(-PI, PI), wires))
    return ops


def probs_tape(ops: list, shots: int | None = 100) -> qp.tape.QuantumScript:
    """A tape measuring probabilities of every wire."""
    return qp.tape.QuantumScript(ops, [qp.probs(wires=range(N_WIRES))], shots=shots)


def reference(tapes: list) -> list:
    """default.qubit's exact results."""
    exact = [probs_tape(t.operations, shots=None) for t in tapes]
    return qp.execute(exact, qp.device("default.qubit"))


def stats(url: str) -> dict:
    """The emulator's admin statistics."""
    return httpx.get(f"{url}/_emulator/stats", headers=ADMIN).json()


class TestQisCircuits:
    """Random qis circuits, single and multi-circuit."""

    @pytest.mark.parametrize("seed", range(6))
    def test_single_circuit(self, ionq_url, seed):
        """One QNode call = one ionq.circuit.v1 job, exact probabilities."""
        ops = random_ops(np.random.default_rng(seed))

        def circuit():
            for op in ops:
                qp.apply(op)
            return qp.probs(wires=range(N_WIRES))

        qnode = qp.set_shots(qp.QNode(circuit, ionq_device()), 100)
        expected = qp.QNode(circuit, qp.device("default.qubit"))()
        assert np.allclose(qnode(), expected, atol=1e-10)
        assert stats(ionq_url)["jobs_created"] == 1

    @pytest.mark.parametrize("seed", range(3))
    def test_batch_is_one_multi_circuit_job(self, ionq_url, seed):
        """A batch of tapes is one ionq.multi-circuit.v1 job; results in circuit order."""
        rng = np.random.default_rng(100 + seed)
        tapes = [probs_tape(random_ops(rng)) for _ in range(5)]
        results = qp.execute(tapes, ionq_device())
        for got, expected in zip(results, reference(tapes), strict=True):
            assert np.allclose(got, expected, atol=1e-10)
        counts = stats(ionq_url)
        assert counts["jobs_created"] == 1
        assert counts["child_jobs_created"] == 5

    def test_qnode_with_parameters_and_marginal(self, ionq_url):
        """A parametrised QNode with a marginal probs measurement."""

        def circuit(x):
            qp.RX(x, 0)
            qp.CNOT([0, 1])
            qp.IsingZZ(0.3, [1, 3])
            qp.RY(x / 2, 3)
            return qp.probs(wires=[3, 0])

        qnode = qp.set_shots(qp.QNode(circuit, ionq_device()), 50)
        expected = qp.QNode(circuit, qp.device("default.qubit"))
        for x in (0.1, 1.3):
            assert np.allclose(qnode(x), expected(x), atol=1e-10)


def _gpi(phi):
    return np.array([[0, np.exp(-2j * PI * phi)], [np.exp(2j * PI * phi), 0]])


def _gpi2(phi):
    return (np.eye(2) - 1j * _gpi(phi)) / np.sqrt(2)


def _ms(phi0, phi1, theta=0.25):
    c, s = np.cos(PI * theta), np.sin(PI * theta)
    e = lambda x: np.exp(2j * PI * x)  # noqa: E731
    return np.array(
        [
            [c, 0, 0, -1j * s * e(-(phi0 + phi1))],
            [0, c, -1j * s * e(-(phi0 - phi1)), 0],
            [0, -1j * s * e(phi0 - phi1), c, 0],
            [-1j * s * e(phi0 + phi1), 0, 0, c],
        ]
    )


class TestNativeCircuits:
    """The native gate set, checked against the contract's matrices."""

    @pytest.mark.parametrize("seed", range(3))
    def test_native_random(self, ionq_url, seed):
        """GPI/GPI2/MS circuits match QubitUnitary circuits built from the contract."""
        rng = np.random.default_rng(200 + seed)
        native, unitary = [], []
        for _ in range(10):
            a, b = (int(w) for w in rng.permutation(N_WIRES)[:2])
            phi, phi1, theta = rng.uniform(0, 1), rng.uniform(0, 1), rng.uniform(0, 0.25)
            kind = rng.integers(3)
            if kind == 0:
                native.append(GPI(phi, wires=a))
                unitary.append(qp.QubitUnitary(_gpi(phi), wires=a))
            elif kind == 1:
                native.append(GPI2(phi, wires=a))
                unitary.append(qp.QubitUnitary(_gpi2(phi), wires=a))
            else:
                native.append(MS(phi, phi1, theta, wires=[a, b]))
                unitary.append(qp.QubitUnitary(_ms(phi, phi1, theta), wires=[a, b]))
        (got,) = qp.execute([probs_tape(native)], ionq_device(gateset="native"))
        (expected,) = reference([probs_tape(unitary)])
        assert np.allclose(got, expected, atol=1e-10)


class TestLifecycleAndFailures:
    """pennylane-ionq's 10 ms poll loop against real latency and failures."""

    def test_polls_until_completed(self, monkeypatch):
        """With queue and execution delays, the client polls to completion."""
        model = LatencyModel(validation_s=0.01, queue_s=0.03, exec_per_circuit_s=0.02)
        with running(latency=model, api_keys=()) as url:
            monkeypatch.setattr(APIClient, "BASE_URL", f"{url}/v0.4")
            tape = probs_tape([qp.Hadamard(0), qp.CNOT([0, 1])])
            (got,) = qp.execute([tape], ionq_device())
            assert stats(url)["requests"] > 3
        assert np.allclose(got, reference([tape])[0])

    def test_failed_job_raises(self, monkeypatch):
        """A failed job surfaces as pennylane-ionq's JobExecutionError (no endless loop)."""
        with running(faults={"failure_rate": 1.0}, api_keys=()) as url:
            monkeypatch.setattr(APIClient, "BASE_URL", f"{url}/v0.4")
            with pytest.raises(JobExecutionError):
                qp.execute([probs_tape([qp.Hadamard(0)])], ionq_device())

    def test_get_retries_on_5xx(self, monkeypatch):
        """pennylane-ionq retries GETs on injected 503s and still gets the result."""
        faults = {"error_rate": 0.3, "error_codes": [503], "methods": ["GET"]}
        with running(faults=faults, seed=11, api_keys=()) as url:
            monkeypatch.setattr(APIClient, "BASE_URL", f"{url}/v0.4")
            tape = probs_tape([qp.Hadamard(0)])
            (got,) = qp.execute([tape], ionq_device(retry_delay=0.001, max_retries=10))
            assert stats(url)["faults_injected"]
        assert np.allclose(got, reference([tape])[0])

    def test_noise_model(self, ionq_url):
        """noise_model/noise_seed are accepted; the result is a sampled distribution."""
        tape = probs_tape([qp.Hadamard(0), qp.CNOT([0, 1])], shots=1000)
        dev = ionq_device(noise_model="aria-1", noise_seed=5)
        (got,) = qp.execute([tape], dev)
        (again,) = qp.execute([tape], dev)
        assert np.isclose(got.sum(), 1.0)
        assert np.allclose(got, again)
        assert got[0] + got[0b1100] > 0.9  # |0000> and |1100> (wire 0 most significant)


class TestQpuAndProfiles:
    """The QPU device and the benchmark profile."""

    def test_qpu_device_gets_sampled_counts(self, ionq_url):
        """ionq.qpu on qpu.aria-1 gets counts/shots from the Aria noise model."""
        tape = probs_tape([qp.Hadamard(0), qp.CNOT([0, 1])], shots=2000)
        dev = qp.device("ionq.qpu", wires=N_WIRES, api_key="pl-key", backend="aria-1")
        (got,) = qp.execute([tape], dev)
        assert np.isclose(got.sum(), 1.0)
        assert np.allclose(got * 2000, np.round(got * 2000))
        # Bell outcomes dominate; 5-sigma binomial bound on the 50/50 split.
        assert got[0] + got[0b1100] > 0.9
        assert abs(got[0] - got[0b1100]) < 5 * np.sqrt(0.25 / 2000) * 2

    def test_cloud_simulator_profile(self, monkeypatch):
        """With the ~1 s cloud-simulator queue, the client polls through every status."""
        with running(profile="cloud-simulator", api_keys=()) as url:
            monkeypatch.setattr(APIClient, "BASE_URL", f"{url}/v0.4")
            tape = probs_tape([qp.Hadamard(0)])
            (got,) = qp.execute([tape], ionq_device())
            (job,) = httpx.get(f"{url}/v0.4/jobs", headers={"Authorization": "apiKey x"}).json()[
                "jobs"
            ]
        assert job["status"] == "completed"
        assert job["predicted_wait_time_ms"] >= 1000
        assert np.allclose(got, reference([tape])[0])
