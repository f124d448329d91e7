"""The private PennyLane helpers this package relies on, imported in one place.

PennyLane does not promise to keep these names stable. Importing them here (and only here)
means a PennyLane upgrade that moves one breaks a single module, and
``tests/gradients/test_compat.py`` fails with the name that moved instead of an obscure error
deep inside a gradient computation.
"""

from __future__ import annotations

from pennylane.decomposition import gate_sets
from pennylane.gradients.general_shift_rules import generate_multishifted_tapes
from pennylane.gradients.gradient_transform import (
    _all_zero_grad,
    _no_trainable_grad,
    assert_no_state_returns,
    assert_no_trainable_tape_batching,
    choose_trainable_param_indices,
    contract_qjac_with_cjac,
    find_and_validate_gradient_methods,
)
from pennylane.gradients.metric_tensor import _expand_metric_tensor
from pennylane.transforms import decompose
from pennylane.transforms.core import Transform

__all__ = [
    "Transform",
    "_all_zero_grad",
    "_expand_metric_tensor",
    "_no_trainable_grad",
    "assert_no_state_returns",
    "assert_no_trainable_tape_batching",
    "choose_trainable_param_indices",
    "contract_qjac_with_cjac",
    "decompose",
    "find_and_validate_gradient_methods",
    "gate_sets",
    "generate_multishifted_tapes",
]
