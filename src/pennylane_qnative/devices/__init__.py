"""Thin PennyLane devices (new ``qp.devices.Device`` API) over :mod:`~.execution`."""
