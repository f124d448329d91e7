"""Fault injection, deterministic by seed.

Every API request (admin endpoints excepted) gets a sequence number; whether it is hit by a
fault is decided by ``numpy.random.default_rng([seed, request_number])``, so a test that sends
the same requests to an emulator started with the same seed sees the same faults. Job failures
are decided once, when the job is created, from ``default_rng([seed, job_sequence])``.

Faults, checked in this order for each request:

* ``reset_rate``: the connection is aborted (TCP reset) before any response;
* ``rate_limit_rate``: ``429`` with ``Retry-After: retry_after_s``, followed by
  ``rate_limit_burst - 1`` more 429s for the next requests;
* ``error_rate``: a 5xx status drawn from ``error_codes``; a fraction ``non_json_rate`` of them
  carry an HTML body (as Cloudflare does) instead of ``{error, message, statusCode}``;
* ``slow_rate``: the response is delayed by ``slow_s`` seconds.

Jobs: ``failure_rate`` of jobs end ``failed`` with a code drawn from ``failure_codes``.
``cancel_mode`` says what cancelling a job already in a terminal state does: ``force`` (the
default, contract section 12.1: the answer is ``canceled``, the only value the OpenAPI schema
allows, and a completed job keeps its results retrievable), ``noop`` (answer its current status:
a compatibility option) or ``reject`` (``409``). Faults apply to the methods in ``methods``
(default: all).

**Example**

>>> from pennylane_qnative.emulator.faults import FaultConfig, FaultInjector
>>> injector = FaultInjector(FaultConfig(error_rate=1.0, error_codes=(503,)), seed=7)
>>> injector.decide("GET").status
503
"""

from __future__ import annotations

import math
import threading
from dataclasses import asdict, dataclass, field, fields, replace
from enum import StrEnum
from typing import Any

import numpy as np

from pennylane_qnative.exceptions import ConfigurationError

__all__ = ["CancelMode", "FaultConfig", "FaultDecision", "FaultInjector", "job_failure"]

FAILURE_CODES = (
    "InvalidInput",
    "CompilationError",
    "ContractExpiredError",
    "DebiasingError",
    "InternalError",
    "NotEnoughQubits",
    "OptimizationError",
    "PreflightError",
    "QuantumCircuitComplexityError",
    "QuantumComputerError",
    "QuotaExhaustedError",
    "SimulationError",
    "SimulationTimeout",
    "SystemCancel",
    "TooLongPredictedExecutionTime",
    "TooManyControls",
    "TooManyGates",
    "TooManyShots",
    "UnknownBillingError",
    "UnsupportedGate",
    "BillingError",
)
"""IonQ's ``failure.code`` values (contract section 4.2)."""


class CancelMode(StrEnum):
    """What cancelling a job that already ended does."""

    NOOP = "noop"
    FORCE = "force"
    REJECT = "reject"


def _rate(name: str, value: float) -> None:
    if not 0.0 <= value <= 1.0:
        raise ConfigurationError(f"FaultConfig.{name} must be in [0, 1], got {value!r}.")


@dataclass(frozen=True, kw_only=True, slots=True)
class FaultConfig:
    """Which faults to inject, and how often (rates are probabilities per request or per job).

    Raises:
        ConfigurationError: if a rate is outside [0, 1], a code is unknown or a delay negative
    """

    failure_rate: float = 0.0
    failure_codes: tuple[str, ...] = ("InternalError",)
    rate_limit_rate: float = 0.0
    rate_limit_burst: int = 1
    retry_after_s: float = 1.0
    error_rate: float = 0.0
    error_codes: tuple[int, ...] = (500, 502, 503)
    non_json_rate: float = 0.0
    reset_rate: float = 0.0
    slow_rate: float = 0.0
    slow_s: float = 0.5
    cancel_mode: CancelMode = CancelMode.FORCE
    methods: tuple[str, ...] = field(default=("GET", "POST", "PUT", "DELETE"))

    def __post_init__(self) -> None:
        for name in ("failure_rate", "rate_limit_rate", "error_rate", "non_json_rate"):
            _rate(name, getattr(self, name))
        _rate("reset_rate", self.reset_rate)
        _rate("slow_rate", self.slow_rate)
        unknown = set(self.failure_codes) - set(FAILURE_CODES)
        if unknown or not self.failure_codes:
            raise ConfigurationError(
                f"FaultConfig.failure_codes has unknown codes {sorted(unknown)}; "
                f"use some of {FAILURE_CODES}."
            )
        if not self.error_codes or any(not 500 <= c <= 599 for c in self.error_codes):
            raise ConfigurationError(
                f"FaultConfig.error_codes must be 5xx statuses, got {self.error_codes!r}."
            )
        delays = (self.retry_after_s, self.slow_s)
        if not (self.rate_limit_burst >= 1 and all(0 <= d < math.inf for d in delays)):
            raise ConfigurationError(
                "FaultConfig needs rate_limit_burst >= 1, retry_after_s >= 0 and slow_s >= 0, "
                f"got {self.rate_limit_burst}, {self.retry_after_s}, {self.slow_s}."
            )
        object.__setattr__(self, "cancel_mode", CancelMode(self.cancel_mode))

    @property
    def injects_request_faults(self) -> bool:
        """Whether any per-request fault can fire (if not, no random draw is made)."""
        return any((self.reset_rate, self.rate_limit_rate, self.error_rate, self.slow_rate))

    def to_json(self) -> dict[str, Any]:
        """The configuration as the admin endpoint reports it."""
        data = asdict(self)
        data["cancel_mode"] = str(self.cancel_mode)
        return {k: list(v) if isinstance(v, tuple) else v for k, v in data.items()}

    def updated(self, changes: dict[str, Any]) -> FaultConfig:
        """A copy with ``changes`` applied (unknown keys raise, lists become tuples).

        Raises:
            ConfigurationError: on an unknown key or an invalid value
        """
        known = {f.name for f in fields(self)}
        unknown = set(changes) - known
        if unknown:
            raise ConfigurationError(
                f"unknown fault settings {sorted(unknown)}; known: {sorted(known)}."
            )
        clean = {k: tuple(v) if isinstance(v, list) else v for k, v in changes.items()}
        try:
            return replace(self, **clean)
        except TypeError as error:
            raise ConfigurationError(f"invalid fault settings {changes!r}: {error}") from error


@dataclass(frozen=True, kw_only=True, slots=True)
class FaultDecision:
    """What to do to one request (all falsy: serve it normally)."""

    reset: bool = False
    status: int | None = None
    retry_after_s: float | None = None
    non_json: bool = False
    delay_s: float = 0.0


_NO_FAULT = FaultDecision()


class FaultInjector:
    """Holds the live :class:`FaultConfig` and decides, request by request, what to inject.

    Args:
        config (FaultConfig): the initial configuration
        seed (int): the emulator's seed
    """

    def __init__(self, config: FaultConfig, *, seed: int) -> None:
        self.config = config
        self.seed = seed
        self.requests = 0
        self.injected: dict[str, int] = {}
        self._burst_left = 0
        self._lock = threading.Lock()

    def _count(self, kind: str) -> None:
        self.injected[kind] = self.injected.get(kind, 0) + 1

    def decide(self, method: str) -> FaultDecision:
        """Decide the fault (if any) for the next request.

        Args:
            method (str): the HTTP method of the request

        Returns:
            FaultDecision: what to inject
        """
        with self._lock:
            self.requests += 1
            config = self.config
            if method.upper() not in config.methods or not (
                self._burst_left or config.injects_request_faults
            ):
                return _NO_FAULT
            draws = np.random.default_rng([self.seed, self.requests]).random(5)
            if draws[0] < config.reset_rate:
                self._count("reset")
                return FaultDecision(reset=True)
            if self._burst_left > 0 or draws[1] < config.rate_limit_rate:
                self._burst_left = (self._burst_left or config.rate_limit_burst) - 1
                self._count("429")
                return FaultDecision(status=429, retry_after_s=config.retry_after_s)
            if draws[2] < config.error_rate:
                status = config.error_codes[int(draws[3] * len(config.error_codes))]
                self._count(str(status))
                return FaultDecision(status=status, non_json=draws[4] < config.non_json_rate)
            if draws[4] < config.slow_rate:
                self._count("slow")
                return FaultDecision(delay_s=config.slow_s)
            return FaultDecision()


def job_failure(config: FaultConfig, *, seed: int, sequence: int) -> str | None:
    """The failure code a new job is doomed to, or ``None`` if it will complete.

    Args:
        config (FaultConfig): the live configuration
        seed (int): the emulator's seed
        sequence (int): the job's sequence number (1 for the first job ever created)

    Returns:
        str | None: an IonQ failure code, or ``None``
    """
    draws = np.random.default_rng([seed, sequence, 0xFA11]).random(2)
    if draws[0] >= config.failure_rate:
        return None
    return config.failure_codes[int(draws[1] * len(config.failure_codes))]
