"""Files private to the user, without touching folders that are not ours.

The rules every file the package writes follows (journal, result store, checkpoints, history,
plots):

* a file we create is ``0600``; a file of ours that exists with a wider mode is tightened to
  ``0600`` (we own it: ``chmod`` is refused otherwise, and then left as it is);
* a folder we create (and every missing parent) is ``0700``;
* a folder that already exists keeps its mode: never ``chmod`` a folder we did not create
  (a shared sticky ``/tmp``-like folder, the current directory of ``--output-dir .``).

**Example**

>>> import tempfile, pathlib, os
>>> root = pathlib.Path(tempfile.mkdtemp())
>>> os.chmod(root, 0o755)
>>> path = private_file(root / "new" / "deeper" / "data.json")
>>> [oct(p.stat().st_mode & 0o777) for p in (root, root / "new", root / "new" / "deeper", path)]
['0o755', '0o700', '0o700', '0o600']
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

__all__ = ["PRIVATE_DIR_MODE", "PRIVATE_FILE_MODE", "private_dir", "private_file"]

PRIVATE_FILE_MODE = 0o600
PRIVATE_DIR_MODE = 0o700


def private_dir(path: str | os.PathLike) -> Path:
    """Create ``path`` and its missing parents ``0700``; an existing folder keeps its mode.

    Returns:
        Path: the folder
    """
    path = Path(path)
    missing: list[Path] = []
    probe = path
    while not probe.exists() and probe != probe.parent:
        missing.append(probe)
        probe = probe.parent
    for folder in reversed(missing):
        try:
            folder.mkdir(mode=PRIVATE_DIR_MODE)
        except FileExistsError:  # created meanwhile by someone else: theirs, leave its mode
            continue
        os.chmod(folder, PRIVATE_DIR_MODE)  # ours: exactly 0700 whatever the umask
    return path


def private_file(path: str | os.PathLike) -> Path:
    """Create ``path`` (empty if new) readable and writable by the user only; return it.

    Missing folders are created ``0700`` (:func:`private_dir`); existing ones are left as
    they are. An existing file with a wider mode is tightened to ``0600`` when we own it.
    """
    path = Path(path)
    private_dir(path.parent)
    fd = os.open(path, os.O_CREAT | os.O_RDWR, PRIVATE_FILE_MODE)
    try:
        with contextlib.suppress(OSError):  # not ours (chmod refused): leave it
            if os.fstat(fd).st_mode & 0o777 != PRIVATE_FILE_MODE:
                os.fchmod(fd, PRIVATE_FILE_MODE)
    finally:
        os.close(fd)
    return path
