"""Tests for ``qnative.simulator(executor=...)``: batches on a real Dask ``LocalCluster``.

The cluster (2 worker processes) is the session fixture ``dask_client`` of ``tests/conftest.py``.
"""

from __future__ import annotations

import importlib.util
import sys
import time
from pathlib import Path

import numpy as np
import pennylane as qp
import pytest

from pennylane_qnative.devices.errors import DeviceConfigurationError
from pennylane_qnative.exceptions import ClusterUnavailableError
from pennylane_qnative.execution.cluster import DaskExecutor

distributed = pytest.importorskip("distributed")

QS = qp.tape.QuantumScript
N_WIRES = 4
HELPER = Path(__file__).parents[1] / "helpers" / "qnative_kill_once.py"


def _batch(n=12, seed=0):
    """``n`` circuits of three structures (so both merged and single units) and mixed outputs."""
    rng = np.random.default_rng(seed)
    tapes = []
    for k in range(n):
        ops = [qp.RX(rng.uniform(0, np.pi), 0), qp.RY(rng.uniform(0, np.pi), 1), qp.CNOT([0, 1])]
        ops += [qp.RZ(rng.uniform(0, np.pi), k % N_WIRES)] if k % 3 else [qp.Hadamard(3)]
        ops += [qp.CRX(rng.uniform(), [1, 2]), qp.CNOT([2, 3])]
        measurements = [qp.expval(qp.Z(0) @ qp.Z(3)), qp.probs(wires=[1, 2]), qp.var(qp.X(2))]
        tapes.append(QS(ops, measurements))
    return tapes


def _assert_equal_batches(got, expected):
    assert len(got) == len(expected)
    for g, e in zip(got, expected, strict=True):
        assert len(g) == len(e)
        for a, b in zip(g, e, strict=True):
            np.testing.assert_allclose(a, b, atol=1e-12, rtol=0)


def _run(dev, tapes):
    """Execute raw tapes the way a QNode does: preprocess, execute, postprocess."""
    batch, post = dev.preprocess_transforms()(tapes)
    return post(dev.execute(batch))


def _cluster_tasks(stream) -> int:
    """``run_task`` tasks a ``distributed.get_task_stream`` saw (work that ran on the workers)."""
    return sum("run_task" in str(task["key"]) for task in stream.data)


class TestBatchOnCluster:
    """A batch on 2 workers equals default.qubit circuit for circuit."""

    @pytest.mark.parametrize("backend", ["default.qubit", "lightning.qubit"])
    def test_equals_default_qubit(self, dask_client, backend):
        """Every circuit's results equal default.qubit's, in order, and ran on the workers."""
        tapes = _batch()
        dev = qp.device("qnative.simulator", wires=N_WIRES, backend=backend, executor=dask_client)
        with qp.Tracker(dev) as tracker, distributed.get_task_stream(dask_client) as stream:
            got = _run(dev, tapes)
        _assert_equal_batches(got, _run(qp.device("default.qubit", wires=N_WIRES), tapes))
        assert tracker.totals["cache_misses"] == len(tapes)
        assert _cluster_tasks(stream) == 2  # one task per worker

    def test_groups_keep_broadcasting(self, dask_client):
        """Same-structure circuits still merge into broadcasts: one per worker slot."""
        rng = np.random.default_rng(1)
        tapes = [
            QS([qp.RX(x, 0), qp.CNOT([0, 1])], [qp.expval(qp.Z(1))]) for x in rng.uniform(size=8)
        ]
        dev = qp.device("qnative.simulator", wires=2, executor=dask_client)
        with qp.Tracker(dev) as tracker:
            got = dev.execute(tapes)
        np.testing.assert_allclose(got, np.cos(np.array([t.data[0] for t in tapes])), atol=1e-12)
        assert tracker.totals["backend_executions"] == 2  # two broadcasts of 4
        assert tracker.totals["merged_circuits"] == 8

    def test_cache_stays_on_the_client(self, dask_client):
        """A second execute of the same batch is answered by the client's cache."""
        tapes = _batch(6, seed=3)
        dev = qp.device("qnative.simulator", wires=N_WIRES, executor=dask_client)
        first = dev.execute(tapes)
        with qp.Tracker(dev) as tracker:
            second = dev.execute(tapes)
        _assert_equal_batches(second, first)
        assert tracker.totals["cache_hits"] == 6
        assert tracker.totals["backend_executions"] == 0

    def test_sampled_results_are_seeded(self, dask_client):
        """With finite shots, one device seed gives the same samples on the cluster."""
        tape = QS([qp.Hadamard(0), qp.CNOT([0, 1])], [qp.sample(wires=[0, 1])], shots=50)
        runs = [
            qp.device("qnative.simulator", wires=2, seed=5, executor=dask_client).execute(
                [tape, tape]
            )
            for _ in range(2)
        ]
        np.testing.assert_array_equal(runs[0][0], runs[1][0])
        assert not np.array_equal(runs[0][0], runs[0][1])  # two draws, not one repeated

    def test_backprop_runs_in_the_client(self, dask_client):
        """Circuits carrying autograd tensors stay local, so backprop gradients still work."""
        dev = qp.device("qnative.simulator", wires=1, executor=dask_client)

        @qp.qnode(dev, diff_method="backprop")
        def circuit(x):
            qp.RX(x, 0)
            return qp.expval(qp.Z(0))

        x = qp.numpy.array(0.4, requires_grad=True)
        assert np.isclose(qp.grad(circuit)(x), -np.sin(0.4))

    def test_worker_lost_mid_batch(self, dask_client, tmp_path):
        """A worker killed while running its task: Dask reruns it, results stay complete."""
        dask_client.upload_file(str(HELPER))
        spec = importlib.util.spec_from_file_location("qnative_kill_once", HELPER)
        helper = sys.modules.setdefault("qnative_kill_once", importlib.util.module_from_spec(spec))
        spec.loader.exec_module(helper)
        flag = tmp_path / "killed"
        tapes = _batch(8, seed=2)
        doomed = [QS([*t.operations, helper.KillOnce(0, str(flag))], t.measurements) for t in tapes]
        before = set(dask_client.nthreads())
        dev = qp.device(
            "qnative.simulator", wires=N_WIRES, executor=DaskExecutor(dask_client, retries=1)
        )
        got = dev.execute(doomed)
        assert flag.exists()  # a worker really died
        _assert_equal_batches(got, qp.device("default.qubit", wires=N_WIRES).execute(tapes))
        deadline = time.monotonic() + 30
        while len(dask_client.nthreads()) < 2 and time.monotonic() < deadline:
            time.sleep(0.1)  # the nanny restarts the worker: leave two behind
        assert set(dask_client.nthreads()) != before


class TestExecutorBackend:
    """The QNode's ``executor_backend`` reaches the device and is honoured."""

    def test_qnode_dask_backend_uses_the_cluster(self, dask_client):
        """``executor_backend="dask"`` runs on the device's cluster, not a new LocalCluster."""
        dev = qp.device("qnative.simulator", wires=2, executor=dask_client)

        @qp.qnode(dev, executor_backend="dask")
        def circuit(x):
            qp.RX(x, 0)
            qp.CNOT([0, 1])
            return qp.expval(qp.Z(1))

        x = np.array([0.1, 0.7, 1.3])
        with distributed.get_task_stream(dask_client) as stream:
            np.testing.assert_allclose(circuit(x), np.cos(x), atol=1e-12)
        assert _cluster_tasks(stream) == 1  # one broadcast circuit: one task

    @pytest.mark.parametrize("backend", ["cf_threadpool", "serial"])
    def test_qnode_concurrency_backend(self, backend, mocker):
        """A ``qp.concurrency`` backend chosen on the QNode runs the circuits."""
        from pennylane_qnative.execution import cluster

        spy = mocker.spy(cluster, "run_task")
        dev = qp.device("qnative.simulator", wires=2, max_workers=2)

        def circuit(x):
            qp.RX(x[0], 0)
            qp.RY(x[1], 1)
            qp.CNOT([0, 1])
            return qp.expval(qp.Z(1))

        x = qp.numpy.array([0.4, 0.3], requires_grad=True)
        ours = qp.QNode(circuit, dev, executor_backend=backend, diff_method="parameter-shift")
        reference = qp.QNode(circuit, qp.device("default.qubit"), diff_method="parameter-shift")
        np.testing.assert_allclose(qp.grad(ours)(x), qp.grad(reference)(x), atol=1e-12)
        assert np.linalg.norm(qp.grad(reference)(x)) > 0.1
        assert spy.call_count >= 1


class TestUnreachable:
    """A scheduler address nobody answers is a fast, clear error."""

    def test_unreachable_address(self):
        """The first execute fails within the connect timeout, naming the address."""
        address = "tcp://127.0.0.1:9"
        dev = qp.device(
            "qnative.simulator", wires=1, executor=DaskExecutor(address, connect_timeout=1)
        )
        start = time.monotonic()
        with pytest.raises(
            ClusterUnavailableError, match=r"127\.0\.0\.1:9.*dask scheduler"
        ) as info:
            dev.execute([QS([qp.RX(0.1, 0)], [qp.expval(qp.Z(0))])])
        assert time.monotonic() - start < 10
        assert info.value.address == address

    def test_address_connects_lazily(self):
        """Building a device with an address contacts nothing."""
        start = time.monotonic()
        dev = qp.device("qnative.simulator", wires=1, executor="tcp://127.0.0.1:9")
        assert time.monotonic() - start < 1
        assert dev.executor.address == "tcp://127.0.0.1:9"

    @pytest.mark.parametrize(
        "executor",
        [
            pytest.param("dask", id="dask-name"),
            pytest.param(3, id="int"),
            pytest.param([], id="list"),
        ],
    )
    def test_bad_executor(self, executor):
        """Anything else, and PennyLane's per-batch LocalCluster, are refused at construction."""
        with pytest.raises(DeviceConfigurationError, match="executor"):
            qp.device("qnative.simulator", wires=1, executor=executor)
