"""Tests for :mod:`pennylane_qnative.execution.cluster` (executors for batches and sweeps)."""

from __future__ import annotations

import os
import pickle
import platform
import subprocess
import sys

import numpy as np
import pennylane as qp
import pytest
from pennylane.concurrency.executors import ExecBackends, get_executor
from pennylane.devices import ExecutionConfig

from pennylane_qnative.exceptions import ConfigurationError
from pennylane_qnative.execution.cluster import (
    DEFAULT_BACKEND,
    ConcurrencyExecutor,
    DaskExecutor,
    as_executor,
    run_batch,
    select_executor,
    shippable,
    tune_malloc,
)

QS = qp.tape.QuantumScript
THREADS = get_executor("cf_threadpool")


def _tapes(n):
    return [QS([qp.RX(0.1 * k, 0)], [qp.expval(qp.Z(0))]) for k in range(n)]


class TestAsExecutor:
    """What ``executor=`` accepts."""

    @pytest.mark.parametrize(
        ("spec", "kind"),
        [
            pytest.param("tcp://10.0.0.5:8786", DaskExecutor, id="address"),
            pytest.param("cf_threadpool", ConcurrencyExecutor, id="name"),
            pytest.param(ExecBackends.Serial, ConcurrencyExecutor, id="enum"),
            pytest.param(THREADS, ConcurrencyExecutor, id="class"),
        ],
    )
    def test_accepted(self, spec, kind):
        """Addresses, qp.concurrency names, enum members and classes; nothing connects."""
        assert isinstance(as_executor(spec, max_workers=2), kind)

    def test_none_and_ours_pass_through(self):
        """``None`` means no executor; our executors are used as they are."""
        ours = DaskExecutor("tcp://10.0.0.5:8786")
        assert as_executor(None) is None
        assert as_executor(ours) is ours

    @pytest.mark.parametrize(
        ("spec", "match"),
        [
            pytest.param("dask", "new LocalCluster", id="dask-name"),
            pytest.param(ExecBackends.Dask, "new LocalCluster", id="dask-enum"),
            pytest.param(2, "distributed.Client", id="int"),
            pytest.param(object(), "qp.concurrency backend", id="object"),
        ],
    )
    def test_refused(self, spec, match):
        """Anything else is a ConfigurationError saying what is accepted."""
        with pytest.raises(ConfigurationError, match=match):
            as_executor(spec)

    @pytest.mark.parametrize(
        "options",
        [
            pytest.param({"retries": -1}, id="negative-retries"),
            pytest.param({"retries": True}, id="bool-retries"),
            pytest.param({"connect_timeout": 0}, id="zero-timeout"),
        ],
    )
    def test_bad_dask_options(self, options):
        """Retries and the connect timeout are validated up front."""
        with pytest.raises(ConfigurationError, match=next(iter(options))):
            DaskExecutor("tcp://10.0.0.5:8786", **options)

    def test_dask_executor_pickles_as_its_address(self):
        """A copy reconnects lazily to the same scheduler with the same options."""
        copy = pickle.loads(pickle.dumps(DaskExecutor("tcp://10.0.0.5:8786", retries=3)))
        assert (copy.address, copy.retries) == ("tcp://10.0.0.5:8786", 3)


class TestSelectExecutor:
    """Which executor a batch runs on, given the device's and the QNode's choices."""

    def test_pennylane_default_means_no_choice(self):
        """PennyLane's default mp_pool in the config leaves the device's executor."""
        ours = DaskExecutor("tcp://10.0.0.5:8786")
        assert select_executor(ours, DEFAULT_BACKEND, None) is ours
        assert select_executor(None, ExecutionConfig().executor_backend, None) is None

    def test_qnode_dask_uses_the_device_cluster(self):
        """``executor_backend="dask"`` on a device with a cluster runs on that cluster."""
        ours = DaskExecutor("tcp://10.0.0.5:8786")
        assert select_executor(ours, "dask", 2) is ours

    def test_qnode_choice_wins(self):
        """Another backend chosen on the QNode is used, with the device's max_workers."""
        chosen = select_executor(DaskExecutor("tcp://10.0.0.5:8786"), "cf_threadpool", 3)
        assert isinstance(chosen, ConcurrencyExecutor)
        assert (chosen.backend, chosen.max_workers) == (THREADS, 3)


class TestRunBatch:
    """run_batch cuts a batch into tasks and returns results in order."""

    @pytest.mark.parametrize("spec", ["serial", "cf_threadpool"])
    @pytest.mark.parametrize("n", [1, 2, 7])
    def test_results_in_order(self, spec, n):
        """Results equal default.qubit's, in batch order, whatever the task split."""
        tapes = _tapes(n)
        got = run_batch(
            as_executor(spec, max_workers=3),
            tapes,
            device_name="default.qubit",
            wires=1,
            config=ExecutionConfig(),
            seeds=[1, 2, 3],
        )
        np.testing.assert_allclose(got, np.cos(0.1 * np.arange(n)), atol=1e-12)

    def test_empty_batch(self):
        """No circuits, no tasks."""
        executor = as_executor("serial")
        assert run_batch(executor, [], device_name="x", wires=1, config=None, seeds=[]) == []

    def test_short_answer_is_an_error(self):
        """An executor returning fewer results than circuits never yields a short batch."""

        class Lossy(ConcurrencyExecutor):
            def map(self, fn, *iterables):
                return [[]]

        with pytest.raises(RuntimeError, match="0 of 2"):
            run_batch(
                Lossy("serial"),
                _tapes(2),
                device_name="default.qubit",
                wires=1,
                config=ExecutionConfig(),
                seeds=[1],
            )

    def test_shippable_drops_local_state(self):
        """Sampling streams and worker counts stay in the client process."""
        config = ExecutionConfig(
            device_options={"rng": np.random.default_rng(0), "max_workers": 2, "keep": 1}
        )
        shipped = shippable(config)
        assert dict(shipped.device_options) == {"keep": 1}
        assert pickle.loads(pickle.dumps(shipped)).device_options["keep"] == 1


class TestTuneMalloc:
    """tune_malloc undoes Dask's trim threshold only where it is set."""

    def test_no_op_without_dask_environment(self, monkeypatch):
        """Outside a Dask worker (no MALLOC_TRIM_THRESHOLD_) nothing is changed."""
        monkeypatch.delenv("MALLOC_TRIM_THRESHOLD_", raising=False)
        assert tune_malloc() is False

    def test_tunes_once_in_a_worker_like_process(self):
        """With Dask's variable set, the first call tunes glibc and later calls do nothing."""
        code = (
            "from pennylane_qnative.execution.cluster import tune_malloc;"
            "print(tune_malloc(), tune_malloc())"
        )
        env = {**os.environ, "MALLOC_TRIM_THRESHOLD_": "65536"}
        out = subprocess.run(
            [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
        )
        assert out.stdout.split() == (["True", "False"] if _glibc() else ["False", "False"])


def _glibc() -> bool:
    return platform.system() == "Linux" and platform.libc_ver()[0] == "glibc"
