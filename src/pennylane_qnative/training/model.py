"""``QuantumModel``: data embedding, a trainable ansatz and a readout, as one QNode.

The model is classical bookkeeping around one quantum function: its weights live in
``model.quantum_layer.parameters`` (a NumPy array of shape ``(depth, n_qubits, rotations)``),
and a whole mini-batch is evaluated as **one broadcast circuit** (the inputs carry a leading
batch axis, the weights do not), so a gradient of the batch loss costs what a gradient of one
sample costs.

Readout: ``output_dim`` expectation values ``<Z_0>, ..., <Z_{output_dim-1}>``, each in
[-1, 1]. Binary classification uses the sign of ``<Z_0>`` (labels 0/1 or -1/+1), multi-class
classification the arg-max over ``output_dim`` outputs, regression the outputs as they are.

**Example**

>>> import numpy as np
>>> import pennylane as qp
>>> from pennylane_qnative import QuantumModel
>>> model = QuantumModel(n_qubits=4, circuit_depth=2, seed=0)
>>> model.quantum_layer.parameters.shape
(2, 4, 2)
>>> qnode = model.qnode(qp.device("qnative.simulator", wires=4))
>>> outputs = model.forward(qnode, model.quantum_layer.parameters, np.zeros((3, 4)))
>>> outputs.shape
(3,)
"""

from __future__ import annotations

from collections.abc import Callable
from enum import StrEnum
from typing import Any

import numpy as np
import pennylane as qp
from pennylane import math
from pennylane.tape import QuantumScript

from pennylane_qnative.exceptions import ConfigurationError
from pennylane_qnative.templates.hea import HardwareEfficientAnsatz, entanglement_argument

__all__ = ["Embedding", "QuantumLayer", "QuantumModel", "Task"]


class Embedding(StrEnum):
    """How classical features enter the circuit."""

    ANGLE = "angle"
    """One feature per qubit, as an RY angle (``qp.AngleEmbedding``)."""
    AMPLITUDE = "amplitude"
    """Up to ``2**n_qubits`` features as normalised amplitudes (``qp.AmplitudeEmbedding``)."""


class Task(StrEnum):
    """What the outputs mean."""

    CLASSIFICATION = "classification"
    REGRESSION = "regression"


def _choice(cls: type[StrEnum], name: str, value: Any) -> StrEnum:
    try:
        return cls(value)
    except ValueError:
        allowed = ", ".join(repr(m.value) for m in cls)
        raise ConfigurationError(f"{name} must be one of {allowed}, got {value!r}.") from None


class QuantumLayer:
    """Embedding and hardware-efficient ansatz, with the trainable parameters.

    Args:
        n_qubits (int): number of qubits
        circuit_depth (int): ansatz layers
        embedding (str): ``"angle"`` or ``"amplitude"``
        hardware_efficient_ansatz (bool): RY+RZ layers (``True``) or PennyLane's
            ``StronglyEntanglingLayers`` (RX-RY-RZ, ``False``)
        entanglement (str | list): wiring pattern of the hardware-efficient ansatz's
            entangling gates (see :class:`~.HardwareEfficientAnsatz`)
        rng (np.random.Generator): draws the initial parameters
    """

    def __init__(
        self,
        n_qubits: int,
        circuit_depth: int,
        *,
        embedding: str = Embedding.ANGLE,
        hardware_efficient_ansatz: bool = True,
        entanglement: Any = "linear",
        rng: np.random.Generator,
    ) -> None:
        self.n_qubits = n_qubits
        self.circuit_depth = circuit_depth
        self.embedding = _choice(Embedding, "embedding", embedding)
        self.hardware_efficient_ansatz = hardware_efficient_ansatz
        self.entanglement = entanglement
        self.wires = list(range(n_qubits))
        per_qubit = 2 if hardware_efficient_ansatz else 3
        self.parameters = rng.uniform(0, 2 * np.pi, (circuit_depth, n_qubits, per_qubit))

    @property
    def n_features(self) -> int:
        """Number of input features the embedding takes."""
        return self.n_qubits if self.embedding is Embedding.ANGLE else 2**self.n_qubits

    def apply(self, weights: Any, x: Any) -> None:
        """Queue the embedding of ``x`` and the ansatz with ``weights``."""
        if self.embedding is Embedding.ANGLE:
            qp.AngleEmbedding(x, wires=self.wires, rotation="Y")
        else:
            qp.AmplitudeEmbedding(x, wires=self.wires, normalize=True, pad_with=0.0)
        if self.hardware_efficient_ansatz:
            HardwareEfficientAnsatz(weights, self.wires, entanglement=self.entanglement)
        else:
            qp.StronglyEntanglingLayers(weights, wires=self.wires)

    def build_circuit(self, x: Any, weights: Any = None, *, output_dim: int = 1) -> QuantumScript:
        """The circuit for input ``x`` (one sample or a batch) as a ``QuantumScript``."""
        weights = self.parameters if weights is None else weights
        with qp.queuing.AnnotatedQueue() as queue:
            self.apply(weights, x)
            for wire in range(output_dim):
                qp.expval(qp.Z(wire))
        return QuantumScript.from_queue(queue)


class QuantumModel:
    """A variational classifier or regressor: embedding + ansatz + Z readout.

    Args:
        n_qubits (int): number of qubits
        circuit_depth (int): ansatz layers
        output_dim (int): number of outputs (``<Z_i>`` on the first qubits)
        embedding (str): ``"angle"`` (one feature per qubit) or ``"amplitude"``
        task (str): ``"classification"`` or ``"regression"``
        hardware_efficient_ansatz (bool): RY+RZ layers (default) or RX-RY-RZ layers
        entanglement (str | list): wiring pattern of the entangling gates (see
            :class:`~.HardwareEfficientAnsatz`)
        seed (int | None): seed of the initial parameters
        entangler: deprecated name of ``entanglement``

    Raises:
        ConfigurationError: for sizes or choices that do not fit
    """

    def __init__(
        self,
        n_qubits: int,
        circuit_depth: int,
        output_dim: int = 1,
        embedding: str = Embedding.ANGLE,
        *,
        task: str = Task.CLASSIFICATION,
        hardware_efficient_ansatz: bool = True,
        entanglement: Any = "linear",
        seed: int | None = None,
        entangler: Any = None,
    ) -> None:
        for name, value in (("n_qubits", n_qubits), ("circuit_depth", circuit_depth)):
            if not isinstance(value, int) or value < 1:
                raise ConfigurationError(f"{name} must be a positive integer, got {value!r}.")
        if not isinstance(output_dim, int) or not 1 <= output_dim <= n_qubits:
            raise ConfigurationError(
                f"output_dim must be an integer from 1 to n_qubits={n_qubits}, got "
                f"{output_dim!r}: each output is <Z> on one qubit."
            )
        self.output_dim = output_dim
        self.task = _choice(Task, "task", task)
        self.quantum_layer = QuantumLayer(
            n_qubits,
            circuit_depth,
            embedding=embedding,
            hardware_efficient_ansatz=hardware_efficient_ansatz,
            entanglement=entanglement_argument(entanglement, entangler)[0],
            rng=np.random.default_rng(seed),
        )

    @classmethod
    def from_config(cls, config: Any, **kwargs: Any) -> QuantumModel:
        """The model a :class:`~.TrainingConfig` describes."""
        return cls(
            config.n_qubits,
            config.circuit_depth,
            hardware_efficient_ansatz=config.hardware_efficient_ansatz,
            seed=config.seed,
            **kwargs,
        )

    @property
    def n_parameters(self) -> int:
        """Number of trainable parameters."""
        return int(self.quantum_layer.parameters.size)

    def qnode(self, device: Any, **qnode_kwargs: Any) -> qp.QNode:
        """A QNode ``(weights, x) -> outputs`` on ``device``."""
        layer, output_dim = self.quantum_layer, self.output_dim

        def circuit(weights, x):
            layer.apply(weights, x)
            if output_dim == 1:
                return qp.expval(qp.Z(0))
            return [qp.expval(qp.Z(w)) for w in range(output_dim)]

        return qp.QNode(circuit, device, **qnode_kwargs)

    def forward(self, qnode: Callable, weights: Any, X: Any) -> Any:
        """Outputs for a batch ``X``: shape ``(batch,)`` or ``(batch, output_dim)``.

        The batch is evaluated as one broadcast circuit.
        """
        X = self.check_inputs(X)
        out = qnode(weights, X)
        if self.output_dim == 1:
            return out
        return math.stack(out, axis=-1)

    def check_inputs(self, X: Any) -> np.ndarray:
        """``X`` as a float array of shape ``(batch, n_features)``, or a clear error."""
        X = np.asarray(X, dtype=float)
        if X.ndim == 1:
            X = X[None, :]
        n = self.quantum_layer.n_features
        limit = n if self.quantum_layer.embedding is Embedding.ANGLE else None
        if X.ndim != 2 or (limit is not None and X.shape[1] != limit) or X.shape[1] > n:
            raise ConfigurationError(
                f"inputs must have shape (batch, {n}) for {self.quantum_layer.embedding.value} "
                f"embedding on {self.quantum_layer.n_qubits} qubits, got {X.shape}; reduce or "
                "select features first (e.g. sklearn PCA)."
            )
        if not np.all(np.isfinite(X)):
            raise ConfigurationError("inputs contain NaN or infinite values; clean them first.")
        return X

    def predict_labels(self, outputs: Any) -> np.ndarray:
        """Class labels from outputs: sign (0/1) for one output, arg-max for several."""
        outputs = np.asarray(outputs)
        if self.output_dim == 1:
            return (outputs < 0).astype(int)  # <Z> > 0 -> class 0 (|0>), < 0 -> class 1
        return np.argmax(outputs, axis=-1)
