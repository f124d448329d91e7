"""IonQ's Qiskit provider (qiskit-ionq), unmodified, against the emulator.

The provider is pointed at the emulator with ``url=`` *and* ``IONQ_API_URL`` (some of its
calls read only the environment). Covered: backends, ``backend.run`` (single and several
circuits), status and results, ``Session(backend, max_time=, max_cost=, max_jobs=)`` with its
limits, ``estimate_job``, cancel, dry-run compiled circuits, job retrieval and the refusal of
a phase gate sent as ``{"gate": "z", "rotation": θ}``.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator

import httpx
import numpy as np
import pytest

qiskit_ionq = pytest.importorskip("qiskit_ionq")

from qiskit import QuantumCircuit  # noqa: E402
from qiskit.providers import JobStatus  # noqa: E402
from qiskit_ionq import IonQProvider  # noqa: E402
from qiskit_ionq.exceptions import IonQAPIError  # noqa: E402
from qiskit_ionq.ionq_session import Session  # noqa: E402

from pennylane_qnative.emulator import running  # noqa: E402

KEY = "qiskit-key"
HEADERS = {"Authorization": f"apiKey {KEY}"}


@pytest.fixture
def emulator(monkeypatch) -> Iterator[tuple[str, IonQProvider]]:
    """An emulator and a provider pointed at it."""
    with running(api_keys=[KEY], seed=11) as url:
        monkeypatch.setenv("IONQ_API_URL", f"{url}/v0.4")
        monkeypatch.setenv("IONQ_API_KEY", KEY)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # transpile-level advice
            yield url, IonQProvider(token=KEY, url=f"{url}/v0.4")


def bell() -> QuantumCircuit:
    """A measured Bell pair."""
    circuit = QuantumCircuit(2, 2, name="bell")
    circuit.h(0)
    circuit.cx(0, 1)
    circuit.measure([0, 1], [0, 1])
    return circuit


def session_jobs(url: str, session_id: str) -> list[dict]:
    """The emulator's GET /sessions/{id}/jobs."""
    with httpx.Client(base_url=f"{url}/v0.4", headers=HEADERS) as api:
        return api.get(f"/sessions/{session_id}/jobs").json()["jobs"]


class TestJobs:
    """The core flow, and what surrounds it."""

    def test_run_and_counts(self, emulator):
        """A Bell pair on the simulator gives only 00 and 11."""
        _, provider = emulator
        job = provider.get_backend("simulator").run(bell(), shots=200)
        counts = job.result().get_counts()
        assert set(counts) <= {"00", "11"}
        assert sum(counts.values()) == 200
        assert job.status() is JobStatus.DONE

    def test_several_circuits(self, emulator):
        """A list of circuits is one multi-circuit job; results keep circuit order."""
        _, provider = emulator
        flip = QuantumCircuit(2, 2)
        flip.x(1)
        flip.measure([0, 1], [0, 1])
        result = provider.get_backend("simulator").run([bell(), flip], shots=100).result()
        assert set(result.get_counts(0)) <= {"00", "11"}
        assert result.get_counts(1) == {"10": 100}

    def test_retrieve_job(self, emulator):
        """A job is found again by id."""
        _, provider = emulator
        backend = provider.get_backend("simulator")
        job = backend.run(bell(), shots=100)
        job.result()
        again = backend.retrieve_job(job.job_id())
        assert again.status() is JobStatus.DONE

    def test_cancel(self, emulator):
        """Cancelling a job is accepted and leaves a final state."""
        _, provider = emulator
        job = provider.get_backend("simulator").run(bell(), shots=100)
        job.result()
        job.cancel()
        assert job.status() in (JobStatus.DONE, JobStatus.CANCELLED)

    def test_estimate_job(self, emulator):
        """estimate_job parses the (older) estimate fields."""
        _, provider = emulator
        client = provider.get_backend("simulator").client
        estimate = client.estimate_job(
            backend="qpu.aria-1", oneq_gates=10, twoq_gates=4, qubits=2, shots=1000
        )
        assert estimate.cost == pytest.approx(12.4166)

    def test_phase_gate_refused_not_wrong(self, emulator):
        """qiskit's p gate (sent as z + rotation) is refused, never silently mis-simulated."""
        _, provider = emulator
        circuit = QuantumCircuit(1, 1)
        circuit.h(0)
        circuit.p(np.pi / 2, 0)
        circuit.h(0)
        circuit.measure(0, 0)
        with pytest.raises(IonQAPIError, match="rotation"):
            provider.get_backend("simulator").run(circuit, shots=100).result()


class TestDryRun:
    """Compilation as a service."""

    def test_compiled_circuit(self, emulator):
        """A dry run has no results but serves its compiled circuit."""
        _, provider = emulator
        job = provider.get_backend("simulator").run(bell(), shots=100, dry_run=True)
        job.wait_for_final_state(timeout=30)
        program = job.compiled_circuit("qasm3")
        assert program.startswith("OPENQASM 3.0;")
        assert "ctrl(1) @ x q[0], q[1];" in program


class TestSessions:
    """qiskit-ionq's Session."""

    def test_jobs_run_in_the_session(self, emulator):
        """backend.run inside the context joins the session; the session ends on exit."""
        url, provider = emulator
        backend = provider.get_backend("qpu.aria-1")
        with Session(backend, max_jobs=3, max_cost=200, max_time=30) as session:
            details = session.details()
            assert details["settings"]["job_count_limit"] == 3
            assert details["settings"]["cost_limit"] == {"unit": "usd", "value": 200.0}
            jobs = [backend.run(bell(), shots=100) for _ in range(2)]
            for job in jobs:
                job.result()
        listed = session_jobs(url, session.session_id)
        assert sorted(j["id"] for j in listed) == sorted(j.job_id() for j in jobs)
        assert session.details()["status"] == "ended"

    def test_session_limit_refuses(self, emulator):
        """A job beyond max_jobs is refused with an API error naming the limit."""
        _, provider = emulator
        backend = provider.get_backend("qpu.aria-1")
        with Session(backend, max_jobs=1) as session:
            session.run(bell(), shots=100).result()
            with pytest.raises(IonQAPIError, match="job_count_limit"):
                session.run(bell(), shots=100)

    def test_reconnect_by_id(self, emulator):
        """Session.from_id verifies and reuses an existing session."""
        _, provider = emulator
        backend = provider.get_backend("qpu.aria-1")
        first = Session(backend, max_jobs=5)
        again = Session.from_id(first.session_id, backend=backend)
        assert again.details()["id"] == first.session_id
        again.close()
        assert first.details()["active"] is False

    def test_cancel_lists_queued_jobs(self, emulator):
        """Session.cancel (which lists status=queued) works and ends nothing it should not."""
        _, provider = emulator
        backend = provider.get_backend("qpu.aria-1")
        session = Session(backend, max_jobs=2)
        session.cancel()  # nothing queued: a no-op
        session.close()
        assert session.details()["status"] == "ended"
