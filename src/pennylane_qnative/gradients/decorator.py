"""One dispatcher from a gradient name (or object) to a transform, and the decorator.

:func:`resolve` is shared by :func:`gradient` (the QNode decorator) and the devices'
``diff_method="device"`` path, so a name means the same thing everywhere.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from functools import partial
from typing import Any

import pennylane as qp

from pennylane_qnative.exceptions import ConfigurationError
from pennylane_qnative.gradients._compat import Transform

__all__ = ["METHODS", "BoundGradient", "gradient", "resolve"]


class BoundGradient(Transform):
    """A stateless gradient transform with its options bound.

    ``bound(tape)`` returns ``(tapes, postprocessing)`` with the bound options, and the object
    is accepted as ``diff_method=``. Keywords given at call time (``argnum``, or
    ``gradient_kwargs`` of a QNode) override the bound ones.

    Args:
        base (Transform): the transform, e.g. ``spsa_grad`` or ``qp.gradients.param_shift``
        options (dict): keyword options bound to it
    """

    def __new__(cls, *_args, **_kwargs):
        return object.__new__(cls)

    def __init__(self, base: Transform, options: dict[str, Any]) -> None:
        self.base, self.options = base, dict(options)
        expand = base.expand_transform
        super().__init__(
            partial(base.tape_transform, **self.options),
            expand_transform=partial(expand, **self.options) if expand else None,
            classical_cotransform=base.classical_cotransform,
            final_transform=True,
        )

    def __repr__(self) -> str:
        options = ", ".join(f"{k}={v!r}" for k, v in self.options.items())
        return f"<{self.base.tape_transform.__name__}({options})>"


def _stateless(base: Transform) -> Callable[..., Transform]:
    def factory(**options):
        signature = inspect.signature(base.tape_transform)
        try:
            signature.bind(None, **options)
        except TypeError as error:
            accepted = [p for p in signature.parameters if p not in ("tape", "argnum")]
            raise ConfigurationError(
                f"{base.tape_transform.__name__} does not accept {sorted(options)} ({error}); "
                f"its options are {accepted}."
            ) from None
        return BoundGradient(base, options)

    return factory


def _class_factory(cls_path: str) -> Callable[..., Transform]:
    def factory(**options):
        module, name = cls_path.rsplit(".", 1)
        cls = getattr(__import__(module, fromlist=[name]), name)
        try:
            return cls(**options)
        except TypeError as error:
            raise ConfigurationError(
                f"{name} does not accept {sorted(options)} ({error}): see help({name})."
            ) from None

    return factory


def _methods() -> dict[str, Callable[..., Transform]]:
    from pennylane_qnative.gradients.richardson import richardson_grad
    from pennylane_qnative.gradients.spsa import spsa_grad

    return {
        "spsa": _class_factory("pennylane_qnative.gradients.spsa.SPSA"),
        "spsa-grad": _stateless(spsa_grad),
        "richardson": _stateless(richardson_grad),
        "natural": _class_factory("pennylane_qnative.gradients.natural.NaturalGradient"),
        "adaptive": _class_factory("pennylane_qnative.gradients.adaptive.AdaptiveGradient"),
        "parameter-shift": _stateless(qp.gradients.param_shift),
        "finite-diff": _stateless(qp.gradients.finite_diff),
    }


METHODS = (
    "spsa",
    "spsa-grad",
    "richardson",
    "natural",
    "adaptive",
    "parameter-shift",
    "finite-diff",
)
"""The names :func:`resolve` accepts."""


def resolve(method: str | Transform, **options) -> Transform:
    """The gradient transform for a name or object, with ``options`` bound.

    ============== ============================================================
    name           result
    ============== ============================================================
    ``"spsa"``      a new :class:`SPSA` (stateful: gains, counter) with options
    ``"spsa-grad"`` the pure :func:`spsa_grad` with options bound
    ``"richardson"`` :func:`richardson_grad` with options bound
    ``"natural"``   a new :class:`NaturalGradient`
    ``"adaptive"``  a new :class:`AdaptiveGradient`
    ``"parameter-shift"``, ``"finite-diff"``: PennyLane's transforms with options bound
    ============== ============================================================

    A ``Transform`` object is returned as is (stateful objects keep their state) or, with
    options, bound to them. Stateful results (``"spsa"``, ``"natural"``, ``"adaptive"``)
    carry their state, so resolve once and keep the object for the whole training run.

    The result is a :class:`~pennylane.transforms.core.Transform`: use it as ``diff_method=``,
    or call it on a tape: ``tapes, post = resolve(...)(tape)``; execute ``tapes`` on any device
    and ``post(results)`` is the tape's Jacobian (PennyLane's gradient format, over the tape's
    trainable parameters).

    Raises:
        ConfigurationError: unknown name (the message lists :data:`METHODS`) or an option the
            method does not accept
    """
    if isinstance(method, Transform):
        if not options:
            return method
        if isinstance(method, BoundGradient):
            return BoundGradient(method.base, {**method.options, **options})
        if type(method) is not Transform:
            raise ConfigurationError(
                f"{method!r} is a stateful gradient object: configure it when constructing it, "
                f"not with options {sorted(options)}."
            )
        return _stateless(method)(**options)
    if isinstance(method, str) and method in METHODS:
        return _methods()[method](**options)
    raise ConfigurationError(
        f"Unknown gradient method {method!r}: use one of {list(METHODS)} or a gradient "
        "transform object (e.g. qp.gradients.param_shift or a pennylane_qnative.gradients one)."
    )


def gradient(method: str | Transform, **options) -> Callable[[qp.QNode], qp.QNode]:
    """Decorator swapping the gradient method of a QNode.

    Place it above ``@qp.qnode``. The method is resolved once (:func:`resolve`), so stateful
    methods keep their state across calls; it is reachable as ``circuit.diff_method``. The
    QNode's previous ``gradient_kwargs`` belonged to its previous method and are dropped.

    Args:
        method (str | Transform): a name from :data:`METHODS` or a transform object
        **options: options of the method

    **Example**

    >>> import pennylane as qp
    >>> from pennylane import numpy as pnp
    >>> import pennylane_qnative.gradients as qg
    >>> @qg.gradient("spsa", c=0.2, seed=0)
    ... @qp.qnode(qp.device("default.qubit"))
    ... def circuit(x):
    ...     qp.RX(x, 0)
    ...     return qp.expval(qp.Z(0))
    >>> _ = qp.grad(circuit)(pnp.array(0.5, requires_grad=True))
    >>> circuit.diff_method.k
    1
    """
    transform = resolve(method, **options)

    def decorate(qnode: qp.QNode) -> qp.QNode:
        if not isinstance(qnode, qp.QNode):
            raise ConfigurationError(
                f"gradient({method!r}) decorates a QNode, got {type(qnode).__name__}: place it "
                "above @qp.qnode(...)."
            )
        new = qnode.update(diff_method=transform)
        new.gradient_kwargs = {}
        return new

    return decorate
