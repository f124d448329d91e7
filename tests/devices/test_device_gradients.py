"""Tests for :mod:`pennylane_qnative.devices.device_gradients` (``diff_method="device"``)."""

from __future__ import annotations

import pytest
from pennylane.devices import ExecutionConfig

from pennylane_qnative.devices.device_gradients import DeviceGradients
from pennylane_qnative.exceptions import ConfigurationError


def _config(method, **options):
    return ExecutionConfig(gradient_keyword_arguments={"method": method, **options})


class TestTransform:
    """Method names are read from the gradient registry."""

    def test_resolved_once(self):
        """The same method and options give the same (stateful) object."""
        gradients = DeviceGradients(execute=None)
        assert gradients.transform(_config("spsa", c=0.1)) is gradients.transform(
            _config("spsa", c=0.1)
        )

    def test_alias_shares_the_object(self):
        """An alias and its canonical name resolve to one object."""
        gradients = DeviceGradients(execute=None)
        alias = gradients.transform(_config("parameter_shift"))
        assert alias is gradients.transform(_config("parameter-shift"))

    def test_unknown_name(self):
        """An unknown name raises the registry's error."""
        with pytest.raises(ConfigurationError, match="Unknown gradient method 'magic'"):
            DeviceGradients(execute=None).transform(_config("magic"))
