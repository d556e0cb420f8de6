"""Read and write the tables that pass between rolcov stages, choosing the format by file extension.

CSV is written with a byte-order mark (``utf-8-sig``) because the people who open these tables most often do
so in Excel, which otherwise shows Chinese text as mojibake. Parquet keeps dtypes exactly; JSON Lines is what
annotation tools export. Columns that hold identifiers or text are read as strings so that ``"007"`` stays
``"007"`` and an empty ``labels`` cell stays ``""`` rather than becoming a number or NaN.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from pipeline.atomic import atomic_target
from pipeline.errors import InputError

#: Columns that are identifiers or free text, never numbers, in every rolcov table.
TEXT_COLUMNS = (
    "report_id", "para_id", "part", "heading_path", "text", "source", "issuer", "title",
    "labels", "primary", "theme", "kind", "detail", "status", "name_zh",
)
READ_SUFFIXES = (".csv", ".jsonl", ".parquet")
WRITE_SUFFIXES = (".csv", ".parquet")


def read_table(path: Path | str) -> pd.DataFrame:
    """Read a table from ``.csv`` (utf-8-sig), ``.jsonl`` or ``.parquet``.

    Parameters
    ----------
    path : Path or str
        The table file; the format is chosen by its extension.

    Returns
    -------
    pandas.DataFrame
        The table with :data:`TEXT_COLUMNS` as strings (missing values as ``""``).

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
        # pyarrow and pandas signal unreadable content with ValueError subclasses (ArrowInvalid, ParserError).
        raise InputError(f"{path}: cannot read this {suffix} table ({error}); check the file is complete.") from error
    return _text_columns_as_str(table)


def _read_by_suffix(path: Path, suffix: str) -> pd.DataFrame:
    if suffix == ".csv":
        return pd.read_csv(path, encoding="utf-8-sig", dtype={c: str for c in TEXT_COLUMNS})
    if suffix == ".jsonl":
        # dtype=False keeps JSON strings as strings: "007" stays "007".
        return pd.read_json(path, lines=True, dtype=False)
    return pd.read_parquet(path)


def _text_columns_as_str(table: pd.DataFrame) -> pd.DataFrame:
    table = table.copy()
    for column in TEXT_COLUMNS:
        if column in table.columns:
            table[column] = table[column].where(table[column].notna(), "").astype(str)
    return table


def write_table(table: pd.DataFrame, path: Path | str) -> Path:
    """Write ``table`` to ``.csv`` (utf-8-sig, for Excel) or ``.parquet``, atomically.

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
        raise InputError(f"{path}: cannot write a table as {suffix or '(none)'!r}; use .csv or .parquet.")
    with atomic_target(path) as tmp:
        if suffix == ".csv":
            table.to_csv(tmp, index=False, encoding="utf-8-sig")
        else:
            table.to_parquet(tmp, index=False)
    return path
