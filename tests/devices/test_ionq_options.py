"""Tests for pennylane_qnative.devices.ionq_options (``IonQOptions``, ``ShotsReuse``).

Pure: building options (and a device from them) sends nothing.
"""

from __future__ import annotations

import dataclasses

import pennylane as qp
import pytest

from pennylane_qnative.devices.errors import DeviceConfigurationError
from pennylane_qnative.devices.ionq_options import IonQOptions, ShotsReuse
from pennylane_qnative.exceptions import ConfigurationError
from pennylane_qnative.ionq import PollPolicy, RetryPolicy
from pennylane_qnative.ionq.backends import BACKENDS
from pennylane_qnative.ionq.models import Gateset
from pennylane_qnative.ionq.pricing import RateCard

SECRET = "sk-live-options-0123456789-secret"


@pytest.fixture
def device(tmp_path):
    """A ``qnative.ionq`` device built from options (nothing is sent)."""
    return qp.device(
        "qnative.ionq",
        wires=2,
        target="qpu.forte-1",
        gateset="native",
        noise_model=None,
        job_name="opts",
        metadata={"user": "me"},
        api_key=SECRET,
        api_url="http://127.0.0.1:9/v0.4",
        cache=False,
        cache_finite_shots="skip",
        journal_path=tmp_path / "journal.sqlite",
        seed=4,
    )


class TestFrozen:
    """Options are held once and never change."""

    def test_assignment_raises(self):
        """Assigning a field raises FrozenInstanceError."""
        options = IonQOptions()
        with pytest.raises(dataclasses.FrozenInstanceError):
            options.target = "qpu.aria-1"

    def test_slots(self):
        """No attribute outside the fields can be added."""
        options = IonQOptions()
        assert not hasattr(options, "__dict__")
        with pytest.raises((AttributeError, TypeError)):
            options.extra = 1

    def test_keyword_only(self):
        """Fields are keyword-only."""
        with pytest.raises(TypeError):
            IonQOptions("simulator")

    def test_replace_revalidates(self):
        """dataclasses.replace runs the checks again and normalises again."""
        options = IonQOptions()
        assert dataclasses.replace(options, target="qpu").target == "qpu.aria-1"
        with pytest.raises(ConfigurationError, match="noise_seed"):
            dataclasses.replace(options, noise_seed=0)

    def test_normalised(self):
        """Aliases, enum strings and metadata are normalised once."""
        options = IonQOptions(target="aria-2", gateset="native", shots_policy="skip")
        assert options.target == "qpu.aria-2"
        assert options.gateset is Gateset.NATIVE
        assert options.shots_policy is ShotsReuse.SKIP
        assert options.metadata == {}
        assert ShotsReuse("reuse") == "reuse"


class TestSecret:
    """The API key never shows."""

    def test_not_in_repr_of_options(self):
        """repr(options) omits api_key."""
        options = IonQOptions(api_key=SECRET)
        assert SECRET not in repr(options)
        assert "api_key" not in repr(options)
        assert options.api_key == SECRET

    def test_not_in_repr_of_device(self, device):
        """Neither repr(device) nor repr(device.options) shows the key."""
        assert SECRET not in repr(device)
        assert SECRET not in repr(device.options)
        assert SECRET not in str(device)


class TestValidation:
    """Each invalid value raises ConfigurationError naming the option."""

    @pytest.mark.parametrize(
        ("kwargs", "name"),
        [
            pytest.param({"target": "qpu.nope"}, "target", id="target"),
            pytest.param({"gateset": "clifford"}, "gateset", id="gateset"),
            pytest.param({"noise_model": "harmony-9"}, "noise_model", id="noise-model"),
            pytest.param({"noise_seed": 0}, "noise_seed", id="noise-seed-zero"),
            pytest.param({"noise_seed": 2**31}, "noise_seed", id="noise-seed-big"),
            pytest.param({"noise_seed": True}, "noise_seed", id="noise-seed-bool"),
            pytest.param({"error_mitigation": [1]}, "error_mitigation", id="mitigation"),
            pytest.param({"compilation": "fast"}, "compilation", id="compilation"),
            pytest.param({"sharpen": "yes"}, "sharpen", id="sharpen"),
            pytest.param({"dry_run": "yes"}, "dry_run", id="dry-run"),
            pytest.param({"rate_card": {"cost_1q_gate_shot": 1}}, "rate_card", id="rate-card"),
            pytest.param({"job_name": 3}, "job_name", id="job-name"),
            pytest.param({"metadata": {"n": 1}}, "metadata", id="metadata-value"),
            pytest.param({"metadata": ["a"]}, "metadata", id="metadata-list"),
            pytest.param({"seed": -1}, "seed", id="seed-negative"),
            pytest.param({"seed": 1.5}, "seed", id="seed-float"),
            pytest.param({"cache": "yes"}, "cache", id="cache"),
            pytest.param({"budget_usd": -1.0}, "budget_usd", id="budget"),
            pytest.param({"budget_usd": float("nan")}, "budget_usd", id="budget-nan"),
            pytest.param({"timeout": 0}, "timeout", id="timeout"),
            pytest.param({"max_retries": -1}, "max_retries", id="retries"),
            pytest.param({"retry_delay": -0.1}, "retry_delay", id="retry-delay"),
            pytest.param({"max_circuits_per_job": 0}, "max_circuits_per_job", id="circuits-0"),
            pytest.param({"max_circuits_per_job": 5001}, "max_circuits_per_job", id="circ-api"),
            pytest.param({"max_concurrent_jobs": 0}, "max_concurrent_jobs", id="concurrent"),
            pytest.param({"poll_policy": 1.0}, "poll_policy", id="poll"),
            pytest.param({"shots_policy": "maybe"}, "cache_finite_shots", id="shots-policy"),
        ],
    )
    def test_invalid(self, kwargs, name):
        """The error names the option (shots_policy by its device keyword)."""
        with pytest.raises(ConfigurationError, match=name):
            IonQOptions(**kwargs)

    def test_device_wraps_the_error(self, tmp_path):
        """The device raises DeviceConfigurationError naming the option."""
        with pytest.raises(DeviceConfigurationError, match="max_concurrent_jobs"):
            qp.device(
                "qnative.ionq",
                wires=1,
                api_key="k",
                max_concurrent_jobs=0,
                journal_path=tmp_path / "j.sqlite",
            )

    def test_valid_extremes(self):
        """Boundary values are accepted."""
        options = IonQOptions(
            noise_seed=2**31 - 1,
            max_circuits_per_job=5000,
            max_retries=0,
            retry_delay=0,
            budget_usd=0,
            seed=0,
            poll_policy=PollPolicy(),
            sharpen=False,
        )
        assert options.max_circuits_per_job == 5000


class TestDerived:
    """What the options imply."""

    @pytest.mark.parametrize("target", sorted(BACKENDS))
    def test_backend_and_entangler(self, target):
        """backend is the target's BackendInfo and entangler its native gate."""
        options = IonQOptions(target=target)
        assert options.backend == BACKENDS[target]
        assert options.entangler == BACKENDS[target].native_entangler
        assert options.entangler == ("zz" if "forte" in target else "ms")

    @pytest.mark.parametrize(
        ("kwargs", "exact"),
        [
            pytest.param({}, True, id="ideal-simulator"),
            pytest.param({"noise_model": "ideal"}, True, id="ideal-model"),
            pytest.param({"noise_model": "aria-1"}, False, id="noisy-simulator"),
            pytest.param({"target": "qpu.aria-1"}, False, id="qpu"),
        ],
    )
    def test_exact(self, kwargs, exact):
        """Only the ideal simulator is exact."""
        assert IonQOptions(**kwargs).exact is exact

    @pytest.mark.parametrize(
        ("kwargs", "expected"),
        [
            pytest.param({}, None, id="default"),
            pytest.param(
                {"max_retries": 2},
                RetryPolicy(max_retries=2, base_delay=RetryPolicy().base_delay),
                id="retries",
            ),
            pytest.param(
                {"retry_delay": 0.5},
                RetryPolicy(max_retries=RetryPolicy().max_retries, base_delay=0.5),
                id="delay",
            ),
            pytest.param(
                {"max_retries": 0, "retry_delay": 0.0},
                RetryPolicy(max_retries=0, base_delay=0.0),
                id="both",
            ),
        ],
    )
    def test_retry(self, kwargs, expected):
        """retry combines max_retries and retry_delay with the defaults (None: default)."""
        assert IonQOptions(**kwargs).retry == expected

    @pytest.mark.parametrize(
        ("kwargs", "expected"),
        [
            pytest.param({}, None, id="none"),
            pytest.param({"noise_model": "aria-1"}, {"model": "aria-1", "seed": None}, id="model"),
            pytest.param(
                {"noise_model": "forte-1", "noise_seed": 7},
                {"model": "forte-1", "seed": 7},
                id="seeded",
            ),
        ],
    )
    def test_noise(self, kwargs, expected):
        """noise is the jobs' noise field."""
        assert IonQOptions(**kwargs).noise == expected

    @pytest.mark.parametrize(
        ("kwargs", "expected"),
        [
            pytest.param({}, None, id="none"),
            pytest.param({"error_mitigation": {}}, None, id="empty"),
            pytest.param(
                {"error_mitigation": {"debiasing": True}},
                {"error_mitigation": {"debiasing": True}},
                id="mitigation",
            ),
            pytest.param(
                {"error_mitigation": {"debiasing": False}, "compilation": {"opt": 1}},
                {"error_mitigation": {"debiasing": False}, "compilation": {"opt": 1}},
                id="both",
            ),
        ],
    )
    def test_job_settings(self, kwargs, expected):
        """job_settings holds the non-empty error mitigation and compilation."""
        assert IonQOptions(**kwargs).job_settings == expected


class TestDevice:
    """The device holds its options and reads its attributes through them."""

    def test_options_held(self, device):
        """dev.options is an IonQOptions with the keywords given to the device."""
        options = device.options
        assert isinstance(options, IonQOptions)
        assert options.target == "qpu.forte-1"
        assert options.gateset is Gateset.NATIVE
        assert options.shots_policy is ShotsReuse.SKIP
        assert options.metadata == {"user": "me"}
        assert options.seed == 4

    @pytest.mark.parametrize(
        "name",
        [
            "target",
            "backend",
            "gateset",
            "entangler",
            "exact",
            "noise_model",
            "noise_seed",
            "error_mitigation",
            "sharpen",
            "compilation",
            "job_name",
            "metadata",
            "dry_run",
            "seed",
        ],
    )
    def test_attributes_read_through(self, device, name):
        """Each attribute is the options' value and cannot be set on the device."""
        assert getattr(device, name) == getattr(device.options, name)
        with pytest.raises(AttributeError):
            setattr(device, name, None)

    def test_cache_finite_shots(self, device):
        """cache_finite_shots is the options' shots_policy as a string."""
        assert device.cache_finite_shots == "skip"

    def test_replaced_options_are_read(self, device):
        """Attributes read the options object the device holds."""
        device.options = dataclasses.replace(device.options, job_name="other")
        assert device.job_name == "other"

    def test_rate_card_reaches_the_manager(self, tmp_path):
        """The rate_card option is the job manager's."""
        card = RateCard(job_cost_minimum=1.0)
        dev = qp.device(
            "qnative.ionq", wires=1, api_key="k", rate_card=card, journal_path=tmp_path / "j"
        )
        assert dev.options.rate_card is card
        assert dev._manager.config.rate_card is card
