"""Circuit templates."""

from pennylane_qnative.templates.hea import HardwareEfficientAnsatz, entangler_pairs

__all__ = ["HardwareEfficientAnsatz", "entangler_pairs"]
