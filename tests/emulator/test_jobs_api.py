"""Protocol tests of the /jobs endpoints over loopback HTTP (emulator.jobs_api)."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from pennylane_qnative.emulator import LatencyModel, running

HEADERS = {"Authorization": "apiKey test-key"}
X0 = [{"gate": "x", "target": 0}]
BELL = [{"gate": "h", "target": 0}, {"gate": "cnot", "control": 0, "target": 1}]


def job_payload(circuit: list | None = None, **fields: Any) -> dict[str, Any]:
    """A single-circuit job body (Bell pair on the simulator unless overridden)."""
    circuit = BELL if circuit is None else circuit
    body = {
        "type": "ionq.circuit.v1",
        "backend": "simulator",
        "input": {"qubits": 2, "gateset": "qis", "circuit": circuit},
    }
    return body | fields


def multi_payload(circuits: list[list], **fields: Any) -> dict[str, Any]:
    """A multi-circuit job body."""
    body = {
        "type": "ionq.multi-circuit.v1",
        "backend": "simulator",
        "input": {"qubits": 2, "gateset": "qis", "circuits": [{"circuit": c} for c in circuits]},
    }
    return body | fields


def create(api: httpx.Client, body: dict) -> str:
    """POST a job, assert 201, return its id."""
    response = api.post("/jobs", json=body)
    assert response.status_code == 201, response.text
    data = response.json()
    assert set(data) == {"id", "status", "session_id"}
    assert data["status"] == "submitted"
    return data["id"]


class TestCreateAndGet:
    """Creating jobs and reading them back."""

    def test_single_circuit(self, api):
        """A Bell job completes (instant profile) with exact probabilities."""
        job_id = create(api, job_payload(name="bell", metadata={"k": "v"}))
        job = api.get(f"/jobs/{job_id}").json()
        assert job["status"] == "completed"
        assert job["name"] == "bell"
        assert job["metadata"] == {"k": "v"}
        assert job["stats"]["gate_counts"] == {"1q": 1, "2q": 1}
        url = job["results"]["probabilities"]["url"]
        assert url == f"/v0.4/jobs/{job_id}/results/probabilities"
        probs = api.get(url.removeprefix("/v0.4")).json()
        assert probs == pytest.approx({"0": 0.5, "3": 0.5})

    def test_multi_circuit_aggregated_in_order(self, api):
        """Children are created in circuit order; aggregated keys follow it."""
        job_id = create(api, multi_payload([BELL, X0, []]))
        parent = api.get(f"/jobs/{job_id}").json()
        children = parent["child_job_ids"]
        assert len(children) == 3
        assert parent["type"] == "ionq.multi-circuit.v1"
        aggregated = api.get(f"/jobs/{job_id}/results/probabilities/aggregated").json()
        assert list(aggregated) == children
        assert aggregated[children[1]] == {"1": 1.0}
        assert aggregated[children[2]] == {"0": 1.0}
        child = api.get(f"/jobs/{children[0]}").json()
        assert child["parent_job_id"] == job_id
        assert child["type"] == "ionq.circuit.v1"
        assert api.get(f"/jobs/{children[1]}/results/probabilities").json() == {"1": 1.0}

    def test_no_content_type_and_unknown_params(self, api):
        """A body without Content-Type (as pennylane-ionq sends) and unknown params work."""
        raw = json.dumps(job_payload(lang="json"))
        response = api.post("/jobs", content=raw, params={"whatever": "1"})
        assert response.status_code == 201
        job = api.get(f"/jobs/{response.json()['id']}", params={"sharpen": "true"})
        assert job.status_code == 200

    def test_get_with_body(self, api):
        """A GET with a JSON body (as cirq-ionq sends) is served."""
        response = api.request("GET", "/jobs", json={"limit": 10})
        assert response.status_code == 200

    @pytest.mark.parametrize(
        ("body", "status"),
        [
            pytest.param(job_payload(shots=0), 400, id="shots-low"),
            pytest.param(job_payload(shots=1_000_001), 400, id="shots-high"),
            pytest.param(job_payload(backend="qpu.aria-1", input={"qubits": 26}), 400, id="qubits"),
            pytest.param(multi_payload([X0] * 5001), 400, id="circuits"),
            pytest.param(multi_payload([X0 * 50_001] * 3), 400, id="gates"),
            pytest.param(job_payload([{"gate": "rx", "target": 0}]), 400, id="no-rotation"),
        ],
    )
    def test_limits(self, api, body, status):
        """Limits are enforced with IonQ's error body."""
        response = api.post("/jobs", json=body)
        assert response.status_code == status
        assert set(response.json()) >= {"error", "message", "statusCode"}

    def test_malformed_json(self, api):
        """Malformed JSON is a 400."""
        response = api.post("/jobs", content=b"{not json")
        assert response.status_code == 400
        assert "JSON" in response.json()["message"]

    def test_body_over_10mb(self, api):
        """A body over 10 MB gets 413."""
        response = api.post("/jobs", content=b" " * (10 * 1024 * 1024 + 1))
        assert response.status_code == 413
        assert response.json()["statusCode"] == 413

    def test_unknown_job(self, api):
        """Unknown ids give 404 with IonQ's body."""
        response = api.get("/jobs/00000000-0000-0000-0000-000000000000")
        assert response.status_code == 404
        assert response.json()["error"] == "Not Found Error"

    def test_20_qubit_ghz(self, api):
        """A 20-qubit job runs end to end."""
        circuit = [{"gate": "h", "target": 0}]
        circuit += [{"gate": "cnot", "control": i, "target": i + 1} for i in range(19)]
        job_id = create(api, job_payload(circuit, input={"qubits": 20, "circuit": circuit}))
        probs = api.get(f"/jobs/{job_id}/results/probabilities").json()
        assert set(probs) == {"0", str(2**20 - 1)}

    def test_too_wide_to_simulate_fails(self):
        """Circuits wider than max_simulated_qubits are accepted but end SimulationError."""
        with (
            running(max_simulated_qubits=3, api_keys=()) as url,
            httpx.Client(base_url=f"{url}/v0.4", headers=HEADERS) as api,
        ):
            body = job_payload(X0, backend="qpu.forte-1", input={"qubits": 36, "circuit": X0})
            job = api.get(f"/jobs/{create(api, body)}").json()
        assert job["status"] == "failed"
        assert job["failure"]["code"] == "SimulationError"
        assert "max-simulated-qubits" in job["failure"]["message"]


class TestResultsFormats:
    """Histogram, shots and noisy results."""

    def test_histogram_and_shots(self, api):
        """Histogram sums to shots; shots list has one entry per shot."""
        job_id = create(api, job_payload(shots=300))
        hist = api.get(f"/jobs/{job_id}/results/histogram").json()
        shots = api.get(f"/jobs/{job_id}/results/shots").json()
        assert sum(hist.values()) == 300
        assert set(hist) <= {"0", "3"}
        assert len(shots) == 300
        assert all(isinstance(s, str) for s in shots)

    def test_noisy_simulator_counts(self, api):
        """A noise model gives sampled counts/shots, reproducible with noise.seed."""
        body = job_payload(shots=1000, noise={"model": "aria-1", "seed": 99})
        first = api.get(f"/jobs/{create(api, body)}/results/probabilities").json()
        second = api.get(f"/jobs/{create(api, body)}/results/probabilities").json()
        assert first == second
        assert all(abs(v * 1000 - round(v * 1000)) < 1e-9 for v in first.values())

    def test_results_404_until_completed(self, emulator_url):
        """Results of a queued job are 404."""
        model = LatencyModel(queue_s=1000)
        with (
            running(latency=model, api_keys=()) as url,
            httpx.Client(base_url=f"{url}/v0.4", headers=HEADERS) as api,
        ):
            job_id = create(api, job_payload())
            assert api.get(f"/jobs/{job_id}").json()["status"] == "ready"
            assert api.get(f"/jobs/{job_id}/results/probabilities").status_code == 404


class TestLifecycle:
    """Statuses follow the latency model."""

    @pytest.mark.parametrize(
        ("model", "status"),
        [
            pytest.param(LatencyModel(validation_s=1000), "submitted", id="submitted"),
            pytest.param(LatencyModel(queue_s=1000), "ready", id="ready"),
            pytest.param(LatencyModel(exec_per_circuit_s=1000), "started", id="started"),
            pytest.param(LatencyModel(), "completed", id="completed"),
        ],
    )
    def test_status(self, model, status):
        """The job is in the state its timeline says."""
        with (
            running(latency=model, api_keys=()) as url,
            httpx.Client(base_url=f"{url}/v0.4", headers=HEADERS) as api,
        ):
            job = api.get(f"/jobs/{create(api, job_payload())}").json()
            assert job["status"] == status
            assert job["predicted_wait_time_ms"] >= 0
            assert (job["started_at"] is not None) == (status in ("started", "completed"))

    def test_failure_injection(self, admin, api):
        """failure_rate=1 makes jobs end failed with a configured code and no results."""
        admin.put("/faults", json={"failure_rate": 1.0, "failure_codes": ["SimulationError"]})
        job = api.get(f"/jobs/{create(api, job_payload())}").json()
        assert job["status"] == "failed"
        assert job["results"] is None
        assert job["failure"]["code"] == "SimulationError"


class TestCancelDelete:
    """Cancelling and deleting."""

    def test_cancel_queued_job(self):
        """A queued job (and its children) becomes canceled."""
        with (
            running(latency=LatencyModel(queue_s=1000), api_keys=()) as url,
            httpx.Client(base_url=f"{url}/v0.4", headers=HEADERS) as api,
        ):
            job_id = create(api, multi_payload([BELL, X0]))
            response = api.put(f"/jobs/{job_id}/status/cancel")
            assert response.json() == {"id": job_id, "status": "canceled"}
            job = api.get(f"/jobs/{job_id}").json()
            assert job["status"] == "canceled"
            assert job["completed_at"] is not None
            child = api.get(f"/jobs/{job['child_job_ids'][0]}").json()
            assert child["status"] == "canceled"
            cost = api.get(f"/jobs/{job_id}/cost").json()
            assert cost["cost"]["value"] == 0.0

    @pytest.mark.parametrize(
        ("mode", "code", "status"),
        [
            pytest.param("noop", 200, "completed", id="noop"),
            pytest.param("force", 200, "canceled", id="force"),
            pytest.param("reject", 409, "completed", id="reject"),
        ],
    )
    def test_cancel_completed_job(self, admin, api, mode, code, status):
        """Cancelling a finished job follows cancel_mode."""
        admin.put("/faults", json={"cancel_mode": mode})
        job_id = create(api, job_payload())
        response = api.put(f"/jobs/{job_id}/status/cancel")
        assert response.status_code == code
        assert api.get(f"/jobs/{job_id}").json()["status"] == status

    def test_bulk_cancel(self, api):
        """PUT /jobs/status/cancel takes {"ids": [...]}."""
        ids = [create(api, job_payload()) for _ in range(2)]
        response = api.put("/jobs/status/cancel", json={"ids": ids})
        assert response.json() == {"ids": ids, "status": "canceled"}
        assert api.put("/jobs/status/cancel", json={"nope": 1}).status_code == 400

    def test_delete(self, api, admin):
        """DELETE answers deleted; later reads are 404; the job still counts as created."""
        job_id = create(api, job_payload())
        assert api.delete(f"/jobs/{job_id}").json() == {"id": job_id, "status": "deleted"}
        assert api.get(f"/jobs/{job_id}").status_code == 404
        assert admin.get("/stats").json()["jobs_created"] == 1

    def test_bulk_delete(self, api):
        """DELETE /jobs takes {"ids": [...]}."""
        ids = [create(api, job_payload()) for _ in range(2)]
        response = api.request("DELETE", "/jobs", json={"ids": ids})
        assert response.json() == {"ids": ids, "status": "deleted"}
        assert all(api.get(f"/jobs/{i}").status_code == 404 for i in ids)


class TestList:
    """GET /jobs with filters and a cursor."""

    def test_cursor_walks_every_job(self, api):
        """Following next visits every job once, newest first, then next is null."""
        ids = [create(api, job_payload()) for _ in range(5)]
        seen, cursor = [], None
        while True:
            params = {"limit": 2} | ({"next": cursor} if cursor else {})
            page = api.get("/jobs", params=params).json()
            seen += [j["id"] for j in page["jobs"]]
            cursor = page["next"]
            if cursor is None:
                break
        assert seen == ids[::-1]

    def test_filters(self, api):
        """status, target and parent_job_id filters."""
        single = create(api, job_payload())
        parent = create(api, multi_payload([BELL, X0]))
        children = api.get("/jobs", params={"parent_job_id": parent}).json()["jobs"]
        assert len(children) == 2
        assert api.get("/jobs", params={"status": "failed"}).json()["jobs"] == []
        jobs = api.get("/jobs", params={"target": "simulator", "ids": single}).json()["jobs"]
        assert [j["id"] for j in jobs] == [single]
        assert api.get("/jobs", params={"target": "qpu.aria-1"}).json()["jobs"] == []


class TestCostEstimate:
    """Billing endpoints agree with the rate card."""

    def test_simulator_is_free(self, api):
        """Simulator jobs cost 0."""
        cost = api.get(f"/jobs/{create(api, job_payload())}/cost").json()
        assert cost == {
            "dry_run": False,
            "estimated_cost": {"value": 0.0, "unit": "usd"},
            "cost": {"value": 0.0, "unit": "usd"},
        }

    def test_qpu_cost_matches_estimate(self, api):
        """A QPU job's cost equals /jobs/estimate for the same counts."""
        job_id = create(api, job_payload(backend="qpu.aria-1", shots=100_000))
        cost = api.get(f"/jobs/{job_id}/cost").json()
        params = {"backend": "qpu.aria-1", "shots": 100_000, "1q_gates": 1, "2q_gates": 1}
        estimate = api.get("/jobs/estimate", params=params).json()
        expected = 100_000 * (0.00022 + 0.000975)
        assert cost["cost"]["value"] == pytest.approx(expected)
        assert estimate["estimated_cost"] == pytest.approx(expected)
        assert estimate["rate_information"]["cost_2q_gate"] == 0.000975

    def test_estimate_minimum_and_validation(self, api):
        """Small jobs pay the minimum; bad parameters are 400."""
        params = {"backend": "qpu.aria-1", "1q_gates": 1, "error_mitigation": "true"}
        assert api.get("/jobs/estimate", params=params).json()["estimated_cost"] == 97.5
        assert api.get("/jobs/estimate", params={"backend": "nope"}).status_code == 400
        bad = {"backend": "simulator", "shots": "many"}
        assert api.get("/jobs/estimate", params=bad).status_code == 400

    def test_dry_run(self, api):
        """A dry run is not executed: no results, estimated cost only."""
        job_id = create(api, job_payload(backend="qpu.aria-1", dry_run=True))
        job = api.get(f"/jobs/{job_id}").json()
        assert job["dry_run"] is True
        assert job["results"] is None
        cost = api.get(f"/jobs/{job_id}/cost").json()
        assert cost["dry_run"] is True
        assert "cost" not in cost
        assert cost["estimated_cost"]["value"] == 12.4166
        assert api.get(f"/jobs/{job_id}/results/probabilities").status_code == 404


class TestPersistence:
    """Jobs survive a restart on the same sqlite file."""

    def test_restart_keeps_jobs(self, tmp_path):
        """A second emulator on the same file serves the first one's jobs and counts."""
        db = str(tmp_path / "jobs.sqlite")
        with (
            running(db=db, api_keys=()) as url,
            httpx.Client(base_url=f"{url}/v0.4", headers=HEADERS) as api,
        ):
            job_id = create(api, job_payload())
        with running(db=db, api_keys=()) as url:
            with httpx.Client(base_url=f"{url}/v0.4", headers=HEADERS) as api:
                assert api.get(f"/jobs/{job_id}").json()["status"] == "completed"
                probs = api.get(f"/jobs/{job_id}/results/probabilities").json()
                assert probs == pytest.approx({"0": 0.5, "3": 0.5})
                create(api, job_payload())
            stats = httpx.get(f"{url}/_emulator/stats").json()
            assert stats["jobs_created"] == 2
            assert stats["submissions"] == 1
            assert stats["duplicate_payloads"] == 1
