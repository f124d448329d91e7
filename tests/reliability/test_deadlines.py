"""The deadline model and the retry policy, against real loopback servers (no mocks of ours).

* a server that accepts connections and never answers: ``timeout=`` bounds the whole call;
* a server that answers ``429 Retry-After: 30``: honoured up to ``retry_after_cap``;
* an emulator stopped and restarted on the same port and database mid-batch: the batch rides
  the outage out, results identical to an uninterrupted run, no duplicate job.
"""

from __future__ import annotations

import contextlib
import http.server
import json
import socket
import threading
import time
from collections.abc import Iterator

import httpx
import numpy as np
import pennylane as qp
import pytest

from pennylane_qnative.emulator import EmulatorServer, LatencyModel
from pennylane_qnative.emulator.server import make_config
from pennylane_qnative.exceptions import IonQError, JobTimeoutError
from pennylane_qnative.execution.job_manager import CircuitBatchManager
from pennylane_qnative.ionq.client import IonQClient
from pennylane_qnative.ionq.deadline import deadline_scope
from pennylane_qnative.ionq.retry import RetryPolicy, RetryState

KEY = "reliability-secret-key"


def basis_circuit(i: int, qubits: int = 4) -> dict:
    """A circuit whose only outcome is ``i`` (exact on the ideal simulator)."""
    gates = [{"gate": "x", "target": q} for q in range(qubits) if (i >> q) & 1]
    return {"qubits": qubits, "circuit": gates or [{"gate": "rz", "target": 0, "rotation": 0.0}]}


@contextlib.contextmanager
def silent_server() -> Iterator[str]:
    """A TCP server on loopback that accepts every connection and never answers."""
    listener = socket.create_server(("127.0.0.1", 0))
    listener.settimeout(0.1)
    held: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        while not stop.is_set():
            with contextlib.suppress(TimeoutError, OSError):
                held.append(listener.accept()[0])

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{listener.getsockname()[1]}/v0.4"
    finally:
        stop.set()
        thread.join(2)
        for conn in held:
            conn.close()
        listener.close()


@contextlib.contextmanager
def scripted_server(
    responses: list[tuple[int, dict[str, str], dict]],
) -> Iterator[tuple[str, list]]:
    """An HTTP server answering each request with the next ``(status, headers, body)``; the
    last one repeats. Yields its API URL and the arrival times of the requests."""
    arrivals: list[float] = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            arrivals.append(time.monotonic())
            status, headers, body = responses[min(len(arrivals), len(responses)) - 1]
            data = json.dumps(body).encode()
            self.send_response(status)
            for name, value in {**headers, "Content-Type": "application/json"}.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/v0.4", arrivals
    finally:
        server.shutdown()
        server.server_close()
        thread.join(2)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class TestSilentServer:
    """A server that accepts connections and never answers: the call ends at its deadline."""

    @pytest.mark.parametrize(
        ("timeout", "retry", "limit"),
        [
            pytest.param(2.0, RetryPolicy(max_retries=0), 3.5, id="timeout=2,max_retries=0"),
            pytest.param(5.0, None, 6.5, id="timeout=5,default-retries"),
        ],
    )
    def test_batch_fails_at_its_deadline(self, tmp_path, timeout, retry, limit):
        """JobTimeoutError naming the URL (never the key) within about 1 s of the deadline."""
        with (
            silent_server() as url,
            CircuitBatchManager(
                api_key=KEY,
                api_url=url,
                timeout=timeout,
                retry=retry,
                journal_path=tmp_path / "journal.sqlite",
            ) as manager,
        ):
            start = time.monotonic()
            with pytest.raises(JobTimeoutError) as info:
                manager.execute_batch([basis_circuit(1)], shots=100)
            elapsed = time.monotonic() - start
        assert timeout - 0.1 <= elapsed < limit
        text = str(info.value)
        assert url.removesuffix("/v0.4") in text
        assert "timeout=" in text
        assert KEY not in text + repr(info.value.__dict__)

    def test_device_timeout_bounds_execution(self, tmp_path):
        """``qnative.ionq(timeout=2)``: a QNode on a silent service fails in about 2 s."""
        with silent_server() as url:
            dev = qp.device(
                "qnative.ionq",
                wires=1,
                api_key=KEY,
                api_url=url,
                timeout=2,
                cache=False,
                journal_path=str(tmp_path / "journal.sqlite"),
            )

            @qp.qnode(dev)
            def circuit():
                qp.Hadamard(0)
                return qp.expval(qp.PauliZ(0))

            start = time.monotonic()
            with pytest.raises(IonQError, match=r"127\.0\.0\.1"):
                circuit()
            assert time.monotonic() - start < 3.5

    def test_direct_client_call_bounded_by_scope(self):
        """Any client call inside a deadline scope is cut at it (here a status lookup)."""
        import asyncio

        async def call(url: str) -> None:
            async with IonQClient(api_key=KEY, api_url=url) as client:
                with deadline_scope(time.monotonic() + 1.0):
                    await client.get_job("j1")

        with silent_server() as url:
            start = time.monotonic()
            with pytest.raises(JobTimeoutError, match=r"GET http://127\.0\.0\.1"):
                asyncio.run(call(url))
            assert time.monotonic() - start < 2.0


class TestRetryAfter:
    """``Retry-After`` is honoured up to ``RetryPolicy.retry_after_cap``, within the deadline."""

    JOB = {"id": "j1", "status": "completed"}

    @staticmethod
    def get_job(url: str, policy: RetryPolicy, deadline_s: float | None = None):
        import asyncio

        async def call():
            async with IonQClient(api_key=KEY, api_url=url, retry=policy) as client:
                deadline = None if deadline_s is None else time.monotonic() + deadline_s
                with deadline_scope(deadline):
                    return await client.get_job("j1")

        return asyncio.run(call())

    def test_long_retry_after_capped(self):
        """``Retry-After: 30`` with ``retry_after_cap=0.5``: the retry comes after 0.5 s."""
        script = [(429, {"Retry-After": "30"}, {"message": "slow down"}), (200, {}, self.JOB)]
        with scripted_server(script) as (url, arrivals):
            job = self.get_job(url, RetryPolicy(retry_after_cap=0.5, base_delay=0.0))
        assert job.id == "j1"
        assert len(arrivals) == 2
        assert 0.5 <= arrivals[1] - arrivals[0] < 1.5

    def test_short_retry_after_honoured(self):
        """``Retry-After: 0.4`` is waited for in full, whatever the jittered backoff says."""
        script = [(429, {"Retry-After": "0.4"}, {"message": "slow down"}), (200, {}, self.JOB)]
        with scripted_server(script) as (url, arrivals):
            self.get_job(url, RetryPolicy(base_delay=0.0))
        assert arrivals[1] - arrivals[0] >= 0.4

    def test_retry_after_past_the_deadline_fails_at_once(self):
        """A wait longer than the time left is not started: JobTimeoutError now, naming 429."""
        script = [(429, {"Retry-After": "30"}, {"message": "slow down"})]
        with scripted_server(script) as (url, arrivals):
            start = time.monotonic()
            with pytest.raises(JobTimeoutError, match="429"):
                self.get_job(url, RetryPolicy(), deadline_s=3.0)
        assert time.monotonic() - start < 1.0
        assert len(arrivals) == 1

    def test_outage_window_ends_retries(self):
        """With no count limit, retries stop once ``outage_s`` has passed since the first
        failure (here 0.3 s of 503s); the last error is raised."""
        script = [(503, {}, {"message": "down"})]
        with scripted_server(script) as (url, arrivals):
            start = time.monotonic()
            with pytest.raises(IonQError, match="503"):
                self.get_job(url, RetryPolicy(outage_s=0.3, base_delay=0.05, max_delay=0.1))
        assert 0.3 <= time.monotonic() - start < 1.5
        assert len(arrivals) >= 3


class TestRetryState:
    """The policy's two limits, pure."""

    def test_defaults_ride_out_a_minute(self):
        """Default policy: no count limit, a 60 s outage window, Retry-After capped at 60 s."""
        policy = RetryPolicy()
        assert (policy.max_retries, policy.outage_s, policy.retry_after_cap) == (None, 60.0, 60.0)
        import random

        state = RetryState(policy, random.Random(0))
        delays = []
        while (delay := state.next_delay()) is not None:
            delays.append(delay)
        assert sum(delays) >= 60.0 - policy.max_delay
        assert max(delays) <= policy.max_delay

    def test_count_limit_first(self):
        """``max_retries=0`` never retries."""
        import random

        assert RetryState(RetryPolicy(max_retries=0), random.Random(0)).next_delay() is None


class _Restarting:
    """An emulator on a fixed port and sqlite file that can be stopped and started again."""

    def __init__(self, db: str, port: int) -> None:
        self.config = make_config(db=db, seed=3, api_keys=(), latency=LatencyModel(queue_s=0.6))
        self.port = port
        self.server: EmulatorServer | None = None

    def start(self) -> None:
        self.server = EmulatorServer(self.config, port=self.port).start()

    def stop(self) -> None:
        if self.server is not None:
            self.server.stop()
            self.server = None


class TestOutage:
    """An emulator restarted mid-batch on the same port and database."""

    def run_batch(self, url: str, journal, circuits):
        with CircuitBatchManager(
            api_key=KEY,
            api_url=url,
            timeout=60,
            max_circuits_per_job=4,
            journal_path=journal,
            seed=0,
        ) as manager:
            return manager.execute_batch(circuits, shots=100)

    def test_restart_is_ridden_out_without_duplicates(self, tmp_path):
        """A ~4 s outage while 4 jobs are in flight: identical results, each job created once."""
        circuits = [basis_circuit(i) for i in range(16)]
        port = free_port()
        emulator = _Restarting(str(tmp_path / "emulator.sqlite"), port)
        emulator.start()
        url = f"http://127.0.0.1:{port}/v0.4"
        outcome: dict = {}

        def batch() -> None:
            try:
                outcome["results"] = self.run_batch(url, tmp_path / "j.sqlite", circuits)
            except BaseException as error:  # reported below
                outcome["error"] = error

        worker = threading.Thread(target=batch)
        start = time.monotonic()
        worker.start()
        time.sleep(0.3)  # the jobs exist and are queued
        emulator.stop()
        time.sleep(4.0)
        emulator.start()
        worker.join(60)
        elapsed = time.monotonic() - start
        try:
            jobs = httpx.get(
                f"{url}/jobs", headers={"Authorization": "apiKey k"}, params={"limit": 100}
            ).json()["jobs"]
        finally:
            emulator.stop()
        assert "error" not in outcome, outcome.get("error")
        expected = [{i: 1.0} for i in range(16)]
        got = [{int(k): v for k, v in r.items()} for r in outcome["results"]]
        assert [{k: pytest.approx(v) for k, v in e.items()} for e in expected] == got
        client_ids = [
            j["metadata"]["qnative_client_id"] for j in jobs if not j.get("parent_job_id")
        ]
        assert len(client_ids) == 4 == len(set(client_ids))
        assert elapsed >= 4.0
        np.testing.assert_equal(len(outcome["results"]), 16)
