"""Tests for pennylane_qnative.execution.budget."""

from __future__ import annotations

import math
import threading

import pytest

from pennylane_qnative.exceptions import BudgetExceededError, ConfigurationError
from pennylane_qnative.execution.budget import BudgetGuard


class TestLimit:
    """Construction and the remaining amount."""

    def test_no_limit_counts_spending(self):
        """Without a limit nothing is refused and spending is still counted."""
        guard = BudgetGuard()
        guard.charge(1e9)
        assert guard.remaining == math.inf
        assert guard.spent_usd == 1e9

    @pytest.mark.parametrize(
        "limit",
        [
            pytest.param(-1.0, id="negative"),
            pytest.param(math.nan, id="nan"),
            pytest.param(math.inf, id="inf"),
            pytest.param("10", id="string"),
        ],
    )
    def test_invalid_limit(self, limit):
        """An invalid limit raises ConfigurationError naming budget_usd."""
        with pytest.raises(ConfigurationError, match="budget_usd"):
            BudgetGuard(limit)

    def test_zero_limit_refuses_any_cost(self):
        """A zero budget allows free batches only."""
        guard = BudgetGuard(0)
        guard.charge(0.0)
        with pytest.raises(BudgetExceededError):
            guard.charge(0.01)

    def test_remaining_never_negative(self):
        """Settling above the limit leaves zero remaining, not a negative amount."""
        guard = BudgetGuard(10.0)
        guard.charge(9.0)
        guard.settle(9.0, 12.0)
        assert guard.spent_usd == pytest.approx(12.0)
        assert guard.remaining == 0.0


class TestCharge:
    """charge commits an estimate or refuses it whole."""

    def test_charge_within_budget(self):
        """Charges add up to the spent amount."""
        guard = BudgetGuard(10.0)
        guard.charge(4.0)
        guard.charge(6.0)
        assert guard.spent_usd == pytest.approx(10.0)
        assert guard.remaining == pytest.approx(0.0)

    def test_refusal_carries_amounts_and_commits_nothing(self):
        """BudgetExceededError carries spent, remaining and needed; nothing is committed."""
        guard = BudgetGuard(10.0)
        guard.charge(4.0)
        with pytest.raises(BudgetExceededError) as info:
            guard.charge(7.5)
        error = info.value
        assert (error.spent_usd, error.remaining_usd, error.needed_usd) == (4.0, 6.0, 7.5)
        assert "$7.50" in str(error)
        assert "$6.00" in str(error)
        assert guard.spent_usd == 4.0

    def test_settle_replaces_estimate_by_bill(self):
        """settle swaps a committed estimate for the billed amount."""
        guard = BudgetGuard(10.0)
        guard.charge(5.0)
        guard.settle(5.0, 3.0)
        assert guard.spent_usd == pytest.approx(3.0)
        assert guard.remaining == pytest.approx(7.0)

    def test_concurrent_charges_never_overspend(self):
        """Threads charging at once commit exactly the limit and no more."""
        guard = BudgetGuard(250.0)
        refused = []
        lock = threading.Lock()

        def spend():
            for _ in range(100):
                try:
                    guard.charge(1.0)
                except BudgetExceededError:
                    with lock:
                        refused.append(1)

        threads = [threading.Thread(target=spend) for _ in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert guard.spent_usd == 250.0
        assert len(refused) == 800 - 250
