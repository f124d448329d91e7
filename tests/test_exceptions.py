"""Tests for :mod:`pennylane_qnative.exceptions`."""

from __future__ import annotations

import pickle

import pytest

from pennylane_qnative import exceptions as ex

_HIERARCHY = [
    (ex.ConfigurationError, (ex.QnativeError, ValueError)),
    (ex.UnsupportedCircuitError, (ex.ConfigurationError, ValueError)),
    (ex.CheckpointError, (ex.ConfigurationError, ValueError)),
    (ex.BudgetExceededError, (ex.QnativeError,)),
    (ex.JournalError, (ex.QnativeError,)),
    (ex.ClusterUnavailableError, (ex.QnativeError, ConnectionError)),
    (ex.IonQError, (ex.QnativeError,)),
    (ex.IonQAuthenticationError, (ex.IonQError,)),
    (ex.IonQPermissionError, (ex.IonQError,)),
    (ex.IonQNotFoundError, (ex.IonQError, LookupError)),
    (ex.IonQRequestError, (ex.IonQError, ValueError)),
    (ex.IonQRateLimitError, (ex.IonQError,)),
    (ex.IonQServerError, (ex.IonQError,)),
    (ex.JobFailedError, (ex.IonQError,)),
    (ex.JobCancelledError, (ex.IonQError,)),
    (ex.JobTimeoutError, (ex.IonQError, TimeoutError)),
]


class TestHierarchy:
    """The tree drawn in the module docstring."""

    @pytest.mark.parametrize(
        ("cls", "bases"), [pytest.param(c, b, id=c.__name__) for c, b in _HIERARCHY]
    )
    def test_subclass_relations(self, cls, bases):
        """Each class inherits its parents (and the built-in users already catch)."""
        for base in (*bases, ex.QnativeError, Exception):
            assert issubclass(cls, base), base

    @pytest.mark.parametrize(
        ("cls", "not_base"),
        [
            pytest.param(ex.IonQError, ValueError, id="ionq-not-value"),
            pytest.param(ex.BudgetExceededError, ex.IonQError, id="budget-not-ionq"),
            pytest.param(ex.JobFailedError, ex.ConfigurationError, id="failed-not-config"),
            pytest.param(ex.QnativeError, ValueError, id="root-not-value"),
        ],
    )
    def test_no_accidental_relations(self, cls, not_base):
        """Branches stay apart."""
        assert not issubclass(cls, not_base)

    def test_all_is_complete(self):
        """``__all__`` lists every exception class of the module."""
        classes = {
            name
            for name, obj in vars(ex).items()
            if isinstance(obj, type) and issubclass(obj, BaseException)
        }
        assert classes == set(ex.__all__)

    def test_docstring_draws_every_class(self):
        """The module docstring's tree names every class."""
        for name in ex.__all__:
            assert name in ex.__doc__


class TestMessages:
    """``str`` carries job id and HTTP status."""

    @pytest.mark.parametrize(
        ("kwargs", "expected"),
        [
            pytest.param({}, "boom. Retry.", id="plain"),
            pytest.param({"job_id": "j-1"}, "boom. Retry. (job j-1)", id="job"),
            pytest.param({"status_code": 503}, "boom. Retry. (HTTP 503)", id="status"),
            pytest.param(
                {"job_id": "j-1", "status_code": 503}, "boom. Retry. (job j-1, HTTP 503)", id="both"
            ),
        ],
    )
    def test_str(self, kwargs, expected):
        """Details are appended to the message."""
        error = ex.IonQServerError("boom. Retry.", **kwargs)
        assert str(error) == expected
        assert error.message == "boom. Retry."
        assert error.job_id == kwargs.get("job_id")
        assert error.status_code == kwargs.get("status_code")

    def test_job_id_is_keyword_only(self):
        """``job_id`` and ``status_code`` cannot be passed by position."""
        with pytest.raises(TypeError):
            ex.QnativeError("m", "job")

    def test_subclass_attributes(self):
        """Subclasses keep their own attributes and the shared ones."""
        error = ex.JobFailedError("failed", code="E1", job_id="j", status_code=200)
        assert (error.code, error.job_id, error.status_code) == ("E1", "j", 200)
        rate = ex.IonQRateLimitError("slow down", retry_after=2.5, status_code=429)
        assert rate.retry_after == 2.5
        assert "HTTP 429" in str(rate)


_PICKLED = [
    pytest.param(
        ex.BudgetExceededError("over budget", spent_usd=1.5, remaining_usd=0.25, needed_usd=3.0),
        ("spent_usd", "remaining_usd", "needed_usd"),
        id="budget",
    ),
    pytest.param(
        ex.JobFailedError("failed", code="QPU_ERR", job_id="j-9", status_code=200),
        ("code", "job_id", "status_code"),
        id="job-failed",
    ),
    pytest.param(
        ex.IonQRateLimitError("slow", retry_after=1.25, status_code=429, job_id="j-3"),
        ("retry_after", "status_code", "job_id"),
        id="rate-limit",
    ),
    pytest.param(ex.JobTimeoutError("late", job_id="j-4"), ("job_id",), id="timeout"),
    pytest.param(ex.ConfigurationError("bad"), ("message",), id="configuration"),
]


class TestPickling:
    """Keyword attributes survive pickling (process pools, Dask)."""

    @pytest.mark.parametrize(("error", "attributes"), _PICKLED)
    def test_round_trip(self, error, attributes):
        """Type, message, ``str`` and keyword attributes round-trip."""
        again = pickle.loads(pickle.dumps(error))
        assert type(again) is type(error)
        assert str(again) == str(error)
        assert again.args == error.args
        for name in attributes:
            assert getattr(again, name) == getattr(error, name), name

    def test_raise_after_round_trip(self):
        """A round-tripped error can be raised and caught as its class."""
        error = pickle.loads(pickle.dumps(ex.IonQNotFoundError("no job", job_id="j")))
        with pytest.raises(LookupError, match="no job"):
            raise error
