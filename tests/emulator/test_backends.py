"""Tests of the backend catalogue and noise model (pennylane_qnative.emulator.backends)."""

from __future__ import annotations

import numpy as np
import pytest

import pennylane_qnative.ionq.backends as wire
from pennylane_qnative.emulator.backends import (
    BACKENDS,
    NOISE_MODELS,
    NoiseModel,
    apply_noise,
    backend_json,
    characterization_json,
    noise_model_for,
)


class TestCatalogue:
    """GET /backends content."""

    @pytest.mark.parametrize(
        ("name", "qubits"),
        [
            pytest.param("simulator", 29, id="simulator"),
            pytest.param("qpu.aria-1", 25, id="aria-1"),
            pytest.param("qpu.forte-1", 36, id="forte-1"),
        ],
    )
    def test_qubits(self, name, qubits):
        """Qubit counts follow the contract."""
        assert backend_json(BACKENDS[name])["qubits"] == qubits

    def test_required_fields(self):
        """Every backend has the required fields."""
        for backend in BACKENDS.values():
            data = backend_json(backend)
            assert {"backend", "status", "qubits", "average_queue_time", "last_updated"} <= set(
                data
            )

    def test_native_gates(self):
        """Aria has ms, Forte has zz."""
        assert "ms" in BACKENDS["qpu.aria-1"].native_gates
        assert "zz" in BACKENDS["qpu.forte-1"].native_gates
        assert "ms" not in BACKENDS["qpu.forte-1"].native_gates

    def test_characterization_connectivity(self):
        """A QPU characterization is all-to-all."""
        data = characterization_json(BACKENDS["qpu.aria-1"])
        assert len(data["connectivity"]) == 25 * 24 // 2
        assert data["fidelity"]["2q"]["median"] < 1


class TestNoise:
    """The documented depolarising + readout model."""

    def test_model_selection(self):
        """Simulator: requested model; QPU: its own model."""
        assert noise_model_for("simulator", None) is None
        assert noise_model_for("simulator", "aria-1") is NOISE_MODELS["aria-1"]
        assert noise_model_for("qpu.forte-1", None) is NOISE_MODELS["forte-1"]

    def test_depolarising_formula(self):
        """Without readout error: F p + (1 - F) / 2**n."""
        model = NoiseModel(name="t", p1=0.1, p2=0.2, readout=0.0)
        probs = np.array([1.0, 0.0, 0.0, 0.0])
        fidelity = 0.9 * 0.8
        expected = fidelity * probs + (1 - fidelity) / 4
        assert np.allclose(apply_noise(probs, model, n1=1, n2=1), expected)

    def test_readout_flips_each_bit(self):
        """Readout error r on |00>: P(00)=(1-r)^2, P(01)=P(10)=r(1-r), P(11)=r^2."""
        r = 0.1
        model = NoiseModel(name="t", p1=0.0, p2=0.0, readout=r)
        noisy = apply_noise(np.array([1.0, 0, 0, 0]), model, n1=0, n2=0)
        assert np.allclose(noisy, [(1 - r) ** 2, r * (1 - r), r * (1 - r), r**2])
        assert np.isclose(noisy.sum(), 1.0)


class TestWireTable:
    """The catalogue and noise models are keyed off the wire layer's table."""

    def test_same_backends(self):
        """Every wire-layer backend is emulated, with its qubits and native gates."""
        assert set(BACKENDS) == set(wire.BACKENDS)
        for name, info in wire.BACKENDS.items():
            assert (BACKENDS[name].qubits, BACKENDS[name].native_gates) == (
                info.qubits,
                info.native_gates,
            )

    def test_same_noise_models(self):
        """A simulated model exists for every noise.model name the API accepts."""
        assert set(NOISE_MODELS) == wire.NOISE_MODELS
        assert NOISE_MODELS["ideal"] is None

    def test_every_qpu_has_a_noise_model(self):
        """QPU backends run with a known, non-ideal model."""
        for backend in BACKENDS.values():
            if not backend.is_simulator:
                assert NOISE_MODELS[backend.noise] is not None

    def test_backend_json_lists_the_wire_gate_sets(self):
        """supported_gates is the qis gate set; the simulator lists the noise models."""
        data = backend_json(BACKENDS["simulator"])
        assert set(data["supported_gates"]) == wire.QIS_GATES
        assert set(data["noise_models"]) == wire.NOISE_MODELS
