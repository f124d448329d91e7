"""IonQ's Cirq service (cirq-ionq 1.7, API v0.4), unmodified, against the emulator.

cirq-ionq keeps only the scheme and host of ``remote_host`` and appends ``/v0.4``. Covered:
``Service.run`` / ``run_batch`` / ``sampler`` on the simulator (ideal and with a noise model)
and on QPU backends, ``create_job`` / ``create_batch_job``, ``Job.status`` / ``results`` (the
``SimulatorResult`` and ``QPUResult`` conversions, endianness, measurement keys),
``get_job``, ``list_jobs`` (filters and the ``next`` cursor), ``cancel`` of queued and running
jobs, ``delete``, dry runs, retries of injected 5xx/429, the error paths (bad key, unknown id,
too many qubits, a gate the backend lacks, failed jobs) and every gate it serialises: the
emulator's exact probabilities equal ``cirq.Simulator``'s within 1e-9, sampled QPU counts
agree with the documented noise model within 5 sigma of the multinomial.

Where cirq-ionq 1.7 and the contract disagree the emulator follows the contract (section 12
and the OpenAPI file); the tests below say where:

* ``failure`` is a required, nullable key of the job object: cirq-ionq evaluates
  ``'error' in job['failure']`` for every job that did not complete, so a canceled job fetched
  again, or a ``results()`` timeout, raises ``TypeError`` in the client;
* ``next`` is required and ``null`` on the last page (OpenAPI ``GetJobsResponse``, section
  12.7): cirq-ionq loops while the key exists, so ``list_jobs(limit=N)`` with fewer than ``N``
  matching jobs repeats the first page up to ``N``, and with *no* matching job never returns
  (these tests therefore never list an empty selection);
* ``/calibrations/current`` (a v0.1-era route cirq-ionq still calls) is not part of v0.4: 404.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator

import httpx
import numpy as np
import pytest

cirq_ionq = pytest.importorskip("cirq_ionq")

import cirq  # noqa: E402
import sympy  # noqa: E402
from cirq_ionq.ionq_exceptions import IonQException, IonQNotFoundException  # noqa: E402

from pennylane_qnative.emulator import LatencyModel, running  # noqa: E402
from pennylane_qnative.emulator.backends import NOISE_MODELS  # noqa: E402

KEY = "cirq-key"
HEADERS = {"Authorization": f"apiKey {KEY}"}
Q = cirq.LineQubit.range(3)


def make_service(url: str, key: str = KEY) -> cirq_ionq.Service:
    """cirq-ionq's service on the emulator (retries bounded so a broken test ends quickly)."""
    return cirq_ionq.Service(
        remote_host=url,
        api_key=key,
        api_version="v0.4",
        default_target="simulator",
        max_retry_seconds=2,
    )


@pytest.fixture
def emulator() -> Iterator[str]:
    """A fresh instant emulator with one accepted key."""
    with running(api_keys=[KEY], seed=17) as url, warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # cirq-ionq's dry-run advice
        yield url


@pytest.fixture
def service(emulator: str) -> cirq_ionq.Service:
    """cirq-ionq's service on the instant emulator."""
    return make_service(emulator)


def bell(key: str = "m") -> cirq.Circuit:
    """A measured Bell pair on qubits 0 and 1."""
    return cirq.Circuit(cirq.H(Q[0]), cirq.CNOT(Q[0], Q[1]), cirq.measure(Q[0], Q[1], key=key))


def exact(circuit: cirq.Circuit, n: int) -> np.ndarray:
    """``cirq.Simulator``'s probabilities, big-endian over qubits ``0..n-1``."""
    state = cirq.Simulator(dtype=np.complex128).simulate(
        cirq.drop_terminal_measurements(circuit), qubit_order=cirq.LineQubit.range(n)
    )
    return np.abs(state.final_state_vector) ** 2


def dense(table: dict[int, float], n: int) -> np.ndarray:
    """A cirq-ionq ``{int: value}`` map as a vector of length ``2**n``."""
    vector = np.zeros(2**n)
    for key, value in table.items():
        vector[key] = value
    return vector


def noisy(ideal: np.ndarray, model: str, *, n1: int, n2: int) -> np.ndarray:
    """The emulator's documented noise model (backends module docstring), recomputed here:
    global depolarisation with ``F = (1-p1)**n1 (1-p2)**n2``, then independent readout flips."""
    rates, n = NOISE_MODELS[model], int(np.log2(ideal.size))
    fidelity = (1 - rates.p1) ** n1 * (1 - rates.p2) ** n2
    p = (fidelity * ideal + (1 - fidelity) / ideal.size).reshape((2,) * n)
    flip = np.array([[1 - rates.readout, rates.readout], [rates.readout, 1 - rates.readout]])
    for axis in range(n):
        p = np.moveaxis(np.tensordot(flip, p, axes=([1], [axis])), 0, axis)
    return p.reshape(-1)  # bit flips are symmetric in qubit order, so endianness is moot


def assert_sampled(counts: dict[int, int], expected: np.ndarray, shots: int) -> None:
    """Total variation distance below 5 sigma of the multinomial, summed over outcomes."""
    observed = dense(counts, int(np.log2(expected.size))) / shots
    tvd = 0.5 * np.abs(observed - expected).sum()
    bound = 0.5 * sum(5 * np.sqrt(p * (1 - p) / shots) for p in expected) + 1 / shots
    assert sum(counts.values()) == shots
    assert tvd < bound, (tvd, bound)


def raw_get(url: str, path: str, **params) -> httpx.Response:
    """A GET on the emulator's API, outside cirq-ionq."""
    with httpx.Client(base_url=f"{url}/v0.4", headers=HEADERS, timeout=10) as api:
        return api.get(path, params=params)


class TestRun:
    """``Service.run``, ``run_batch`` and the sampler."""

    def test_run_on_the_simulator(self, service):
        """A Bell pair: only 00 and 11, with the requested repetitions."""
        result = service.run(bell(), repetitions=300, seed=3)
        histogram = result.histogram(key="m")
        assert set(histogram) <= {0, 3}
        assert sum(histogram.values()) == 300
        assert result.measurements["m"].shape == (300, 2)

    def test_remote_host_path_is_stripped(self, emulator):
        """cirq-ionq keeps only scheme and host: ``<url>/v0.4`` works like ``<url>``."""
        result = make_service(f"{emulator}/v0.4").run(bell(), repetitions=10)
        assert set(result.histogram(key="m")) <= {0, 3}

    def test_run_on_a_qpu_follows_the_noise_model(self, service):
        """QPU counts (QPUResult: ``round(shots * p)``) match the documented Aria noise."""
        circuit = cirq.Circuit(
            cirq.H(Q[0]), cirq.CNOT(Q[0], Q[1]), cirq.CNOT(Q[1], Q[2]), cirq.measure(*Q, key="m")
        )
        shots = 4000
        result = service.run(circuit, repetitions=shots, target="qpu.aria-1")
        expected = noisy(exact(circuit, 3), "aria-1", n1=1, n2=2)
        assert_sampled(dict(result.histogram(key="m")), expected, shots)

    def test_noise_model_on_the_simulator(self, service):
        """``noise={"model", "seed"}``: sampled, seeded (same seed, same counts), on model."""
        circuit = cirq.Circuit(
            cirq.rx(1.1).on(Q[0]), cirq.CNOT(Q[0], Q[1]), cirq.measure(Q[0], Q[1], key="m")
        )
        noise = {"model": "forte-1", "seed": 42}
        first = service.create_job(circuit, repetitions=2000, noise=noise).results()
        again = service.create_job(circuit, repetitions=2000, noise=noise).results()
        assert first.probabilities() == again.probabilities()
        counts = {k: round(v * 2000) for k, v in first.probabilities().items()}
        assert_sampled(counts, noisy(exact(circuit, 2), "forte-1", n1=1, n2=1), 2000)

    def test_run_batch(self, service):
        """Several circuits (of different widths) are one job; results keep circuit order."""
        flip = cirq.Circuit(cirq.X(Q[2]), cirq.measure(*Q, key="m"))
        results = service.run_batch([bell(), flip], repetitions=100, seed=1)
        assert set(results[0].histogram(key="m")) <= {0, 3}
        assert results[1].histogram(key="m") == {1: 100}  # big-endian: q2 is the last bit

    def test_run_batch_on_a_qpu(self, service):
        """A QPU batch returns one QPUResult per circuit, each summing to the shots."""
        flip = cirq.Circuit(cirq.X(Q[1]), cirq.measure(Q[0], Q[1], key="m"))
        results = service.run_batch([bell(), flip], repetitions=200, target="qpu.aria-1")
        assert [sum(r.histogram(key="m").values()) for r in results] == [200, 200]
        assert results[1].histogram(key="m").most_common(1)[0][0] == 1

    def test_sampler_sweep(self, service):
        """``service.sampler()`` resolves each parameter value into its own job."""
        theta = sympy.Symbol("theta")
        circuit = cirq.Circuit(cirq.rx(theta).on(Q[0]), cirq.measure(Q[0], key="m"))
        sweep = cirq.Points("theta", [0.0, np.pi])
        results = service.sampler(seed=5).run_sweep(circuit, params=sweep, repetitions=50)
        assert [dict(r.histogram(key="m")) for r in results] == [{0: 50}, {1: 50}]

    def test_error_mitigation_and_sharpen(self, service):
        """Debiasing settings and ``sharpen`` pass through; the settings are echoed."""
        job = service.create_job(
            bell(), repetitions=600, target="qpu.aria-1", error_mitigation={"debiasing": True}
        )
        result = job.results(sharpen=True)
        assert sum(result.counts().values()) == 600
        assert job._job["settings"]["error_mitigation"] == {"debiasing": True}


class TestJobs:
    """``create_job``, ``Job`` and the job listing."""

    def test_job_fields_and_simulator_result(self, service):
        """A completed simulator job: its fields, exact probabilities, and cirq conversion."""
        job = service.create_job(bell("bell"), repetitions=64, name="pair")
        assert job.status() == "completed"
        assert (job.target(), job.name(), job.num_qubits(), job.repetitions()) == (
            "simulator",
            "pair",
            2,
            64,
        )
        assert job.measurement_dict() == {"bell": [0, 1]}
        result = job.results()
        assert isinstance(result, cirq_ionq.SimulatorResult)
        assert result.probabilities() == pytest.approx({0: 0.5, 3: 0.5}, abs=1e-9)
        assert result.to_cirq_result(seed=2).measurements["bell"].shape == (64, 2)

    def test_qpu_result(self, service):
        """A QPU job gives a QPUResult whose counts sum to the repetitions."""
        circuit = cirq.Circuit(cirq.X(Q[0]), cirq.measure(Q[0], Q[1], key="m"))
        result = service.create_job(circuit, repetitions=500, target="qpu.forte-1").results()
        assert isinstance(result, cirq_ionq.QPUResult)
        assert result.repetitions() == 500
        assert len(result.ordered_results("m")) == 500
        assert result.counts("m").most_common(1)[0][0] == 2  # q0 set: big-endian 10
        assert result.to_cirq_result().measurements["m"].shape == (500, 2)

    def test_get_job(self, service, emulator):
        """A job is found again by id, also from a new Service."""
        job = service.create_job(bell(), repetitions=10)
        again = make_service(emulator).get_job(job.job_id())
        assert again.status() == "completed"
        assert again.repetitions() == 10

    def test_batch_job_from_a_new_service(self, service, emulator):
        """A batch job fetched by a Service that did not create it (it then reads the
        parent's non-aggregated results URL, answered with the same map of children)."""
        flip = cirq.Circuit(cirq.X(Q[0]), cirq.measure(Q[0], Q[1], key="m"))
        created = service.create_batch_job([bell(), flip], repetitions=100)
        results = make_service(emulator).get_job(created.job_id()).results()
        assert [r.probabilities() for r in results] == [
            pytest.approx({0: 0.5, 3: 0.5}, abs=1e-9),
            pytest.approx({2: 1.0}, abs=1e-9),
        ]

    def test_list_jobs(self, service, emulator):
        """``list_jobs`` returns the jobs and filters by status; ``next`` is null at the end
        (so cirq-ionq, looping while ``next`` exists, repeats the page up to its limit)."""
        ids = [service.create_job(bell(), repetitions=10).job_id() for _ in range(3)]
        assert [j.job_id() for j in service.list_jobs(limit=3)] == ids[::-1]  # newest first
        listed = service.list_jobs(status="completed", limit=7)
        assert len(listed) == 7
        assert {j.job_id() for j in listed} == set(ids)
        assert all(j.status() == "completed" for j in listed)
        assert raw_get(emulator, "/jobs", status="canceled").json() == {"jobs": [], "next": None}

    def test_list_jobs_follows_the_cursor(self, service):
        """More jobs than a page (100): cirq-ionq follows ``next`` to the second page."""
        ids = {service.create_job(bell(), repetitions=1).job_id() for _ in range(103)}
        listed = [j.job_id() for j in service.list_jobs(limit=103)]
        assert len(listed) == 103
        assert set(listed) == ids

    def test_delete(self, service):
        """A deleted job answers ``deleted``, then is not found and no longer listed."""
        kept = service.create_job(bell(), repetitions=10)
        job = service.create_job(bell(), repetitions=10)
        job.delete()
        assert job.status() == "deleted"
        with pytest.raises(IonQNotFoundException):
            service.get_job(job.job_id())
        assert [j.job_id() for j in service.list_jobs(limit=1)] == [kept.job_id()]

    def test_dry_run(self, service, emulator):
        """A dry run completes without results (``results`` is null): results() is a 404."""
        job = service.create_job(bell(), repetitions=100, target="qpu.aria-1", dry_run=True)
        assert job.status() == "completed"
        assert job._job["dry_run"] is True
        assert job._job["results"] is None
        with pytest.raises(IonQNotFoundException):
            job.results()
        cost = raw_get(emulator, f"/jobs/{job.job_id()}/cost").json()
        assert cost["dry_run"] is True
        assert cost["estimated_cost"]["value"] > 0

    def test_calibrations_are_not_v04(self, service):
        """``/calibrations/current`` is not a v0.4 route: a clean not-found."""
        with pytest.raises(IonQNotFoundException):
            service.get_current_calibration()


class TestCancel:
    """Cancelling jobs on a slow emulator."""

    @pytest.fixture
    def slow(self) -> Iterator[str]:
        """An emulator whose QPU jobs queue for a minute."""
        with running(api_keys=[KEY], profile="qpu", latency=LatencyModel(queue_s=60)) as url:
            yield url

    def test_cancel_a_queued_job(self, slow):
        """A queued job is canceled; results() then reports the status."""
        service = make_service(slow)
        job = service.create_job(bell(), repetitions=100, target="qpu.aria-1")
        assert job.status() == "ready"
        job.cancel()
        assert job.status() == "canceled"
        assert service.get_job(job.job_id()).status() == "canceled"
        with pytest.raises(RuntimeError, match="canceled"):
            job.results()

    def test_cancel_a_running_job(self):
        """A started job is canceled too."""
        latency = LatencyModel(exec_per_circuit_s=60)
        with running(api_keys=[KEY], profile="qpu", latency=latency) as url:
            service = make_service(url)
            job = service.create_job(bell(), repetitions=100, target="qpu.aria-1")
            assert job.status() == "started"
            job.cancel()
            assert service.get_job(job.job_id()).status() == "canceled"

    def test_cancel_a_batch_job(self, slow):
        """Cancelling a batch job cancels its children."""
        service = make_service(slow)
        job = service.create_batch_job([bell(), bell()], repetitions=10, target="qpu.aria-1")
        job.cancel()
        parent = raw_get(slow, f"/jobs/{job.job_id()}").json()
        children = [raw_get(slow, f"/jobs/{c}").json()["status"] for c in parent["child_job_ids"]]
        assert parent["status"] == "canceled"
        assert children == ["canceled", "canceled"]

    def test_null_failure_of_an_unfinished_job(self, slow):
        """``failure`` is null (required, nullable) on a job that has not failed. cirq-ionq
        1.7 tests ``'error' in failure`` whenever a job did not complete, so a results()
        timeout (or a re-fetched canceled job) raises TypeError there, not TimeoutError."""
        service = make_service(slow)
        job = service.create_job(bell(), repetitions=10, target="qpu.aria-1")
        assert job._job["failure"] is None
        with pytest.raises((TimeoutError, TypeError)):
            job.results(timeout_seconds=1, polling_seconds=1)
        job.cancel()
        assert service.get_job(job.job_id())._job["failure"] is None


class TestErrors:
    """What cirq-ionq raises for the emulator's error answers."""

    def test_bad_key(self, emulator):
        """A key the emulator does not accept: IonQException with status 401."""
        bad = make_service(emulator, key="not-the-key")
        with pytest.raises(IonQException) as caught:
            bad.run(bell(), repetitions=10)
        assert caught.value.status_code == 401
        with pytest.raises(IonQException, match="401"):
            bad.list_jobs()

    def test_unknown_job(self, service):
        """An unknown id: IonQNotFoundException."""
        with pytest.raises(IonQNotFoundException):
            service.get_job("00000000-0000-4000-8000-000000000000")

    @pytest.mark.parametrize(
        ("target", "width"), [("simulator", 30), ("qpu.aria-1", 26), ("qpu.forte-1", 37)]
    )
    def test_too_many_qubits(self, service, target, width):
        """A circuit wider than the backend: a clean 400 naming NotEnoughQubits."""
        last = cirq.LineQubit(width - 1)
        circuit = cirq.Circuit(cirq.X(last), cirq.measure(last, key="m"))
        with pytest.raises(IonQException, match="NotEnoughQubits") as caught:
            service.run(circuit, repetitions=10, target=target)
        assert caught.value.status_code == 400

    @pytest.mark.parametrize(
        ("gate", "target"),
        [
            (cirq_ionq.ZZGate(theta=0.1), "qpu.aria-1"),  # Aria entangles with MS
            (cirq_ionq.MSGate(phi0=0.0, phi1=0.0), "qpu.forte-1"),  # Forte with ZZ
        ],
    )
    def test_native_gate_the_backend_lacks(self, service, gate, target):
        """A native gate the QPU does not have: a clean 400 UnsupportedGate."""
        circuit = cirq.Circuit(gate.on(Q[0], Q[1]), cirq.measure(Q[0], Q[1], key="m"))
        with pytest.raises(IonQException, match="UnsupportedGate") as caught:
            service.run(circuit, repetitions=10, target=target)
        assert caught.value.status_code == 400

    def test_bare_qpu_target(self, service):
        """``target="qpu"`` (not a v0.4 backend name): a 400 listing the backends."""
        with pytest.raises(IonQException, match=r"qpu\.aria-1"):
            service.run(bell(), repetitions=10, target="qpu")

    def test_failed_job(self):
        """A job that ends ``failed`` (wider than the emulator simulates): RuntimeError."""
        with running(api_keys=[KEY], max_simulated_qubits=2) as url:
            job = make_service(url).create_job(
                cirq.Circuit(cirq.X(Q[2]), cirq.measure(*Q, key="m")), repetitions=10
            )
            assert job.status() == "failed"
            with pytest.raises(RuntimeError, match="failed"):
                job.results()

    def test_retries_injected_faults(self):
        """cirq-ionq retries 5xx, 429 and connection resets on every call (POST included;
        a faulted request never reaches a handler, so no job is created twice)."""
        faults = {"error_rate": 0.3, "rate_limit_rate": 0.2, "reset_rate": 0.1, "retry_after_s": 0}
        with running(api_keys=[KEY], seed=4, faults=faults) as url:
            service = make_service(url)
            service._client.max_retry_seconds = 30
            results = [service.run(bell(), repetitions=50, seed=1) for _ in range(3)]
        assert all(set(r.histogram(key="m")) <= {0, 3} for r in results)


def _layer(seed: int) -> list[cirq.Operation]:
    """Random rx, ry, rz on every qubit (so sign and phase errors change the distribution)."""
    angles = np.random.default_rng(seed).uniform(0.3, 2.8, (3, 3))
    gates = (cirq.rx, cirq.ry, cirq.rz)
    return [gate(angles[i, j]).on(Q[i]) for i in range(3) for j, gate in enumerate(gates)]


def _native_layer(seed: int) -> list[cirq.Operation]:
    """Random GPI2 pulses on every qubit (native circuits cannot mix in qis gates)."""
    phases = np.random.default_rng(seed).uniform(0.05, 0.95, (3, 2))
    return [cirq_ionq.GPI2Gate(phi=phases[i, j]).on(Q[i]) for j in range(2) for i in range(3)]


QIS = {
    "x y z": [cirq.X(Q[0]), cirq.Y(Q[1]), cirq.Z(Q[2])],
    "s si t ti": [cirq.S(Q[0]), cirq.S(Q[1]) ** -1, cirq.T(Q[2]), cirq.T(Q[0]) ** -1],
    "h": [cirq.H(Q[1])],
    "v vi": [cirq.X(Q[0]) ** 0.5, cirq.X(Q[1]) ** -0.5],
    "rx ry rz": [cirq.rx(0.3).on(Q[0]), cirq.ry(-1.2).on(Q[1]), cirq.rz(2.1).on(Q[2])],
    "pow gates": [cirq.X(Q[0]) ** 0.37, cirq.Y(Q[1]) ** -0.21, cirq.Z(Q[2]) ** 0.11],
    "xx yy zz": [
        cirq.XX(Q[0], Q[1]) ** 0.3,
        cirq.YY(Q[1], Q[2]) ** 0.7,
        cirq.ZZ(Q[0], Q[2]) ** 0.2,
    ],
    "cnot swap": [cirq.CNOT(Q[2], Q[0]), cirq.SWAP(Q[0], Q[1])],
    "pauliexp": [
        cirq.PauliStringPhasor(cirq.X(Q[0]) * cirq.Y(Q[1]) * cirq.Z(Q[2]), exponent_neg=0.3)
    ],
    "pauliexp 2 of 3": [cirq.PauliStringPhasor(cirq.Y(Q[2]) * cirq.X(Q[0]), exponent_neg=0.45)],
}
NATIVE = {
    "gpi": [cirq_ionq.GPIGate(phi=0.13).on(Q[0]), cirq_ionq.GPIGate(phi=0.71).on(Q[2])],
    "gpi2": [cirq_ionq.GPI2Gate(phi=0.4).on(Q[1])],
    "ms": [cirq_ionq.MSGate(phi0=0.1, phi1=0.35).on(Q[0], Q[1])],
    "ms partial": [cirq_ionq.MSGate(phi0=0.3, phi1=0.05, theta=0.1).on(Q[2], Q[1])],
    "zz": [
        cirq_ionq.ZZGate(theta=0.13).on(Q[0], Q[1]),
        cirq_ionq.ZZGate(theta=-0.3).on(Q[2], Q[0]),
    ],
}


class TestGates:
    """Every gate cirq-ionq serialises, against ``cirq.Simulator``."""

    @pytest.mark.parametrize("name", sorted(QIS))
    def test_qis_exact(self, service, name):
        """qis gates (radians, cirq's exponent * pi) between random layers: within 1e-9."""
        circuit = cirq.Circuit(
            _layer(1), cirq.CNOT(Q[0], Q[1]), QIS[name], _layer(2), cirq.measure(*Q, key="m")
        )
        result = service.create_job(circuit, repetitions=100).results()
        np.testing.assert_allclose(dense(result.probabilities(), 3), exact(circuit, 3), atol=1e-9)

    @pytest.mark.parametrize("name", sorted(NATIVE))
    def test_native_exact(self, service, name):
        """Native gates (turns; cirq-ionq sends ZZ's angle as ``phase``): within 1e-9."""
        circuit = cirq.Circuit(
            _native_layer(1), NATIVE[name], _native_layer(2), cirq.measure(*Q, key="m")
        )
        job = service.create_job(circuit, repetitions=100)
        assert job._job["stats"]["qubits"] == 3
        result = job.results()
        np.testing.assert_allclose(dense(result.probabilities(), 3), exact(circuit, 3), atol=1e-9)

    def test_native_on_a_qpu_is_sampled(self, service):
        """MS on Aria and ZZ on Forte: counts within 5 sigma of the noise model's prediction."""
        for target, entangler in (
            ("qpu.aria-1", cirq_ionq.MSGate(phi0=0.2, phi1=0.6)),
            ("qpu.forte-1", cirq_ionq.ZZGate(theta=0.2)),
        ):
            circuit = cirq.Circuit(
                _native_layer(3), entangler.on(Q[0], Q[1]), _native_layer(4),
                cirq.measure(*Q, key="m"),
            )  # fmt: skip
            shots = 3000
            result = service.run(circuit, repetitions=shots, target=target)
            model = target.removeprefix("qpu.")
            expected = noisy(exact(circuit, 3), model, n1=12, n2=1)
            assert_sampled(dict(result.histogram(key="m")), expected, shots)

    def test_measurement_subsets_and_order(self, service):
        """Several keys, out-of-order targets: cirq-ionq's metadata round-trips."""
        circuit = cirq.Circuit(
            cirq.X(Q[0]), cirq.measure(Q[2], Q[0], key="b"), cirq.measure(Q[1], key="a")
        )
        result = service.run(circuit, repetitions=20, seed=1)
        assert result.histogram(key="b") == {1: 20}
        assert result.histogram(key="a") == {0: 20}
