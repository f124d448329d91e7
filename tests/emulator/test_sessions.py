"""Tests for the emulator's sessions (:mod:`.sessions`, :mod:`.sessions_api`) and the other
revisions of contract section 12 (cancel, estimate, artifacts, rotation on a fixed gate)."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from pennylane_qnative.emulator import LatencyModel, running
from pennylane_qnative.emulator.job_records import EmulatorHTTPError, parse_job
from pennylane_qnative.emulator.sessions import admit, new_session, render_session

from .conftest import HEADERS

QUEUE_S = 0.6
EXEC_S = 0.05


def job(backend: str = "simulator", session_id: str | None = None, **fields) -> dict:
    """A one-gate job body, in a session when given."""
    body = {
        "type": "ionq.circuit.v1",
        "backend": backend,
        "shots": 10,
        "input": {"qubits": 1, "circuit": [{"gate": "h", "target": 0}]},
    }
    if session_id is not None:
        body["session_id"] = session_id
    return body | fields


@pytest.fixture
def slow_api() -> Iterator[httpx.Client]:
    """A client on an emulator whose jobs queue QUEUE_S and run EXEC_S per circuit."""
    latency = LatencyModel(queue_s=QUEUE_S, exec_per_circuit_s=EXEC_S)
    with (
        running(latency=latency, api_keys=()) as url,
        httpx.Client(base_url=f"{url}/v0.4", headers=HEADERS, timeout=10) as client,
    ):
        yield client


def open_session(api: httpx.Client, backend: str = "simulator", **settings) -> str:
    """POST /sessions; the id."""
    response = api.post("/sessions", json={"backend": backend, "settings": settings})
    assert response.status_code == 201, response.text
    return response.json()["id"]


class TestSessionObjects:
    """The Session object and its lifecycle."""

    def test_required_keys(self, api):
        """Every required key of the schema is emitted; a new session is created and active."""
        session = api.get(f"/sessions/{open_session(api, job_count_limit=2)}").json()
        required = {
            "id", "created_at", "organization_id", "backend", "project_id", "creator_id",
            "ended_at", "ender_id", "active", "status", "started_at",
        }  # fmt: skip
        assert required <= set(session)
        assert (session["status"], session["active"], session["started_at"]) == (
            "created",
            True,
            None,
        )
        assert session["settings"] == {"job_count_limit": 2}

    def test_started_by_its_first_job_then_ended(self, api):
        """A job starts the session; end makes it inactive; ending twice changes nothing."""
        session_id = open_session(api)
        api.post("/jobs", json=job(session_id=session_id))
        assert api.get(f"/sessions/{session_id}").json()["status"] == "started"
        ended = api.post(f"/sessions/{session_id}/end").json()
        assert (ended["status"], ended["active"]) == ("ended", False)
        again = api.post(f"/sessions/{session_id}/end").json()
        assert again["ended_at"] == ended["ended_at"]

    def test_list_and_active_filter(self, api):
        """GET /sessions lists every session; ?active filters."""
        live, done = open_session(api), open_session(api)
        api.post(f"/sessions/{done}/end")
        body = api.get("/sessions").json()
        assert body["organization_id"]
        assert {s["id"] for s in body["sessions"]} == {live, done}
        assert [s["id"] for s in api.get("/sessions?active=true").json()["sessions"]] == [live]
        assert [s["id"] for s in api.get("/sessions?active=false").json()["sessions"]] == [done]

    def test_session_jobs(self, api):
        """GET /sessions/{id}/jobs lists only that session's jobs."""
        session_id = open_session(api)
        inside = api.post("/jobs", json=job(session_id=session_id)).json()["id"]
        api.post("/jobs", json=job())
        page = api.get(f"/sessions/{session_id}/jobs").json()
        assert [j["id"] for j in page["jobs"]] == [inside]
        assert page["next"] is None
        assert page["jobs"][0]["session_id"] == session_id

    @pytest.mark.parametrize(
        "body",
        [
            pytest.param({"backend": "qpu.nope"}, id="backend"),
            pytest.param({"backend": "simulator", "settings": {"job_count_limit": 0}}, id="count"),
            pytest.param(
                {"backend": "simulator", "settings": {"cost_limit": {"unit": "eur", "value": 1}}},
                id="unit",
            ),
            pytest.param({"backend": "simulator", "settings": {"forever": True}}, id="unknown"),
        ],
    )
    def test_invalid_create(self, api, body):
        """Invalid session requests are 400s."""
        assert api.post("/sessions", json=body).status_code == 400

    def test_qiskit_backend_names(self, api):
        """qiskit-ionq's 'ionq_simulator' names the simulator."""
        assert api.post("/sessions", json={"backend": "ionq_simulator"}).status_code == 201

    def test_unknown_session(self, api):
        """GET of an unknown session is 404."""
        assert api.get("/sessions/nope").status_code == 404


class TestLimits:
    """Jobs a session refuses: 400 naming the limit, nothing created."""

    def test_job_count_limit(self, api, admin):
        """The job after job_count_limit is refused."""
        session_id = open_session(api, job_count_limit=2)
        for _ in range(2):
            assert api.post("/jobs", json=job(session_id=session_id)).status_code == 201
        refused = api.post("/jobs", json=job(session_id=session_id))
        assert refused.status_code == 400
        assert refused.json()["message"].startswith("SessionLimitExceeded (job_count_limit)")
        assert admin.get("/stats").json()["jobs_created"] == 2

    def test_cost_limit(self, api):
        """A job whose estimate would exceed cost_limit is refused."""
        session_id = open_session(api, "qpu.aria-1", cost_limit={"unit": "usd", "value": 20})
        assert api.post("/jobs", json=job("qpu.aria-1", session_id)).status_code == 201
        refused = api.post("/jobs", json=job("qpu.aria-1", session_id))
        assert "SessionLimitExceeded (cost_limit)" in refused.json()["message"]

    def test_ended_session(self, api):
        """An ended session takes no job."""
        session_id = open_session(api)
        api.post(f"/sessions/{session_id}/end")
        refused = api.post("/jobs", json=job(session_id=session_id))
        assert "SessionLimitExceeded (ended)" in refused.json()["message"]

    def test_other_backend_and_unknown_id(self, api):
        """A job for another backend, or naming no session, is refused as invalid."""
        session_id = open_session(api, "qpu.aria-1")
        assert api.post("/jobs", json=job(session_id=session_id)).status_code == 400
        assert api.post("/jobs", json=job(session_id="nope")).status_code == 400

    def test_duration_limit(self):
        """duration_limit_min minutes after it started, a session is ended and refuses jobs."""
        record = new_session({"backend": "simulator", "settings": {"duration_limit_min": 1}}, now=0)
        first = {"started_at": 1.0, "completed_at": 2.0, "canceled_at": None, "cost": 0.0}
        assert render_session(record, [first], now=60.0)["status"] == "started"
        late = render_session(record, [first], now=61.5)
        assert (late["status"], late["active"], late["ender_id"]) == ("ended", False, "system")
        with pytest.raises(EmulatorHTTPError, match="duration_limit_min"):
            admit(record, [first], session_id=record["id"], backend="simulator", cost=0, now=62)


class TestBackendHold:
    """The latency model of a session: the queue is waited once."""

    def test_queue_waited_once(self, slow_api):
        """The first job waits the queue; the next ones start when the previous one ends."""
        session_id = open_session(slow_api)
        ids = [slow_api.post("/jobs", json=job(session_id=session_id)).json()["id"] for _ in "abc"]
        waits = [slow_api.get(f"/jobs/{i}").json()["predicted_wait_time_ms"] for i in ids]
        assert waits[0] == pytest.approx(QUEUE_S * 1000, abs=5)
        # each later job waits only for its predecessors' execution, not for the queue again
        for k in (1, 2):
            assert waits[k] < waits[0] + k * EXEC_S * 1000 + 20

    def test_without_session_every_job_queues(self, slow_api):
        """Outside a session each job waits the whole queue."""
        ids = [slow_api.post("/jobs", json=job()).json()["id"] for _ in "ab"]
        waits = [slow_api.get(f"/jobs/{i}").json()["predicted_wait_time_ms"] for i in ids]
        assert waits == [pytest.approx(QUEUE_S * 1000, abs=5)] * 2


class TestContractRevisions:
    """Contract section 12: cancel, estimate, artifacts, rotation on a fixed gate."""

    def test_cancel_completed_job_by_default(self, api):
        """Cancel answers 'canceled'; a completed job keeps its results."""
        job_id = api.post("/jobs", json=job()).json()["id"]
        assert api.put(f"/jobs/{job_id}/status/cancel").json() == {
            "id": job_id,
            "status": "canceled",
        }
        assert api.get(f"/jobs/{job_id}").json()["results"] is not None
        assert api.get(f"/jobs/{job_id}/results/probabilities").status_code == 200

    def test_estimate_has_both_generations(self, api):
        """The May and September fields are both present."""
        body = api.get("/jobs/estimate", params={"backend": "qpu.aria-1", "shots": 100}).json()
        assert {"estimated_cost", "cost_unit", "rate_information", "input_values"} <= set(body)
        assert {"estimate_context", "estimated_unit", "rate_card", "estimated_total_cost"} <= set(
            body
        )

    @pytest.mark.parametrize(
        "gate",
        [
            pytest.param({"gate": "z", "target": 0, "rotation": 0.3}, id="z"),
            pytest.param({"gate": "h", "target": 0, "rotation": 0.1}, id="h"),
            pytest.param({"gate": "cnot", "control": 0, "target": 1, "rotation": 1.0}, id="cnot"),
        ],
    )
    def test_rotation_on_fixed_gate_refused(self, api, gate):
        """A fixed gate carrying a rotation is a 400 InvalidInput naming the gate."""
        body = job(input={"qubits": 2, "circuit": [gate]})
        response = api.post("/jobs", json=body)
        assert response.status_code == 400
        assert response.json()["message"].startswith("InvalidInput")
        assert gate["gate"] in (response.json()["message"])

    def test_rotation_on_native_gate_refused(self):
        """A native gate takes phases, never a rotation."""
        gate = {"gate": "gpi", "target": 0, "phase": 0.1, "rotation": 0.2}
        with pytest.raises(EmulatorHTTPError, match="rotation"):
            parse_job(job(input={"qubits": 1, "gateset": "native", "circuit": [gate]}))

    def test_dry_run_circuits(self, api):
        """/circuits/qasm3 serves the program; an unavailable format and a real job are 404."""
        job_id = api.post("/jobs", json=job(dry_run=True)).json()["id"]
        program = api.get(f"/jobs/{job_id}/circuits/qasm3").json()
        assert program.splitlines()[-1] == "h q[0];"
        assert api.get(f"/jobs/{job_id}/circuits/native").status_code == 404
        assert api.get(f"/jobs/{job_id}/artifacts/nope").status_code == 404
        real = api.post("/jobs", json=job()).json()["id"]
        assert api.get(f"/jobs/{real}/circuits/qasm3").status_code == 404

    def test_queued_status_alias(self, slow_api):
        """status=queued (qiskit-ionq's Session.cancel) lists submitted and ready jobs."""
        job_id = slow_api.post("/jobs", json=job()).json()["id"]
        listed = slow_api.get("/jobs", params={"status": "queued"}).json()["jobs"]
        assert [j["id"] for j in listed] == [job_id]
