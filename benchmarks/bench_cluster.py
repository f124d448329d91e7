"""Benchmark of ``qnative.simulator`` and sweeps on a Dask ``LocalCluster`` (not a test).

Reports, for 0 (in-process, no executor), 1 and 2 worker processes (1 thread each):

1. a batch of 32 circuits of 20 qubits (angle embedding + a depth-2 RY/RZ ansatz with a CNOT
   chain, different inputs, one ``expval``) on ``qnative.simulator(executor=client)``: wall
   time, speed-up over in-process, and the overhead per task (wall on 1 worker minus
   in-process, per task);
2. a 16-trial sweep of the reference workload (100 breast-cancer samples, 8 qubits, depth 2,
   5 epochs, batches of 10; trials search learning rate and optimiser) with
   ``optimize_hyperparameters(..., executor=client)``: wall time and speed-up over the
   serial sweep, and a check that every trial equals the serial sweep's.
3. the round trip of an empty Dask task (the floor of the per-task overhead).

Workers are started and warmed up (imports, one small task) before anything is timed: their
start-up is reported on its own.

Usage: ``python benchmarks/bench_cluster.py [--qubits 20] [--circuits 32] [--trials 16]
[--backend lightning.qubit] [--repeats 1]``
"""

from __future__ import annotations

import os

# one thread per process, as Dask's nanny gives each worker (OMP/MKL/OpenBLAS = 1): in-process
# and worker runs then compare like with like
for _name in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
    os.environ.setdefault(_name, "1")

import argparse  # noqa: E402
import platform  # noqa: E402
import time  # noqa: E402

import numpy as np  # noqa: E402
import pennylane as qp  # noqa: E402

QS = qp.tape.QuantumScript
SPACE = {"learning_rate": (0.01, 0.5), "optimizer": ["adam", "sgd"]}


def batch_circuits(n_qubits: int, n_circuits: int, seed: int = 0) -> list:
    rng = np.random.default_rng(seed)
    weights = rng.uniform(0, 2 * np.pi, (2, n_qubits, 2))
    tapes = []
    for x in rng.uniform(0, np.pi, (n_circuits, n_qubits)):
        ops = [qp.RX(a, w) for w, a in enumerate(x)]
        for layer in weights:
            ops += [qp.RY(layer[w, 0], w) for w in range(n_qubits)]
            ops += [qp.RZ(layer[w, 1], w) for w in range(n_qubits)]
            ops += [qp.CNOT([w, w + 1]) for w in range(n_qubits - 1)]
        tapes.append(QS(ops, [qp.expval(qp.Z(0))]))
    return tapes


def start_cluster(n_workers: int):
    from distributed import Client, LocalCluster

    start = time.perf_counter()
    cluster = LocalCluster(
        n_workers=n_workers, threads_per_worker=1, processes=True, dashboard_address=None
    )
    client = Client(cluster)
    client.run(_warm_up)
    return cluster, client, time.perf_counter() - start


def _warm_up() -> None:
    import pennylane_qnative  # noqa: F401
    from pennylane_qnative.execution.cluster import run_task

    tape = QS([qp.RX(0.1, 0)], [qp.expval(qp.Z(0))])
    run_task("default.qubit", 1, 0, [tape], qp.devices.ExecutionConfig())
    run_task("lightning.qubit", 1, 0, [tape], qp.devices.ExecutionConfig())


def time_batch(tapes, n_qubits, backend, client, repeats):
    """Best wall time of executing ``tapes`` (no cache: every repeat really runs)."""
    best, results = np.inf, None
    for _ in range(repeats):
        dev = qp.device(
            "qnative.simulator", wires=n_qubits, backend=backend, cache=False, executor=client
        )
        start = time.perf_counter()
        results = dev.execute(tapes)
        best = min(best, time.perf_counter() - start)
    return best, np.asarray(results, dtype=float)


def sweep(executor, n_trials, data, repeats):
    from pennylane_qnative import QuantumTrainer, TrainingConfig

    config = TrainingConfig(seed=0)  # the reference workload: 8 qubits, depth 2, 5 epochs
    best, result = np.inf, None
    for _ in range(repeats):
        trainer = QuantumTrainer(config, "qnative.simulator", progress=False)
        start = time.perf_counter()
        result = trainer.optimize_hyperparameters(
            SPACE,
            n_trials,
            data=data.X_train,
            y=data.y_train,
            validation_data=(data.X_test, data.y_test),
            seed=0,
            executor=executor,
        )
        best = min(best, time.perf_counter() - start)
    return best, [(t.params, t.value) for t in result["study"].trials]


def _spin(n: int = 3_000_000) -> float:
    start = time.perf_counter()
    total = 0
    for i in range(n):
        total += i * i
    return time.perf_counter() - start


def parallel_capacity() -> float:
    """How many processes' worth of CPU two busy processes get here now (2.0 on 2 idle cores).

    Other processes on the machine take their share: this is the ceiling of any 2-worker
    speed-up measured at the same time.
    """
    from concurrent.futures import ProcessPoolExecutor

    solo = min(_spin() for _ in range(3))
    with ProcessPoolExecutor(2) as pool:
        pair = max(pool.map(_spin, [3_000_000] * 2))
    return 2 * solo / pair


def empty_task_round_trip(client, n=200) -> float:
    start = time.perf_counter()
    for _ in range(n):
        client.submit(int, 0, pure=False).result()
    return (time.perf_counter() - start) / n


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--qubits", type=int, default=20)
    parser.add_argument("--circuits", type=int, default=32)
    parser.add_argument("--trials", type=int, default=16)
    parser.add_argument("--backend", default="lightning.qubit")
    parser.add_argument("--repeats", type=int, default=1)
    args = parser.parse_args()
    print(
        f"pennylane {qp.__version__}, python {platform.python_version()}, "
        f"{os.cpu_count()} CPU cores, backend {args.backend}, "
        f"load average before {os.getloadavg()[0]:.2f}"
    )
    from pennylane_qnative.training.reference import load_reference_data

    print(f"parallel capacity of 2 processes: {parallel_capacity():.2f} (2.00 on 2 idle cores)")
    data = load_reference_data(n_train=100, n_test=50, seed=0)
    tapes = batch_circuits(args.qubits, args.circuits)
    sweep(None, 1, data, 1)  # warm this process up as the workers are
    base_batch, expected = time_batch(tapes, args.qubits, args.backend, None, args.repeats)
    base_sweep, serial_trials = sweep(None, args.trials, data, args.repeats)
    rows = [{"where": "in-process", "batch": base_batch, "sweep": base_sweep}]
    for n_workers in (1, 2):
        cluster, client, startup = start_cluster(n_workers)
        try:
            wall, results = time_batch(tapes, args.qubits, args.backend, client, args.repeats)
            np.testing.assert_allclose(results, expected, atol=1e-12)
            sweep_wall, trials = sweep(client, args.trials, data, args.repeats)
            assert trials == serial_trials, "the sweep on the cluster differs from the serial one"
            rows.append(
                {
                    "where": f"{n_workers} worker" + "s" * (n_workers > 1),
                    "batch": wall,
                    "sweep": sweep_wall,
                    "startup": startup,
                    "round_trip": empty_task_round_trip(client),
                }
            )
        finally:
            client.close()
            cluster.close()
    report(args, rows)
    print(
        f"load average after: {os.getloadavg()[0]:.2f}; parallel capacity of 2 processes now: "
        f"{parallel_capacity():.2f} (2.00 on 2 idle cores)"
    )


def report(args, rows):
    base = rows[0]
    print(f"\n1. batch of {args.circuits} circuits of {args.qubits} qubits ({args.backend})")
    print(f"2. {args.trials}-trial sweep of the reference workload (every trial equals serial)\n")
    print(f"{'where':12s} {'batch s':>8s} {'x':>6s} {'sweep s':>8s} {'x':>6s} {'start-up s':>10s}")
    for row in rows:
        start = f"{row['startup']:10.1f}" if "startup" in row else ""
        print(
            f"{row['where']:12s} {row['batch']:8.2f} {base['batch'] / row['batch']:6.2f} "
            f"{row['sweep']:8.2f} {base['sweep'] / row['sweep']:6.2f} {start}"
        )
    one = rows[1]
    print(
        f"\noverhead per task (1 worker minus in-process): batch "
        f"{(one['batch'] - base['batch']) * 1e3:.0f} ms (1 task of {args.circuits} circuits), "
        f"sweep {(one['sweep'] - base['sweep']) / args.trials * 1e3:.0f} ms per trial"
    )
    for row in rows[1:]:
        print(f"empty-task round trip, {row['where']}: {row['round_trip'] * 1e3:.2f} ms")


if __name__ == "__main__":
    main()
