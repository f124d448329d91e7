"""The trainer's step on our devices without re-running the QNode: one device call per step.

A QNode call re-traces the model, re-decomposes its templates and goes through PennyLane's
workflow every time: on the reference workload that is about a quarter of a training step.
On our devices, which compute gradients themselves (``diff_method="device"``), the trainer
can skip it. :meth:`DirectStep.build` traces and preprocesses the model's circuit once and
finds, by probing it with distinct values, where each weight and each input feature lands
among the gate parameters. Each step then rebinds those parameters
(:func:`~pennylane_qnative.execution.rebinding.rebind`) and makes one
``execute_and_compute_derivatives`` call: the same call, on the same circuit, that the QNode
would make. The loss gradient is the chain rule through the outputs.

Models the probe cannot map (amplitude embedding, weights transformed before they reach a
gate) get ``None`` from :meth:`DirectStep.build`, and the trainer uses the QNode.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace
from typing import Any, NamedTuple

import numpy as np
from pennylane.devices import ExecutionConfig
from pennylane.tape import QuantumScript

from pennylane_qnative.execution.rebinding import rebind

__all__ = ["DirectStep", "StepOutputs"]

logger = logging.getLogger(__name__)


class StepOutputs(NamedTuple):
    """What one :meth:`DirectStep.run` returns."""

    outputs: np.ndarray
    """model outputs of the batch, ``(batch,)`` or ``(batch, n_outputs)``"""
    jacobian: np.ndarray
    """their Jacobian, ``(n_outputs, n_weights, batch)``"""
    validation: np.ndarray | None
    """model outputs of the validation inputs run in the same batch (``None``: none given)"""


@dataclass(frozen=True, slots=True)
class DirectStep:
    """A model's circuit, preprocessed once, and where its weights and inputs go.

    Attributes:
        device: the device (one of ours)
        config (ExecutionConfig): the device's configuration with device gradients
        template (QuantumScript): the preprocessed circuit; its trainable parameters are the
            weight positions
        weight_positions (tuple[int, ...]): gate-parameter positions holding a weight, sorted
        weight_index (np.ndarray): the flat weight index at each of ``weight_positions``
        data_positions (tuple[tuple[int, int], ...]): ``(gate-parameter position, feature)``
        n_weights (int): number of weights
    """

    device: Any
    config: ExecutionConfig
    template: QuantumScript
    weight_positions: tuple[int, ...]
    weight_index: np.ndarray
    data_positions: tuple[tuple[int, int], ...]
    n_weights: int

    @classmethod
    def build(cls, device: Any, model: Any, gradient: Any, shots: int | None) -> DirectStep | None:
        """Trace and probe ``model``'s circuit on ``device``; ``None`` if it cannot be mapped."""
        requested = ExecutionConfig(
            gradient_method="device",
            gradient_keyword_arguments={"method": gradient},
            grad_on_execution=True,
        )
        try:
            config = device.setup_execution_config(requested)
            return _probe(device, config, model, shots)
        except Exception as error:  # the QNode path is always correct, and raises properly
            logger.debug("training through the QNode: %s", error)
            return None

    def run(
        self,
        weights: np.ndarray,
        X: np.ndarray,
        *,
        seed: int | None = None,
        run_id: str | None = None,
        shots: int | None = None,
        validation: np.ndarray | None = None,
    ) -> StepOutputs:
        """One step: the batch's outputs and Jacobian, in one device call (one job).

        The Jacobian has shape ``(n_outputs, n_weights, batch)`` (``n_outputs`` is 1 for a
        single output). ``seed`` seeds the step's shots (``device_options={"rng": seed}``);
        ``None`` samples from the device's own stream. ``run_id`` names the run, so that a
        resumed run re-attaches to the jobs it paid for (``device_options={"run_id": ...}``).
        ``shots`` replaces the circuit's shots for this step (``None``: the built ones).
        ``validation`` inputs are run forward (no gradient circuits) in the same device call:
        in the same job when they share its shots.
        """
        flat = np.asarray(weights, dtype=np.float64).ravel()
        tape = self._bind(flat, X, shots)
        tapes = [tape]
        if validation is not None:
            tapes.append(self._bind(flat, validation, shots).copy(trainable_params=[]))
        options = dict(self.config.device_options)
        if seed is not None:
            options["rng"] = seed
        if run_id is not None:
            options["run_id"] = run_id
        config = replace(self.config, device_options=options)
        results, jacobians = self.device.execute_and_compute_derivatives(tuple(tapes), config)
        outputs, per_param = self._shaped(tape, results[0], jacobians[0])
        by_weight = np.zeros((per_param.shape[0], self.n_weights, per_param.shape[2]))
        np.add.at(by_weight, (slice(None), self.weight_index), per_param)  # shared weights add
        extra = None if validation is None else self._shaped(tapes[1], results[1], None)[0]
        return StepOutputs(outputs, by_weight, extra)

    def _bind(self, flat: np.ndarray, X: np.ndarray, shots: int | None) -> QuantumScript:
        positions = [*self.weight_positions, *(p for p, _ in self.data_positions)]
        values = [*flat[self.weight_index], *(X[:, j].copy() for _, j in self.data_positions)]
        tape = rebind(self.template, values, positions)
        return tape if shots is None or shots == tape.shots.total_shots else tape.copy(shots=shots)

    def _shaped(self, tape: QuantumScript, result: Any, jacobian: Any) -> tuple[Any, Any]:
        n_params = len(self.weight_positions)
        if len(tape.measurements) == 1:
            outputs = np.asarray(result)
            per_param = None if jacobian is None else np.asarray(jacobian).reshape(1, n_params, -1)
        else:
            outputs = np.stack([np.asarray(r) for r in result], axis=-1)
            per_param = (
                None
                if jacobian is None
                else np.stack([np.asarray(j).reshape(n_params, -1) for j in jacobian])
            )
        return outputs, per_param

    @staticmethod
    def chain(jacobian: np.ndarray, output_gradient: np.ndarray, shape: tuple) -> np.ndarray:
        """``dL/dw`` from ``dL/d outputs`` and the Jacobian of :meth:`run`."""
        g = np.asarray(output_gradient, dtype=np.float64).reshape(jacobian.shape[2], -1)
        return np.einsum("mwb,bm->w", jacobian, g).reshape(shape)


def _probe(device: Any, config: ExecutionConfig, model: Any, shots: int | None) -> DirectStep:
    layer = model.quantum_layer
    rng = np.random.default_rng(20_261_127)
    shape = layer.parameters.shape
    w_a, w_b = rng.uniform(0.1, 1.0, shape), rng.uniform(1.1, 2.0, shape)
    x_a, x_b = (rng.uniform(lo, lo + 0.9, (2, layer.n_features)) for lo in (0.1, 1.1))
    program = device.preprocess_transforms(config)

    def trace(weights: np.ndarray, X: np.ndarray) -> QuantumScript:
        tape = layer.build_circuit(X, weights, output_dim=model.output_dim)
        tape = QuantumScript(tape.operations, tape.measurements, shots=shots)
        tapes, post = program((tape,))
        marker = object()
        out = post((marker,))
        if len(tapes) != 1 or len(out) != 1 or out[0] is not marker:
            raise ValueError("preprocessing does not keep one circuit with its result as is")
        return tapes[0]

    base = trace(w_a, x_a)
    params = [_gate_parameters(t) for t in (base, trace(w_b, x_a), trace(w_a, x_b))]
    if len({len(p) for p in params}) != 1:
        raise ValueError("the circuit's structure depends on the values")
    weight_of = {float(v): k for k, v in enumerate(w_a.ravel())}
    feature_of = {tuple(x_a[:, j]): j for j in range(x_a.shape[1])}
    weights, data = [], []
    for i, (a, b, c) in enumerate(zip(*params, strict=True)):
        by_weights, by_data = not _same(a, b), not _same(a, c)
        if by_weights and by_data:
            raise ValueError(f"gate parameter {i} depends on weights and inputs")
        if by_weights:
            k = weight_of.get(float(a)) if np.ndim(a) == 0 else None
            if k is None or float(b) != w_b.ravel()[k]:
                raise ValueError(f"gate parameter {i} is not a weight as it is")
            weights.append((i, k))
        elif by_data:
            j = feature_of.get(tuple(np.asarray(a))) if np.shape(a) == (2,) else None
            if j is None or not np.array_equal(c, x_b[:, j]):
                raise ValueError(f"gate parameter {i} is not an input feature as it is")
            data.append((i, j))
    template = QuantumScript(
        base.operations,
        base.measurements,
        shots=base.shots,
        trainable_params=[i for i, _ in weights],
    )
    return DirectStep(
        device=device,
        config=config,
        template=template,
        weight_positions=tuple(i for i, _ in weights),
        weight_index=np.array([k for _, k in weights], dtype=int),
        data_positions=tuple(data),
        n_weights=int(np.prod(shape)),
    )


def _gate_parameters(tape: QuantumScript) -> list[Any]:
    return [p for op in tape.operations for p in op.data]


def _same(a: Any, b: Any) -> bool:
    return np.shape(a) == np.shape(b) and bool(np.array_equal(a, b))
