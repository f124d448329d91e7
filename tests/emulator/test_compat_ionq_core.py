"""IonQ's generated client (ionq-core, strict typed parsing), unmodified, against the emulator.

ionq-core is generated from IonQ's current OpenAPI spec: it parses every answer into typed
models, so these tests check the shapes of contract section 12 (``cost_model``, the estimate,
the cancel answer, sessions, compiled-circuit artifacts) and not only the happy path.
"""

from __future__ import annotations

import json
import warnings
from collections.abc import Iterator

import pytest

ionq_core = pytest.importorskip("ionq_core")

from ionq_core import SessionManager, iter_jobs, iter_session_jobs, wait_for_job  # noqa: E402
from ionq_core.api.backends import get_backends  # noqa: E402
from ionq_core.api.default import (  # noqa: E402
    cancel_job,
    cancel_jobs,
    create_job,
    create_session,
    end_session,
    estimate_job_cost,
    get_job,
    get_job_artifact,
    get_job_cost,
    get_job_probabilities,
    get_session,
    get_session_jobs,
    get_sessions,
)
from ionq_core.models import (  # noqa: E402
    CircuitJobCreationPayload,
    CreateSessionRequest,
    JobsBulkOperationRequest,
    SingleCircuitJob,
)

from pennylane_qnative.emulator import running  # noqa: E402

KEY = "core-key"
BELL = [{"gate": "h", "targets": [0]}, {"gate": "cnot", "control": 0, "target": 1}]


@pytest.fixture
def client() -> Iterator:
    """ionq-core's client on a fresh emulator (http: its HTTPS warning silenced)."""
    with running(api_keys=[KEY], seed=5) as url, warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        with ionq_core.IonQClient(api_key=KEY, base_url=f"{url}/v0.4", max_retries=0) as c:
            yield c


def payload(backend: str = "simulator", circuit=BELL, qubits: int = 2, **fields):
    """A typed single-circuit job body."""
    body = {"type": "ionq.circuit.v1", "backend": backend, "shots": 200}
    body["input"] = {"qubits": qubits, "gateset": fields.pop("gateset", "qis"), "circuit": circuit}
    return CircuitJobCreationPayload.from_dict(body | fields)


def submit(client, **kwargs) -> str:
    """Create a job; its id."""
    return create_job.sync(client=client, body=payload(**kwargs)).id


class TestJobs:
    """Jobs parse into ionq-core's typed models."""

    def test_job_parses_as_single_circuit_job(self, client):
        """A completed job is a SingleCircuitJob with a cost model of the newer spec."""
        job = wait_for_job(client, submit(client), timeout=30)
        assert isinstance(job, SingleCircuitJob)
        assert job.status == "completed"
        assert job.cost_model in ("QCT", "2QGE_operations")

    def test_qpu_job_cost_model(self, client):
        """A gate-priced QPU job reports 2QGE_operations."""
        job = wait_for_job(client, submit(client, backend="qpu.aria-1"), timeout=30)
        assert isinstance(job, SingleCircuitJob)
        assert job.cost_model == "2QGE_operations"

    def test_probabilities(self, client):
        """Bell probabilities come back as GetResultsResponse."""
        job_id = submit(client)
        wait_for_job(client, job_id, timeout=30)
        probs = get_job_probabilities.sync(client=client, uuid=job_id).additional_properties
        assert probs == pytest.approx({"0": 0.5, "3": 0.5})

    def test_cancel_finished_job_parses(self, client):
        """Cancelling a completed job answers 'canceled' (the only value the schema allows)."""
        job_id = submit(client)
        wait_for_job(client, job_id, timeout=30)
        answer = cancel_job.sync(client=client, uuid=job_id)
        assert (answer.id, answer.status) == (job_id, "canceled")
        probs = get_job_probabilities.sync(client=client, uuid=job_id)
        assert probs.additional_properties, "a completed job keeps its results"

    def test_bulk_cancel_parses(self, client):
        """PUT /jobs/status/cancel parses as JobsCanceledResponse."""
        ids = [submit(client), submit(client)]
        answer = cancel_jobs.sync(client=client, body=JobsBulkOperationRequest(ids=ids))
        assert answer.ids == ids
        assert answer.status == "canceled"

    def test_cost(self, client):
        """GET /jobs/{id}/cost parses."""
        job_id = submit(client, backend="qpu.aria-1")
        wait_for_job(client, job_id, timeout=30)
        cost = get_job_cost.sync(client=client, uuid=job_id)
        assert cost.estimated_cost.unit == "usd"
        assert cost.cost.value > 0

    def test_listing_follows_cursor(self, client):
        """iter_jobs pages through every job (next is null on the last page)."""
        ids = {submit(client) for _ in range(3)}
        assert ids <= {job.id for job in iter_jobs(client, limit=2)}

    def test_backends(self, client):
        """GET /backends parses."""
        names = {b.backend for b in get_backends.sync(client=client)}
        assert {"simulator", "qpu.aria-1", "qpu.forte-1"} <= names


class TestEstimate:
    """GET /jobs/estimate in the September 2026 shape."""

    def test_estimate_parses(self, client):
        """estimate_context, estimated_unit, rate_card and the total are there."""
        estimate = estimate_job_cost.sync(
            client=client, backend="qpu.aria-1", shots=1000, field_1q_gates=10, field_2q_gates=4
        )
        assert estimate.estimate_context.backend == "qpu.aria-1"
        assert estimate.estimated_unit == "usd"
        assert estimate.rate_card.rates[0].unit == "gates"
        assert estimate.estimated_total_cost == pytest.approx(12.4166)
        assert isinstance(estimate.current_predicted_queue_time, int)


class TestSessions:
    """Sessions through the generated endpoints and the SessionManager."""

    def test_session_manager_lifecycle(self, client):
        """The context manager opens, reports and ends a session."""
        with SessionManager(client, "qpu.aria-1", max_jobs=3, max_cost=100.0) as session:
            assert session.status() == "created"
            job_id = submit(client, backend="qpu.aria-1", session_id=session.session_id)
            wait_for_job(client, job_id, timeout=30)
            assert session.status() == "started"
            jobs = list(iter_session_jobs(client, session.session_id))
            assert [j.id for j in jobs] == [job_id]
        ended = get_session.sync(client=client, session_id=session.session_id)
        assert ended.status == "ended"
        assert ended.active is False
        assert ended.settings.job_count_limit == 3
        assert ended.settings.cost_limit.value == 100.0

    def test_generated_session_endpoints(self, client):
        """create / list / jobs / end parse into Session, SessionsResponse, GetJobsResponse."""
        body = CreateSessionRequest.from_dict({"backend": "simulator"})
        session = create_session.sync(client=client, body=body)
        job_id = submit(client, session_id=session.id)
        page = get_session_jobs.sync(session.id, client=client)
        assert [j.id for j in page.jobs] == [job_id]
        listed = get_sessions.sync(client=client, active=True)
        assert [s.id for s in listed.sessions] == [session.id]
        assert end_session.sync(client=client, session_id=session.id).status == "ended"
        assert get_sessions.sync(client=client, active=True).sessions == []

    def test_job_count_limit_refuses(self, client):
        """A job beyond job_count_limit is refused with 400 naming the limit."""
        body = CreateSessionRequest.from_dict(
            {"backend": "simulator", "settings": {"job_count_limit": 1}}
        )
        session = create_session.sync(client=client, body=body)
        submit(client, session_id=session.id)
        with pytest.raises(ionq_core.BadRequestError, match="job_count_limit") as refused:
            create_job.sync(client=client, body=payload(session_id=session.id))
        assert refused.value.status_code == 400


class TestCompiledCircuits:
    """Dry runs publish compiled circuits as artifacts."""

    def test_native_artifact(self, client):
        """A native dry run advertises ionq.native.v1 and serves it by artifact id."""
        gate = {"gate": "gpi2", "target": 0, "phase": 0.25}
        job_id = submit(client, circuit=[gate], qubits=1, gateset="native", dry_run=True)
        job = wait_for_job(client, job_id, timeout=30)
        descriptor = job.output.compilation.compiled_circuits["ionq.native.v1"]
        response = get_job_artifact.sync_detailed(
            client=client, uuid=job_id, artifact_id=descriptor.id
        )
        assert response.status_code == 200
        assert json.loads(response.content) == {"qubits": 1, "circuit": [gate]}

    def test_dry_run_has_no_results(self, client):
        """A dry run completes without results."""
        job = wait_for_job(client, submit(client, dry_run=True), timeout=30)
        assert job.dry_run is True
        fetched = get_job.sync(client=client, uuid=job.id)
        assert isinstance(fetched, SingleCircuitJob)
