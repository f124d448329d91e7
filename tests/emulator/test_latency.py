"""Tests of the latency model (pennylane_qnative.emulator.latency)."""

from __future__ import annotations

import pytest

from pennylane_qnative.emulator.latency import LatencyModel, Profile, plan
from pennylane_qnative.exceptions import ConfigurationError


class TestProfiles:
    """Named profiles."""

    def test_instant_has_no_delay(self):
        """instant: every delay is zero."""
        assert LatencyModel.for_profile("instant") == LatencyModel()

    def test_cloud_simulator_queues_about_a_second(self):
        """cloud-simulator: about 1 s of queue."""
        model = LatencyModel.for_profile(Profile.CLOUD_SIMULATOR)
        assert 0.5 <= model.queue_s <= 2.0

    def test_qpu_charges_shots(self):
        """qpu: shots take time."""
        assert LatencyModel.for_profile("qpu").exec_per_shot_s > 0

    def test_overrides(self):
        """Non-None overrides replace the profile's values."""
        model = LatencyModel.for_profile("qpu", queue_s=2.0, exec_per_shot_s=None)
        assert model.queue_s == 2.0
        assert model.exec_per_shot_s == LatencyModel.for_profile("qpu").exec_per_shot_s

    def test_unknown_profile(self):
        """An unknown profile name raises ValueError."""
        with pytest.raises(ValueError, match="fast"):
            LatencyModel.for_profile("fast")

    def test_negative_delay(self):
        """Negative delays raise ConfigurationError naming the field."""
        with pytest.raises(ConfigurationError, match="queue_s"):
            LatencyModel(queue_s=-1)


class TestPlan:
    """Planned timelines."""

    def test_windows_are_sequential(self):
        """Circuits run one after another; shots charged when asked."""
        model = LatencyModel(validation_s=1, queue_s=2, exec_per_circuit_s=1, exec_per_shot_s=0.5)
        timeline = plan(model, now=0.0, shots=[2, 4])
        assert timeline.ready_at == 1
        assert timeline.started_at == 3
        assert timeline.circuit_windows == ((3.0, 5.0), (5.0, 8.0))
        assert timeline.completed_at == 8.0
        assert timeline.predicted_wait_ms == 3000
        assert timeline.predicted_execution_ms == 5000

    def test_ideal_simulator_ignores_shots(self):
        """charge_shots=False: execution does not depend on shots."""
        model = LatencyModel(exec_per_circuit_s=1, exec_per_shot_s=1)
        assert plan(model, now=0.0, shots=[1000], charge_shots=False).completed_at == 1.0
