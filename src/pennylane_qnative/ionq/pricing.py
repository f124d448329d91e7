"""IonQ gate-shot pricing: the rate card and a pure cost estimator.

IonQ does not publish its prices in the API; the numbers below are the partner (Azure Quantum)
figures collected in the contract (``docs/ionq-api.md``, section 7):

.. code-block:: text

    cost = max(job_minimum, shots * (N1q * cost_1q_gate_shot + N2q * cost_2q_gate_shot))

with ``job_minimum`` raised when error mitigation (debiasing) is on, a multi-controlled gate on
``N`` qubits billed as ``6 * (N - 2)`` two-qubit gates, and simulators free. Everything is
configurable through :class:`RateCard`. The emulator's ``/jobs/estimate`` and ``/jobs/{id}/cost``
endpoints and the client's budget checks both use this module, so they always agree.

This module knows nothing of PennyLane.

**Example**

>>> from pennylane_qnative.ionq.pricing import RateCard, count_gates, estimate_cost
>>> circuit = [{"gate": "h", "target": 0}, {"gate": "cnot", "control": 0, "target": 1}]
>>> counts = count_gates(circuit)
>>> counts
GateCounts(one_qubit=1, two_qubit=1)
>>> estimate_cost(backend="simulator", shots=1000, gate_counts=[counts])
0.0
>>> estimate_cost(backend="qpu.aria-1", shots=100_000, gate_counts=[counts])
119.5
>>> estimate_cost(
...     backend="qpu.aria-1", shots=10, gate_counts=[counts], rate_card=RateCard(job_cost_minimum=0)
... )
0.01195
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from pennylane_qnative.exceptions import ConfigurationError

__all__ = [
    "DEFAULT_RATE_CARD",
    "GateCounts",
    "RateCard",
    "count_gates",
    "estimate_cost",
    "estimate_payload_cost",
    "payload_gate_counts",
]


@dataclass(frozen=True, kw_only=True, slots=True)
class RateCard:
    """Prices for gate-shots on IonQ hardware (USD unless ``currency`` says otherwise).

    Args:
        cost_1q_gate_shot (float): price of one single-qubit gate executed once
        cost_2q_gate_shot (float): price of one two-qubit gate executed once
        job_cost_minimum (float): the least a paid job costs (error mitigation off)
        job_cost_minimum_error_mitigation (float): the least a paid job costs with debiasing on
        free_backends (frozenset[str]): backends that are never billed (the simulators)
        currency (str): the unit reported by the API (``"usd"`` or ``"credit"``)

    Raises:
        ConfigurationError: if a price is negative or not finite
    """

    cost_1q_gate_shot: float = 0.000220
    cost_2q_gate_shot: float = 0.000975
    job_cost_minimum: float = 12.4166
    job_cost_minimum_error_mitigation: float = 97.50
    free_backends: frozenset[str] = field(default_factory=lambda: frozenset({"simulator"}))
    currency: str = "usd"

    def __post_init__(self) -> None:
        for name in (
            "cost_1q_gate_shot",
            "cost_2q_gate_shot",
            "job_cost_minimum",
            "job_cost_minimum_error_mitigation",
        ):
            value = getattr(self, name)
            if not isinstance(value, int | float) or not math.isfinite(value) or value < 0:
                raise ConfigurationError(
                    f"RateCard.{name} must be a finite number >= 0, got {value!r}; "
                    "pass a non-negative price."
                )

    def is_free(self, backend: str) -> bool:
        """Whether jobs on ``backend`` are free (simulators).

        Args:
            backend (str): an IonQ backend name such as ``"simulator"`` or ``"qpu.aria-1"``

        Returns:
            bool: ``True`` if the backend is one of ``free_backends``
        """
        return backend in self.free_backends

    def minimum(self, *, error_mitigation: bool = False) -> float:
        """The job minimum that applies with or without error mitigation."""
        return self.job_cost_minimum_error_mitigation if error_mitigation else self.job_cost_minimum


DEFAULT_RATE_CARD = RateCard()
"""The rate card from the contract (Azure AQT figures for Aria-class hardware)."""


@dataclass(frozen=True, kw_only=True, slots=True)
class GateCounts:
    """Billable gate counts of one circuit.

    Args:
        one_qubit (int): single-qubit gates
        two_qubit (int): two-qubit gates (multi-controlled gates already expanded)
    """

    one_qubit: int = 0
    two_qubit: int = 0

    def __add__(self, other: GateCounts) -> GateCounts:
        return GateCounts(
            one_qubit=self.one_qubit + other.one_qubit, two_qubit=self.two_qubit + other.two_qubit
        )

    def as_api(self) -> dict[str, int]:
        """The counts as the API's ``stats.gate_counts`` object (``{"1q": .., "2q": ..}``)."""
        return {"1q": self.one_qubit, "2q": self.two_qubit}


def _gate_qubits(gate: Mapping[str, Any]) -> int:
    targets = gate.get("targets")
    n_targets = len(targets) if isinstance(targets, list) else int("target" in gate)
    controls = gate.get("controls")
    n_controls = len(controls) if isinstance(controls, list) else int("control" in gate)
    return max(n_targets, 1) + n_controls


def count_gates(circuit: Sequence[Mapping[str, Any]]) -> GateCounts:
    """Count the billable 1q and 2q gates of one IonQ JSON circuit.

    A gate on two qubits (targets plus controls) is a 2q gate; a gate on ``N > 2`` qubits is
    billed as ``6 * (N - 2)`` 2q gates, except ``pauliexp``, billed per term as a CNOT ladder
    (``2 * (k - 1)`` 2q gates and one 1q gate for a term on ``k`` qubits). ``nop`` is free.

    Args:
        circuit (Sequence[Mapping[str, Any]]): the ``circuit`` list of an IonQ job

    Returns:
        GateCounts: the billable counts

    **Example**

    >>> count_gates([{"gate": "x", "controls": [0, 1, 2], "target": 3}])
    GateCounts(one_qubit=0, two_qubit=12)
    """
    one, two = 0, 0
    for gate in circuit:
        name = gate.get("gate")
        if name == "nop":
            continue
        n = _gate_qubits(gate)
        if name == "pauliexp":
            terms = gate.get("terms") or [""]
            one += len(terms)
            two += len(terms) * 2 * (n - 1)
        elif n == 1:
            one += 1
        elif n == 2:
            two += 1
        else:
            two += 6 * (n - 2)
    return GateCounts(one_qubit=one, two_qubit=two)


def estimate_cost(
    *,
    backend: str,
    shots: int,
    gate_counts: Iterable[GateCounts] | GateCounts,
    error_mitigation: bool = False,
    rate_card: RateCard = DEFAULT_RATE_CARD,
) -> float:
    """Estimate the price of one job.

    ``max(minimum, shots * sum_circuits(N1q * c1 + N2q * c2))``; ``0.0`` on a free backend.
    The minimum applies once per job (a multi-circuit job pays it once).

    Args:
        backend (str): the IonQ backend (``"simulator"`` is free)
        shots (int): shots per circuit
        gate_counts (Iterable[GateCounts] | GateCounts): the counts of each circuit of the job
        error_mitigation (bool): whether debiasing is on (raises the job minimum)
        rate_card (RateCard): the prices to apply

    Returns:
        float: the estimated cost in ``rate_card.currency``

    Raises:
        ConfigurationError: if ``shots`` is not a positive integer
    """
    if isinstance(shots, bool) or not isinstance(shots, int) or shots < 1:
        raise ConfigurationError(f"shots must be a positive integer, got {shots!r}.")
    if rate_card.is_free(backend):
        return 0.0
    if isinstance(gate_counts, GateCounts):
        gate_counts = [gate_counts]
    total = sum(gate_counts, GateCounts())
    variable = shots * (
        total.one_qubit * rate_card.cost_1q_gate_shot
        + total.two_qubit * rate_card.cost_2q_gate_shot
    )
    return round(max(rate_card.minimum(error_mitigation=error_mitigation), variable), 6)


def payload_gate_counts(payload: Mapping[str, Any]) -> list[GateCounts]:
    """The gate counts of each circuit of a job-creation payload (single or multi-circuit).

    Args:
        payload (Mapping[str, Any]): the body of ``POST /jobs``

    Returns:
        list[GateCounts]: one entry per circuit, in circuit order
    """
    job_input = payload.get("input") or {}
    if "circuits" in job_input:
        return [count_gates(c.get("circuit") or []) for c in job_input["circuits"]]
    return [count_gates(job_input.get("circuit") or [])]


def estimate_payload_cost(
    payload: Mapping[str, Any], *, rate_card: RateCard = DEFAULT_RATE_CARD
) -> float:
    """Estimate the price of a ``POST /jobs`` payload before submitting it.

    Args:
        payload (Mapping[str, Any]): the job-creation body (``backend``, ``shots``, ``input``,
            ``settings.error_mitigation.debiasing``)
        rate_card (RateCard): the prices to apply

    Returns:
        float: the estimated cost in ``rate_card.currency``

    **Example**

    >>> estimate_payload_cost({"backend": "simulator", "input": {"circuit": []}})
    0.0
    """
    settings = payload.get("settings") or {}
    mitigation = settings.get("error_mitigation") or {}
    return estimate_cost(
        backend=str(payload.get("backend", "simulator")),
        shots=int(payload.get("shots") or 100),
        gate_counts=payload_gate_counts(payload),
        error_mitigation=bool(mitigation.get("debiasing", False)),
        rate_card=rate_card,
    )
