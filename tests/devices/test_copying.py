"""Tests for :mod:`pennylane_qnative.devices.copying`: both devices copy and pickle."""

from __future__ import annotations

import copy
import dataclasses
import multiprocessing
import pickle
from concurrent.futures import ProcessPoolExecutor

import numpy as np
import pennylane as qp
import pytest

from pennylane_qnative.emulator import running

KEY = "copying-test-key"


def _bell(dev, shots=None):
    @qp.set_shots(shots=shots)
    @qp.qnode(dev)
    def circuit(x):
        qp.RY(x, 0)
        qp.CNOT([0, 1])
        return qp.probs(wires=[0, 1])

    return circuit


def _run_in_worker(blob: bytes) -> list[float]:
    dev = pickle.loads(blob)
    return [float(p) for p in _bell(dev)(0.7)]


@pytest.fixture(scope="module")
def url():
    with running(api_keys=[KEY]) as base:
        yield base + "/v0.4"


@pytest.fixture(params=["simulator", "ionq"])
def make(request, url, tmp_path):
    def build(**kwargs):
        if request.param == "simulator":
            return qp.device("qnative.simulator", wires=2, seed=11, **kwargs)
        return qp.device(
            "qnative.ionq", wires=2, api_url=url, api_key=KEY, seed=11,
            journal_path=tmp_path / "journal.sqlite", cache_path=tmp_path / "results.sqlite",
            **kwargs,
        )  # fmt: skip

    return build


class TestCopies:
    """copy.deepcopy and pickle give devices that run and agree with the original."""

    @pytest.mark.parametrize("how", [copy.deepcopy, lambda d: pickle.loads(pickle.dumps(d))])
    def test_copy_runs_and_agrees(self, make, how):
        """A copied or unpickled device gives the original's analytic results."""
        dev = make()
        expected = _bell(dev)(0.4)
        twin = how(dev)
        assert type(twin) is type(dev)
        assert twin.wires == dev.wires
        np.testing.assert_allclose(_bell(twin)(0.4), expected, atol=1e-12)

    def test_sampling_stream_carries_over(self, make):
        """A copy continues the original's sampling stream: the same next samples."""
        dev = make(cache=False)
        _bell(dev, shots=50)(0.9)
        twin = copy.deepcopy(dev)
        np.testing.assert_array_equal(_bell(twin, shots=50)(0.9), _bell(dev, shots=50)(0.9))

    def test_cache_contents_are_copied_not_shared(self, make):
        """The copy holds the cached results; clearing it leaves the original's."""
        dev = make()
        _bell(dev)(0.2)
        twin = copy.deepcopy(dev)
        assert twin.cache_stats()["entries"] == dev.cache_stats()["entries"] == 1
        twin.clear_cache()
        assert dev.cache_stats()["entries"] == 1

    def test_options_and_budget_carry_over(self, url, tmp_path):
        """The IonQ options and what the budget spent are the copy's."""
        dev = qp.device(
            "qnative.ionq", wires=2, api_url=url, api_key=KEY, target="simulator",
            budget_usd=5.0, job_name="copy-me", journal_path=tmp_path / "j.sqlite",
        )  # fmt: skip
        dev.budget.charge(1.25)
        twin = pickle.loads(pickle.dumps(dev))
        assert dataclasses.replace(twin.options, cache=True) == dev.options  # the cache object
        assert (twin.budget.limit_usd, twin.budget.spent_usd) == (5.0, 1.25)

    def test_key_is_not_in_the_repr_of_a_copy(self, url, tmp_path):
        """The API key stays out of the copy's repr."""
        dev = qp.device("qnative.ionq", wires=2, api_url=url, api_key=KEY,
                        journal_path=tmp_path / "j.sqlite")  # fmt: skip
        assert KEY not in repr(copy.deepcopy(dev))
        assert KEY not in repr(dev.options)


def test_device_runs_in_another_process(url, tmp_path):
    """A pickled device runs in a spawned worker process (multiprocessing)."""
    dev = qp.device("qnative.simulator", wires=2)
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=1, mp_context=context) as pool:
        probs = pool.submit(_run_in_worker, pickle.dumps(dev)).result(timeout=120)
    np.testing.assert_allclose(probs, _bell(dev)(0.7), atol=1e-12)
