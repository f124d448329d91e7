"""Checks of the ``qnative`` command line's inputs, made before anything is run, paid or written.

Every check raises :class:`~.ConfigurationError` with what is wrong, the value and what to do;
the command line prints it as one line (``qnative <command>: <message>``) and exits with 2.

**Example**

>>> from pennylane_qnative.cli_inputs import check_number
>>> check_number("--jobs", 3, low=1, integer=True)
>>> check_number("--jobs", -1, low=1, integer=True)
Traceback (most recent call last):
...
pennylane_qnative.exceptions.ConfigurationError: --jobs must be an integer >= 1, got -1; pass ...
"""

from __future__ import annotations

import inspect
import json
import math
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from pennylane_qnative.exceptions import ConfigurationError

__all__ = [
    "check_device",
    "check_device_options",
    "check_number",
    "check_output_dir",
    "check_sqlite_file",
    "parse_device_options",
    "shots_argument",
]

_SQLITE_HEADER = b"SQLite format 3\x00"


def shots_argument(text: str) -> int | str | tuple[int, ...]:
    """``--shots``: ``1000``, ``adaptive`` or one count per epoch (``100,300,1000``); the
    range is :class:`~.TrainingConfig`'s to check."""
    import argparse

    value = text.strip().lower()
    if value == "adaptive":
        return value
    try:
        counts = tuple(int(part) for part in value.split(","))
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a shot count, 'adaptive' or a comma-separated list of counts"
        ) from None
    return counts[0] if len(counts) == 1 else counts


def check_number(
    flag: str, value: Any, *, low: float, integer: bool = False, high: float | None = None
) -> None:
    """Refuse ``value`` unless it is a finite number in ``[low, high]`` (an integer if asked)."""
    if value is None:
        return
    kind = "an integer" if integer else "a number"
    ok = isinstance(value, int | float) and not isinstance(value, bool)
    ok = ok and math.isfinite(value) and value >= low and (high is None or value <= high)
    if ok and integer:
        ok = float(value).is_integer()
    if not ok:
        bounds = f">= {low:g}" if high is None else f"from {low:g} to {high:,g}"
        raise ConfigurationError(
            f"{flag} must be {kind} {bounds}, got {value!r}; pass {flag} with such a value."
        )


def _registered_devices() -> dict[str, Any]:
    import pennylane as qp

    return dict(qp.plugin_devices)


def check_device(name: str) -> None:
    """Refuse a device name PennyLane does not know (no plugin registers it)."""
    devices = _registered_devices()
    if name not in devices:
        known = ", ".join(sorted(devices))
        raise ConfigurationError(
            f"unknown device {name!r}; use one of {known} (or install the plugin that provides it)."
        )


def parse_device_options(pairs: Sequence[str]) -> dict[str, Any]:
    """``KEY=JSON`` pairs (a value that is not JSON is taken as a string)."""
    options: dict[str, Any] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip().isidentifier():
            raise ConfigurationError(
                f"--device-option expects KEY=VALUE, got {pair!r}; pass e.g. "
                "--device-option max_workers=2."
            )
        try:
            options[key.strip()] = json.loads(value)
        except json.JSONDecodeError:
            options[key.strip()] = value
    return options


def _device_keywords(name: str) -> set[str] | None:
    """The keywords the device's constructor accepts (``None``: any, or unknown)."""
    try:
        cls = _registered_devices()[name].load()
        parameters = inspect.signature(cls.__init__).parameters.values()
    except Exception:  # a plugin that cannot be inspected: let the device decide
        return None
    if any(p.kind is inspect.Parameter.VAR_KEYWORD for p in parameters):
        return None
    return {p.name for p in parameters if p.name not in ("self", "wires")}


def check_device_options(name: str, options: dict[str, Any], *, flags: dict[str, str]) -> None:
    """Refuse options the device's constructor does not take (``flags``: option -> CLI flag)."""
    accepted = _device_keywords(name)
    if accepted is None:
        return
    for key in options:
        if key not in accepted:
            flag = flags.get(key, f"--device-option {key}")
            raise ConfigurationError(
                f"{flag} is not an option of {name} (no keyword {key!r}); use one of "
                f"{sorted(accepted)}, or drop it."
            )


def _probe_writable(folder: Path) -> None:
    """Create and remove a file in ``folder`` (``OSError`` if it cannot be written)."""
    with tempfile.TemporaryFile(dir=folder):
        pass


def check_output_dir(path: Path) -> None:
    """Refuse an output folder that cannot be created or written.

    A folder that does not exist yet is created and removed again (with the parents this
    made), so that nothing is left behind when a later check fails.
    """
    if path.exists() and not path.is_dir():
        raise ConfigurationError(
            f"--output-dir {str(path)!r} exists and is not a folder; pass a folder path."
        )
    made: list[Path] = []
    try:
        for folder in reversed((path, *path.parents)):
            if not folder.exists():
                folder.mkdir()
                made.append(folder)
        _probe_writable(path)
    except OSError as error:
        raise ConfigurationError(
            f"--output-dir {str(path)!r} cannot be written ({error.strerror or error}); pass "
            "a folder you can write to."
        ) from None
    finally:
        for folder in reversed(made):
            folder.rmdir()


def check_sqlite_file(flag: str, path: Path, what: str) -> None:
    """Refuse a path that is a folder or a file that is not an SQLite database."""
    if path.is_dir():
        raise ConfigurationError(
            f"{flag} {str(path)!r} is a folder, not a {what} file; pass the file's path."
        )
    if not path.exists():
        return
    try:
        with path.open("rb") as handle:
            header = handle.read(len(_SQLITE_HEADER))
    except OSError as error:
        raise ConfigurationError(
            f"{flag} {str(path)!r} cannot be read ({error.strerror}); check its permissions."
        ) from None
    if header and header != _SQLITE_HEADER:
        raise ConfigurationError(
            f"{flag} {str(path)!r} is not a {what} (not an SQLite file); pass the right path."
        )
