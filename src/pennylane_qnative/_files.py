"""Files private to the user: every file the package writes is created 0600 in a 0700 folder."""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

__all__ = ["private_file"]


def private_file(path: str | os.PathLike) -> Path:
    """Create ``path`` (empty if new) readable and writable by the user only; return it.

    Its folder is created 0700 if missing (an existing folder is tightened when we own it).
    """
    path = Path(path)
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    with contextlib.suppress(OSError):
        os.chmod(path.parent, 0o700)
    fd = os.open(path, os.O_CREAT | os.O_RDWR, 0o600)
    os.close(fd)
    os.chmod(path, 0o600)
    return path
