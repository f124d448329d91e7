"""The private PennyLane helpers are where ``_compat`` expects them."""

from __future__ import annotations

import importlib

import pytest

from pennylane_qnative.gradients import _compat


class TestCompat:
    """Fail loudly, naming the helper, if a PennyLane upgrade moves one."""

    @pytest.mark.parametrize("name", _compat.__all__)
    def test_helper_is_importable(self, name):
        """Each re-exported helper exists and is callable or a module-like object."""
        assert getattr(_compat, name) is not None, f"PennyLane moved {name}: update _compat.py"

    def test_module_reloads(self):
        """Re-importing the module succeeds (it imports nothing lazily)."""
        assert importlib.reload(_compat).Transform.__name__ == "Transform"
