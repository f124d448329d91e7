"""``BudgetGuard``: refuse a batch that would overspend, before it is submitted.

**Example**

>>> guard = BudgetGuard(10.0)
>>> guard.charge(4.0)
>>> guard.remaining
6.0
>>> try:
...     guard.charge(7.5)
... except BudgetExceededError as error:
...     print(error.needed_usd, error.remaining_usd, error.spent_usd)
7.5 6.0 4.0
"""

from __future__ import annotations

import math
import threading
from typing import Any

from pennylane_qnative.exceptions import BudgetExceededError, ConfigurationError

__all__ = ["BudgetGuard"]


class BudgetGuard:
    """A spending limit in USD shared by every batch of a device (thread-safe).

    Args:
        limit_usd (float | None): the budget; ``None`` for no limit (spending is still counted)
    """

    def __init__(self, limit_usd: float | None = None) -> None:
        if limit_usd is not None and not (
            isinstance(limit_usd, int | float) and math.isfinite(limit_usd) and limit_usd >= 0
        ):
            raise ConfigurationError(
                f"budget_usd must be a non-negative number of dollars or None, got {limit_usd!r}."
            )
        self.limit_usd = None if limit_usd is None else float(limit_usd)
        self.spent_usd = 0.0
        self.last_estimate_usd: float | None = None
        """The estimate of the last batch quoted (dry runs included)."""
        self._lock = threading.Lock()

    def __getstate__(self) -> dict[str, Any]:
        """The limit and what was spent (a copy keeps spending from the same total)."""
        with self._lock:
            return {k: v for k, v in vars(self).items() if k != "_lock"}

    def __setstate__(self, state: dict[str, Any]) -> None:
        vars(self).update(state)
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"BudgetGuard(limit_usd={self.limit_usd}, spent_usd={self.spent_usd:.4f})"

    @property
    def remaining(self) -> float:
        """Dollars left (``inf`` without a limit)."""
        if self.limit_usd is None:
            return math.inf
        return max(0.0, self.limit_usd - self.spent_usd)

    def quote(self, estimate_usd: float) -> None:
        """Record the estimate of a batch about to run (or priced by a dry run)."""
        with self._lock:
            self.last_estimate_usd = estimate_usd

    def charge(self, estimate_usd: float) -> None:
        """Commit ``estimate_usd`` or raise :class:`BudgetExceededError` (nothing committed)."""
        with self._lock:
            remaining = self.remaining
            if estimate_usd > remaining + 1e-12:
                raise BudgetExceededError(
                    f"this batch would cost ${estimate_usd:.2f} but only ${remaining:.2f} of the "
                    f"${self.limit_usd:.2f} budget remains (${self.spent_usd:.2f} spent); nothing "
                    "was submitted. Raise budget_usd, reduce shots or circuits, or use the free "
                    "simulator.",
                    spent_usd=self.spent_usd,
                    remaining_usd=remaining,
                    needed_usd=estimate_usd,
                )
            self.spent_usd += estimate_usd

    def settle(self, estimate_usd: float, billed_usd: float) -> None:
        """Replace a committed estimate by the billed amount once the job reports it."""
        with self._lock:
            self.spent_usd += billed_usd - estimate_usd
