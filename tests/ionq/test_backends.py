"""Tests for pennylane_qnative.ionq.backends."""

from __future__ import annotations

import pytest

from pennylane_qnative.exceptions import ConfigurationError
from pennylane_qnative.ionq.backends import BACKENDS, NOISE_MODELS, BackendInfo, backend_info


class TestBackendTable:
    """The table of backends: qubits, entangler, simulator flag."""

    @pytest.mark.parametrize(
        ("name", "qubits", "entangler"),
        [
            pytest.param("simulator", 29, "ms", id="simulator"),
            pytest.param("qpu.aria-1", 25, "ms", id="aria-1"),
            pytest.param("qpu.aria-2", 25, "ms", id="aria-2"),
            pytest.param("qpu.forte-1", 36, "zz", id="forte-1"),
            pytest.param("qpu.forte-enterprise-1", 36, "zz", id="forte-enterprise-1"),
        ],
    )
    def test_known_backend(self, name, qubits, entangler):
        """Each backend has its qubit count and native entangler."""
        info = backend_info(name)
        assert info == BackendInfo(name, qubits, entangler)
        assert BACKENDS[name] is info

    def test_only_the_simulator_is_a_simulator(self):
        """is_simulator is true for the cloud simulator alone."""
        assert [b.name for b in BACKENDS.values() if b.is_simulator] == ["simulator"]

    def test_entanglers_are_ms_or_zz(self):
        """Every backend uses one of the two native entanglers."""
        assert {b.native_entangler for b in BACKENDS.values()} == {"ms", "zz"}

    def test_noise_models_include_ideal(self):
        """The ideal noise model is accepted (it is exact)."""
        assert "ideal" in NOISE_MODELS


class TestAliases:
    """pennylane-ionq's short names resolve to full backend names."""

    @pytest.mark.parametrize(
        ("alias", "name"),
        [
            pytest.param("qpu", "qpu.aria-1", id="qpu"),
            pytest.param("aria-1", "qpu.aria-1", id="aria-1"),
            pytest.param("aria-2", "qpu.aria-2", id="aria-2"),
        ],
    )
    def test_alias(self, alias, name):
        """An alias gives the backend of its full name."""
        assert backend_info(alias) is BACKENDS[name]


class TestUnknownTarget:
    """An unknown target is refused with the list of known ones."""

    @pytest.mark.parametrize(
        "target",
        [
            pytest.param("qpu.harmony", id="retired"),
            pytest.param("Simulator", id="case"),
            pytest.param("", id="empty"),
        ],
    )
    def test_unknown_target(self, target):
        """ConfigurationError (a ValueError) names the target and lists the backends."""
        with pytest.raises(ConfigurationError, match="unknown IonQ target") as info:
            backend_info(target)
        assert isinstance(info.value, ValueError)
        assert repr(target) in str(info.value)
        for name in BACKENDS:
            assert name in str(info.value)
