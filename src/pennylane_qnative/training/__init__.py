"""Training: configuration, model, trainer, performance tracking, checkpoints, search."""

from pennylane_qnative.training.config import TrainingConfig
from pennylane_qnative.training.data import ArrayLoader
from pennylane_qnative.training.model import QuantumModel
from pennylane_qnative.training.tracker import PerformanceTracker
from pennylane_qnative.training.trainer import QuantumTrainer

__all__ = ["ArrayLoader", "PerformanceTracker", "QuantumModel", "QuantumTrainer", "TrainingConfig"]
