"""Write files so a reader never sees half of one.

Outputs of rolcov (tables, HTML) are often opened by a researcher while a run is still going, or left behind
by a run that was interrupted. Writing to a temporary file in the same directory and renaming it over the
target means the target is either the old complete file or the new complete file, never a truncated one.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


@contextmanager
def atomic_target(path: Path | str) -> Iterator[Path]:
    """Yield a temporary path that replaces ``path`` when the block finishes without error.

    Parameters
    ----------
    path : Path or str
        The file the caller means to write. Its directory is created if missing.

    Yields
    ------
    Path
        A fresh temporary file in the same directory (same file system, so ``os.replace`` is atomic).
        If the block raises, the temporary file is removed and ``path`` is left untouched.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        yield tmp
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def write_text_atomic(path: Path | str, text: str) -> Path:
    """Write ``text`` as UTF-8 to ``path`` atomically and return the path."""
    with atomic_target(path) as tmp:
        tmp.write_text(text, encoding="utf-8")
    return Path(path)
