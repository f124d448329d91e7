"""Stress: memory flat over 1,000+ batches, 100+ threads submitting through one device.

* **Memory**: ``tests/helpers/memory_slope.py`` runs batches of one new circuit each (every
  ``qnative.ionq`` batch a new job) in a fresh process against an emulator in another process,
  and fits the resident set size against the batch count. The bound, 300 B per batch, is
  below what a list or dict growing by one small record per job costs (a ~1 KB/job leak
  fails it by 3x). Before the journal's sqlite page cache was bounded, ``qnative.ionq`` grew
  about 700 B per job over 2,000 jobs (SQLite's default page cache, 2 MB per connection,
  filling with the journal's rows).
* **Concurrency**: 120 threads each run a circuit on one ``qnative.ionq`` device at once:
  every result is the exact one, each thread's circuit is one job, no payload is sent twice,
  no exception, no deadlock (every thread joins within its bound).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import httpx
import numpy as np
import pennylane as qp
import pytest

from pennylane_qnative.emulator import running, spawned

HELPER = Path(__file__).parents[1] / "helpers" / "memory_slope.py"
BOUND_B_PER_BATCH = 300.0


@pytest.fixture(scope="module")
def emulator_process(tmp_path_factory) -> Iterator[str]:
    """``qnative-ionq-emulator`` in its own process (its job store grows by design)."""
    env = {k: v for k, v in os.environ.items() if k != "QNATIVE_EMULATOR_KEYS"}
    log = tmp_path_factory.mktemp("emulator") / "emulator.log"
    with spawned(["--profile", "instant", "--log-level", "WARNING"], log=log, env=env) as url:
        yield url


def slopes(url: str, warmup: int, batches: int, *configs: str) -> dict:
    command = [sys.executable, str(HELPER), url, str(warmup), str(batches), *configs]
    done = subprocess.run(command, capture_output=True, text=True, timeout=600, check=False)
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.splitlines()[-1])


class TestMemoryIsFlat:
    """Resident memory per batch, after a warm-up that fills every bounded cache."""

    def test_200_batches(self, emulator_process):
        """qnative.simulator and qnative.ionq without cache: under 300 B per batch."""
        measured = slopes(emulator_process, 500, 200, "simulator-off", "ionq-off")
        for config, result in measured.items():
            assert result["slope"] < BOUND_B_PER_BATCH, (config, result)

    @pytest.mark.slow
    def test_1200_batches(self, emulator_process):
        """Both devices, cache off and on, 1,200 batches each: under 300 B per batch."""
        configs = ("simulator-off", "simulator-on", "ionq-off", "ionq-on")
        measured = slopes(emulator_process, 600, 1200, *configs)
        for config, result in measured.items():
            assert result["slope"] < BOUND_B_PER_BATCH, (config, result)


class TestConcurrentSubmissions:
    """Many threads, one device."""

    THREADS = 120

    @pytest.mark.parametrize(
        ("distinct", "jobs"),
        [pytest.param(True, THREADS, id="120-circuits"), pytest.param(False, 1, id="one-circuit")],
    )
    def test_threads_share_one_device(self, tmp_path, distinct, jobs):
        """120 threads, one execute each at once: exact results, one job per distinct circuit
        (the journal makes 120 submissions of one circuit one job), no duplicate.

        The circuits are built before the threads start: PennyLane records a QNode's
        operations in one process-wide queue, so concurrent QNode *construction* is
        PennyLane's business, not the device's.
        """
        with running(db=str(tmp_path / "emulator.sqlite"), api_keys=()) as url:
            dev = qp.device(
                "qnative.ionq",
                wires=2,
                api_url=url + "/v0.4",
                api_key="concurrency-key",
                journal_path=tmp_path / "journal.sqlite",
                cache=False,
            )
            angles = (
                np.linspace(0.01, 3.1, self.THREADS) if distinct else np.full(self.THREADS, 0.7)
            )
            tapes = [
                qp.tape.QuantumScript([qp.RX(x, 0), qp.CNOT([0, 1])], [qp.expval(qp.Z(1))])
                for x in angles
            ]
            results: list = [None] * self.THREADS
            errors: list = []
            start = threading.Barrier(self.THREADS)

            def call(i: int) -> None:
                try:
                    start.wait(timeout=60)
                    results[i] = float(dev.execute(tapes[i]))
                except BaseException as error:  # reported below
                    errors.append(error)

            threads = [threading.Thread(target=call, args=(i,)) for i in range(self.THREADS)]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join(timeout=120)
            assert not [t for t in threads if t.is_alive()], "a thread did not return: deadlock"
            stats = httpx.get(url + "/_emulator/stats").json()
            listed = httpx.get(
                url + "/v0.4/jobs", params={"limit": 1000}, headers={"Authorization": "apiKey k"}
            ).json()["jobs"]
        assert errors == []
        np.testing.assert_allclose(results, np.cos(angles), atol=1e-12)
        assert stats["jobs_created"] == jobs
        assert stats["duplicate_payloads"] == 0
        assert len({j["metadata"]["qnative_client_id"] for j in listed}) == jobs
