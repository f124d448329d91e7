"""Tests of deterministic fault injection (pennylane_qnative.emulator.faults)."""

from __future__ import annotations

import pytest

from pennylane_qnative.emulator.faults import CancelMode, FaultConfig, FaultInjector, job_failure
from pennylane_qnative.exceptions import ConfigurationError


def run(config: FaultConfig, n: int = 200, seed: int = 5, method: str = "GET"):
    """The decisions for n requests."""
    injector = FaultInjector(config, seed=seed)
    return [injector.decide(method) for _ in range(n)], injector


class TestDecisions:
    """Per-request decisions."""

    def test_no_faults_by_default(self):
        """The default configuration injects nothing."""
        decisions, injector = run(FaultConfig())
        assert all(d.status is None and not d.reset and not d.delay_s for d in decisions)
        assert injector.injected == {}

    def test_deterministic_by_seed(self):
        """Same seed, same faults; another seed, other faults."""
        config = FaultConfig(error_rate=0.3, rate_limit_rate=0.1)
        a, _ = run(config, seed=1)
        b, _ = run(config, seed=1)
        c, _ = run(config, seed=2)
        assert a == b
        assert a != c

    @pytest.mark.parametrize(
        ("config", "check"),
        [
            pytest.param(FaultConfig(reset_rate=1.0), lambda d: d.reset, id="reset"),
            pytest.param(
                FaultConfig(rate_limit_rate=1.0, retry_after_s=2.5),
                lambda d: d.status == 429 and d.retry_after_s == 2.5,
                id="429",
            ),
            pytest.param(
                FaultConfig(error_rate=1.0, error_codes=(502,), non_json_rate=1.0),
                lambda d: d.status == 502 and d.non_json,
                id="502-html",
            ),
            pytest.param(
                FaultConfig(slow_rate=1.0, slow_s=0.25), lambda d: d.delay_s == 0.25, id="slow"
            ),
        ],
    )
    def test_rate_one_always_fires(self, config, check):
        """A rate of 1 hits every request."""
        decisions, _ = run(config, n=20)
        assert all(check(d) for d in decisions)

    def test_rate_is_respected_statistically(self):
        """About error_rate of the requests fail (binomial 5-sigma bound)."""
        decisions, injector = run(FaultConfig(error_rate=0.2), n=2000)
        hits = sum(d.status is not None for d in decisions)
        assert abs(hits - 400) < 5 * (2000 * 0.2 * 0.8) ** 0.5
        assert sum(injector.injected.values()) == hits

    def test_burst(self):
        """A 429 is followed by burst-1 more 429s."""
        injector = FaultInjector(FaultConfig(rate_limit_rate=1.0, rate_limit_burst=3), seed=0)
        first = injector.decide("GET")
        injector.config = FaultConfig()
        following = [injector.decide("GET").status for _ in range(4)]
        assert first.status == 429
        assert following == [429, 429, None, None]

    def test_methods_filter(self):
        """Faults only hit the listed methods (the request is still counted)."""
        config = FaultConfig(error_rate=1.0, methods=("POST",))
        decisions, injector = run(config, n=5, method="GET")
        assert all(d.status is None for d in decisions)
        assert injector.requests == 5


class TestJobFailure:
    """Job failures decided at creation."""

    def test_deterministic_and_rate(self):
        """Same (seed, sequence) gives the same answer; the rate holds."""
        config = FaultConfig(failure_rate=0.25, failure_codes=("SimulationError", "InternalError"))
        outcomes = [job_failure(config, seed=3, sequence=s) for s in range(1, 2001)]
        again = [job_failure(config, seed=3, sequence=s) for s in range(1, 2001)]
        assert outcomes == again
        failed = [o for o in outcomes if o]
        assert abs(len(failed) - 500) < 5 * (2000 * 0.25 * 0.75) ** 0.5
        assert set(failed) == {"SimulationError", "InternalError"}

    def test_zero_rate(self):
        """No failure at rate 0."""
        assert job_failure(FaultConfig(), seed=0, sequence=1) is None


class TestConfig:
    """Validation and updates of FaultConfig."""

    @pytest.mark.parametrize(
        ("changes", "match"),
        [
            pytest.param({"error_rate": 1.5}, "error_rate", id="rate"),
            pytest.param({"failure_codes": ("Nope",)}, "failure_codes", id="code"),
            pytest.param({"error_codes": (404,)}, "error_codes", id="status"),
            pytest.param({"rate_limit_burst": 0}, "rate_limit_burst", id="burst"),
            pytest.param({"cancel_mode": "maybe"}, "maybe", id="cancel-mode"),
            pytest.param({"bogus": 1}, "bogus", id="unknown-key"),
        ],
    )
    def test_invalid_updates(self, changes, match):
        """Invalid values raise ConfigurationError (ValueError)."""
        with pytest.raises(ValueError, match=match):
            FaultConfig().updated(changes)

    def test_update_and_json_roundtrip(self):
        """updated() accepts JSON lists; to_json() gives them back."""
        config = FaultConfig().updated({"error_codes": [503], "cancel_mode": "force"})
        assert config.error_codes == (503,)
        assert config.cancel_mode is CancelMode.FORCE
        assert FaultConfig().updated(config.to_json()) == config

    def test_configuration_error_type(self):
        """Errors are the project's ConfigurationError."""
        with pytest.raises(ConfigurationError):
            FaultConfig(slow_rate=-0.1)
