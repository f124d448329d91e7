"""Gradient transforms for variational circuits: SPSA, Richardson, natural and adaptive.

Every transform is a pure ``tape -> (tapes, postprocessing)`` function registered with
``qp.transform`` (``classical_cotransform=contract_qjac_with_cjac``, ``final_transform=True``),
exactly like ``qp.gradients.*``. So each one

* is accepted as ``diff_method=`` by any QNode on any device (options in ``gradient_kwargs``),
* applies to a QNode: ``spsa_grad(circuit, c=0.05)(x)`` is the Jacobian w.r.t. ``x``,
* applies to a tape: ``tapes, post = spsa_grad(tape)``; then ``post(dev.execute(tapes))``
  (or ``post(qp.execute(tapes, dev))``) is the tape's Jacobian in PennyLane's format:
  measurements (and shot copies) outside, the tape's trainable parameters inside.

The stateful objects :class:`SPSA`, :class:`NaturalGradient` and :class:`AdaptiveGradient` are
``Transform`` instances too. Their counter :attr:`k` counts *gradient evaluations*: all tapes
transformed while ``k`` has one value form one evaluation, and the first postprocessing call of
that evaluation advances ``k``. So a device that transforms a batch of tapes, executes
everything (forward tapes and gradient tapes may share one ``execute``) and post-processes
advances the object exactly once.

:func:`resolve` maps a name (``"spsa"``, ``"spsa-grad"``, ``"richardson"``, ``"natural"``,
``"adaptive"``, ``"parameter-shift"``, ``"finite-diff"``) or an object to a transform with bound
options; :func:`gradient` is the QNode decorator built on it. A name means one method at every
entry point: ``"spsa"`` is :class:`SPSA`, PennyLane's ``spsa_grad`` with PennyLane's options,
or Spall's gain schedule with ``schedule="spall"``.

**Example**

>>> import pennylane as qp
>>> from pennylane import numpy as pnp
>>> from pennylane_qnative.gradients import resolve
>>> tape = qp.tape.QuantumScript([qp.RX(pnp.array(0.5), 0)], [qp.expval(qp.Z(0))])
>>> tapes, post = resolve("richardson", levels=2)(tape)
>>> jac = post(qp.device("default.qubit").execute(tapes))
>>> bool(abs(jac + pnp.sin(0.5)) < 1e-10)
True
"""

from pennylane_qnative.gradients.adaptive import AdaptiveGradient
from pennylane_qnative.gradients.decorator import METHODS, BoundGradient, gradient, resolve
from pennylane_qnative.gradients.natural import Metric, NaturalGradient, natural_grad
from pennylane_qnative.gradients.richardson import (
    GradientEstimate,
    auto_step,
    richardson_grad,
    richardson_weights,
)
from pennylane_qnative.gradients.spsa import (
    SPSA,
    HadamardSampler,
    Schedule,
    SPSAGains,
    Strategy,
    rademacher_sampler,
    spsa_grad,
)

__all__ = [
    "METHODS",
    "SPSA",
    "AdaptiveGradient",
    "BoundGradient",
    "GradientEstimate",
    "HadamardSampler",
    "Metric",
    "NaturalGradient",
    "SPSAGains",
    "Schedule",
    "Strategy",
    "auto_step",
    "gradient",
    "natural_grad",
    "rademacher_sampler",
    "resolve",
    "richardson_grad",
    "richardson_weights",
    "spsa_grad",
]
