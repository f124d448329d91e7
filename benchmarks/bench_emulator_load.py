"""Load benchmark of the IonQ emulator (not a test).

1. Starts ``qnative-ionq-emulator --profile instant`` in its own process (so client and server
   do not share a GIL) on a free loopback port, or in this process with ``--in-process``.
2. Submits ``--jobs`` (default 200) Bell-pair jobs **concurrently** with ``httpx.AsyncClient``.
3. Polls their status (``GET /jobs/{id}``) from ``--pollers`` concurrent tasks for
   ``--seconds`` seconds, as fast as the server answers.
4. Fetches every job's probabilities once.

Reports requests/s and the number of errors (any status other than 200/201, or a transport
error) for each phase, and checks with ``/_emulator/stats`` that exactly ``--jobs`` jobs exist.

Usage: ``python benchmarks/bench_emulator_load.py [--jobs 200] [--seconds 5] [--pollers 32]
[--pools 8] [--db FILE] [--in-process]``
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import os
import platform
import socket
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable
from contextlib import ExitStack
from functools import partial

import httpx

from pennylane_qnative.emulator import running

HEADERS = {"Authorization": "apiKey bench"}
JOB = {
    "type": "ionq.circuit.v1",
    "backend": "simulator",
    "shots": 1000,
    "input": {
        "qubits": 2,
        "gateset": "qis",
        "circuit": [{"gate": "h", "target": 0}, {"gate": "cnot", "control": 0, "target": 1}],
    },
}


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _start_process(stack: ExitStack, db: str) -> str:
    port = _free_port()
    command = [sys.executable, "-m", "pennylane_qnative.emulator", f"--port={port}"]
    command += ["--profile=instant", "--log-level=WARNING", f"--db={db}"]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    stack.callback(process.wait, 10)
    stack.callback(process.terminate)
    url = f"http://127.0.0.1:{port}"
    for _ in range(400):
        try:
            httpx.get(f"{url}/v0.4/backends", timeout=1)
            return url
        except httpx.TransportError:
            time.sleep(0.025)
    raise RuntimeError("the emulator process did not start")


async def _timed(calls: list[Callable[[], Awaitable[httpx.Response]]]) -> tuple[float, int, list]:
    start = time.perf_counter()
    outcomes = await asyncio.gather(*(call() for call in calls), return_exceptions=True)
    elapsed = time.perf_counter() - start
    errors = sum(isinstance(o, BaseException) or o.status_code not in (200, 201) for o in outcomes)
    return elapsed, errors, outcomes


async def _poll(pools: _Clients, ids: list[str], seconds: float, pollers: int):
    counter = itertools.cycle(ids)
    done, errors = 0, 0
    deadline = time.perf_counter() + seconds

    async def worker() -> None:
        nonlocal done, errors
        client = pools.pick()
        while time.perf_counter() < deadline:
            try:
                response = await client.get(f"/jobs/{next(counter)}")
                errors += response.status_code != 200
            except httpx.HTTPError:
                errors += 1
            done += 1

    start = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(pollers)))
    return done, errors, time.perf_counter() - start


class _Clients:
    """Several small ``httpx.AsyncClient`` pools used round-robin.

    httpx's async pool gets slow (about 10 ms per request here) when one pool holds hundreds of
    connections; the server is not the bottleneck (a fresh client polls at full speed while a
    big pool is open). Spreading the concurrency over a few small pools keeps the client fast.
    """

    def __init__(self, url: str, concurrency: int, pools: int) -> None:
        size = max(1, -(-concurrency // pools))
        limits = httpx.Limits(max_connections=size, max_keepalive_connections=size)
        self.clients = [
            httpx.AsyncClient(base_url=f"{url}/v0.4", headers=HEADERS, limits=limits, timeout=60)
            for _ in range(pools)
        ]
        self._next = itertools.cycle(self.clients)

    def pick(self) -> httpx.AsyncClient:
        """The next pool, round-robin."""
        return next(self._next)

    async def __aenter__(self) -> _Clients:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await asyncio.gather(*(c.aclose() for c in self.clients))


async def _run(url: str, args: argparse.Namespace) -> None:
    async with _Clients(url, args.jobs, args.pools) as pools:
        submit = [partial(pools.pick().post, "/jobs", json=JOB) for _ in range(args.jobs)]
        elapsed, submit_errors, outcomes = await _timed(submit)
    ids = [o.json()["id"] for o in outcomes if isinstance(o, httpx.Response) and o.is_success]
    print(
        f"submit : {args.jobs} concurrent jobs in {elapsed:.3f} s "
        f"= {args.jobs / elapsed:,.0f} req/s, errors: {submit_errors}"
    )
    async with _Clients(url, args.pollers, args.pools) as pools:
        polls, poll_errors, poll_time = await _poll(pools, ids, args.seconds, args.pollers)
        print(
            f"poll   : {polls:,} GET /jobs/{{id}} in {poll_time:.2f} s with {args.pollers} "
            f"concurrent pollers = {polls / poll_time:,.0f} req/s, errors: {poll_errors}"
        )
        fetch = [partial(pools.pick().get, f"/jobs/{i}/results/probabilities") for i in ids]
        elapsed, fetch_errors, _ = await _timed(fetch)
        print(
            f"results: {len(ids)} fetches in {elapsed:.3f} s "
            f"= {len(ids) / elapsed:,.0f} req/s, errors: {fetch_errors}"
        )
    stats = httpx.get(f"{url}/_emulator/stats").json()
    print(
        f"server : jobs_created={stats['jobs_created']} (expected {args.jobs}), "
        f"requests={stats['requests']}"
    )


def main() -> None:
    """Parse arguments, start the emulator and run the three phases."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=200)
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--pollers", type=int, default=32)
    parser.add_argument(
        "--pools", type=int, default=8, help="httpx.AsyncClient pools to spread over"
    )
    parser.add_argument("--db", default=":memory:", help="sqlite file (default: memory)")
    parser.add_argument("--in-process", action="store_true", help="server thread, not process")
    args = parser.parse_args()
    print(f"python {platform.python_version()}, {os.cpu_count()} CPUs, {platform.platform()}")
    with ExitStack() as stack:
        if args.in_process:
            url = stack.enter_context(running(profile="instant", db=args.db, api_keys=()))
        else:
            url = _start_process(stack, args.db)
        print(f"emulator at {url} ({'thread' if args.in_process else 'separate process'})")
        asyncio.run(_run(url, args))


if __name__ == "__main__":
    main()
