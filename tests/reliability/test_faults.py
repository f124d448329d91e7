"""20% faults between client and service, responses lost *after* the service acted included.

The emulator's own fault injection fires before its handlers run, so it cannot lose a
response to a request it has carried out. :class:`LossyProxy` can: a small HTTP/1.1 proxy on
loopback (asyncio streams, a real socket each way) in front of a real emulator with an sqlite
database. For a seeded 20% of API requests it

* forwards the request, lets the emulator act, then drops the connection without an answer
  (``lost-after``, 10%);
* forwards it, then answers ``502`` instead of the emulator's response (``502-after``, 5%);
* resets the connection before forwarding (``reset-before``, 5%).

Each kind of request (method and endpoint) draws its fates from its own seeded stream, so the
n-th job creation meets the same fate in every run whatever the interleaving. A training and a
many-job batch on ``qnative.ionq`` through the proxy end identical to fault-free runs, with the
fault-free run's number of jobs and no payload submitted twice. The emulator restarted
mid-run on the same database is ``test_deadlines.py::TestOutage``.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import random
import socket
import struct
import threading
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import httpx
import numpy as np
import pennylane as qp
import pytest

from pennylane_qnative import QuantumModel, QuantumTrainer, TrainingConfig
from pennylane_qnative.emulator import running

KEY = "faults-key"
FATES = (("lost-after", 0.10), ("502-after", 0.05), ("reset-before", 0.05))
BAD_GATEWAY = (
    b"HTTP/1.1 502 Bad Gateway\r\nContent-Type: application/json\r\nContent-Length: 37\r\n"
    b'Connection: close\r\n\r\n{"error": "Bad Gateway", "code": 502}'
)


class LossyProxy:
    """A loopback HTTP/1.1 proxy to ``upstream`` that loses a share of the responses.

    Args:
        upstream (str): the emulator's root URL (``http://127.0.0.1:<port>``)
        seed (int): seeds the fate of each request
        fates (tuple): ``(fate, probability)`` pairs; the rest is forwarded faithfully
    """

    def __init__(self, upstream: str, *, seed: int = 0, fates=FATES) -> None:
        self.upstream = httpx.URL(upstream)
        self.seed, self.fates = seed, fates
        self.counts: Counter[tuple[str, str]] = Counter()
        self._streams: dict[str, random.Random] = {}
        self._loop = asyncio.new_event_loop()
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self.port = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def fate(self, method: str, path: str) -> str:
        """The fate of the next request of this kind (``"forward"`` for most)."""
        parts = [p for p in path.split("?")[0].split("/") if p][1:]  # without /v0.4
        kind = f"{method} {'/'.join('{id}' if len(p) > 20 else p for p in parts)}"
        stream = self._streams.setdefault(kind, random.Random(f"{self.seed}:{kind}"))
        draw, edge = stream.random(), 0.0
        for fate, probability in self.fates:
            edge += probability
            if draw < edge:
                self.counts[fate, kind] += 1
                return fate
        self.counts["forward", kind] += 1
        return "forward"

    def __enter__(self) -> LossyProxy:
        self._thread.start()
        assert self._ready.wait(10), "the proxy did not start"
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)

    def _serve(self) -> None:
        asyncio.set_event_loop(self._loop)
        server = self._loop.run_until_complete(asyncio.start_server(self._client, "127.0.0.1", 0))
        self.port = server.sockets[0].getsockname()[1]
        self._ready.set()
        try:
            self._loop.run_forever()
        finally:
            server.close()
            self._loop.run_until_complete(server.wait_closed())
            self._loop.close()

    async def _client(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                request = await _read_request(reader)
                if request is None:
                    break
                method, path, raw = request
                fate = self.fate(method, path) if path.startswith("/v0.4/") else "forward"
                if fate == "reset-before":
                    _reset(writer)
                    return
                response = await self._forward(raw)
                if fate == "lost-after":  # the emulator acted; the answer never arrives
                    _reset(writer)
                    return
                writer.write(BAD_GATEWAY if fate == "502-after" else response)
                await writer.drain()
        except (ConnectionError, asyncio.IncompleteReadError):
            pass
        finally:
            writer.close()

    async def _forward(self, raw: bytes) -> bytes:
        """Send one request upstream on its own connection; the whole response back."""
        reader, writer = await asyncio.open_connection(self.upstream.host, self.upstream.port)
        try:
            writer.write(raw)
            await writer.drain()
            return await reader.read()  # "Connection: close": the response ends at EOF
        finally:
            writer.close()


async def _read_request(reader: asyncio.StreamReader) -> tuple[str, str, bytes] | None:
    """One request off the client connection, rewritten with ``Connection: close``."""
    try:
        head = await reader.readuntil(b"\r\n\r\n")
    except asyncio.IncompleteReadError:
        return None
    request_line, *lines = head.decode("latin-1").split("\r\n")
    headers = [line for line in lines if line and not line.lower().startswith("connection:")]
    length = next(
        (int(h.split(":", 1)[1]) for h in headers if h.lower().startswith("content-length:")), 0
    )
    body = await reader.readexactly(length)
    method, path, _ = request_line.split(" ", 2)
    rewritten = "\r\n".join([request_line, *headers, "Connection: close", "", ""])
    return method, path, rewritten.encode("latin-1") + body


def _reset(writer: asyncio.StreamWriter) -> None:
    """Close with a TCP reset (``SO_LINGER`` 0): no response, no orderly shutdown."""
    sock = writer.get_extra_info("socket")
    with contextlib.suppress(OSError):
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    writer.transport.abort()


@pytest.fixture(scope="module")
def emulator(tmp_path_factory) -> Iterator[str]:
    db = tmp_path_factory.mktemp("emulator") / "jobs.sqlite"
    with running(db=str(db), api_keys=()) as url:
        yield url


def stats(url: str) -> dict:
    return httpx.get(url + "/_emulator/stats").json()


def train(api_url: str, folder: Path) -> dict:
    """A tiny training on qnative.ionq (4 steps of 4 jobs): its parameters and per-step
    losses, gradient norms and circuit and job counts."""
    config = TrainingConfig(
        n_qubits=2, circuit_depth=1, epochs=2, batch_size=5, gradient_method="spsa", seed=11
    )
    trainer = QuantumTrainer(
        config,
        "qnative.ionq",
        output_dir=folder,
        progress=False,
        device_kwargs={
            "api_url": api_url + "/v0.4",
            "api_key": KEY,
            "journal_path": folder / "journal.sqlite",
            "cache_path": folder / "results.sqlite",
            "max_circuits_per_job": 4,
            "retry_delay": 0.01,
        },
    )
    rng = np.random.default_rng(5)
    X = rng.uniform(0, np.pi, (10, 2))
    trainer.fit(QuantumModel.from_config(config), X, (X[:, 0] > X[:, 1]).astype(int))
    history = trainer.tracker.history
    kept = {k: history[k] for k in ("loss", "accuracy", "grad_norm", "circuits", "jobs")}
    return kept | {"parameters": json.loads((folder / "checkpoint.json").read_text())["parameters"]}


def batch(api_url: str, folder: Path) -> list:
    """One execute of 40 circuits in 20 jobs of 2 (results as lists)."""
    dev = qp.device(
        "qnative.ionq",
        wires=3,
        api_url=api_url + "/v0.4",
        api_key=KEY,
        journal_path=folder / "journal.sqlite",
        cache=False,
        max_circuits_per_job=2,
        retry_delay=0.01,
    )

    @qp.qnode(dev, diff_method=None)
    def circuit(x):
        qp.RX(x, 0)
        qp.RY(2 * x, 1)
        qp.CNOT([0, 1])
        qp.CRX(x / 3, [1, 2])
        return qp.probs(wires=[0, 1, 2])

    return np.asarray(circuit(np.linspace(0.05, 3.0, 40))).tolist()


WORKLOADS = [pytest.param(train, id="training"), pytest.param(batch, id="batch-of-20-jobs")]


class TestLostResponses:
    """A run through the lossy proxy against the same run without it."""

    @pytest.mark.parametrize("workload", WORKLOADS)
    def test_identical_and_no_duplicate(self, emulator, tmp_path, workload):
        """Same results, same number of jobs, no payload twice, every fate injected."""
        before = stats(emulator)
        expected = workload(emulator, tmp_path / "fault-free")
        middle = stats(emulator)
        with LossyProxy(emulator, seed=3) as proxy:
            got = workload(proxy.url, tmp_path / "faulty")
        after = stats(emulator)
        assert got == expected
        jobs = middle["jobs_created"] - before["jobs_created"]
        assert after["jobs_created"] - middle["jobs_created"] == jobs
        assert after["duplicate_payloads"] == 0
        faults = {f: sum(n for (g, _), n in proxy.counts.items() if g == f) for f, _ in FATES}
        requests = sum(proxy.counts.values())
        assert sum(faults.values()) >= 0.1 * requests, (faults, requests)
        assert proxy.counts["lost-after", "POST jobs"] >= 1  # a job created, its id lost
        assert all(n >= 1 for n in faults.values()), faults
