"""The options of ``qnative.ionq``: one frozen dataclass, validated once, before anything runs.

Every keyword of the device (pennylane-ionq's and ours) is a field; ``__post_init__`` checks
them all and raises :class:`~.ConfigurationError` naming the option, the value and what is
allowed. The device builds its cache, budget and job manager from these options and never
changes them (use :func:`dataclasses.replace` for a variant).

**Example**

>>> from pennylane_qnative.devices.ionq_options import IonQOptions
>>> options = IonQOptions(target="qpu.aria-1", gateset="native", shots_policy="skip")
>>> options.backend.qubits, options.gateset.value, options.entangler
(25, 'native', 'ms')
>>> IonQOptions(noise_seed=0)
Traceback (most recent call last):
...
pennylane_qnative.exceptions.ConfigurationError: noise_seed must be in [1, 2**31 - 1], got 0.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from enum import StrEnum
from pathlib import Path
from typing import Any

from pennylane_qnative.exceptions import ConfigurationError
from pennylane_qnative.execution.cache import QuantumCircuitCache
from pennylane_qnative.execution.session import SessionRequest
from pennylane_qnative.ionq import PollPolicy, RetryPolicy
from pennylane_qnative.ionq.backends import (
    MAX_CIRCUITS_PER_JOB,
    MAX_NOISE_SEED,
    NOISE_MODELS,
    BackendInfo,
    backend_info,
)
from pennylane_qnative.ionq.models import Gateset
from pennylane_qnative.ionq.pricing import DEFAULT_RATE_CARD, RateCard
from pennylane_qnative.ionq.sessions import SessionLimits
from pennylane_qnative.ionq.urls import check_api_url, redact_url

__all__ = ["IonQOptions", "ShotsReuse"]


class ShotsReuse(StrEnum):
    """Whether a finite-shot result already paid for is served from the cache."""

    REUSE = "reuse"
    SKIP = "skip"


@dataclass(frozen=True, kw_only=True, slots=True)
class IonQOptions:
    """Everything ``qnative.ionq`` is configured with (see :class:`~.IonQDevice`).

    ``shots_policy`` is the device's ``cache_finite_shots`` keyword. ``api_key`` is never shown
    in the ``repr``.

    Raises:
        ConfigurationError: for an invalid value, naming the option
    """

    target: str = "simulator"
    gateset: Gateset = Gateset.QIS
    noise_model: str | None = None
    noise_seed: int | None = None
    error_mitigation: Mapping[str, Any] | None = None
    sharpen: bool | None = None
    compilation: Mapping[str, Any] | None = None
    job_name: str | None = None
    metadata: Mapping[str, str] = field(default_factory=dict)
    api_key: str | None = field(default=None, repr=False)
    timeout: float | None = None
    max_retries: int | None = None
    retry_delay: float | None = None
    dry_run: bool = False
    api_url: str | None = None
    seed: int | None = None
    cache: bool | QuantumCircuitCache = True
    cache_path: str | Path | None = None
    shots_policy: ShotsReuse = ShotsReuse.SKIP
    journal_path: str | Path | None = None
    budget_usd: float | None = None
    max_circuits_per_job: int = MAX_CIRCUITS_PER_JOB
    max_concurrent_jobs: int = 8
    poll_policy: PollPolicy | None = None
    rate_card: RateCard = DEFAULT_RATE_CARD
    session: bool | Mapping[str, Any] | str | None = None
    run_id: str | None = None

    def __post_init__(self) -> None:
        set_ = object.__setattr__
        set_(self, "target", backend_info(self.target).name)
        set_(self, "gateset", _enum(Gateset, "gateset", self.gateset))
        set_(self, "shots_policy", _enum(ShotsReuse, "cache_finite_shots", self.shots_policy))
        self._check_service()
        self._check_job()
        self._check_limits()
        self._check_session()
        set_(self, "metadata", dict(self.metadata or {}))

    def __repr__(self) -> str:
        """The fields shown by the dataclass, ``api_url`` redacted, ``api_key`` never."""
        values = {f.name: getattr(self, f.name) for f in fields(self) if f.repr}
        values["api_url"] = redact_url(values["api_url"])
        return f"IonQOptions({', '.join(f'{k}={v!r}' for k, v in values.items())})"

    def _check_service(self) -> None:
        key = self.api_key
        _need(
            key is None or (isinstance(key, str) and bool(key.strip())),
            "api_key", f"<{type(key).__name__}>", "a non-empty string or None",
        )  # fmt: skip
        check_api_url(self.api_url)
        _need(
            self.noise_model is None or self.noise_model in NOISE_MODELS,
            "noise_model", self.noise_model, f"None or one of {sorted(NOISE_MODELS)}",
        )  # fmt: skip
        seed = self.noise_seed
        ok = seed is None or (_is_int(seed) and 1 <= seed <= MAX_NOISE_SEED)
        _need(ok, "noise_seed", seed, "in [1, 2**31 - 1]")
        for name in ("error_mitigation", "compilation"):
            value = getattr(self, name)
            _need(value is None or isinstance(value, Mapping), name, value, "a dict or None")
        _need(self.sharpen in (None, True, False), "sharpen", self.sharpen, "True, False or None")
        _need(self.dry_run in (True, False), "dry_run", self.dry_run, "True or False")
        _need(isinstance(self.rate_card, RateCard), "rate_card", self.rate_card, "a RateCard")

    def _check_job(self) -> None:
        name = self.job_name
        _need(name is None or isinstance(name, str), "job_name", name, "a string or None")
        meta = self.metadata
        ok = meta is None or (
            isinstance(meta, Mapping)
            and all(isinstance(k, str) and isinstance(v, str) for k, v in meta.items())
        )
        _need(ok, "metadata", meta, "a dict of strings to strings (IonQ's rule)")
        _number("seed", self.seed, low=0, integer=True)
        cache = self.cache
        ok = cache in (True, False, None) or isinstance(cache, QuantumCircuitCache)
        _need(ok, "cache", cache, "True, False or a QuantumCircuitCache")
        _number("budget_usd", self.budget_usd, low=0)
        run = self.run_id
        ok = run is None or (isinstance(run, str) and bool(run.strip()))
        _need(ok, "run_id", run, "a non-empty string or None")

    def _check_limits(self) -> None:
        _number("timeout", self.timeout, low=1e-9)
        _number("max_retries", self.max_retries, low=0, integer=True)
        _number("retry_delay", self.retry_delay, low=0)
        jobs = self.max_circuits_per_job
        _number("max_circuits_per_job", jobs, low=1, integer=True, optional=False)
        ok = jobs <= MAX_CIRCUITS_PER_JOB
        _need(ok, "max_circuits_per_job", jobs, f"at most {MAX_CIRCUITS_PER_JOB:,} (IonQ's limit)")
        concurrent = self.max_concurrent_jobs
        _number("max_concurrent_jobs", concurrent, low=1, integer=True, optional=False)
        poll = self.poll_policy
        ok = poll is None or isinstance(poll, PollPolicy)
        _need(ok, "poll_policy", poll, "a PollPolicy or None")

    def device_kwargs(self) -> dict[str, Any]:
        """The device keywords these options came from (``shots_policy`` is
        ``cache_finite_shots``)."""
        kwargs = {f.name: getattr(self, f.name) for f in fields(self)}
        kwargs["cache_finite_shots"] = kwargs.pop("shots_policy").value
        kwargs["gateset"] = self.gateset.value
        return kwargs

    def _check_session(self) -> None:
        value = self.session
        if isinstance(value, Mapping):
            try:
                SessionLimits.from_mapping(value)
            except ConfigurationError as error:
                raise ConfigurationError(f"session: {error.message}") from None
            object.__setattr__(self, "session", dict(value))
            return
        ok = value in (None, True, False) or (isinstance(value, str) and bool(value.strip()))
        allowed = (
            "True, False, None, a session id, or a dict of limits "
            "{'max_jobs', 'max_cost_usd', 'max_minutes'}"
        )
        _need(ok, "session", value, allowed)

    # --- what the options imply ---------------------------------------------------------

    @property
    def session_request(self) -> SessionRequest | None:
        """The IonQ session to run in (``None``: jobs are queued one by one)."""
        value = self.session
        if value is None or value is False:
            return None
        if isinstance(value, str):
            return SessionRequest(join=value.strip())
        limits = SessionLimits.from_mapping(value) if isinstance(value, Mapping) else None
        return SessionRequest(limits=limits or SessionLimits())

    @property
    def backend(self) -> BackendInfo:
        """The target's qubits, gate sets and entangler."""
        return backend_info(self.target)

    @property
    def entangler(self) -> str:
        """The target's native two-qubit gate (``"ms"`` or ``"zz"``)."""
        return self.backend.native_entangler

    @property
    def exact(self) -> bool:
        """Whether results are exact probabilities (the ideal simulator)."""
        return self.backend.is_simulator and self.noise_model in (None, "ideal")

    @property
    def retry(self) -> RetryPolicy | None:
        """The request retry policy of ``max_retries`` and ``retry_delay`` (``None``: default)."""
        if self.max_retries is None and self.retry_delay is None:
            return None
        defaults = RetryPolicy()
        return RetryPolicy(
            max_retries=defaults.max_retries if self.max_retries is None else self.max_retries,
            base_delay=defaults.base_delay if self.retry_delay is None else self.retry_delay,
        )

    @property
    def noise(self) -> dict[str, Any] | None:
        """The jobs' ``noise`` field."""
        return (
            None
            if self.noise_model is None
            else {"model": self.noise_model, "seed": self.noise_seed}
        )

    @property
    def job_settings(self) -> dict[str, Any] | None:
        """The jobs' ``settings`` field (error mitigation and compilation)."""
        settings = {
            key: dict(value)
            for key, value in (
                ("error_mitigation", self.error_mitigation),
                ("compilation", self.compilation),
            )
            if value
        }
        return settings or None


def _need(ok: bool, name: str, value: Any, allowed: str) -> None:
    if not ok:
        raise ConfigurationError(f"{name} must be {allowed}, got {value!r}.")


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _number(
    name: str, value: Any, *, low: float, integer: bool = False, optional: bool = True
) -> None:
    if value is None and optional:
        return
    kind = int if integer else (int, float)
    ok = isinstance(value, kind) and not isinstance(value, bool) and value >= low
    _need(ok and math.isfinite(value), name, value, f"a number >= {low}" + " (integer)" * integer)


def _enum(cls: type[StrEnum], name: str, value: Any) -> Any:
    try:
        return cls(value)
    except ValueError:
        allowed = " or ".join(repr(m.value) for m in cls)
        raise ConfigurationError(f"{name} must be {allowed}, got {value!r}.") from None
