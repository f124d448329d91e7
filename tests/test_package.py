"""Tests for the package root :mod:`pennylane_qnative`."""

from __future__ import annotations

import importlib.metadata
import subprocess
import sys
from pathlib import Path

import pennylane as qp
import pytest

import pennylane_qnative


def _fresh(code: str) -> str:
    """Run ``code`` in a fresh interpreter and return its last output line."""
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return out.stdout.strip().splitlines()[-1]


class TestLazyImports:
    """The root imports nothing heavy."""

    def test_root_does_not_import_pennylane(self):
        """``import pennylane_qnative`` leaves PennyLane and the devices unloaded."""
        code = (
            "import sys, pennylane_qnative\n"
            "print(sorted(m for m in ('pennylane', 'pennylane_qnative.devices.simulator',"
            " 'pennylane_qnative.execution.cache') if m in sys.modules))\n"
        )
        assert _fresh(code) == "[]"

    def test_exceptions_do_not_import_pennylane(self):
        """``import pennylane_qnative.exceptions`` does not import PennyLane."""
        code = (
            "import sys, pennylane_qnative.exceptions\n"
            "print(any(m == 'pennylane' or m.startswith('pennylane.') for m in sys.modules))\n"
        )
        assert _fresh(code) == "False"

    def test_ionq_does_not_import_pennylane(self):
        """The wire layer stays importable without PennyLane."""
        code = (
            "import sys, pennylane_qnative.ionq\n"
            "print(any(m == 'pennylane' or m.startswith('pennylane.') for m in sys.modules))\n"
        )
        assert _fresh(code) == "False"

    @pytest.mark.parametrize(
        ("name", "module"),
        [
            pytest.param("QuantumCircuitCache", "pennylane_qnative.execution.cache", id="cache"),
            pytest.param("SimulatorDevice", "pennylane_qnative.devices.simulator", id="device"),
            pytest.param(
                "CircuitBatchManager", "pennylane_qnative.execution.job_manager", id="batches"
            ),
        ],
    )
    def test_lazy_names_resolve(self, name, module):
        """Public names resolve to the class defined in their module."""
        value = getattr(pennylane_qnative, name)
        assert value is getattr(importlib.import_module(module), name)
        assert name in dir(pennylane_qnative)
        assert name in pennylane_qnative.__all__

    def test_unknown_name(self):
        """An unknown attribute is an AttributeError naming it."""
        with pytest.raises(AttributeError, match="no_such_thing"):
            pennylane_qnative.no_such_thing  # noqa: B018

    def test_version(self):
        """The version matches the installed distribution."""
        assert pennylane_qnative.__version__ == importlib.metadata.version("pennylane-qnative")

    def test_root_exports_qnative_error(self):
        """The root of the hierarchy is importable from the package root."""
        from pennylane_qnative.exceptions import QnativeError

        assert pennylane_qnative.QnativeError is QnativeError


class TestDistribution:
    """What the installed package ships."""

    def test_entry_point(self):
        """``qp.device("qnative.simulator")`` resolves through the entry point."""
        eps = importlib.metadata.entry_points(group="pennylane.plugins")
        assert "qnative.simulator" in {ep.name for ep in eps}
        dev = qp.device("qnative.simulator", wires=1)
        assert isinstance(dev, pennylane_qnative.SimulatorDevice)

    def test_py_typed(self):
        """``py.typed`` ships next to the package."""
        assert (Path(pennylane_qnative.__file__).parent / "py.typed").is_file()

    def test_toml_ships(self):
        """The device capabilities file ships next to the device."""
        from pennylane_qnative.devices.simulator import SimulatorDevice

        assert Path(SimulatorDevice.config_filepath).is_file()

    def test_null_handler(self):
        """The package logger has a NullHandler (no 'no handler' warnings)."""
        import logging

        handlers = logging.getLogger("pennylane_qnative").handlers
        assert any(isinstance(h, logging.NullHandler) for h in handlers)
