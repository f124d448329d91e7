"""Circuit templates."""

from pennylane_qnative.templates.hea import (
    HardwareEfficientAnsatz,
    entanglement_pairs,
    entangler_pairs,
)

__all__ = ["HardwareEfficientAnsatz", "entanglement_pairs", "entangler_pairs"]
