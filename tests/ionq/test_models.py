"""Tests for pennylane_qnative.ionq.models (pure: no network)."""

from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pennylane_qnative.exceptions import ConfigurationError
from pennylane_qnative.ionq.models import (
    CLIENT_ID_KEY,
    Circuit,
    CostEstimate,
    Job,
    JobCreated,
    JobPage,
    JobRequest,
    JobStatus,
    parse_probabilities,
)

H = {"gate": "h", "target": 0}
CNOT = {"gate": "cnot", "control": 0, "target": 1}
BELL = Circuit(qubits=2, gates=(H, CNOT))

# The contract's job object example (docs/ionq-api.md section 3.1), trimmed.
CONTRACT_JOB = {
    "id": "e1a09d90-b2ba-4ea5-9fd7-4bfc14eac524",
    "status": "completed",
    "type": "ionq.circuit.v1",
    "backend": "simulator",
    "dry_run": False,
    "parent_job_id": None,
    "child_job_ids": None,
    "metadata": None,
    "submitted_at": "2025-05-28T20:47:05.440Z",
    "completed_at": "2025-05-28T20:47:06.440Z",
    "predicted_execution_duration_ms": 5,
    "predicted_wait_time_ms": 1000,
    "failure": None,
    "results": {"probabilities": {"url": "/v0.4/jobs/e1a09d90/results/probabilities"}},
    "unknown_future_key": {"ignored": True},
}


class TestCircuit:
    """Circuit validation and JSON form."""

    @pytest.mark.parametrize(
        "kwargs",
        [
            pytest.param({"qubits": 0, "gates": ()}, id="zero-qubits"),
            pytest.param({"qubits": True, "gates": ()}, id="bool-qubits"),
            pytest.param({"qubits": 1, "gates": ("h",)}, id="gate-not-dict"),
            pytest.param({"qubits": 1, "gates": (H,), "gateset": "qasm"}, id="bad-gateset"),
        ],
    )
    def test_invalid(self, kwargs):
        """Invalid circuits raise ConfigurationError naming the field."""
        with pytest.raises(ConfigurationError, match="Circuit"):
            Circuit(**kwargs)

    @given(
        qubits=st.integers(1, 29),
        targets=st.lists(st.integers(0, 28), max_size=20),
        name=st.none() | st.text(max_size=5),
    )
    def test_json_roundtrip(self, qubits, targets, name):
        """from_json(to_json(c)) == c and json_size is the compact JSON size."""
        gates = tuple({"gate": "x", "target": t % qubits} for t in targets)
        circuit = Circuit(qubits=qubits, gates=gates, name=name)
        assert Circuit.from_json(circuit.to_json()) == circuit
        compact = json.dumps(circuit.to_json(), separators=(",", ":"))
        assert circuit.json_size() == len(compact.encode())
        assert circuit.n_gates == len(targets)


class TestJobRequest:
    """The POST /jobs body."""

    def test_single_circuit_payload(self):
        """One circuit gives an ionq.circuit.v1 body with input.circuit."""
        payload = JobRequest(backend="simulator", shots=100, circuits=(BELL,)).to_payload()
        assert payload == {
            "backend": "simulator",
            "shots": 100,
            "type": "ionq.circuit.v1",
            "input": {"qubits": 2, "gateset": "qis", "circuit": [H, CNOT]},
        }

    def test_multi_circuit_payload(self):
        """Several circuits give an ionq.multi-circuit.v1 body, in order, max qubits."""
        small = Circuit(qubits=1, gates=(H,), name="a")
        request = JobRequest(
            backend="qpu.aria-1",
            shots=10,
            circuits=(small, BELL),
            name="n",
            noise={"model": "aria-1"},
            settings={"error_mitigation": {"debiasing": False}},
            metadata={"k": "v"},
            dry_run=True,
        )
        payload = request.to_payload()
        assert payload["type"] == "ionq.multi-circuit.v1"
        assert payload["input"]["qubits"] == 2
        assert [c["circuit"] for c in payload["input"]["circuits"]] == [[H], [H, CNOT]]
        assert payload["input"]["circuits"][0]["name"] == "a"
        assert payload["metadata"] == {"k": "v"}
        assert payload["dry_run"] is True
        assert payload["settings"] == {"error_mitigation": {"debiasing": False}}

    @pytest.mark.parametrize(
        ("kwargs", "match"),
        [
            pytest.param({"shots": 0}, "shots", id="zero-shots"),
            pytest.param({"shots": 1_000_001}, "shots", id="too-many-shots"),
            pytest.param({"circuits": ()}, "empty", id="no-circuits"),
            pytest.param({"metadata": {"k": 1}}, "metadata", id="non-string-metadata"),
        ],
    )
    def test_invalid(self, kwargs, match):
        """Invalid requests are refused before any I/O."""
        base = {"backend": "simulator", "shots": 10, "circuits": (BELL,)}
        with pytest.raises(ConfigurationError, match=match):
            JobRequest(**{**base, **kwargs})

    def test_with_metadata_keeps_existing(self):
        """with_metadata adds a key without dropping the others."""
        request = JobRequest(backend="simulator", shots=1, circuits=(BELL,), metadata={"a": "b"})
        tagged = request.with_metadata(CLIENT_ID_KEY, "x")
        assert tagged.metadata == {"a": "b", CLIENT_ID_KEY: "x"}
        assert request.metadata == {"a": "b"}


class TestJob:
    """Parsing job objects."""

    def test_contract_example(self):
        """The contract's example parses, unknown keys ignored."""
        job = Job.from_json(CONTRACT_JOB)
        assert job.status is JobStatus.COMPLETED
        assert job.results_url == "/v0.4/jobs/e1a09d90/results/probabilities"
        assert job.predicted_remaining_s == pytest.approx(1.005)
        assert job.metadata == {}
        assert not job.is_multi_circuit
        assert job.completed_at is not None

    def test_multi_circuit_parent_and_failure(self):
        """child_job_ids (or v0.3 children) and failure are read."""
        job = Job.from_json(
            {
                "id": "p",
                "status": "failed",
                "children": ["a", "b"],
                "failure": {"code": "InternalError", "error": "boom"},
            }
        )
        assert job.child_job_ids == ("a", "b")
        assert job.is_multi_circuit
        assert job.failure is not None
        assert (job.failure.code, job.failure.message) == ("InternalError", "boom")
        assert job.predicted_remaining_s is None

    @pytest.mark.parametrize(
        ("status", "terminal"),
        [
            pytest.param("submitted", False, id="submitted"),
            pytest.param("ready", False, id="ready"),
            pytest.param("running", False, id="v03-running"),
            pytest.param("started", False, id="started"),
            pytest.param("completed", True, id="completed"),
            pytest.param("canceled", True, id="canceled"),
            pytest.param("failed", True, id="failed"),
        ],
    )
    def test_terminal_statuses(self, status, terminal):
        """completed, canceled and failed are terminal; running reads as started."""
        assert JobStatus.parse(status).terminal is terminal

    def test_unknown_status_raises(self):
        """A status outside the enum is an error, not a silent pending state."""
        with pytest.raises(ValueError, match="deleted"):
            JobStatus.parse("deleted")

    def test_page_and_created(self):
        """List pages and create responses parse."""
        page = JobPage.from_json({"jobs": [CONTRACT_JOB], "next": "c"})
        assert page.next == "c"
        assert page.jobs[0].id == CONTRACT_JOB["id"]
        created = JobCreated.from_json({"id": "x", "status": "submitted", "session_id": None})
        assert created.status is JobStatus.SUBMITTED


class TestCostEstimate:
    """Both estimate shapes of the contract."""

    @pytest.mark.parametrize(
        ("body", "cost"),
        [
            pytest.param({"estimated_cost": 12.5, "cost_unit": "usd"}, 12.5, id="may-2026"),
            pytest.param(
                {"estimated_total_cost": 3.0, "estimated_unit": "usd"}, 3.0, id="sep-2026"
            ),
            pytest.param({"estimated_cost": {"value": 2.0, "unit": "usd"}}, 2.0, id="nested"),
        ],
    )
    def test_shapes(self, body, cost):
        """The cost is read from either shape."""
        assert CostEstimate.from_json(body).cost == cost


class TestParseProbabilities:
    """Result bodies to per-circuit maps."""

    def test_flat(self):
        """A flat body is one circuit with integer keys."""
        assert parse_probabilities({"0": 0.5, "3": 0.5}) == [{0: 0.5, 3: 0.5}]

    def test_aggregated_order_from_children(self):
        """Aggregated bodies follow child_job_ids order, not key order."""
        body = {"b": {"1": 1}, "a": {"0": 1}}
        assert parse_probabilities(body, child_job_ids=["a", "b"]) == [{0: 1.0}, {1: 1.0}]
        assert parse_probabilities(body) == [{1: 1.0}, {0: 1.0}]

    @pytest.mark.parametrize(
        ("body", "children"),
        [
            pytest.param({"a": {"0": 1}}, ["a", "b"], id="missing-child"),
            pytest.param({"a": {"0": 1}, "1": 0.5}, [], id="mixed"),
        ],
    )
    def test_malformed(self, body, children):
        """Malformed bodies raise ValueError."""
        with pytest.raises(ValueError, match="results body"):
            parse_probabilities(body, child_job_ids=children)
