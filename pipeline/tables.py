"""Read and write the tables that pass between stages, chosen by file extension.

CSV is written as UTF-8 with a BOM because that is what Excel and WPS need to show Chinese text when a
researcher double-clicks the file. Every write goes to a temporary file in the target directory and is
then renamed, so an interrupted run never leaves a half-written table behind.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pandas as pd

from pipeline.errors import InputError

TABLE_SUFFIXES = (".csv", ".jsonl", ".parquet")


@contextmanager
def atomic_path(path: str | Path) -> Iterator[Path]:
    """Yield a temporary path next to ``path``; rename it onto ``path`` only if the block succeeds."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    os.close(handle)
    try:
        yield Path(temporary)
        os.replace(temporary, target)
    finally:
        if os.path.exists(temporary):
            os.unlink(temporary)


def write_table(frame: pd.DataFrame, path: str | Path) -> Path:
    """Write ``frame`` as .csv (UTF-8 with BOM), .jsonl or .parquet, atomically."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in TABLE_SUFFIXES:
        raise InputError(f"{path}: unknown table type {suffix!r}; use one of {', '.join(TABLE_SUFFIXES)}")
    with atomic_path(path) as temporary:
        if suffix == ".csv":
            frame.to_csv(temporary, index=False, encoding="utf-8-sig")
        elif suffix == ".jsonl":
            frame.to_json(temporary, orient="records", lines=True, force_ascii=False)
        else:
            frame.to_parquet(temporary, index=False)
    return path


def read_table(path: str | Path) -> pd.DataFrame:
    """Read a table written by :func:`write_table` (or by a user in Excel), by extension.

    CSV cells are read as text, not numbers, so that ids such as ``001`` and label lists keep their form;
    empty cells become empty strings.
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in TABLE_SUFFIXES:
        raise InputError(f"{path}: unknown table type {suffix!r}; use one of {', '.join(TABLE_SUFFIXES)}")
    if not path.is_file():
        raise InputError(f"{path}: no such file; check the path")
    try:
        if suffix == ".csv":
            return pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
        if suffix == ".jsonl":
            return pd.read_json(path, lines=True, dtype=False)
        return pd.read_parquet(path)
    except UnicodeDecodeError:
        raise InputError(f"{path}: not UTF-8; save the table as 'CSV UTF-8' in Excel/WPS") from None
    except (ValueError, OSError, pd.errors.ParserError) as error:
        raise InputError(f"{path}: cannot read this {suffix} table ({error}); check that it is complete") from None
