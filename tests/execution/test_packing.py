"""Tests for pennylane_qnative.execution.packing (pure: no I/O).

A packed batch must be exactly what the code before packing built, job by job: the payload of
``JobRequest.to_payload()``, the price of ``estimate_payload_cost`` and the key of
``journal.batch_digest``. Hypothesis draws small batches, limits, shots and job settings.
"""

from __future__ import annotations

import itertools

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pennylane_qnative.exceptions import UnsupportedCircuitError
from pennylane_qnative.execution.journal import batch_digest
from pennylane_qnative.execution.packing import (
    JobLimits,
    JobSettings,
    PackedBatch,
    as_circuit,
    pack_batch,
    pack_circuits,
)
from pennylane_qnative.ionq.models import Circuit, JobRequest
from pennylane_qnative.ionq.pricing import RateCard, estimate_payload_cost

PAID = "qpu.aria-1"
CARD = RateCard(cost_1q_gate_shot=0.001, cost_2q_gate_shot=0.01, job_cost_minimum=0.5)

gates = st.one_of(
    st.builds(lambda q: {"gate": "h", "target": q}, st.integers(0, 3)),
    st.builds(
        lambda q, r: {"gate": "rx", "target": q, "rotation": r},
        st.integers(0, 3),
        st.floats(-3.0, 3.0, allow_nan=False),
    ),
    st.builds(lambda c: {"gate": "cnot", "control": c, "target": (c + 1) % 4}, st.integers(0, 3)),
    st.builds(lambda: {"gate": "x", "controls": [0, 1, 2], "target": 3}),
)
circuits = st.builds(
    lambda qubits, body, name: Circuit(qubits=qubits, gates=tuple(body), name=name),
    st.integers(4, 6),
    st.lists(gates, min_size=0, max_size=6),
    st.none() | st.sampled_from(["a", "b"]),
)
job_settings = st.builds(
    lambda backend, noise, mitigation, metadata, limits, card: JobSettings(
        api_url="http://u/v0.4",
        backend=backend,
        noise=noise,
        settings=mitigation,
        metadata=metadata,
        limits=limits,
        rate_card=card,
    ),
    st.sampled_from(["simulator", PAID, "qpu.forte-1"]),
    st.none() | st.builds(lambda seed: {"model": "aria-1", "seed": seed}, st.integers(1, 99)),
    st.sampled_from(
        [None, {}, {"error_mitigation": {"debiasing": True}}, {"compilation": {"opt": 1}}]
    ),
    st.none() | st.sampled_from([{}, {"user": "me"}, {"user": "me", "run": "7"}]),
    st.builds(
        lambda n, g: JobLimits(max_circuits=n, max_gates=g), st.integers(1, 4), st.integers(6, 12)
    ),
    st.sampled_from([RateCard(), CARD]),
)
batches = st.lists(circuits, min_size=1, max_size=9)
shots = st.integers(1, 5000)
names = st.none() | st.sampled_from(["", "vqe", "step 3"])


def old_requests(batch, n_shots, config: JobSettings, name) -> list[JobRequest]:
    """The job requests of each span, built as before packing existed."""
    spans = pack_circuits(batch, limits=config.limits)
    return [
        JobRequest(
            backend=config.backend,
            shots=n_shots,
            circuits=tuple(batch[a:b]),
            name=f"{name or 'qnative'} [{k + 1}/{len(spans)}]",
            metadata=dict(config.metadata) if config.metadata else None,
            noise=config.noise,
            settings=config.settings,
        )
        for k, (a, b) in enumerate(spans)
    ]


def digest_of(batch, n_shots, config: JobSettings, tag=None) -> str:
    return batch_digest(
        api_url=config.api_url,
        backend=config.backend,
        shots=n_shots,
        circuits=[c.to_json() for c in batch],
        noise=config.noise,
        settings=config.settings,
        extra=None if tag is None else {"tag": tag},
    )


class TestSameAsBefore:
    """Each packed job is the request, price and journal key the old code built."""

    @settings(max_examples=80, deadline=None)
    @given(batch=batches, n_shots=shots, config=job_settings, name=names)
    def test_payloads_equal_job_requests(self, batch, n_shots, config, name):
        """Every job's payload equals JobRequest(...).to_payload() for its span."""
        packed = pack_batch(batch, n_shots, settings=config, name=name)
        requests = old_requests(batch, n_shots, config, name)
        assert [job.payload for job in packed.jobs] == [r.to_payload() for r in requests]

    @settings(max_examples=80, deadline=None)
    @given(batch=batches, n_shots=shots, config=job_settings)
    def test_estimates_equal_payload_cost(self, batch, n_shots, config):
        """Every job's estimate equals estimate_payload_cost of its payload at the rate card."""
        packed = pack_batch(batch, n_shots, settings=config)
        for job in packed.jobs:
            expected = estimate_payload_cost(job.payload, rate_card=config.rate_card)
            assert job.estimate_usd == expected
        assert packed.estimate_usd == pytest.approx(sum(j.estimate_usd for j in packed.jobs))

    @settings(max_examples=60, deadline=None)
    @given(batch=batches, n_shots=shots, config=job_settings, tag=st.none() | st.text(max_size=4))
    def test_digest_equals_batch_digest(self, batch, n_shots, config, tag):
        """The digest is journal.batch_digest of the same inputs."""
        packed = pack_batch(batch, n_shots, settings=config, tag=tag)
        assert packed.digest == digest_of(batch, n_shots, config, tag)

    @settings(max_examples=60, deadline=None)
    @given(batch=batches, n_shots=shots, config=job_settings)
    def test_spans_equal_pack_circuits(self, batch, n_shots, config):
        """The jobs' spans are pack_circuits' spans; gate counts and circuits are kept."""
        packed = pack_batch(batch, n_shots, settings=config)
        assert packed.spans == pack_circuits(batch, limits=config.limits)
        assert packed.circuits == tuple(c.to_json() for c in batch)
        assert [job.n_circuits for job in packed.jobs] == [b - a for a, b in packed.spans]
        for job in packed.jobs:
            assert job.gate_counts == packed.gate_counts[job.span[0] : job.span[1]]


class TestDigest:
    """The digest tells apart batches whose results may differ."""

    BATCH = (Circuit(qubits=2, gates=({"gate": "h", "target": 0},)),) * 3

    @pytest.mark.parametrize(
        ("change", "kwargs"),
        [
            pytest.param({}, {"tag": "again"}, id="tag"),
            pytest.param({}, {"n_shots": 101}, id="shots"),
            pytest.param({"backend": PAID}, {}, id="backend"),
            pytest.param({"api_url": "http://other"}, {}, id="service"),
            pytest.param({"noise": {"model": "aria-1", "seed": 1}}, {}, id="noise"),
        ],
    )
    def test_changes_with(self, change, kwargs):
        """Another tag, shot count, backend, service or noise gives another digest."""
        base = JobSettings(api_url="http://u")
        first = pack_batch(self.BATCH, 100, settings=base)
        n_shots = kwargs.pop("n_shots", 100)
        other = JobSettings(**{"api_url": "http://u", **change})
        assert pack_batch(self.BATCH, n_shots, settings=other, **kwargs).digest != first.digest

    def test_ignores_name_metadata_and_limits(self):
        """The job name, metadata and packing limits do not change the digest."""
        base = pack_batch(self.BATCH, 100, settings=JobSettings())
        other = JobSettings(metadata={"a": "b"}, limits=JobLimits(max_circuits=1))
        assert pack_batch(self.BATCH, 100, settings=other, name="x").digest == base.digest


class TestWithSpans:
    """with_spans re-splits a batch (a plan read back from the journal)."""

    @settings(max_examples=60, deadline=None)
    @given(
        batch=batches,
        n_shots=shots,
        config=job_settings,
        name=names,
        data=st.data(),
    )
    def test_rebuilds_payloads_for_other_spans(self, batch, n_shots, config, name, data):
        """Digest and circuits are kept; each job is the request of its new span."""
        packed = pack_batch(batch, n_shots, settings=config, name=name)
        cuts = data.draw(st.sets(st.integers(1, len(batch) - 1)) if len(batch) > 1 else st.just(()))
        bounds = [0, *sorted(cuts), len(batch)]
        spans = list(itertools.pairwise(bounds))
        other = packed.with_spans(spans)
        assert other.digest == packed.digest
        assert other.circuits == packed.circuits
        assert other.spans == spans
        for k, ((a, b), job) in enumerate(zip(spans, other.jobs, strict=True)):
            request = JobRequest(
                backend=config.backend,
                shots=n_shots,
                circuits=tuple(batch[a:b]),
                name=f"{name or 'qnative'} [{k + 1}/{len(spans)}]",
                metadata=dict(config.metadata) if config.metadata else None,
                noise=config.noise,
                settings=config.settings,
            )
            assert job.payload == request.to_payload()
            assert job.estimate_usd == estimate_payload_cost(
                job.payload, rate_card=config.rate_card
            )

    def test_same_spans_return_the_batch(self):
        """Asking for the spans it already has returns the batch itself."""
        packed = pack_batch(TestDigest.BATCH, 10, settings=JobSettings())
        assert packed.with_spans(list(packed.spans)) is packed
        assert isinstance(packed, PackedBatch)


class TestRateCard:
    """Prices and free backends follow the batch's rate card."""

    BATCH = (Circuit(qubits=2, gates=({"gate": "cnot", "control": 0, "target": 1},)),) * 2

    @pytest.mark.parametrize(
        ("backend", "card", "free"),
        [
            pytest.param("simulator", RateCard(), True, id="default-simulator"),
            pytest.param(PAID, RateCard(), False, id="default-qpu"),
            pytest.param(PAID, RateCard(free_backends=frozenset({PAID})), True, id="qpu-free"),
            pytest.param("simulator", RateCard(free_backends=frozenset()), False, id="sim-paid"),
        ],
    )
    def test_is_free(self, backend, card, free):
        """is_free and a zero estimate follow the card's free_backends."""
        config = JobSettings(backend=backend, rate_card=card)
        packed = pack_batch(self.BATCH, 100, settings=config)
        assert packed.is_free is free
        assert (packed.estimate_usd == 0.0) is free

    def test_custom_prices(self):
        """A custom card's prices and minimum are applied once per job."""
        limits = JobLimits(max_circuits=1)
        config = JobSettings(backend=PAID, rate_card=CARD, limits=limits)
        packed = pack_batch(self.BATCH, 1000, settings=config)
        assert [job.estimate_usd for job in packed.jobs] == [pytest.approx(10.0)] * 2
        small = pack_batch(self.BATCH, 10, settings=config)
        assert small.estimate_usd == pytest.approx(2 * CARD.job_cost_minimum)


class TestLimits:
    """A circuit that no job can hold is refused."""

    @pytest.mark.parametrize(
        ("limits", "n_gates"),
        [
            pytest.param(JobLimits(max_gates=5), 6, id="gates"),
            pytest.param(JobLimits(max_bytes=16 * 1024 + 200), 20, id="bytes"),
        ],
    )
    def test_oversized_circuit(self, limits, n_gates):
        """pack_batch raises UnsupportedCircuitError naming the circuit."""
        small = Circuit(qubits=1, gates=({"gate": "h", "target": 0},))
        big = Circuit(qubits=1, gates=({"gate": "rx", "target": 0, "rotation": 0.5},) * n_gates)
        with pytest.raises(UnsupportedCircuitError, match="circuit 1"):
            pack_batch([small, big], 10, settings=JobSettings(limits=limits))

    def test_as_circuit_round_trip(self):
        """as_circuit of a packed circuit's JSON gives the circuit back."""
        circuit = Circuit(qubits=2, gates=({"gate": "h", "target": 1},), name="n")
        packed = pack_batch([circuit], 5, settings=JobSettings())
        assert as_circuit(packed.circuits[0]) == circuit
