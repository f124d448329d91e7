"""The emulator, the wire-layer client and the device enforce one table of IonQ limits.

The limits live in :mod:`pennylane_qnative.ionq.backends`; each layer must refuse the same
values (the device before anything is submitted, the emulator with a 400).
"""

from __future__ import annotations

import httpx
import pennylane as qp
import pytest

from pennylane_qnative.emulator import running
from pennylane_qnative.emulator.backends import BACKENDS as EMULATED
from pennylane_qnative.exceptions import ConfigurationError, UnsupportedCircuitError
from pennylane_qnative.execution.job_manager import JobLimits
from pennylane_qnative.ionq.backends import BACKENDS, MAX_CIRCUITS_PER_JOB, MAX_SHOTS
from pennylane_qnative.ionq.models import Circuit, JobRequest

HEADERS = {"Authorization": "apiKey test"}
H = {"gate": "h", "target": 0}


@pytest.fixture(scope="module")
def url():
    """One instant-profile emulator for the module."""
    with running(profile="instant", seed=7, api_keys=()) as root:
        yield root


def post_job(url: str, **fields) -> httpx.Response:
    """POST a one-qubit simulator job with ``fields`` added to the body."""
    body = {"type": "ionq.circuit.v1", "backend": "simulator", "dry_run": True}
    body.setdefault("input", {"qubits": 1, "circuit": [H]})
    return httpx.post(f"{url}/v0.4/jobs", json={**body, **fields}, headers=HEADERS)


def jobs_created(url: str) -> int:
    """The emulator's count of top-level jobs created so far."""
    return httpx.get(url + "/_emulator/stats").json()["jobs_created"]


class TestShotLimit:
    """MAX_SHOTS is accepted everywhere, MAX_SHOTS + 1 is refused everywhere."""

    def test_emulator_accepts_the_limit(self, url):
        """The emulator creates a job of MAX_SHOTS shots."""
        assert post_job(url, shots=MAX_SHOTS).status_code == 201

    def test_emulator_refuses_above_the_limit(self, url):
        """The emulator answers 400 naming shots for MAX_SHOTS + 1."""
        response = post_job(url, shots=MAX_SHOTS + 1)
        assert response.status_code == 400
        assert "shots" in response.text

    def test_job_request_refuses_above_the_limit(self):
        """The wire-layer request refuses MAX_SHOTS + 1 before any I/O."""
        circuit = Circuit(qubits=1, gates=(H,))
        JobRequest(backend="simulator", shots=MAX_SHOTS, circuits=(circuit,))
        with pytest.raises(ConfigurationError, match=str(MAX_SHOTS)):
            JobRequest(backend="simulator", shots=MAX_SHOTS + 1, circuits=(circuit,))

    def test_device_refuses_above_the_limit_before_submitting(self, url, tmp_path):
        """qnative.ionq refuses MAX_SHOTS + 1 in preprocessing: no job reaches the emulator."""
        dev = qp.device(
            "qnative.ionq",
            wires=1,
            api_key="test",
            api_url=url + "/v0.4",
            journal_path=tmp_path / "journal.sqlite",
            cache=False,
        )

        @qp.qnode(dev)
        def circuit():
            qp.Hadamard(0)
            return qp.expval(qp.Z(0))

        before = jobs_created(url)
        with pytest.raises(UnsupportedCircuitError, match=f"{MAX_SHOTS:,}"):
            qp.set_shots(circuit, shots=MAX_SHOTS + 1)()
        assert jobs_created(url) == before


class TestCircuitLimit:
    """MAX_CIRCUITS_PER_JOB bounds the job packer and the emulator alike."""

    def test_emulator_refuses_one_circuit_too_many(self, url):
        """The emulator answers 400 for MAX_CIRCUITS_PER_JOB + 1 circuits."""
        circuits = [{"circuit": [H]}] * (MAX_CIRCUITS_PER_JOB + 1)
        response = post_job(
            url,
            type="ionq.multi-circuit.v1",
            input={"qubits": 1, "circuits": circuits},
        )
        assert response.status_code == 400
        assert str(MAX_CIRCUITS_PER_JOB) in response.text

    def test_job_limits_refuse_one_circuit_too_many(self):
        """JobLimits accepts the API's limit and refuses one more."""
        assert JobLimits().max_circuits == MAX_CIRCUITS_PER_JOB
        with pytest.raises(ConfigurationError, match="max_circuits"):
            JobLimits(max_circuits=MAX_CIRCUITS_PER_JOB + 1)


class TestBackendCatalogue:
    """The emulator serves exactly the wire layer's backends."""

    def test_get_backends_lists_the_wire_table(self, url):
        """GET /backends names every backend of the wire table, with its qubits."""
        served = {b["backend"]: b for b in httpx.get(f"{url}/v0.4/backends").json()}
        assert {name: b["qubits"] for name, b in served.items()} == {
            name: info.qubits for name, info in BACKENDS.items()
        }

    def test_emulated_backends_wrap_the_wire_entries(self):
        """Each emulated backend holds the wire layer's own entry."""
        assert all(EMULATED[name].info is info for name, info in BACKENDS.items())
