"""The exceptions of pennylane-qnative: one hierarchy, rooted at :class:`QnativeError`.

Every message says what failed, the offending value, and what to do next. Exceptions that
concern a cloud job carry ``job_id`` and ``status_code`` as attributes. No message, attribute
or ``repr`` ever contains an API key.

This module imports nothing from PennyLane, so the IonQ wire layer (``pennylane_qnative.ionq``)
stays importable without it. Errors that must also be PennyLane's ``DeviceError`` are defined
in the device layer (``pennylane_qnative.devices``) as subclasses of the classes below.

.. code-block:: text

    QnativeError
    ├── ConfigurationError (ValueError)       an option or input is invalid; nothing was run
    │   ├── UnsupportedCircuitError            a circuit the target cannot run
    │   └── CheckpointError                    a checkpoint is malformed or from another run
    ├── BudgetExceededError                    a batch would overspend ``budget_usd``
    ├── ClusterUnavailableError (ConnectionError)  the Dask scheduler cannot be reached
    ├── JournalError                           the persistent job journal is unusable
    └── IonQError                              anything the IonQ service reported
        ├── IonQAuthenticationError            401: missing or wrong API key
        ├── IonQPermissionError                403: the key may not do this
        ├── IonQNotFoundError (LookupError)    404: no such job or resource
        ├── IonQRequestError (ValueError)      400/413/422: the request was refused as invalid
        ├── IonQRateLimitError                 429: too many requests (``retry_after``)
        ├── SessionLimitError                  a session refused a job: a limit, or it ended
        ├── IonQServerError                    5xx or a broken connection
        ├── JobFailedError                     the job ended ``failed`` (IonQ's code, message)
        ├── JobCancelledError                  the job ended ``canceled``
        └── JobTimeoutError (TimeoutError)     the deadline passed before the job ended
"""

from __future__ import annotations

__all__ = [
    "BudgetExceededError",
    "CheckpointError",
    "ClusterUnavailableError",
    "ConfigurationError",
    "IonQAuthenticationError",
    "IonQError",
    "IonQNotFoundError",
    "IonQPermissionError",
    "IonQRateLimitError",
    "IonQRequestError",
    "IonQServerError",
    "JobCancelledError",
    "JobFailedError",
    "JobTimeoutError",
    "JournalError",
    "QnativeError",
    "SessionLimitError",
    "UnsupportedCircuitError",
]


class QnativeError(Exception):
    """Base class of every error raised by pennylane-qnative.

    Args:
        message (str): what failed, the offending value, and what to do next
        job_id (str | None): the cloud job concerned, if any
        status_code (int | None): the HTTP status that reported the error, if any
    """

    def __init__(
        self, message: str, *, job_id: str | None = None, status_code: int | None = None
    ) -> None:
        super().__init__(message)
        self.message = message
        self.job_id = job_id
        self.status_code = status_code

    def __str__(self) -> str:
        details = []
        if self.job_id is not None:
            details.append(f"job {self.job_id}")
        if self.status_code is not None:
            details.append(f"HTTP {self.status_code}")
        return f"{self.message} ({', '.join(details)})" if details else self.message

    def __reduce__(self):
        # Keyword-only arguments need an explicit recipe to survive pickling
        # (process pools, Dask workers).
        return (_rebuild, (type(self), self.message, self.__dict__))


def _rebuild(cls: type[QnativeError], message: str, state: dict) -> QnativeError:
    error = cls.__new__(cls)
    Exception.__init__(error, message)
    error.__dict__.update(state)
    return error


class ConfigurationError(QnativeError, ValueError):
    """An option or an input is invalid. Raised before anything is executed or paid for."""


class UnsupportedCircuitError(ConfigurationError):
    """A circuit contains something the target cannot run (gate, measurement, qubit count)."""


class CheckpointError(ConfigurationError):
    """A checkpoint cannot be resumed: malformed, or written by a run that does not match
    (config, device or data). Nothing was run; the message names the file and what differs."""


class BudgetExceededError(QnativeError):
    """Submitting a batch would exceed the budget. Nothing was submitted.

    Args:
        message (str): explanation and what to do next
        spent_usd (float): cost already billed or committed in this budget
        remaining_usd (float): what is left of the budget
        needed_usd (float): the estimated cost of the refused batch
    """

    def __init__(
        self, message: str, *, spent_usd: float, remaining_usd: float, needed_usd: float
    ) -> None:
        super().__init__(message)
        self.spent_usd = spent_usd
        self.remaining_usd = remaining_usd
        self.needed_usd = needed_usd


class ClusterUnavailableError(QnativeError, ConnectionError):
    """The Dask scheduler given as ``executor=`` cannot be reached. Nothing was run there.

    Args:
        message (str): explanation and what to do next
        address (str | None): the scheduler address that was tried
    """

    def __init__(self, message: str, *, address: str | None = None) -> None:
        super().__init__(message)
        self.address = address


class JournalError(QnativeError):
    """The persistent job journal cannot be opened, read or written."""


class IonQError(QnativeError):
    """The IonQ service (or the emulator) reported an error."""


class IonQAuthenticationError(IonQError):
    """HTTP 401: the API key is missing or wrong."""


class IonQPermissionError(IonQError):
    """HTTP 403: the API key is valid but may not perform this action."""


class IonQNotFoundError(IonQError, LookupError):
    """HTTP 404: the job or resource does not exist."""


class IonQRequestError(IonQError, ValueError):
    """HTTP 400/413/422: the service refused the request as invalid."""


class IonQRateLimitError(IonQError):
    """HTTP 429: too many requests.

    Args:
        message (str): explanation and what to do next
        retry_after (float | None): seconds the service asked to wait, if it said
    """

    def __init__(self, message: str, *, retry_after: float | None = None, **kwargs) -> None:
        super().__init__(message, **kwargs)
        self.retry_after = retry_after


class SessionLimitError(IonQError):
    """An IonQ session refused a job: one of its limits is reached, or it has ended.

    Args:
        message (str): what failed and what to do next
        session_id (str | None): the session
        limit (str): ``"job_count_limit"``, ``"cost_limit"``, ``"duration_limit_min"`` or
            ``"ended"``
    """

    def __init__(
        self, message: str, *, session_id: str | None = None, limit: str = "ended", **kwargs
    ) -> None:
        super().__init__(message, **kwargs)
        self.session_id = session_id
        self.limit = limit


class IonQServerError(IonQError):
    """HTTP 5xx, or the connection broke before a response arrived."""


class JobFailedError(IonQError):
    """The job ended with status ``failed``.

    Args:
        message (str): explanation and what to do next
        code (str | None): IonQ's failure code (``failure.code``)
    """

    def __init__(self, message: str, *, code: str | None = None, **kwargs) -> None:
        super().__init__(message, **kwargs)
        self.code = code


class JobCancelledError(IonQError):
    """The job ended with status ``canceled``."""


class JobTimeoutError(IonQError, TimeoutError):
    """The deadline passed before the job reached a terminal status."""
