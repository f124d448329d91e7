"""Tests for :mod:`pennylane_qnative.devices.errors`."""

from __future__ import annotations

import pickle

import pennylane as qp
import pytest

from pennylane_qnative.devices.errors import DeviceConfigurationError
from pennylane_qnative.exceptions import ConfigurationError, QnativeError


class TestDeviceConfigurationError:
    """Ours and PennyLane's at once."""

    @pytest.mark.parametrize(
        "base",
        [
            pytest.param(QnativeError, id="QnativeError"),
            pytest.param(ConfigurationError, id="ConfigurationError"),
            pytest.param(ValueError, id="ValueError"),
            pytest.param(qp.exceptions.DeviceError, id="DeviceError"),
        ],
    )
    def test_is_caught_as(self, base):
        """It is caught by every class users already catch."""
        with pytest.raises(base):
            raise DeviceConfigurationError("bad option 'x'. Use 'y'.")

    def test_message_and_pickle(self):
        """The message survives ``str`` and pickling."""
        error = DeviceConfigurationError("backend 'x' is unknown.", status_code=None)
        again = pickle.loads(pickle.dumps(error))
        assert type(again) is DeviceConfigurationError
        assert str(again) == str(error) == "backend 'x' is unknown."
