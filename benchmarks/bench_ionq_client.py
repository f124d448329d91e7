"""Client-side time per training step on ``qnative.ionq`` (not a test).

The reference training (8 qubits, depth 2, 32 parameters, batches of 10, SPSA as the device
gradient, 1,000 shots) runs against an emulator in ANOTHER process on the ``instant`` profile,
so that this process's CPU time is the client's own work: lowering, packing, serialising,
journaling, HTTP parsing and result conversion, never the server's simulation or any waiting.

Reported: client CPU time per step (``time.process_time`` over all threads of this process,
divided by the steps), wall time per step, jobs and circuits per step, the median of
``--repeats`` runs; and, from one profiled run, the cumulative time of the functions that lower
circuits (``--profile``).

Usage: ``python benchmarks/bench_ionq_client.py [--epochs 2] [--repeats 3] [--profile]``
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import statistics
import tempfile
import time
from pathlib import Path

from bench_ionq import KEY, start_emulator

from pennylane_qnative import QuantumModel, QuantumTrainer, TrainingConfig
from pennylane_qnative.training.reference import load_reference_data


def train(url: str, epochs: int, folder: Path) -> dict[str, float]:
    """One training run; CPU and wall time per step, jobs and circuits per step."""
    data = load_reference_data()
    config = TrainingConfig(
        gradient_method="spsa", seed=0, epochs=epochs, learning_rate=0.1, shots_per_circuit=1000
    )
    options = {
        "api_url": url + "/v0.4",
        "api_key": KEY,
        "cache": False,
        "journal_path": folder / "journal.sqlite",
    }
    trainer = QuantumTrainer(config, "qnative.ionq", progress=False, device_kwargs=options)
    model = QuantumModel.from_config(config)
    cpu, wall = time.process_time(), time.perf_counter()
    trainer.fit(model, data.X_train, data.y_train)
    cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    rows = trainer.tracker.rows
    steps = len(rows)
    return {
        "cpu_ms": 1e3 * cpu / steps,
        "wall_ms": 1e3 * wall / steps,
        "jobs": sum(r["jobs"] for r in rows) / steps,
        "circuits": sum(r["circuits"] for r in rows) / steps,
    }


def profile_lowering(url: str, epochs: int, folder: Path) -> None:
    profiler = cProfile.Profile()
    profiler.enable()
    train(url, epochs, folder)
    profiler.disable()
    stats = pstats.Stats(profiler)
    names = ("decompose", "split_non_commuting", "diagonalize_measurements", "broadcast_expand")
    print("cumulative seconds in lowering transforms (one run):")
    for (file, _, name), (_, calls, _, cumulative, _) in sorted(stats.stats.items()):
        if name in names and "pennylane" in file:
            print(f"  {name:28s} {calls:6d} calls {cumulative:8.3f} s  ({Path(file).name})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--profile", action="store_true")
    args = parser.parse_args()
    process, url = start_emulator(args.port, profile="instant")
    try:
        with tempfile.TemporaryDirectory() as tmp:
            train(url, 1, Path(tmp) / "warm-up")
            runs = [train(url, args.epochs, Path(tmp) / f"run{i}") for i in range(args.repeats)]
            if args.profile:
                profile_lowering(url, args.epochs, Path(tmp) / "profiled")
    finally:
        process.terminate()
        process.wait()
    for key in ("cpu_ms", "wall_ms", "jobs", "circuits"):
        values = [r[key] for r in runs]
        print(f"{key:9s} median {statistics.median(values):8.2f}  runs {values}")


if __name__ == "__main__":
    main()
