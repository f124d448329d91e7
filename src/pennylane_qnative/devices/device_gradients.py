"""``diff_method="device"``: our gradient transforms, run inside a device in one batch.

A QNode with ``diff_method="device"`` and ``gradient_kwargs={"method": ..., **options}`` asks
the device for derivatives. The device resolves the method once (named stateful methods such
as ``"spsa"`` or ``"adaptive"`` keep their state across steps because the device holds them),
transforms each circuit into its gradient circuits, and executes the forward circuits and all
gradient circuits in ONE ``execute`` batch, which on a cloud device is one job.

``diff_method="spsa"`` names the same method as ``gradient_kwargs={"method": "spsa"}``: the
registry's :class:`~pennylane_qnative.gradients.SPSA` with the QNode's ``gradient_kwargs``
(PennyLane's ``spsa_grad`` for PennyLane's options, Spall's schedule with
``schedule="spall"``), resolved once per device and options.
"""

from __future__ import annotations

import threading
import warnings
from collections.abc import Mapping
from dataclasses import replace
from typing import Any

import pennylane as qp
from pennylane.devices import ExecutionConfig
from pennylane.tape import QuantumScript, QuantumScriptBatch
from pennylane.transforms.core import Transform, transform
from pennylane.typing import ResultBatch

from pennylane_qnative.gradients.registry import canonical, resolve

__all__ = [
    "SERVED",
    "DeviceGradients",
    "split_trainable_broadcasts",
    "trainable_broadcast",
]

_NO_TRAINABLE_WARNING = "Attempted to compute the gradient of a tape with no trainable"

SERVED = {"spsa": "spsa"}
"""PennyLane ``diff_method`` strings we implement -> the registry's name for them: the same
method as that name in ``gradient_kwargs["method"]`` (for ``"spsa"``, PennyLane's estimator
and options, plus ours). qnative.simulator serves them itself (fused into the step's one
batch); on qnative.ionq the same method runs on the user's circuit in place of PennyLane's
transform (:meth:`DeviceGradients.ours_for_pennylanes`: the device's lowering would change the
circuit it differentiates, hence its seeded directions); the fused equivalent there is
``diff_method="device"``."""
# PennyLane's transforms of those strings, as its workflow resolves them
_PENNYLANES = {"spsa": qp.gradients.spsa_grad}
# gradient_kwargs a QNode passes for the device (it cannot set device options): name there ->
# device option
_DEVICE_KWARGS = {"shots_rng": "rng", "run_id": "run_id"}


def trainable_broadcast(tape: QuantumScript) -> bool:
    """Whether a *trainable* parameter of ``tape`` is broadcast (a batch of values).

    Gradient transforms refuse such circuits (PennyLane's ``param_shift`` raises
    ``NotImplementedError``, PennyLane #4462): :func:`split_trainable_broadcasts` splits them
    first. Broadcast data (non-trainable inputs) is fine and is not split.
    """
    if tape.batch_size is None:
        return False
    for index in tape.trainable_params:
        info = tape.par_info[index]
        op, p = info["op"], info["p_idx"]
        if op.batch_size is not None and qp.math.ndim(op.data[p]) > op.ndim_params[p]:
            return True
    return False


@transform
def split_trainable_broadcasts(tape: QuantumScript) -> tuple[QuantumScriptBatch, Any]:
    """One circuit per parameter set where a trainable parameter is broadcast (see
    :func:`trainable_broadcast`), so a gradient transform can differentiate each; the
    results are stacked back. Before the ML boundary, so the ML framework differentiates the
    split (e.g. a ``torch.nn.Linear`` before a ``TorchLayer``)."""
    if not trainable_broadcast(tape):
        return (tape,), lambda results: results[0]
    return qp.transforms.broadcast_expand(tape)


class DeviceGradients:
    """Resolves and runs the device-side gradient method of an execution config.

    Args:
        execute (Callable): the device's ``execute(circuits, config)``
        lower (Callable | None): ``tapes -> (tapes, postprocessing)`` for the circuits the
            gradient transforms generate, when ``execute`` takes lowered circuits only
    """

    def __init__(self, execute: Any, *, lower: Any = None) -> None:
        self._execute = execute
        self._lower = lower
        self._resolved: dict[tuple, Transform] = {}
        self._lock = threading.Lock()

    def transform(self, config: ExecutionConfig) -> Transform:
        """The transform named by ``config.gradient_keyword_arguments`` (default ``"spsa"``),
        resolved once per name and options (aliases share one object)."""
        options = dict(config.gradient_keyword_arguments or {})
        method = options.pop("method", "spsa")
        if isinstance(method, Transform):
            return resolve(method, **options)
        key = (canonical(method), repr(sorted(options.items())))  # aliases share one object
        with self._lock:
            transform = self._resolved.get(key)
            if transform is None:
                transform = self._resolved[key] = resolve(method, **options)
        return transform

    def ours_for_pennylanes(self, config: ExecutionConfig) -> ExecutionConfig:
        """``config`` with PennyLane's transform for a ``diff_method`` string in
        :data:`SERVED` (``"spsa"``: ``qp.gradients.spsa_grad``) replaced by our method of that
        name with the QNode's ``gradient_kwargs`` bound (:meth:`transform`, so one object per
        options: a schedule's state lives across steps), so the name means one method, with
        the same options (PennyLane's plus ours), on every device. Its options are checked
        now.

        Raises:
            ConfigurationError: an option the method does not take, listing those it does
        """
        for name, theirs in _PENNYLANES.items():
            if config.gradient_method is theirs:
                options = {**(config.gradient_keyword_arguments or {}), "method": SERVED[name]}
                ours = self.transform(replace(config, gradient_keyword_arguments=options))
                return replace(config, gradient_method=ours, gradient_keyword_arguments={})
        return config

    @staticmethod
    def serves(config: ExecutionConfig | None, served: Mapping[str, Any] = SERVED) -> bool:
        """Whether the device computes this config's derivatives itself (``served``: the
        PennyLane method names it takes over)."""
        return config is not None and (
            config.gradient_method == "device" or config.gradient_method in served
        )

    @staticmethod
    def seeded(config: ExecutionConfig, served: Mapping[str, Any] = SERVED) -> ExecutionConfig:
        """``config`` as device gradients read it.

        ``diff_method="spsa"`` becomes ``"device"`` with ``gradient_kwargs={"method": "spsa",
        ...}``, the same method and options (PennyLane's estimator by default, the same
        results for the same ``sampler_rng``). A QNode cannot set
        device options, so with ``diff_method="device"`` its ``gradient_kwargs={"method": ...,
        "shots_rng": seed}`` seeds that execution's shots (what the trainer does at each step,
        for exact resumes): it becomes ``device_options["rng"]``.
        """
        options = dict(config.gradient_keyword_arguments or {})
        if config.gradient_method in served:
            options = {**options, "method": served[config.gradient_method]}
            config = replace(config, gradient_method="device", gradient_keyword_arguments=options)
            return config
        moved = {new: options.pop(old) for old, new in _DEVICE_KWARGS.items() if old in options}
        if config.gradient_method != "device" or not moved:
            return config
        return replace(
            config,
            gradient_keyword_arguments=options,
            device_options={**config.device_options, **moved},
        )

    def configure(self, requested: ExecutionConfig, base: ExecutionConfig) -> ExecutionConfig:
        """``base`` (the device's config without gradient) set up for device gradients.

        Validates the method and its options now, before anything runs.
        """
        self.transform(requested)
        on_execution = True if requested.grad_on_execution is None else requested.grad_on_execution
        return replace(
            base,
            gradient_method="device",
            gradient_keyword_arguments=requested.gradient_keyword_arguments,
            use_device_gradient=True,
            use_device_jacobian_product=False,
            grad_on_execution=on_execution,
            convert_to_numpy=True,
        )

    def run(
        self, circuits: QuantumScriptBatch, config: ExecutionConfig, *, forward: bool
    ) -> tuple[ResultBatch, tuple]:
        """Forward circuits (if ``forward``) and every gradient circuit in one ``execute``.

        Returns:
            tuple: ``(results, jacobians)``; ``results`` is empty when ``forward`` is false
        """
        transform = self.transform(config)
        with warnings.catch_warnings():  # PennyLane asks for a Jacobian of no parameters
            warnings.filterwarnings("ignore", message=_NO_TRAINABLE_WARNING)
            plans = [transform(circuit) for circuit in circuits]
        generated = [t for tapes, _ in plans for t in tapes]
        restore = None
        if self._lower is not None and generated:
            generated, restore = self._lower(generated)
        results = list(self._execute([*(circuits if forward else ()), *generated], config))
        if restore is not None:
            start = len(circuits) if forward else 0
            results[start:] = restore(results[start:])
        offset = len(circuits) if forward else 0
        jacobians = []
        for tapes, postprocess in plans:
            jacobians.append(postprocess(results[offset : offset + len(tapes)]))
            offset += len(tapes)
        return (tuple(results[: len(circuits)]) if forward else ()), tuple(jacobians)
