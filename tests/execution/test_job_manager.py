"""Tests for pennylane_qnative.execution.job_manager.

Packing and the runner are tested on their own; the job manager is tested against the real
emulator over loopback HTTP (faults are injected by the emulator, or by a transport that drops
responses on the wire).
"""

from __future__ import annotations

import asyncio
import threading

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pennylane_qnative.emulator import LatencyModel, running
from pennylane_qnative.exceptions import (
    ConfigurationError,
    JobFailedError,
    JobTimeoutError,
    UnsupportedCircuitError,
)
from pennylane_qnative.execution.job_manager import (
    BatchReport,
    CircuitBatchManager,
    EventLoopRunner,
    JobLimits,
    JobManagerConfig,
    as_circuit,
    pack_circuits,
)
from pennylane_qnative.ionq.models import CLIENT_ID_KEY, Circuit
from pennylane_qnative.ionq.pricing import RateCard
from pennylane_qnative.ionq.retry import RetryPolicy

KEY = "test-key-for-jobs"
ADMIN = {"Authorization": f"apiKey {KEY}"}  # the admin endpoints need a key when keys are set
FAST_RETRY = RetryPolicy(max_retries=12, base_delay=0.01, max_delay=0.2)


def basis_circuit(i: int, qubits: int = 14) -> dict:
    """A circuit whose only outcome is the basis state ``i`` (so order is checkable)."""
    gates = [{"gate": "x", "target": q} for q in range(qubits) if i >> q & 1]
    return {"qubits": qubits, "circuit": gates or [{"gate": "z", "target": 0}]}


def stats(url: str) -> dict:
    return httpx.get(url + "/_emulator/stats", headers=ADMIN).json()


def manager(url: str, **kwargs) -> CircuitBatchManager:
    kwargs.setdefault("journal", False)
    return CircuitBatchManager(
        api_key=KEY, api_url=url + "/v0.4", retry=FAST_RETRY, seed=0, **kwargs
    )


class TestPacking:
    """pack_circuits respects the API limits and keeps order."""

    @settings(max_examples=60, deadline=None)
    @given(
        sizes=st.lists(st.integers(0, 40), min_size=0, max_size=60),
        max_circuits=st.integers(1, 8),
        max_gates=st.integers(40, 120),
    )
    def test_spans_within_limits_and_maximal(self, sizes, max_circuits, max_gates):
        """Spans tile the batch in order, respect every limit and cannot be extended."""
        circuits = [Circuit(qubits=1, gates=({"gate": "x", "target": 0},) * n) for n in sizes]
        limits = JobLimits(max_circuits=max_circuits, max_gates=max_gates)
        spans = pack_circuits(circuits, limits=limits)
        assert [i for a, b in spans for i in range(a, b)] == list(range(len(circuits)))
        for k, (a, b) in enumerate(spans):
            gates = sum(sizes[a:b])
            assert b - a <= max_circuits
            assert gates <= max_gates
            if k + 1 < len(spans):  # greedy: the next circuit did not fit
                assert b - a == max_circuits or gates + sizes[b] > max_gates

    def test_byte_limit(self):
        """The 10 MB body limit splits jobs too."""
        wide = Circuit(qubits=1, gates=({"gate": "rx", "target": 0, "rotation": 0.1},) * 2000)
        limits = JobLimits(max_bytes=3 * wide.json_size() + 20_000)
        assert pack_circuits([wide] * 7, limits=limits) == [(0, 3), (3, 6), (6, 7)]

    def test_api_limits_for_12000_circuits(self):
        """12,000 small circuits need 3 jobs of at most 5,000."""
        circuits = [as_circuit(basis_circuit(i)) for i in range(12_000)]
        assert pack_circuits(circuits, limits=JobLimits()) == [
            (0, 5000),
            (5000, 10000),
            (10000, 12000),
        ]

    def test_oversized_circuit(self):
        """A circuit larger than a whole job is refused before submission."""
        big = Circuit(qubits=1, gates=({"gate": "x", "target": 0},) * 11)
        with pytest.raises(UnsupportedCircuitError, match="circuit 0"):
            pack_circuits([big], limits=JobLimits(max_gates=10))

    @pytest.mark.parametrize(
        "kwargs",
        [
            pytest.param({"max_circuits": 5001}, id="above-api"),
            pytest.param({"max_circuits": 0}, id="zero"),
            pytest.param({"max_gates": 150_001}, id="gates-above-api"),
            pytest.param({"max_bytes": 10}, id="tiny-bytes"),
        ],
    )
    def test_invalid_limits(self, kwargs):
        """Limits outside the API's are refused."""
        with pytest.raises(ConfigurationError):
            JobLimits(**kwargs)

    @pytest.mark.parametrize(
        "kwargs",
        [
            pytest.param({"max_concurrent_jobs": 0}, id="no-concurrency"),
            pytest.param({"timeout": 0}, id="zero-timeout"),
            pytest.param({"backend": ""}, id="empty-backend"),
        ],
    )
    def test_invalid_config(self, kwargs):
        """Invalid manager settings are refused."""
        with pytest.raises(ConfigurationError):
            JobManagerConfig(**kwargs)

    @pytest.mark.parametrize(
        "garbage",
        [
            pytest.param({"gates": []}, id="dict-without-circuit"),
            pytest.param(["h"], id="list-of-strings"),
            pytest.param(42, id="number"),
        ],
    )
    def test_as_circuit_rejects_garbage(self, garbage):
        """Something that is not a circuit is a ConfigurationError."""
        with pytest.raises(ConfigurationError, match="not an IonQ circuit"):
            as_circuit(garbage)

    def test_as_circuit_accepts_gate_lists(self):
        """A bare gate list gets qubits from the highest index used."""
        gates = [{"gate": "h", "target": 0}, {"gate": "ms", "targets": [1, 3], "phases": [0, 0]}]
        circuit = as_circuit(gates)
        assert circuit.qubits == 4
        assert as_circuit(circuit) is circuit
        assert as_circuit(circuit.to_json()) == circuit


class TestEventLoopRunner:
    """The private loop thread."""

    def test_run_from_threads_and_inside_a_loop(self):
        """run() works from several threads and from inside a running event loop."""
        with EventLoopRunner() as runner:
            results: list[int] = []

            def worker(i):
                results.append(runner.run(asyncio.sleep(0, result=i)))

            threads = [threading.Thread(target=worker, args=(i,)) for i in range(8)]
            for t in threads:
                t.start()
            for t in threads:
                t.join()

            async def inside_a_loop():  # e.g. a Jupyter cell
                return runner.run(asyncio.sleep(0, result="ok"))

            assert sorted(results) == list(range(8))
            assert asyncio.run(inside_a_loop()) == "ok"

    def test_refuses_own_thread(self):
        """Calling run() from the loop thread raises instead of deadlocking."""
        with EventLoopRunner() as runner:

            async def nested():
                return runner.run(asyncio.sleep(0))

            with pytest.raises(RuntimeError, match="own loop thread"):
                runner.run(nested())

    def test_timeout_cancels(self):
        """A timed-out coroutine is cancelled on the loop."""
        with EventLoopRunner() as runner:
            cancelled = threading.Event()

            async def forever():
                try:
                    await asyncio.sleep(3600)
                except asyncio.CancelledError:
                    cancelled.set()
                    raise

            with pytest.raises(TimeoutError):
                runner.run(forever(), timeout=0.05)
            assert cancelled.wait(5)

    def test_close_is_idempotent_and_restarts(self):
        """close() twice is fine and the runner starts again on use."""
        runner = EventLoopRunner()
        assert runner.run(asyncio.sleep(0, result=1)) == 1
        runner.close()
        runner.close()
        assert not runner.running
        assert runner.run(asyncio.sleep(0, result=2)) == 2
        runner.close()


@pytest.fixture(scope="module")
def emulator():
    """A real emulator (instant profile) shared by the tests of this module."""
    with running(seed=3) as url:
        yield url


class TestBatches:
    """Batches against the emulator."""

    def test_12000_circuits_split_concurrent_in_order(self):
        """12,000 circuits: 3 jobs within the limits, created concurrently, results in order."""

        class CountInFlight(httpx.AsyncHTTPTransport):
            in_flight = peak = 0

            async def handle_async_request(self, request):
                if request.method != "POST":
                    return await super().handle_async_request(request)
                CountInFlight.in_flight += 1
                CountInFlight.peak = max(CountInFlight.peak, CountInFlight.in_flight)
                try:
                    return await super().handle_async_request(request)
                finally:
                    CountInFlight.in_flight -= 1

        circuits = [basis_circuit(i) for i in range(12_000)]
        latency = LatencyModel(validation_s=0.0, queue_s=0.3)
        with running(latency=latency) as url, manager(url, transport=CountInFlight()) as m:
            ids = m.submit_batch(circuits, shots=100)
            results = m.get_results(ids)
            parents = [m.runner.run(m.client.get_job(i)) for i in ids]
            assert stats(url)["jobs_created"] == 3
        assert results == [{i: 1.0} for i in range(12_000)]
        assert [len(j.child_job_ids) for j in parents] == [5000, 5000, 2000]
        assert CountInFlight.peak == 3

    def test_submit_then_get_results(self, emulator):
        """submit_batch returns job ids; get_results returns the same results as execute."""
        circuits = [basis_circuit(i, 4) for i in range(10)]
        with manager(emulator, max_circuits_per_job=4) as m:
            ids = m.submit_batch(circuits, shots=10)
            assert len(ids) == 3
            assert m.get_results(ids) == [{i: 1.0} for i in range(10)]

    def test_facade_from_running_loop_and_threads(self, emulator):
        """execute_batch works inside a running event loop and from several threads."""
        with manager(emulator) as m:

            async def cell():
                return m.execute_batch([basis_circuit(5, 3)], shots=10)

            assert asyncio.run(cell()) == [{5: 1.0}]
            out: dict[int, list] = {}

            def worker(i):
                out[i] = m.execute_batch([basis_circuit(i, 3)], shots=10)

            threads = [threading.Thread(target=worker, args=(i,)) for i in range(4)]
            for t in threads:
                t.start()
            for t in threads:
                t.join()
        assert out == {i: [{i: 1.0}] for i in range(4)}

    def test_polling_cost(self):
        """A job completing after ~1 s is seen with at most 6 status requests."""
        with running(profile="cloud-simulator") as url, manager(url) as m:
            assert m.execute_batch([basis_circuit(3, 2)], shots=10) == [{3: 1.0}]
            assert m.client.requests_sent["status"] <= 6
            assert m.client.requests_sent["results"] == 1

    def test_estimate_cost(self, emulator):
        """Rate-card estimates: free simulator, paid QPU, equal to GET /jobs/estimate."""
        circuits = [basis_circuit(1, 2)] * 3
        with manager(emulator) as m:
            assert m.estimate_cost(circuits, shots=100) == 0.0
        with manager(emulator, backend="qpu.aria-1", max_circuits_per_job=2) as m:
            assert m.estimate_cost(circuits, shots=100) == pytest.approx(2 * 12.4166)
            big = [basis_circuit(31, 5)] * 3
            local = m.estimate_cost(big, shots=20_000)
            assert local > 2 * 12.4166
            assert m.estimate_cost_remote(big, shots=20_000) == pytest.approx(local)


class TestFaults:
    """Transient faults, lost responses, failures and deadlines."""

    def test_twenty_percent_faults_no_duplicates(self):
        """With 20% 429/5xx/resets every batch completes correctly, one job per batch."""
        faults = {
            "error_rate": 0.1,
            "rate_limit_rate": 0.05,
            "reset_rate": 0.05,
            "retry_after_s": 0.02,
            "non_json_rate": 0.5,
        }
        with running(faults=faults, seed=11) as url, manager(url) as m:
            for batch in range(8):
                circuits = [basis_circuit(batch * 10 + i, 7) for i in range(10)]
                assert m.execute_batch(circuits, shots=10) == [
                    {batch * 10 + i: 1.0} for i in range(10)
                ]
            info = stats(url)
        assert info["jobs_created"] == 8
        assert sum(info["faults_injected"].values()) > 0

    def test_lost_create_response(self):
        """The job is created but its create response is lost: found, not created twice."""

        class DropFirstCreateResponse(httpx.AsyncHTTPTransport):
            dropped = 0

            async def handle_async_request(self, request):
                response = await super().handle_async_request(request)
                if request.method == "POST" and not self.dropped:
                    DropFirstCreateResponse.dropped += 1
                    await response.aclose()
                    raise httpx.ReadError("connection lost", request=request)
                return response

        with running() as url, manager(url, transport=DropFirstCreateResponse()) as m:
            assert m.execute_batch([basis_circuit(6, 3)], shots=10) == [{6: 1.0}]
            assert stats(url)["jobs_created"] == 1
            assert m.client.requests_sent["create"] == 1
            assert m.client.requests_sent["list"] >= 1

    def test_failed_job(self):
        """A failed job raises JobFailedError with IonQ's code and the job id."""
        faults = {"failure_rate": 1.0, "failure_codes": ["SimulationError"]}
        with (
            running(faults=faults) as url,
            manager(url) as m,
            pytest.raises(JobFailedError) as info,
        ):
            m.execute_batch([basis_circuit(1, 1)], shots=10)
        assert info.value.code == "SimulationError"
        assert info.value.job_id

    def test_deadline_cancels(self):
        """Past the deadline the batch raises JobTimeoutError and its jobs are cancelled."""
        with running(latency=LatencyModel(queue_s=60)) as url, manager(url, timeout=0.3) as m:
            with pytest.raises(JobTimeoutError) as info:
                m.execute_batch([basis_circuit(1, 1)], shots=10)
            job = m.runner.run(m.client.get_job(info.value.job_id))
        assert job.status == "canceled"


def server_job(url: str, job_id: str) -> dict:
    """The job as the emulator holds it (``GET /v0.4/jobs/{id}``)."""
    headers = {"Authorization": f"apiKey {KEY}"}
    return httpx.get(f"{url}/v0.4/jobs/{job_id}", headers=headers).json()


class TestPackedRuns:
    """pack() then run(): the batch is packed once and sent as it is."""

    def test_pack_then_run_equals_execute_batch(self, emulator, tmp_path):
        """run(pack(...)) gives the results of execute_batch, one job per span."""
        circuits = [basis_circuit(i, 4) for i in range(7)]
        with manager(emulator, max_circuits_per_job=3) as m:
            packed = m.pack(circuits, shots=10, name="packed")
            report = BatchReport()
            results = m.run(packed, report=report)
            assert results == m.execute_batch(circuits, shots=10)
        assert results == [{i: 1.0} for i in range(7)]
        assert (report.created, len(report.job_ids)) == (3, 3)
        assert [server_job(emulator, j)["name"] for j in report.job_ids] == [
            f"packed [{k}/3]" for k in (1, 2, 3)
        ]

    def test_packed_batch_run_twice_reattaches(self, emulator, tmp_path):
        """A packed batch run twice creates its jobs once: the journal re-attaches."""
        circuits = [basis_circuit(i, 5) for i in range(5)]
        with manager(emulator, journal=True, journal_path=tmp_path / "j.sqlite") as m:
            packed = m.pack(circuits, shots=10, tag="twice")
            first, again = BatchReport(), BatchReport()
            results = m.run(packed, report=first)
            before = stats(emulator)["jobs_created"]
            assert m.run(packed, report=again) == results
            assert stats(emulator)["jobs_created"] == before
        assert (first.created, again.created, again.reused) == (1, 0, 1)
        assert again.job_ids == first.job_ids

    def test_one_client_id_equal_to_the_journal(self, emulator, tmp_path):
        """Each job on the server carries exactly one client id: its journal chunk's."""
        circuits = [basis_circuit(i, 3) for i in range(4)]
        path = tmp_path / "j.sqlite"
        with manager(emulator, journal=True, journal_path=path, max_circuits_per_job=2) as m:
            packed = m.pack(circuits, shots=10, tag="client-id")
            report = BatchReport()
            m.run(packed, report=report)
            chunks = m.journal.batch(packed.digest)
        assert [c.job_id for c in chunks] == report.job_ids
        for chunk in chunks:
            metadata = server_job(emulator, chunk.job_id)["metadata"]
            assert [k for k in metadata if "client_id" in k] == [CLIENT_ID_KEY]
            assert metadata[CLIENT_ID_KEY] == chunk.client_id
        assert all(CLIENT_ID_KEY not in (j.payload.get("metadata") or {}) for j in packed.jobs)

    @pytest.mark.parametrize(
        ("card", "billed"),
        [
            pytest.param(RateCard(), False, id="default-card-free"),
            pytest.param(RateCard(free_backends=frozenset()), True, id="simulator-billed"),
        ],
    )
    def test_billed_cost_read_only_when_paid(self, emulator, card, billed):
        """The cost endpoint is read for each job iff the rate card bills the backend."""
        circuits = [basis_circuit(i, 3) for i in range(4)]
        with manager(emulator, rate_card=card, max_circuits_per_job=2) as m:
            packed = m.pack(circuits, shots=10)
            assert packed.is_free is not billed
            report = BatchReport()
            assert m.run(packed, report=report) == [{i: 1.0} for i in range(4)]
            assert m.client.requests_sent.get("cost", 0) == (2 if billed else 0)
        assert report.billed_usd == 0.0  # the emulator bills its simulator nothing
