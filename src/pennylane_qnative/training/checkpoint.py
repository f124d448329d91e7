"""Checkpoints: one JSON document per run, written atomically and privately.

A checkpoint holds everything needed to continue a run exactly: parameters, optimiser state,
gradient-method state (SPSA iteration, adaptive history), the random generator's state, the
data order of the current epoch, the position in it, and the history so far. Floats are
written with Python's shortest round-trip representation, so parameters come back bit for bit.
No pickle: a checkpoint is plain JSON that any tool can read.

**Example**

>>> import tempfile, pathlib
>>> path = pathlib.Path(tempfile.mkdtemp()) / "run" / "checkpoint.json"
>>> save_checkpoint(path, {"step": 3, "parameters": [0.1, 0.2]})
>>> load_checkpoint(path)["step"]
3
>>> oct(path.stat().st_mode & 0o777)
'0o600'
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any

from pennylane_qnative._files import private_dir
from pennylane_qnative.exceptions import ConfigurationError

__all__ = ["CHECKPOINT_VERSION", "load_checkpoint", "remove_partial_writes", "save_checkpoint"]

CHECKPOINT_VERSION = 1


def save_checkpoint(path: str | os.PathLike, state: dict[str, Any]) -> None:
    """Write ``state`` to ``path`` atomically (temporary file + ``os.replace``), mode 0600.

    A crash during the write leaves the previous checkpoint intact. The directory is created
    with mode 0700 if missing.
    """
    path = Path(path)
    private_dir(path.parent)
    document = json.dumps({"version": CHECKPOINT_VERSION, **state}, allow_nan=False)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:  # mkstemp creates it 0600
            handle.write(document)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def remove_partial_writes(path: str | os.PathLike) -> int:
    """Delete the temporary files a killed :func:`save_checkpoint` left next to ``path``.

    Call it only when no other process writes this checkpoint (when resuming a dead run).
    Returns the number of files removed.
    """
    path = Path(path)
    removed = 0
    for stale in path.parent.glob(f".{path.name}.*.tmp"):
        stale.unlink(missing_ok=True)
        removed += 1
    return removed


def load_checkpoint(path: str | os.PathLike) -> dict[str, Any]:
    """Read a checkpoint written by :func:`save_checkpoint`.

    Raises:
        ConfigurationError: when the file is missing, unreadable or from another version
    """
    path = Path(path)
    try:
        state = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigurationError(
            f"no checkpoint at {path}; start without resume=True or point to the run's "
            "output directory."
        ) from None
    except (OSError, json.JSONDecodeError) as error:
        raise ConfigurationError(f"checkpoint {path} is unreadable ({error}).") from error
    if state.get("version") != CHECKPOINT_VERSION:
        raise ConfigurationError(
            f"checkpoint {path} has version {state.get('version')!r}; this release reads "
            f"version {CHECKPOINT_VERSION}."
        )
    return state
