"""Join a researcher's own report variables (treatment group, 示范创建 status, region codes) to the panel.

A ``--metadata`` file is a table (``.csv``, ``.xlsx``, ``.parquet``) with one row per report, keyed by
``report_id`` or by ``source`` (the report's file name, with or without its folder). Its other columns are
added to the panel; where one of them is a report variable rolcov resolved itself (``year``, ``issuer``,
``province``, ``level`` …, see :data:`OVERRIDABLE`), the user's non-empty value wins and ``place_source``
says ``metadata``.

The join is all or nothing: every problem — a row whose key names no report of the run, a key given twice,
a column that would overwrite one of rolcov's measures, a year that is not a year — is collected as one
``file:line: what; what to do`` line and raised together (:class:`~pipeline.errors.MetadataError`) before
anything is written, so no table is ever written from a half-joined panel.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from pipeline.coverage.corpus import COUNT_COLUMNS, SHARE_PREFIX, STATUS_PREFIX, TASK_PREFIX
from pipeline.errors import InputError, MetadataError
from pipeline.io.excel import read_xlsx
from pipeline.text.places import PLACE_COLUMNS

#: Key columns, in order of preference.
KEYS = ("report_id", "source")
#: Report variables a metadata file may set; its values replace rolcov's where they are not empty.
OVERRIDABLE = (
    "issuer",
    "title",
    "year",
    "published",
    *(c for c in PLACE_COLUMNS if c not in ("place_source", "place_problem")),
)
#: Columns rolcov computes that a metadata file must not carry (nor ``share_``/``status_``/``task_`` columns).
RESERVED = (*COUNT_COLUMNS, "place_source", "place_problem")
READ_SUFFIXES = (".csv", ".xlsx", ".parquet")


def read_metadata(path: Path | str) -> pd.DataFrame:
    """Read a metadata table with every value as text and a ``line`` column (the row a person sees).

    Raises
    ------
    InputError
        If the file cannot be read or has an unsupported extension.
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in READ_SUFFIXES:
        raise InputError(
            f"{path}: a metadata file must be one of {', '.join(READ_SUFFIXES)}, not {suffix or '(none)'!r}."
        )
    try:
        if suffix == ".csv":
            table = pd.read_csv(path, dtype=str, encoding="utf-8-sig", keep_default_na=False, skip_blank_lines=False)
            table["line"] = np.arange(len(table)) + 2  # the header is line 1
            table = table[table.drop(columns="line").ne("").any(axis=1)]
        elif suffix == ".xlsx":
            table = read_xlsx(path)
        else:
            table = pd.read_parquet(path)
            table["line"] = np.arange(len(table)) + 1
    except (OSError, ValueError, UnicodeDecodeError) as error:
        raise InputError(f"{path}: cannot read this metadata file ({error}); save it as UTF-8 CSV or .xlsx.") from error
    text = table.drop(columns="line").apply(lambda column: column.map(_text))
    return text.assign(line=table["line"].to_numpy()).rename(columns=lambda c: str(c).strip())


def _text(value: object) -> str:
    return "" if value is None or (not isinstance(value, str) and pd.isna(value)) else str(value).strip()


def join_metadata(panel: pd.DataFrame, metadata: pd.DataFrame, origin: Path | str) -> pd.DataFrame:
    """Return ``panel`` with the user's variables joined and overrides applied (see the module docstring).

    Parameters
    ----------
    panel : pandas.DataFrame
        Output of :func:`~pipeline.coverage.corpus.corpus_panel`.
    metadata : pandas.DataFrame
        Output of :func:`read_metadata`.
    origin : Path or str
        The metadata file, named in every problem.

    Raises
    ------
    MetadataError
        With one line per problem; nothing is joined.
    """
    key = next((k for k in KEYS if k in metadata.columns), None)
    if key is None:
        raise MetadataError(
            [
                f"{origin}:1: no report_id or source column; add one naming each report "
                "(its report_id in panel.csv, or its file name)."
            ]
        )
    ids = _report_ids(panel, metadata, key)
    problems = [
        *_clashes(metadata, key, origin),
        *_key_problems(metadata, ids, key, origin),
        *_year_problems(metadata, origin),
    ]
    if problems:
        raise MetadataError(problems)
    user = metadata.drop(columns=[c for c in (*KEYS, "line") if c in metadata.columns]).assign(report_id=ids)
    user = user.set_index("report_id")
    joined = panel.set_index("report_id", drop=False)
    for column in user.columns:
        values = user[column].reindex(joined.index)
        if column in OVERRIDABLE:
            given = values.fillna("") != ""
            joined[column] = joined[column].astype(object).where(~given, _typed(column, values))
            if column in PLACE_COLUMNS and given.any():
                joined.loc[given, "place_source"] = "metadata"
        else:
            joined[column] = _as_numbers_where_safe(values.fillna(""))
    if "year" in user.columns:
        joined["year"] = pd.to_numeric(joined["year"], errors="coerce").astype("Int64")
    return _with_user_columns_after_report_variables(joined.reset_index(drop=True), panel, user.columns)


def _report_ids(panel: pd.DataFrame, metadata: pd.DataFrame, key: str) -> list[str]:
    """Each metadata row's report_id ("" if it names no report of the run)."""
    if key == "report_id":
        known = set(panel["report_id"])
        return [value if value in known else "" for value in metadata[key]]
    by_source = {}
    for report_id, source in zip(panel["report_id"], panel.get("source", pd.Series("", index=panel.index))):
        for name in {str(source), Path(str(source)).name, Path(str(source)).stem}:
            by_source.setdefault(name, report_id)
    return [by_source.get(value, by_source.get(Path(value).name, "")) for value in metadata[key]]


def _clashes(metadata: pd.DataFrame, key: str, origin: Path | str) -> list[str]:
    reserved = [
        c
        for c in metadata.columns
        if c in RESERVED or c.startswith((SHARE_PREFIX, STATUS_PREFIX, TASK_PREFIX)) or (c in KEYS and c != key)
    ]
    blank = [i + 1 for i, c in enumerate(metadata.columns) if not c or c.startswith("Unnamed:")]
    problems = [f"{origin}:1: column {c!r} is one of rolcov's own measures; rename it (e.g. my_{c})." for c in reserved]
    return problems + [f"{origin}:1: column {i} has no name; name it or delete it." for i in blank]


def _key_problems(metadata: pd.DataFrame, ids: list[str], key: str, origin: Path | str) -> list[str]:
    problems, first_line = [], {}
    for value, report_id, line in zip(metadata[key], ids, metadata["line"]):
        if not value:
            problems.append(f"{origin}:{line}: empty {key}; give the report this row is about, or delete the row.")
        elif not report_id:
            problems.append(
                f"{origin}:{line}: {key} {value!r} is not a report of this run; check the spelling "
                "against panel.csv, or delete the row."
            )
        elif report_id in first_line:
            problems.append(
                f"{origin}:{line}: {key} {value!r} repeats line {first_line[report_id]}; keep one row per report."
            )
        else:
            first_line[report_id] = line
    return problems


def _year_problems(metadata: pd.DataFrame, origin: Path | str) -> list[str]:
    if "year" not in metadata.columns:
        return []
    bad = [
        (line, year)
        for year, line in zip(metadata["year"], metadata["line"])
        if year and not (year.isdigit() and 1949 <= int(year) <= 2100)
    ]
    return [
        f"{origin}:{line}: year {year!r} is not a year (e.g. 2022); fix it or leave it empty." for line, year in bad
    ]


def _typed(column: str, values: pd.Series) -> pd.Series:
    return pd.to_numeric(values, errors="coerce") if column == "year" else values


def _as_numbers_where_safe(values: pd.Series) -> pd.Series:
    """A column of numbers becomes numeric (so Stata and R see a number); codes with leading zeros stay text."""
    given = values[values != ""]
    if given.empty or given.str.match(r"^0\d").any():
        return values
    numbers = pd.to_numeric(given, errors="coerce")
    return pd.to_numeric(values.replace("", np.nan), errors="coerce") if numbers.notna().all() else values


def _with_user_columns_after_report_variables(
    joined: pd.DataFrame, panel: pd.DataFrame, user: pd.Index
) -> pd.DataFrame:
    added = [c for c in user if c not in panel.columns]
    before = [
        c
        for c in panel.columns
        if c not in COUNT_COLUMNS and not c.startswith((SHARE_PREFIX, STATUS_PREFIX, TASK_PREFIX))
    ]
    rest = [c for c in panel.columns if c not in before]
    return joined[[*before, *added, *rest]]
