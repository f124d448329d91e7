"""API URLs as they may be shown: user-info (``https://user:KEY@host``) redacted, and checked.

A key may travel in a URL's user-info; it must never appear in a ``repr``, a log line or an
exception message. :func:`redact_url` replaces the user-info with ``***``; :func:`check_api_url`
refuses what cannot be an API base URL, naming it redacted.

This module knows nothing of PennyLane.

**Example**

>>> redact_url("https://user:sk-123@api.ionq.co/v0.4")
'https://***@api.ionq.co/v0.4'
>>> redact_url("http://127.0.0.1:8000/v0.4")
'http://127.0.0.1:8000/v0.4'
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from pennylane_qnative.exceptions import ConfigurationError

__all__ = ["check_api_url", "redact_text", "redact_url", "without_userinfo"]

_USERINFO = re.compile(r"(?P<scheme>[A-Za-z][A-Za-z0-9+.-]*://)(?P<userinfo>[^/?#@\s]*)@")


def redact_url(url: str | None) -> str | None:
    """``url`` with its user-info (``user:password@``) replaced by ``***@``."""
    if url is None:
        return None
    return _USERINFO.sub(r"\g<scheme>***@", str(url))


def without_userinfo(url: str) -> str:
    """``url`` without its user-info: what to send, since the key travels in a header.

    >>> without_userinfo("https://user:sk-123@api.ionq.co/v0.4")
    'https://api.ionq.co/v0.4'
    """
    return _USERINFO.sub(r"\g<scheme>", str(url))


def redact_text(text: str) -> str:
    """``text`` with the user-info of every URL in it redacted (for messages and logs)."""
    return _USERINFO.sub(r"\g<scheme>***@", text)


def check_api_url(url: str | None, *, option: str = "api_url") -> None:
    """Refuse an API base URL that is not ``http(s)://host[:port][/path]``.

    Raises:
        ConfigurationError: naming the option and the (redacted) value
    """
    if url is None:
        return
    if not isinstance(url, str):
        raise ConfigurationError(
            f"{option} must be a string such as 'https://api.ionq.co/v0.4', got "
            f"{type(url).__name__}."
        )
    try:
        parts = urlsplit(url.strip())
        port_ok = parts.port is None or 0 < parts.port < 65536
    except ValueError:
        port_ok = False
        parts = None
    if parts is None or parts.scheme not in ("http", "https") or not parts.hostname or not port_ok:
        raise ConfigurationError(
            f"{option} must be an http(s) URL such as 'https://api.ionq.co/v0.4', got "
            f"{redact_url(url)!r}; check api_url / IONQ_API_URL."
        )
