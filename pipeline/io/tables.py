"""Read and write the tables that pass between rolcov stages, choosing the format by file extension.

Every write goes to a temporary file in the target's directory that is then renamed over the target, so a
reader (or a crash) never sees half a file. CSV is written with a byte-order mark (``utf-8-sig``) because the
people who open these tables most often do so in Excel, which otherwise shows Chinese text as mojibake. ``.xlsx``
is read and written for the same people (Excel/WPS workbooks keep Chinese intact whatever the locale; see
:mod:`pipeline.io.excel`). Parquet keeps dtypes exactly; JSON Lines is what annotation tools export. Columns that
hold identifiers or text are read as strings so that ``"007"`` stays ``"007"`` and an empty ``labels`` cell stays
``""`` rather than becoming a number or NaN.

A CSV cell is never a formula: Excel and WPS run a cell that starts with ``=``, ``+``, ``-``, ``@``, a tab or
a carriage return, and report text or a file name can start so. Such text cells are written behind a ``'``
(OWASP's advice for CSV injection) and reading takes it off again, so a table read back — an annotation file
edited and trained on — is the table written (:func:`csv_cells_safe`, :func:`csv_cells_restored`).
"""

from __future__ import annotations

import os
import re
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TextIO

import numpy as np
import pandas as pd

from pipeline.errors import InputError
from pipeline.io.excel import read_xlsx, write_xlsx
from pipeline.schema import TEXT_COLUMNS, join_labels

READ_SUFFIXES = (".csv", ".jsonl", ".parquet", ".xlsx")
#: ``.dta`` (Stata 14+, UTF-8) is written for researchers who work in Stata; rolcov does not read it back.
WRITE_SUFFIXES = (*READ_SUFFIXES, ".dta")
#: Stata's longest variable name.
STATA_NAME_CHARS = 32
# A cell a spreadsheet would run (after any quotes already in front of it, so that a text that starts with
# "'=" round-trips too: it is written "''=").
_FORMULA_START = re.compile(r"^'*[=+\-@\t\r]")
_NEUTRALISED = re.compile(r"^'+[=+\-@\t\r]")


def read_table(path: Path | str) -> pd.DataFrame:
    """Read a table from ``.csv`` (utf-8-sig), ``.jsonl``, ``.parquet`` or ``.xlsx`` (its first sheet).

    Parameters
    ----------
    path : Path or str
        The table file; the format is chosen by its extension.

    Returns
    -------
    pandas.DataFrame
        The table with :data:`~pipeline.schema.TEXT_COLUMNS` as strings (missing values as ``""``).

    Raises
    ------
    InputError
        If the extension is not one of :data:`READ_SUFFIXES` or the file cannot be read or parsed.
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in READ_SUFFIXES:
        raise InputError(
            f"{path}: cannot read a table with extension {suffix or '(none)'!r}; "
            f"save it as one of {', '.join(READ_SUFFIXES)}."
        )
    try:
        table = _read_by_suffix(path, suffix)
    except (OSError, ValueError, UnicodeDecodeError) as error:
        # pyarrow and pandas signal unreadable content with ValueError subclasses (ArrowInvalid, ParserError);
        # read_xlsx turns a damaged workbook into one too.
        raise InputError(f"{path}: cannot read this {suffix} table ({error}); check the file is complete.") from error
    return _text_columns_as_str(table)


def _read_by_suffix(path: Path, suffix: str) -> pd.DataFrame:
    if suffix == ".csv":
        return csv_cells_restored(pd.read_csv(path, encoding="utf-8-sig", dtype={c: str for c in TEXT_COLUMNS}))
    if suffix == ".jsonl":
        # dtype=False keeps JSON strings as strings: "007" stays "007".
        return pd.read_json(path, lines=True, dtype=False)
    if suffix == ".xlsx":
        return read_xlsx(path).drop(columns="line")
    return pd.read_parquet(path)


def _text_columns_as_str(table: pd.DataFrame) -> pd.DataFrame:
    """Text columns as ``str``; a list of labels (natural in JSON Lines and Parquet) becomes ``a;b``."""
    table = table.copy()
    for column in TEXT_COLUMNS:
        if column in table.columns:
            table[column] = [_as_text(value) for value in table[column]]
    return table


def _as_text(value: object) -> str:
    if isinstance(value, (list, tuple, np.ndarray)):
        return join_labels(value)
    return "" if pd.isna(value) else str(value)


def write_table(table: pd.DataFrame, path: Path | str) -> Path:
    """Write ``table`` to ``.csv`` (utf-8-sig, for Excel), ``.jsonl``, ``.parquet`` or ``.xlsx``, atomically.

    Parameters
    ----------
    table : pandas.DataFrame
        The table to write; the index is not written.
    path : Path or str
        Target file; the format is chosen by its extension and its directory is created if missing.

    Returns
    -------
    Path
        ``path``, for chaining.

    Raises
    ------
    InputError
        If the extension is not one of :data:`WRITE_SUFFIXES`.
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in WRITE_SUFFIXES:
        raise InputError(
            f"{path}: cannot write a table as {suffix or '(none)'!r}; use one of {', '.join(WRITE_SUFFIXES)}."
        )
    with atomic_path(path) as tmp:
        if suffix == ".xlsx":
            write_xlsx({"table": table}, tmp, origin=path)
        elif suffix == ".csv":
            write_csv(table, tmp)
        elif suffix == ".jsonl":
            table.to_json(tmp, orient="records", lines=True, force_ascii=False)
        elif suffix == ".dta":
            _write_stata(table, tmp)
        else:
            table.to_parquet(tmp, index=False)
    return path


def write_csv(table: pd.DataFrame, target: Path | TextIO, header: bool = True) -> None:
    """Write ``table`` as CSV the one way rolcov does: UTF-8 with BOM, no formula cells, CRLF line ends.

    ``target`` is a path (written with the BOM) or an open text stream (a table written in batches). CRLF
    (RFC 4180, what Excel writes) makes a cell holding a carriage return quoted instead of ending its row.
    """
    csv_cells_safe(table).to_csv(target, index=False, header=header, encoding="utf-8-sig", lineterminator="\r\n")


def csv_cells_safe(table: pd.DataFrame) -> pd.DataFrame:
    """``table`` with every text cell a spreadsheet would run as a formula put behind a ``'`` (a copy)."""
    return _map_text_cells(table, _FORMULA_START, lambda text: "'" + text)


def csv_cells_restored(table: pd.DataFrame) -> pd.DataFrame:
    """The inverse of :func:`csv_cells_safe`, for a table read from CSV."""
    return _map_text_cells(table, _NEUTRALISED, lambda text: text[1:])


def _map_text_cells(table: pd.DataFrame, pattern: re.Pattern[str], change) -> pd.DataFrame:
    changed = {}
    for column in table.columns:
        values = table[column]
        if values.dtype == object or isinstance(values.dtype, pd.StringDtype):
            hits = values.map(lambda value: isinstance(value, str) and pattern.match(value) is not None)
            if hits.any():
                changed[column] = values.where(~hits, values[hits].map(change))
    header = {name: change(name) for name in table.columns if isinstance(name, str) and pattern.match(name)}
    return table.assign(**changed).rename(columns=header) if changed or header else table


def _write_stata(table: pd.DataFrame, path: Path) -> None:
    """Stata format 118 (UTF-8, so Chinese stays intact); names longer than Stata allows are cut to
    :data:`STATA_NAME_CHARS` (kept distinct) and the full name becomes the variable's label."""
    names, labels, taken = {}, {}, set()
    for column in table.columns:
        name = str(column)[:STATA_NAME_CHARS]
        for n in range(1, 100):
            if name not in taken:
                break
            name = f"{str(column)[: STATA_NAME_CHARS - 3]}_{n:02d}"
        taken.add(name)
        names[column] = name
        if name != column:
            labels[name] = str(column)[:80]
    out = table.rename(columns=names)
    for column in out.columns:
        if out[column].dtype == object or isinstance(out[column].dtype, pd.StringDtype):
            out[column] = [_as_text(value) for value in out[column]]
        elif isinstance(out[column].dtype, pd.BooleanDtype) or out[column].dtype == bool:
            out[column] = out[column].astype("float64")
    out.to_stata(path, write_index=False, version=118, variable_labels=labels or None)


def write_workbook(sheets: dict[str, pd.DataFrame], path: Path | str) -> Path:
    """Write several tables as the sheets of one ``.xlsx`` workbook, atomically (e.g. profile + gaps)."""
    with atomic_path(path) as tmp:
        write_xlsx(sheets, tmp, origin=path)
    return Path(path)


@contextmanager
def atomic_path(path: Path | str) -> Iterator[Path]:
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
        tmp.chmod(0o666 & ~_umask())  # mkstemp makes the file private; the result should not be
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def write_text_atomic(path: Path | str, text: str) -> Path:
    """Write ``text`` as UTF-8 to ``path`` atomically and return the path."""
    with atomic_path(path) as tmp:
        tmp.write_text(text, encoding="utf-8")
    return Path(path)


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask
