"""Polling cost of the job manager (docs/benchmarks.md, "Polling").

Starts the emulator with the ``cloud-simulator`` profile (50 ms validation + 1 s queue + 5 ms
per circuit: a job completes about 1.06 s after submission) on a loopback port, then, through
``CircuitBatchManager`` (no journal):

1. ``--jobs`` single-job batches one after another: for each, the number of status requests
   (``GET /jobs/{id}``) and the *lateness*: time at which ``get_results`` returned minus the
   job's ``completed_at`` as reported by the emulator (same machine, same clock);
2. one batch of ``--concurrent`` jobs (``max_circuits_per_job=1``) submitted together: status
   requests per job, how long after its *last* job completed the batch returned, and the wall
   time of the batch.

Targets (issue 5): at most 6 status requests per job, results within 50 ms of completion.

Usage: ``python benchmarks/bench_polling.py [--jobs 10] [--concurrent 8]``
"""

from __future__ import annotations

import argparse
import statistics
import time

from pennylane_qnative.emulator import running
from pennylane_qnative.execution.job_manager import CircuitBatchManager

BELL = {
    "qubits": 2,
    "circuit": [{"gate": "h", "target": 0}, {"gate": "cnot", "control": 0, "target": 1}],
}


def _completed_at(manager: CircuitBatchManager, job_id: str) -> float:
    job = manager.runner.run(manager.client.get_job(job_id))
    assert job.completed_at is not None
    return job.completed_at.timestamp()


def _one_batch(manager: CircuitBatchManager, n_circuits: int) -> tuple[list[float], int, float]:
    """(lateness of each job in ms, status requests, wall seconds) of one batch."""
    before = manager.client.requests_sent.get("status", 0)
    start = time.time()
    ids = manager.submit_batch([BELL] * n_circuits, shots=100)
    manager.get_results(ids)
    returned = time.time()
    status = manager.client.requests_sent.get("status", 0) - before
    late = [(returned - _completed_at(manager, j)) * 1e3 for j in ids]
    return late, status, returned - start


def _summary(values: list[float]) -> str:
    return (
        f"median {statistics.median(values):.1f}, max {max(values):.1f}, "
        f"min {min(values):.1f} (n={len(values)})"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=10)
    parser.add_argument("--concurrent", type=int, default=8)
    args = parser.parse_args()
    with (
        running(profile="cloud-simulator") as url,
        CircuitBatchManager(api_key="bench", api_url=url + "/v0.4", journal=False) as manager,
    ):
        manager.execute_batch([BELL], shots=100)  # warm the connection pool
        lateness, statuses, walls = [], [], []
        for _ in range(args.jobs):
            late, status, wall = _one_batch(manager, 1)
            lateness += late
            statuses.append(status)
            walls.append(wall)
        print(f"sequential single jobs ({args.jobs}):")
        print(f"  status requests per job: {_summary([float(s) for s in statuses])}")
        print(f"  lateness after completion, ms: {_summary(lateness)}")
        print(f"  wall per batch, s: {_summary(walls)}")

    with (
        running(profile="cloud-simulator") as url,
        CircuitBatchManager(
            api_key="bench", api_url=url + "/v0.4", journal=False, max_circuits_per_job=1
        ) as manager,
    ):
        manager.execute_batch([BELL], shots=100)
        late, status, wall = _one_batch(manager, args.concurrent)
        print(f"one batch of {args.concurrent} concurrent jobs:")
        print(f"  status requests per job: {status / args.concurrent:.2f} (total {status})")
        print(f"  batch returned after its last job completed, ms: {min(late):.1f}")
        print(f"  spread of completions (first to last), ms: {max(late) - min(late):.1f}")
        print(f"  wall of the batch, s: {wall:.3f}")


if __name__ == "__main__":
    main()
