"""What a training step ran, read from the device's ``qp.Tracker``.

**Example**

>>> import pennylane as qp
>>> dev = qp.device("qnative.simulator", wires=1)
>>> @qp.qnode(dev)
... def circuit(x):
...     qp.RX(x, 0)
...     return qp.expval(qp.Z(0))
>>> with device_tracking(dev) as tracker, counting(tracker) as counts:
...     _ = circuit(0.3)
>>> counts["executions"]
1
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Mapping
from typing import Any

import pennylane as qp

__all__ = ["StepCounter", "counting", "device_tracking"]


class StepCounter(qp.Tracker):
    """A device tracker that counts circuits and jobs without PennyLane's resource analysis."""

    record_resources = False


@contextlib.contextmanager
def device_tracking(device: Any) -> Iterator[qp.Tracker]:
    """The device's tracker for a whole fit.

    A user's active ``qp.Tracker`` on the device keeps recording (the counts are read from
    it); otherwise a light counter is attached once, through ``qp.Tracker``'s own API, and the
    device's previous tracker is put back when the fit ends.
    """
    if device.tracker.active:
        yield device.tracker
        return
    previous = device.tracker
    counter = StepCounter(device)
    counter.active = True
    try:
        yield counter
    finally:
        counter.active = False
        device.tracker = previous


@contextlib.contextmanager
def counting(tracker: qp.Tracker) -> Iterator[dict[str, float]]:
    """Yield a dict filled, on exit, with what ``tracker`` recorded during the block."""
    counts: dict[str, float] = {}
    before = dict(tracker.totals)
    try:
        yield counts
    finally:
        counts.update(_delta(tracker.totals, before))


def _delta(after: Mapping[str, Any], before: Mapping[str, Any]) -> dict[str, float]:
    return {k: v - before.get(k, 0) for k, v in after.items() if isinstance(v, int | float)}
