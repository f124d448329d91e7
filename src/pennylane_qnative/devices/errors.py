"""Device-layer errors: ours and PennyLane's ``DeviceError`` at once.

PennyLane users catch ``qp.exceptions.DeviceError`` around device construction and execution;
these classes let them, while staying inside the :class:`~.QnativeError` hierarchy.
"""

from __future__ import annotations

from pennylane.exceptions import DeviceError

from pennylane_qnative.exceptions import ConfigurationError

__all__ = ["DeviceConfigurationError"]


class DeviceConfigurationError(ConfigurationError, DeviceError):
    """A device option is invalid or its backend is unavailable. Nothing was executed."""
