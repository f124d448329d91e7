"""The one table of gradient methods by name, and :func:`resolve`.

A method is registered once with :func:`register` (its name, a factory building the
transform from keyword options, whether the result is stateful, and any other spellings of
the name). Everything that needs method names reads them here: :func:`resolve`, the
decorator's :data:`~pennylane_qnative.gradients.METHODS`, the devices'
``diff_method="device"`` path and the trainer.

This module sits below every method module: the methods that take another method by name
(``natural``'s base Jacobian, ``adaptive``'s exact method) call :func:`resolve` from here,
and :mod:`pennylane_qnative.gradients.methods` registers the built-in methods. Importing any
part of :mod:`pennylane_qnative.gradients` imports the package first, so the table is
complete before anything is resolved.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import Any

from pennylane_qnative.exceptions import ConfigurationError
from pennylane_qnative.gradients._compat import Transform

__all__ = [
    "BoundGradient",
    "Method",
    "accepted_names",
    "aliases",
    "bind",
    "canonical",
    "construct",
    "is_stateful",
    "method_names",
    "register",
    "resolve",
]


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


def bind(base: Transform, **options) -> BoundGradient:
    """``base`` with ``options`` bound, refusing options its tape transform does not take.

    Raises:
        ConfigurationError: naming the options the transform accepts
    """
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


def construct(cls: type[Transform], **options) -> Transform:
    """A new ``cls(**options)`` (a stateful method), refusing options it does not take.

    Raises:
        ConfigurationError: pointing to ``help(cls)``
    """
    try:
        return cls(**options)
    except TypeError as error:
        name = cls.__name__
        accepted = list(inspect.signature(cls.__init__).parameters)[1:]
        raise ConfigurationError(
            f"{name} does not accept {sorted(options)} ({error}); its options are {accepted}: "
            f"see help({name})."
        ) from None


@dataclass(frozen=True, slots=True)
class Method:
    """One registered gradient method.

    Args:
        name (str): the canonical name
        factory (Callable[..., Transform]): builds the transform from keyword options
        stateful (bool): whether the result carries state (a counter, a running average),
            so it is resolved once per run and seeded with ``seed=``
        aliases (tuple[str, ...]): other spellings :func:`resolve` accepts for it
    """

    name: str
    factory: Callable[..., Transform]
    stateful: bool = False
    aliases: tuple[str, ...] = ()


_TABLE: dict[str, Method] = {}  # every accepted spelling -> its method


def register(
    name: str,
    factory: Callable[..., Transform],
    *,
    stateful: bool = False,
    aliases: tuple[str, ...] = (),
) -> Method:
    """Add a method under ``name`` (and ``aliases``); returns its entry.

    Raises:
        ConfigurationError: when a spelling is already taken (nothing is added then)
    """
    method = Method(name, factory, stateful, tuple(aliases))
    for spelling in (name, *method.aliases):
        taken = _TABLE.get(spelling)
        if taken is not None:
            raise ConfigurationError(
                f"gradient method name {spelling!r} is already registered for {taken.name!r}: "
                "choose another name."
            )
    for spelling in (name, *method.aliases):
        _TABLE[spelling] = method
    return method


def method_names() -> tuple[str, ...]:
    """The canonical names, in registration order."""
    return tuple(dict.fromkeys(method.name for method in _TABLE.values()))


def aliases() -> dict[str, str]:
    """Other spellings -> canonical names."""
    return {spelling: m.name for spelling, m in _TABLE.items() if spelling != m.name}


def accepted_names() -> tuple[str, ...]:
    """Every name :func:`resolve` accepts: canonical names, then aliases."""
    return (*method_names(), *aliases())


def _entry(name: Any) -> Method:
    method = _TABLE.get(name) if isinstance(name, str) else None
    if method is None:
        raise ConfigurationError(
            f"Unknown gradient method {name!r}: use one of {list(method_names())} or a gradient "
            "transform object (e.g. qp.gradients.param_shift or a pennylane_qnative.gradients "
            "one)."
        )
    return method


def canonical(name: str) -> str:
    """The canonical name of ``name`` or one of its aliases.

    Raises:
        ConfigurationError: for an unknown name (the message lists the names)
    """
    return _entry(name).name


def is_stateful(name: str) -> bool:
    """Whether the method called ``name`` returns a stateful object."""
    return _entry(name).stateful


def resolve(method: str | Transform, **options) -> Transform:
    """The gradient transform for a name or object, with ``options`` bound.

    ===================== ============================================================
    name                  result
    ===================== ============================================================
    ``"spsa"``            a new :class:`SPSA` (stateful: counter, stream) with options:
                          PennyLane's ``spsa_grad`` (``h=1e-5``) unless
                          ``schedule="spall"`` (Spall's gains, ``c=0.1``)
    ``"spsa-grad"``       the pure :func:`spsa_grad` with options bound (the estimator of
                          ``"spsa"`` without a schedule, stateless)
    ``"richardson"``      :func:`richardson_grad` with options bound
    ``"natural"``         a new :class:`NaturalGradient`
    ``"adaptive"``        a new :class:`AdaptiveGradient`
    ``"parameter-shift"`` (alias ``"parameter_shift"``), ``"finite-diff"`` (alias
                          ``"finite_diff"``): PennyLane's transforms with options bound
    ===================== ============================================================

    A ``Transform`` object is returned as is (stateful objects keep their state) or, with
    options, bound to them. Stateful results (``"spsa"``, ``"natural"``, ``"adaptive"``)
    carry their state, so resolve once and keep the object for the whole training run.

    The result is a :class:`~pennylane.transforms.core.Transform`: use it as ``diff_method=``,
    or call it on a tape: ``tapes, post = resolve(...)(tape)``; execute ``tapes`` on any device
    and ``post(results)`` is the tape's Jacobian (PennyLane's gradient format, over the tape's
    trainable parameters).

    Raises:
        ConfigurationError: unknown name (the message lists the method names) or an option the
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
        return bind(method, **options)
    return _entry(method).factory(**options)
