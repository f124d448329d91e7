"""Tests for pennylane_qnative.ionq.backends."""

from __future__ import annotations

import pytest

from pennylane_qnative.exceptions import ConfigurationError
from pennylane_qnative.ionq.backends import (
    API_LIMITS,
    BACKENDS,
    DEFAULT_SHOTS,
    MAX_BODY_BYTES,
    MAX_CIRCUITS_PER_JOB,
    MAX_GATES_PER_JOB,
    MAX_METADATA_VALUE_CHARS,
    MAX_NOISE_SEED,
    MAX_SHOTS,
    NATIVE_ENTANGLERS,
    NATIVE_GATES,
    NOISE_MODELS,
    QIS_GATES,
    ApiLimits,
    BackendInfo,
    backend_info,
)


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


class TestApiLimits:
    """The API's limits are one table, shared by every backend."""

    def test_limits_follow_the_contract(self):
        """Shots, circuits, gates and body size are the contract's figures (section 6)."""
        assert (MAX_SHOTS, MAX_CIRCUITS_PER_JOB, MAX_GATES_PER_JOB) == (1_000_000, 5_000, 150_000)
        assert MAX_BODY_BYTES == 10 * 1024 * 1024
        assert (DEFAULT_SHOTS, MAX_METADATA_VALUE_CHARS, MAX_NOISE_SEED) == (100, 40_000, 2**31 - 1)

    def test_api_limits_object_holds_the_constants(self):
        """API_LIMITS carries the same numbers as the module constants."""
        assert (
            ApiLimits(
                max_shots=MAX_SHOTS,
                max_circuits_per_job=MAX_CIRCUITS_PER_JOB,
                max_gates_per_job=MAX_GATES_PER_JOB,
                max_body_bytes=MAX_BODY_BYTES,
            )
            == API_LIMITS
        )

    def test_every_backend_has_the_api_limits(self):
        """No backend has limits of its own today."""
        assert all(b.limits is API_LIMITS for b in BACKENDS.values())


class TestGateSets:
    """Gate names of the two gate sets, and which native gates each backend runs."""

    def test_qis_gates_follow_the_spec(self):
        """The qis gate set is the spec's QisGate enum."""
        spec = [
            "x",
            "y",
            "z",
            "rx",
            "ry",
            "rz",
            "h",
            "s",
            "si",
            "v",
            "vi",
            "t",
            "ti",
            "not",
            "cnot",
            "swap",
            "xx",
            "yy",
            "zz",
            "pauliexp",
        ]
        assert frozenset(spec) == QIS_GATES

    def test_native_gates_follow_the_spec(self):
        """The native gate set is the spec's NativeGate enum."""
        assert frozenset({"zz", "ms", "gpi", "gpi2", "nop"}) == NATIVE_GATES

    @pytest.mark.parametrize(
        ("name", "gates"),
        [
            pytest.param("simulator", ("gpi", "gpi2", "ms", "zz"), id="simulator"),
            pytest.param("qpu.aria-2", ("gpi", "gpi2", "ms"), id="aria"),
            pytest.param("qpu.forte-enterprise-3", ("gpi", "gpi2", "zz"), id="forte"),
        ],
    )
    def test_backend_native_gates(self, name, gates):
        """A QPU runs its own entangler; the simulator runs both."""
        assert BACKENDS[name].native_gates == gates
        assert set(gates) < NATIVE_GATES

    def test_entanglers(self):
        """Every backend's entangler is one of the native entanglers."""
        assert {b.native_entangler for b in BACKENDS.values()} <= set(NATIVE_ENTANGLERS)

    def test_noise_models_are_the_simulators(self):
        """Only the simulator takes a noise model."""
        assert BACKENDS["simulator"].noise_models == NOISE_MODELS
        assert all(not b.noise_models for b in BACKENDS.values() if not b.is_simulator)


class TestConnectivity:
    """Trapped ions are fully connected unless a backend says otherwise."""

    def test_all_to_all_by_default(self):
        """Without connectivity, every pair of qubits is coupled once."""
        pairs = backend_info("qpu.aria-1").coupling_map()
        assert len(pairs) == 25 * 24 // 2
        assert all(a < b < 25 for a, b in pairs)

    def test_explicit_connectivity(self):
        """An explicit connectivity is spelled out as given."""
        info = BackendInfo("line", 3, "ms", connectivity=((0, 1), (1, 2)))
        assert info.coupling_map() == [[0, 1], [1, 2]]
