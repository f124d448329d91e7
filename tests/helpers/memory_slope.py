"""Resident memory per batch of a long run: ``python memory_slope.py URL WARMUP BATCHES CONFIG...``.

Each ``CONFIG`` is ``simulator-off``, ``simulator-on``, ``ionq-off`` or ``ionq-on`` (the
device and its result cache). For each, in this one process: ``WARMUP`` batches (caches and
pools reach their bounds), then ``BATCHES`` batches of one new circuit each (a new angle every
time, so every ``qnative.ionq`` batch is a new job), the resident set size (``/proc/self/statm``)
read after a ``gc.collect()`` at 9 evenly spaced points. Prints one JSON object: per config the
least-squares slope in bytes per batch and the points (KiB above the first).

The emulator at ``URL`` must run in another process, or its own job store (which grows with
every job by design) would be measured too. With the cache on, the caches are bounded at 100
entries (memory and disk), so that they fill during the warm-up.
"""

from __future__ import annotations

import gc
import json
import os
import sys
import tempfile
from pathlib import Path
from typing import Any

import numpy as np
import pennylane as qp

from pennylane_qnative import QuantumCircuitCache
from pennylane_qnative.devices.ionq_results import Distribution
from pennylane_qnative.execution.result_store import ResultStore


def rss() -> int:
    with open("/proc/self/statm", encoding="ascii") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def device(config: str, url: str, folder: Path) -> Any:
    name, cache = config.split("-")
    if name == "simulator":
        options = {"cache": True, "cache_size": 100} if cache == "on" else {"cache": False}
        return qp.device("qnative.simulator", wires=2, **options)
    bounded: Any = False
    if cache == "on":
        bounded = QuantumCircuitCache(
            max_entries=100,
            store=ResultStore(folder / "results.sqlite", max_entries=100),
            codec=(Distribution.to_json, Distribution.from_json),
        )
    return qp.device(
        "qnative.ionq",
        wires=2,
        api_url=url + "/v0.4",
        api_key="memory-key",
        journal_path=folder / "journal.sqlite",
        cache=bounded,
    )


def measure(dev: Any, warmup: int, batches: int, seed: int) -> dict[str, Any]:
    rng = np.random.default_rng(seed)

    def batch() -> None:
        x = rng.uniform(0, np.pi)
        tape = qp.tape.QuantumScript([qp.RX(x, 0), qp.CNOT([0, 1])], [qp.expval(qp.Z(1))])
        dev.execute([tape])

    for _ in range(warmup):
        batch()
    every = max(1, batches // 8)
    done, xs, ys = 0, [], []
    while True:
        if done % every == 0 or done == batches:
            gc.collect()
            xs.append(done)
            ys.append(rss())
        if done == batches:
            break
        batch()
        done += 1
    return {
        "slope": float(np.polyfit(xs, ys, 1)[0]),
        "points_kib": [round((y - ys[0]) / 1024) for y in ys],
    }


def main(argv: list[str]) -> None:
    url, warmup, batches, *configs = argv
    folder = Path(tempfile.mkdtemp())
    out, alive = {}, []  # every device lives to the end: no config reuses another's memory
    for seed, config in enumerate(configs):
        alive.append(device(config, url, folder / config))
        out[config] = measure(alive[-1], int(warmup), int(batches), seed)
    print(json.dumps(out))


if __name__ == "__main__":
    main(sys.argv[1:])
