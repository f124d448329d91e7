"""Tests for :mod:`pennylane_qnative.devices.tracking`: PennyLane's tracker keys, same meaning."""

from __future__ import annotations

import pennylane as qp
import pytest

from pennylane_qnative.devices.tracking import TRACKER_KEYS
from pennylane_qnative.emulator import running

KEY = "tracking-test-key"
PER_CIRCUIT = ("executions", "shots", "simulations")


def _circuit(dev, shots):
    @qp.set_shots(shots=shots)
    @qp.qnode(dev)
    def circuit(x):
        qp.RY(x, 0)
        qp.CNOT([0, 1])
        return qp.expval(qp.Z(1)), qp.probs(wires=[0, 1])

    return circuit


def _totals(dev, shots, calls=1):
    circuit = _circuit(dev, shots)
    with qp.Tracker(dev) as tracker:
        for _ in range(calls):
            circuit(qp.numpy.array([0.1, 0.2, 0.3]))  # a broadcast of 3
    return tracker


@pytest.fixture(scope="module")
def url():
    with running(api_keys=[KEY]) as base:
        yield base + "/v0.4"


class TestSameKeysAsDefaultQubit:
    """Every key default.qubit records is recorded, with the same totals."""

    @pytest.mark.parametrize("shots", [None, 200, (100, (50, 2))], ids=["exact", "shots", "vector"])
    def test_simulator(self, shots):
        """qnative.simulator: default.qubit's keys and totals (cache off: every circuit runs)."""
        ours = _totals(qp.device("qnative.simulator", wires=2, cache=False), shots)
        theirs = _totals(qp.device("default.qubit", wires=2), shots)
        assert set(theirs.totals) <= set(ours.totals)
        assert set(theirs.history) <= set(ours.history)
        for key in ("batches", *PER_CIRCUIT):
            assert ours.totals.get(key) == theirs.totals.get(key), key
        assert len(ours.history["results"]) == len(theirs.history["results"])
        assert len(ours.history["resources"]) == len(theirs.history["resources"])

    @pytest.mark.parametrize("shots", [200, (100, (50, 2))], ids=["shots", "vector"])
    def test_ionq(self, url, tmp_path, shots):
        """qnative.ionq: default.qubit's keys but ``simulations`` (hardware), same totals."""
        dev = qp.device(
            "qnative.ionq", wires=2, api_url=url, api_key=KEY, cache=False,
            journal_path=tmp_path / "journal.sqlite",
        )  # fmt: skip
        ours = _totals(dev, shots)
        theirs = _totals(qp.device("default.qubit", wires=2), shots)
        assert set(theirs.totals) - {"simulations"} <= set(ours.totals)
        for key in ("batches", "executions", "shots"):
            assert ours.totals.get(key) == theirs.totals.get(key), key
        assert ours.totals["jobs"] == 1

    def test_cache_hits_are_executions_not_simulations(self):
        """A repeated call: executions and shots as default.qubit counts them, no simulation."""
        dev = qp.device("qnative.simulator", wires=2)
        ours = _totals(dev, None, calls=2)
        theirs = _totals(qp.device("default.qubit", wires=2), None, calls=2)
        assert ours.totals["executions"] == theirs.totals["executions"]
        assert ours.totals["simulations"] == theirs.totals["simulations"] // 2
        assert ours.totals["cache_hits"] == 1


def test_every_recorded_key_is_documented(url, tmp_path):
    """Each key either device records is in TRACKER_KEYS (the docs' table)."""
    dev = qp.device(
        "qnative.ionq", wires=2, api_url=url, api_key=KEY, journal_path=tmp_path / "j.sqlite"
    )
    recorded = set(_totals(dev, 100).totals) | set(_totals(dev, 100).history)
    recorded |= set(_totals(qp.device("qnative.simulator", wires=2), 100).history)
    assert recorded <= set(TRACKER_KEYS)
