"""The built-in gradient methods, registered by name in one table.

* ``"spsa"``: a new :class:`~pennylane_qnative.gradients.SPSA` (stateful): PennyLane's
  ``spsa_grad`` with PennyLane's options and defaults, or Spall's gain schedule with
  ``schedule="spall"``; the same everywhere (``diff_method="spsa"`` on our devices too)
* ``"spsa-grad"``: the pure :func:`~pennylane_qnative.gradients.spsa_grad` with options bound,
  a stateless spelling of PennyLane's estimator (what ``natural``'s ``qnspsa`` base uses)
* ``"richardson"``: :func:`~pennylane_qnative.gradients.richardson_grad` with options bound
* ``"natural"``: a new :class:`~pennylane_qnative.gradients.NaturalGradient` (stateful)
* ``"adaptive"``: a new :class:`~pennylane_qnative.gradients.AdaptiveGradient` (stateful)
* ``"parameter-shift"`` (alias ``"parameter_shift"``) and ``"finite-diff"`` (alias
  ``"finite_diff"``): PennyLane's transforms with options bound
"""

from __future__ import annotations

from functools import partial

import pennylane as qp

from pennylane_qnative.gradients.adaptive import AdaptiveGradient
from pennylane_qnative.gradients.natural import NaturalGradient
from pennylane_qnative.gradients.registry import bind, construct, method_names, register
from pennylane_qnative.gradients.richardson import richardson_grad
from pennylane_qnative.gradients.spsa import SPSA, spsa_grad

__all__ = ["METHODS"]

register("spsa", partial(construct, SPSA), stateful=True)
register("spsa-grad", partial(bind, spsa_grad))
register("richardson", partial(bind, richardson_grad))
register("natural", partial(construct, NaturalGradient), stateful=True)
register("adaptive", partial(construct, AdaptiveGradient), stateful=True)
register("parameter-shift", partial(bind, qp.gradients.param_shift), aliases=("parameter_shift",))
register("finite-diff", partial(bind, qp.gradients.finite_diff), aliases=("finite_diff",))

METHODS = method_names()
"""The canonical names :func:`~pennylane_qnative.gradients.resolve` accepts (its aliases are in
:func:`~pennylane_qnative.gradients.registry.aliases`)."""
