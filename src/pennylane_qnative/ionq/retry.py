"""Backoff schedules: request retries and job polling (pure functions, seedable jitter).

* :class:`RetryPolicy` / :func:`retry_delay` — how long to wait before retrying a request that
  hit 429, 5xx, 520-529 or a broken connection (exponential with full jitter, ``Retry-After``
  honoured, capped).
* :class:`PollPolicy` / :func:`poll_delay` — how long to wait before asking for a job's status
  again: until the job's *predicted* completion when the service predicts one, then a short
  geometric backoff; never less than ``min_interval`` (no busy loop).

**Example**

>>> import random
>>> policy = RetryPolicy(base_delay=0.5, max_delay=4.0)
>>> 0.0 <= retry_delay(policy, attempt=3, rng=random.Random(0)) <= 4.0
True
>>> retry_delay(policy, attempt=0, rng=random.Random(0), retry_after=2.0)
2.0
>>> poll_delay(PollPolicy(), elapsed=0.1, predicted_total=1.0, overdue_polls=0)
0.904
"""

from __future__ import annotations

import email.utils
import math
import random
import time
from dataclasses import dataclass

from pennylane_qnative.exceptions import ConfigurationError

__all__ = [
    "RETRYABLE_STATUSES",
    "PollPolicy",
    "RetryPolicy",
    "is_retryable_status",
    "parse_retry_after",
    "poll_delay",
    "retry_delay",
]

RETRYABLE_STATUSES = frozenset({429, 500, 502, 503, 504, *range(520, 530)})
"""Statuses worth retrying on an idempotent request (409 too, on GET only)."""


def is_retryable_status(status: int, method: str) -> bool:
    """Whether a response with ``status`` to ``method`` may be retried as it is.

    Args:
        status (int): the HTTP status
        method (str): the HTTP method (409 is retried on ``GET`` only)

    >>> is_retryable_status(503, "GET"), is_retryable_status(409, "PUT")
    (True, False)
    """
    return status in RETRYABLE_STATUSES or (status == 409 and method.upper() == "GET")


def _check_positive(owner: str, **values: float) -> None:
    for name, value in values.items():
        if not isinstance(value, int | float) or not math.isfinite(value) or value < 0:
            raise ConfigurationError(f"{owner}.{name} must be a finite number >= 0, got {value!r}.")


@dataclass(frozen=True, kw_only=True, slots=True)
class RetryPolicy:
    """How requests are retried.

    Args:
        max_retries (int): retries after the first attempt (0: never retry)
        base_delay (float): seconds before the first retry (before jitter)
        multiplier (float): growth of the delay per retry
        max_delay (float): cap of one delay, ``Retry-After`` included

    Raises:
        ConfigurationError: on a negative value or ``multiplier < 1``
    """

    max_retries: int = 6
    base_delay: float = 0.1
    multiplier: float = 2.0
    max_delay: float = 10.0

    def __post_init__(self) -> None:
        _check_positive(
            "RetryPolicy",
            max_retries=self.max_retries,
            base_delay=self.base_delay,
            max_delay=self.max_delay,
        )
        if not isinstance(self.max_retries, int) or self.multiplier < 1:
            raise ConfigurationError(
                "RetryPolicy needs an int max_retries and multiplier >= 1, got "
                f"{self.max_retries!r} and {self.multiplier!r}."
            )


def retry_delay(
    policy: RetryPolicy, *, attempt: int, rng: random.Random, retry_after: float | None = None
) -> float:
    """Seconds to wait before retry number ``attempt + 1``.

    Full jitter (``U(0, base * multiplier**attempt)``, AWS style) so that many clients hit by
    the same outage do not retry in lockstep; a ``Retry-After`` from the server is a floor.

    Args:
        policy (RetryPolicy): the policy
        attempt (int): retries already made (0 for the first retry)
        rng (random.Random): the jitter source (seedable)
        retry_after (float | None): the server's ``Retry-After`` in seconds

    Returns:
        float: the delay, in ``[0, policy.max_delay]``
    """
    ceiling = min(policy.max_delay, policy.base_delay * policy.multiplier ** min(attempt, 64))
    delay = rng.uniform(0.0, ceiling)
    if retry_after is not None:
        delay = max(delay, retry_after)
    return min(delay, policy.max_delay)


def parse_retry_after(value: str | None, *, now: float | None = None) -> float | None:
    """``Retry-After`` (seconds or an HTTP date) as seconds from now, or ``None``.

    >>> parse_retry_after("1.5"), parse_retry_after(None), parse_retry_after("soon")
    (1.5, None, None)
    """
    if not value:
        return None
    try:
        seconds = float(value)
    except ValueError:
        try:
            moment = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return None
        seconds = moment.timestamp() - (time.time() if now is None else now)
    return max(0.0, seconds) if math.isfinite(seconds) else None


@dataclass(frozen=True, kw_only=True, slots=True)
class PollPolicy:
    """How a job's status is polled.

    Args:
        margin (float): seconds added to the predicted completion before the next poll
        first_overdue (float): delay of the first poll after the predicted completion passed
        unpredicted (float): first delay when the service predicts nothing
        multiplier (float): growth of the delay per poll past the prediction
        min_interval (float): lower bound of any delay (no busy loop)
        max_interval (float): upper bound of any delay

    Raises:
        ConfigurationError: on a negative value, ``multiplier < 1`` or ``min > max``
    """

    margin: float = 0.004
    first_overdue: float = 0.01
    unpredicted: float = 0.5
    multiplier: float = 1.5
    min_interval: float = 0.01
    max_interval: float = 30.0

    def __post_init__(self) -> None:
        _check_positive(
            "PollPolicy",
            margin=self.margin,
            first_overdue=self.first_overdue,
            unpredicted=self.unpredicted,
            min_interval=self.min_interval,
            max_interval=self.max_interval,
        )
        if self.multiplier < 1 or self.min_interval > self.max_interval or self.min_interval <= 0:
            raise ConfigurationError(
                "PollPolicy needs multiplier >= 1 and 0 < min_interval <= max_interval, got "
                f"{self.multiplier!r}, {self.min_interval!r}, {self.max_interval!r}."
            )


def poll_delay(
    policy: PollPolicy, *, elapsed: float, predicted_total: float | None, overdue_polls: int
) -> float:
    """Seconds to wait before the next status request of a job.

    Before the predicted completion, sleep until it (plus ``margin``); after it, back off
    geometrically from ``first_overdue`` (the prediction was late); without a prediction,
    back off geometrically from ``unpredicted``. Always within ``[min_interval, max_interval]``.

    Args:
        policy (PollPolicy): the policy
        elapsed (float): seconds since the job was submitted
        predicted_total (float | None): predicted seconds from submission to completion
        overdue_polls (int): polls already made past the prediction (or without one)

    Returns:
        float: the delay in seconds
    """
    steps = policy.multiplier ** min(overdue_polls, 64)
    if predicted_total is None:
        delay = policy.unpredicted * steps
    elif elapsed < predicted_total:
        delay = predicted_total - elapsed + policy.margin
    else:
        delay = policy.first_overdue * steps
    return round(min(policy.max_interval, max(policy.min_interval, delay)), 6)
