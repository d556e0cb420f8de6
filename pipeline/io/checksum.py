"""The sha256 of a file's bytes: what model cards, the pkuseg model check and batch runs identify files by."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from pathlib import Path


def file_sha256(path: str | Path) -> str:
    """Hex sha256 of a file's bytes, read in 1 MB blocks so a large file is never held in memory whole."""
    return files_sha256([path])


def files_sha256(paths: Iterable[str | Path]) -> str:
    """Hex sha256 of several files' bytes one after the other (a report scanned as page images)."""
    digest = hashlib.sha256()
    for path in paths:
        with Path(path).open("rb") as stream:
            for block in iter(lambda: stream.read(1 << 20), b""):
                digest.update(block)
    return digest.hexdigest()
