"""``QuantumTrainer(..., session=...)``: a whole training in one IonQ session."""

from __future__ import annotations

import httpx
import pytest

from pennylane_qnative.emulator import LatencyModel, running
from pennylane_qnative.exceptions import ConfigurationError
from pennylane_qnative.training import QuantumModel, QuantumTrainer, TrainingConfig
from pennylane_qnative.training.reference import load_reference_data

HEADERS = {"Authorization": "apiKey k"}


def config() -> TrainingConfig:
    """Two steps of a 2-qubit classifier."""
    return TrainingConfig(
        n_qubits=2, circuit_depth=1, batch_size=5, epochs=1, seed=1, shots_per_circuit=100
    )


class TestTrainerSession:
    """The trainer runs its steps in one session and ends it."""

    def test_one_session_for_the_fit(self, tmp_path):
        """Every step's job is in the same session; the tracker reports it and the queue."""
        latency = LatencyModel(queue_s=0.5, exec_per_circuit_s=0.01)
        with running(latency=latency) as url:
            trainer = QuantumTrainer(
                config(),
                "qnative.ionq",
                progress=False,
                session={"max_jobs": 20},
                device_kwargs={
                    "api_url": f"{url}/v0.4",
                    "api_key": "k",
                    "journal_path": tmp_path / "journal.sqlite",
                    "cache": False,
                },
            )
            data = load_reference_data(n_train=10, seed=0, n_features=2)
            model = QuantumModel.from_config(trainer.config)
            history = trainer.fit(model, data.X_train, data.y_train)
            sessions = set(history["session_id"])
            assert len(sessions) == 1
            (session_id,) = sessions
            jobs = httpx.get(f"{url}/v0.4/sessions/{session_id}/jobs", headers=HEADERS).json()
            top_level = [j for j in jobs["jobs"] if j["parent_job_id"] is None]
            assert len(top_level) == sum(history["jobs"])
            assert history["queued_seconds"][0] == pytest.approx(0.5, abs=0.1)
            assert sum(history["queued_seconds"][1:]) < 0.1
            state = httpx.get(f"{url}/v0.4/sessions/{session_id}", headers=HEADERS).json()
            assert state["status"] == "ended"

    def test_session_needs_ionq_by_name(self):
        """session= with another device is refused with advice."""
        with pytest.raises(ConfigurationError, match="session"):
            QuantumTrainer(config(), "qnative.simulator", session=True, progress=False)
