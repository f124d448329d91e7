"""Backoff schedules: request retries and job polling (pure functions, seedable jitter).

* :class:`RetryPolicy` / :func:`retry_delay` / :class:`RetryState` — whether and how long to wait
  before retrying a request that hit 429, 5xx, 520-529 or a broken connection: exponential
  backoff with full jitter, ``Retry-After`` honoured up to ``retry_after_cap``, retried until
  ``max_retries`` retries were made or ``outage_s`` seconds passed since the first failure
  (whichever comes first), and never past the call's deadline
  (:mod:`pennylane_qnative.ionq.deadline`).
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
>>> retry_delay(policy, attempt=0, rng=random.Random(0), retry_after=600.0)  # the cap: 60 s
60.0
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
    "RetryState",
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

    A failed request is retried while *both* limits allow it: fewer than ``max_retries``
    retries were made (``None``: no count limit) and less than ``outage_s`` seconds passed
    since its first failure. The deadline of the call (``timeout=``) bounds both: a retry that
    could not start before it is not made (:class:`~.JobTimeoutError`). With the defaults a
    request rides out a 60 s outage of the service.

    Args:
        max_retries (int | None): most retries after the first attempt (0: never retry;
            ``None``: as many as ``outage_s`` allows)
        base_delay (float): seconds before the first retry (before jitter)
        multiplier (float): growth of the delay per retry
        max_delay (float): cap of one backoff delay
        retry_after_cap (float): the longest server ``Retry-After`` honoured, seconds (a
            longer one is waited for this long)
        outage_s (float): seconds after a request's first failure during which it is retried

    Raises:
        ConfigurationError: on a negative value or ``multiplier < 1``
    """

    max_retries: int | None = None
    base_delay: float = 0.1
    multiplier: float = 2.0
    max_delay: float = 10.0
    retry_after_cap: float = 60.0
    outage_s: float = 60.0

    def __post_init__(self) -> None:
        _check_positive(
            "RetryPolicy",
            base_delay=self.base_delay,
            max_delay=self.max_delay,
            retry_after_cap=self.retry_after_cap,
            outage_s=self.outage_s,
        )
        count = self.max_retries
        if count is not None and (
            isinstance(count, bool) or not isinstance(count, int) or count < 0
        ):
            raise ConfigurationError(
                f"RetryPolicy.max_retries must be an int >= 0 or None, got {count!r}."
            )
        if not isinstance(self.multiplier, int | float) or not self.multiplier >= 1:
            raise ConfigurationError(
                f"RetryPolicy.multiplier must be a number >= 1, got {self.multiplier!r}."
            )


def retry_delay(
    policy: RetryPolicy, *, attempt: int, rng: random.Random, retry_after: float | None = None
) -> float:
    """Seconds to wait before retry number ``attempt + 1``.

    Full jitter (``U(0, base * multiplier**attempt)`` capped at ``max_delay``, AWS style) so
    that many clients hit by the same outage do not retry in lockstep; a ``Retry-After`` from
    the server is a floor, itself capped at ``retry_after_cap``.

    Args:
        policy (RetryPolicy): the policy
        attempt (int): retries already made (0 for the first retry)
        rng (random.Random): the jitter source (seedable)
        retry_after (float | None): the server's ``Retry-After`` in seconds

    Returns:
        float: the delay, in ``[0, max(max_delay, retry_after_cap)]``
    """
    ceiling = min(policy.max_delay, policy.base_delay * policy.multiplier ** min(attempt, 64))
    delay = rng.uniform(0.0, ceiling)
    if retry_after is not None:
        delay = max(delay, min(retry_after, policy.retry_after_cap))
    return delay


class RetryState:
    """The retries of one request under a :class:`RetryPolicy` (counts and the outage clock).

    The time since the first failure is the larger of the wall-clock time and the sum of the
    delays handed out, so the window closes even where sleeping is simulated.

    Args:
        policy (RetryPolicy): the policy
        rng (random.Random): the jitter source

    >>> state = RetryState(RetryPolicy(max_retries=2, base_delay=0.0), random.Random(0))
    >>> [state.next_delay(), state.next_delay(), state.next_delay()]
    [0.0, 0.0, None]
    """

    __slots__ = ("_first", "_rng", "_slept", "policy", "retries")

    def __init__(self, policy: RetryPolicy, rng: random.Random) -> None:
        self.policy = policy
        self._rng = rng
        self.retries = 0
        self._first: float | None = None
        self._slept = 0.0

    def next_delay(self, retry_after: float | None = None) -> float | None:
        """After a failure: the delay before the next retry, or ``None`` when none is left."""
        now = time.monotonic()
        if self._first is None:
            self._first = now
        policy = self.policy
        if policy.max_retries is not None and self.retries >= policy.max_retries:
            return None
        if max(now - self._first, self._slept) >= policy.outage_s:
            return None
        delay = retry_delay(policy, attempt=self.retries, rng=self._rng, retry_after=retry_after)
        self.retries += 1
        self._slept += delay
        return delay


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
