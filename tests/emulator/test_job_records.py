"""Tests of job validation, records and the v0.4 job object (emulator.job_records)."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pennylane_qnative.emulator.job_records import (
    MAX_CIRCUITS,
    EmulatorHTTPError,
    build_records,
    iso,
    parse_job,
    render_job,
    status_at,
)
from pennylane_qnative.emulator.latency import LatencyModel, plan
from pennylane_qnative.emulator.results import run_job
from pennylane_qnative.emulator.simulation import GateError

H = {"gate": "h", "target": 0}
REQUIRED = [
    "id",
    "status",
    "type",
    "backend",
    "dry_run",
    "submitter_id",
    "project_id",
    "parent_job_id",
    "session_id",
    "metadata",
    "name",
    "submitted_at",
    "started_at",
    "completed_at",
    "predicted_wait_time_ms",
    "predicted_execution_duration_ms",
    "execution_duration_ms",
    "failure",
    "output",
    "settings",
    "stats",
    "results",
    "child_job_ids",
]


def single(**fields):
    """A minimal valid single-circuit body."""
    return {
        "type": "ionq.circuit.v1",
        "backend": "simulator",
        "input": {"qubits": 2, "circuit": [H]},
    } | fields


def multi(n=2, **fields):
    """A minimal valid multi-circuit body."""
    return {
        "type": "ionq.multi-circuit.v1",
        "backend": "simulator",
        "input": {"qubits": 2, "gateset": "qis", "circuits": [{"circuit": [H]}] * n},
    } | fields


def records_for(body, model=None, now=100.0, failure=None):
    """Parse, plan and build the records of a body."""
    spec = parse_job(body)
    timeline = plan(model or LatencyModel(), now=now, shots=[spec.shots] * len(spec.circuits))
    return build_records(spec, seq=1, timeline=timeline, failure_code=failure, cost=0.0)


class TestParseJob:
    """Validation of POST /jobs bodies."""

    def test_defaults(self):
        """Shots default to 100, gateset to qis, noise to ideal on the simulator."""
        spec = parse_job(single())
        assert spec.shots == 100
        assert spec.circuits[0].gateset == "qis"
        assert spec.noise == {"model": "ideal"}

    def test_lenient_extras(self):
        """Unknown keys (lang, extra params) and string shots are accepted."""
        spec = parse_job(single(lang="json", shots="1024", foo={"bar": 1}))
        assert spec.shots == 1024

    def test_multi_circuit_override(self):
        """Per-circuit gateset overrides the parent's."""
        body = multi()
        body["input"]["gateset"] = "native"
        body["input"]["circuits"] = [
            {"circuit": [H], "gateset": "qis", "name": "a"},
            {"circuit": [{"gate": "gpi2", "target": 0, "phase": 0.25}]},
        ]
        spec = parse_job(body)
        assert [c.gateset for c in spec.circuits] == ["qis", "native"]
        assert spec.circuits[0].name == "a"

    @pytest.mark.parametrize(
        ("body", "match"),
        [
            pytest.param([], "JSON object", id="not-object"),
            pytest.param(single(type="ionq.qasm3.v1"), '"type"', id="type"),
            pytest.param(single(backend="qpu.nope"), '"backend"', id="backend"),
            pytest.param(single(shots=0), '"shots"', id="shots-zero"),
            pytest.param(single(shots=1_000_001), '"shots"', id="shots-too-many"),
            pytest.param(single(shots=True), '"shots"', id="shots-bool"),
            pytest.param(single(metadata={"a": 1}), "metadata", id="metadata-int"),
            pytest.param(single(noise={"model": "bogus"}), "noise.model", id="noise"),
            pytest.param(single(input={"qubits": 30, "circuit": []}), "qubits", id="qubits-sim"),
            pytest.param(
                single(backend="qpu.aria-1", input={"qubits": 26, "circuit": []}),
                "NotEnoughQubits",
                id="qubits-aria",
            ),
            pytest.param(
                single(backend="qpu.forte-1", input={"qubits": 37, "circuit": []}),
                "NotEnoughQubits: 37 qubits requested but qpu.forte-1 has 36",
                id="qubits-wider-than-any-backend",
            ),
            pytest.param(single(input={"qubits": 0, "circuit": []}), '"input.qubits"', id="q0"),
            pytest.param(
                single(input={"qubits": 2, "circuit": [{"gate": "bogus", "target": 0}]}),
                "UnsupportedGate",
                id="gate",
            ),
            pytest.param(
                single(input={"qubits": 2, "circuit": [{"gate": "h", "target": 2}]}),
                "InvalidInput",
                id="index",
            ),
            pytest.param(
                single(
                    backend="qpu.forte-1",
                    input={
                        "qubits": 2,
                        "gateset": "native",
                        "circuit": [{"gate": "ms", "targets": [0, 1], "phases": [0, 0]}],
                    },
                ),
                "UnsupportedGate",
                id="ms-on-forte",
            ),
            pytest.param(single(input={"qubits": 2, "circuits": []}), "multi", id="circuits"),
            pytest.param(
                multi(input={"qubits": 2, "circuit": [H], "circuits": [{"circuit": [H]}]}),
                "not",
                id="both",
            ),
            pytest.param(multi(MAX_CIRCUITS + 1), "5000", id="too-many-circuits"),
            pytest.param(
                multi(input={"qubits": 1, "circuits": [{"circuit": [H] * 75_001}] * 2}),
                "TooManyGates",
                id="too-many-gates",
            ),
            pytest.param(single(input=[1]), '"input"', id="input"),
        ],
    )
    def test_rejections(self, body, match):
        """Each invalid body raises a 400 naming the problem."""
        with pytest.raises(EmulatorHTTPError, match=match) as info:
            parse_job(body)
        assert info.value.status_code == 400
        assert info.value.body()["statusCode"] == 400

    def test_payload_hash_is_canonical(self):
        """Key order does not change the payload hash; content does."""
        a = parse_job({"backend": "simulator", "input": {"qubits": 1, "circuit": [H]}})
        b = parse_job({"input": {"circuit": [H], "qubits": 1}, "backend": "simulator"})
        c = parse_job({"backend": "simulator", "input": {"qubits": 2, "circuit": [H]}})
        assert a.payload_hash == b.payload_hash != c.payload_hash


class TestRecords:
    """Records of new jobs."""

    def test_children_in_circuit_order(self):
        """A multi-circuit job stores the parent then one child per circuit, in order."""
        body = multi(3)
        body["input"]["circuits"] = [{"circuit": [H], "name": f"c{i}"} for i in range(3)]
        parent, *children = records_for(body)
        assert parent["child_job_ids"] == [c["id"] for c in children]
        assert [c["name"] for c in children] == ["c0", "c1", "c2"]
        assert all(c["parent_job_id"] == parent["id"] for c in children)
        assert parent["stats"]["circuits"] == 3

    def test_children_run_sequentially(self):
        """Each child's window follows the previous one; the parent ends with the last."""
        model = LatencyModel(exec_per_circuit_s=1.0)
        parent, *children = records_for(multi(3), model=model)
        assert [c["started_at"] for c in children] == [100.0, 101.0, 102.0]
        assert parent["completed_at"] == children[-1]["completed_at"] == 103.0


class TestStatus:
    """Status derived from the planned timeline."""

    @pytest.mark.parametrize(
        ("now", "expected"),
        [
            pytest.param(100.5, "submitted", id="submitted"),
            pytest.param(101.5, "ready", id="ready"),
            pytest.param(102.5, "started", id="started"),
            pytest.param(103.0, "completed", id="completed"),
        ],
    )
    def test_lifecycle(self, now, expected):
        """submitted -> ready -> started -> completed."""
        model = LatencyModel(validation_s=1, queue_s=1, exec_per_circuit_s=1)
        (record,) = records_for(single(), model=model)
        assert status_at(record, now) == expected

    def test_failed_and_canceled(self):
        """A doomed job ends failed; a canceled one is canceled from the cancel time on."""
        (record,) = records_for(single(), failure="SimulationError")
        assert status_at(record, 100.0) == "failed"
        record["canceled_at"] = 100.0
        assert status_at(record, 100.0) == "canceled"


class TestRender:
    """The v0.4 job object."""

    @pytest.mark.parametrize("now", [100.5, 101.5, 102.5, 103.5])
    def test_required_keys_in_every_state(self, now):
        """Every required key is present whatever the status."""
        model = LatencyModel(validation_s=1, queue_s=1, exec_per_circuit_s=1)
        (record,) = records_for(single(), model=model)
        job = render_job(record, now=now)
        assert set(REQUIRED) <= set(job)

    def test_completed_job(self):
        """A completed job has timestamps, results URLs and durations."""
        model = LatencyModel(queue_s=1, exec_per_circuit_s=2)
        (record,) = records_for(single(), model=model)
        job = render_job(record, now=200.0)
        assert job["status"] == "completed"
        assert job["submitted_at"] == iso(100.0) == "1970-01-01T00:01:40.000Z"
        assert job["started_at"] == iso(101.0)
        assert job["completed_at"] == iso(103.0)
        assert job["predicted_wait_time_ms"] == 1000
        assert job["predicted_execution_duration_ms"] == 2000
        assert job["execution_duration_ms"] == 2000
        assert job["results"]["probabilities"]["url"] == (
            f"/v0.4/jobs/{record['id']}/results/probabilities"
        )

    def test_pending_job_has_no_results(self):
        """Before completion: results, started_at and completed_at are null."""
        (record,) = records_for(single(), model=LatencyModel(queue_s=10))
        job = render_job(record, now=100.0)
        assert job["status"] == "ready"
        assert job["results"] is job["started_at"] is job["completed_at"] is None

    def test_parent_results_aggregated(self):
        """A multi-circuit parent advertises the aggregated URL."""
        parent, *_ = records_for(multi())
        url = render_job(parent, now=100.0)["results"]["probabilities"]["url"]
        assert url.endswith("/results/probabilities/aggregated")

    def test_failed_job_failure(self):
        """A failed job reports failure {code, message} and no results."""
        (record,) = records_for(single(), failure="SimulationError")
        job = render_job(record, now=100.0)
        assert job["status"] == "failed"
        assert job["failure"]["code"] == "SimulationError"
        assert job["results"] is None

    def test_dry_run(self):
        """A dry run completes with null results and compiled-circuit descriptors."""
        (record,) = records_for(single(dry_run=True))
        job = render_job(record, now=100.0)
        assert job["dry_run"] is True
        assert job["results"] is None
        assert "ionq.qasm3.v1" in job["output"]["compilation"]["compiled_circuits"]

    def test_native_dry_run_publishes_native_circuit(self):
        """A native-gate dry run advertises its circuit as ionq.native.v1."""
        gate = {"gate": "gpi2", "target": 0, "phase": 0.25}
        body = single(dry_run=True, input={"qubits": 1, "gateset": "native", "circuit": [gate]})
        (record,) = records_for(body)
        formats = render_job(record, now=100.0)["output"]["compilation"]["compiled_circuits"]
        assert list(formats) == ["ionq.native.v1"]


def _as_int(value) -> int:
    """int(value) for ints and integer strings, else -1."""
    try:
        return int(value.strip()) if isinstance(value, str) else int(value)
    except ValueError:
        return -1


class TestParseProperties:
    """Property tests of the payload parser."""

    @given(
        shots=st.one_of(
            st.integers(-10, 2_000_000),
            st.text(max_size=3),
            st.sampled_from(["2", " 7 ", "\u00b2", "-1", "1e3"]),
            st.none(),
        ),
        metadata=st.one_of(
            st.none(),
            st.dictionaries(st.text(max_size=5), st.one_of(st.text(max_size=5), st.integers())),
        ),
    )
    def test_accepts_exactly_the_valid_bodies(self, shots, metadata):
        """A body is accepted iff shots is absent or in [1, 1e6] and metadata maps str->str."""
        body = single(metadata=metadata)
        if shots is not None:
            body["shots"] = shots
        shots_ok = shots is None or 1 <= _as_int(shots) <= 1_000_000
        meta_ok = metadata is None or all(isinstance(v, str) for v in metadata.values())
        if shots_ok and meta_ok:
            spec = parse_job(body)
            assert spec.shots == (100 if shots is None else int(shots))
        else:
            with pytest.raises(EmulatorHTTPError):
                parse_job(body)


_JSON = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-3, 40)
    | st.floats(allow_nan=False)
    | st.text(max_size=4),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=12,
)
_GATE = st.fixed_dictionaries(
    {"gate": st.sampled_from(["h", "x", "cnot", "rx", "ms", "gpi", "pauliexp", "swap"]) | _JSON},
    optional={
        "target": _JSON,
        "targets": _JSON,
        "control": _JSON,
        "controls": _JSON,
        "rotation": _JSON,
        "phase": _JSON,
        "phases": _JSON,
        "angle": _JSON,
        "terms": _JSON,
        "coefficients": _JSON,
        "time": _JSON,
    },
)


class TestFuzz:
    """Arbitrary JSON never crashes the parser or the simulator (400, never 500)."""

    @settings(max_examples=150, deadline=None)
    @given(
        job_type=st.sampled_from(["ionq.circuit.v1", "ionq.multi-circuit.v1"]) | _JSON,
        qubits=st.integers(1, 4) | _JSON,
        gateset=st.sampled_from(["qis", "native"]) | _JSON,
        circuit=st.lists(_GATE, max_size=4) | _JSON,
        shots=_JSON,
    )
    def test_no_crash(self, job_type, qubits, gateset, circuit, shots):
        """parse_job + run_job raise only EmulatorHTTPError or GateError."""
        body = {
            "type": job_type,
            "backend": "simulator",
            "shots": shots,
            "input": {"qubits": qubits, "gateset": gateset, "circuit": circuit},
        }
        if job_type == "ionq.multi-circuit.v1":
            body["input"] = {
                "qubits": qubits,
                "gateset": gateset,
                "circuits": [{"circuit": circuit}, circuit],
            }
        try:
            spec = parse_job(body)
            run_job(spec, [str(i) for i in range(len(spec.circuits))], seed=0, sequence=1)
        except (EmulatorHTTPError, GateError):
            pass
