"""Excel workbooks (``.xlsx``) in and out, for the researchers who keep labels and results in Excel or WPS.

Three things make a workbook differ from a CSV file and are handled here, once:

* **Row numbers.** A validation message must point at the row a person sees in Excel, so reading keeps each
  record's sheet row (the header is row 1) in a ``line`` column, exactly as the CSV reader keeps line numbers.
* **Cell types.** Excel turns ``007`` into the number 7 and ``1`` into ``1.0`` only if it was typed as a number;
  text cells stay text. Whole-number floats are read back as integers so an id typed as a number is ``"7"``,
  not ``"7.0"``.
* **Formulas.** openpyxl writes a string that starts with ``=`` as a formula; report text or a label cell
  must never become one (a crafted paragraph could otherwise run ``=HYPERLINK(…)`` in the reader's Excel), so
  such strings are written as explicit text cells. Characters that XML cannot hold (control characters from
  PDF extraction) are dropped rather than failing the whole write.
"""

from __future__ import annotations

import zipfile
from collections.abc import Mapping
from pathlib import Path

import numpy as np
import pandas as pd
from openpyxl import Workbook, load_workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

from pipeline.errors import InputError
from pipeline.io.limits import check_zip_size
from pipeline.schema import join_labels

#: Excel's limits; a table beyond them is refused with a pointer to a format that has none.
MAX_ROWS, MAX_CELL_CHARS = 1_048_576, 32_767


def read_xlsx(path: Path | str, sheet: int | str = 0) -> pd.DataFrame:
    """Read one sheet of a workbook (the first by default): the first row is the header, blank rows are skipped.

    Parameters
    ----------
    path : Path or str
        The ``.xlsx`` file.
    sheet : int or str
        The sheet's position or name.

    Returns
    -------
    pandas.DataFrame
        One column per header cell (cell values as read: ``str``, numbers, dates; empty cells ``None``) plus
        ``line``, the sheet row each record is on.

    Raises
    ------
    ValueError
        If the file is not a readable workbook (so :func:`pipeline.io.tables.read_table` reports it as such), or
        has no such sheet.
    InputError
        If it unpacks to more than :data:`pipeline.io.limits.UNZIPPED`.
    """
    try:
        with zipfile.ZipFile(path) as archive:
            check_zip_size(archive, path)  # before openpyxl unpacks a sheet that may be a zip bomb
        workbook = load_workbook(path, read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError) as error:
        raise ValueError(f"not a readable .xlsx workbook: {error}") from error
    try:
        if isinstance(sheet, str) and sheet not in workbook.sheetnames:
            raise ValueError(f"no sheet {sheet!r} (sheets: {', '.join(workbook.sheetnames)})")
        worksheet = workbook[sheet] if isinstance(sheet, str) else workbook.worksheets[sheet]
        rows = worksheet.iter_rows(values_only=True)
        header = [_header_name(cell) for cell in next(rows, ())]
        records = []
        for number, cells in enumerate(rows, start=2):
            values = [_cell_value(cell) for cell in (tuple(cells) + (None,) * len(header))[: len(header)]]
            if any(value not in (None, "") for value in values):
                records.append([*values, number])
    finally:
        workbook.close()
    while header and not header[-1]:  # trailing empty header cells: columns Excel kept formatting in
        header.pop()
        records = [[*record[: len(header)], record[-1]] for record in records]
    return pd.DataFrame(records, columns=[*header, "line"])


def _header_name(cell: object) -> str:
    return "" if cell is None else str(cell).strip()


def _cell_value(cell: object) -> object:
    if isinstance(cell, float) and cell.is_integer():
        return int(cell)
    return cell


def write_xlsx(sheets: Mapping[str, pd.DataFrame], path: Path | str, origin: Path | str | None = None) -> Path:
    """Write one sheet per table into a workbook at ``path`` (not atomic: callers pass a temporary path).

    Parameters
    ----------
    sheets : mapping of str to DataFrame
        Sheet name → table, in order; the index is not written.
    path : Path or str
        The file to create.
    origin : Path or str, optional
        The file the user asked for, named in errors (``path`` may be a temporary file).

    Raises
    ------
    InputError
        If a table has more rows than a sheet holds or a cell more characters than Excel shows.
    """
    workbook = Workbook(write_only=True)
    for name, table in sheets.items():
        _check_limits(table, origin or path)
        sheet = workbook.create_sheet(title=name[:31])
        sheet.append([str(column) for column in table.columns])
        for row in table.itertuples(index=False):
            sheet.append([_text_cell(sheet, value) for value in row])
    workbook.save(path)
    return Path(path)


def _check_limits(table: pd.DataFrame, path: Path | str) -> None:
    if len(table) + 1 > MAX_ROWS:
        raise InputError(f"{path}: {len(table):,} rows do not fit in one Excel sheet; write .parquet or .csv instead.")
    for column in table.columns:
        values = table[column]
        if values.dtype == object and values.map(lambda v: isinstance(v, str) and len(v) > MAX_CELL_CHARS).any():
            raise InputError(
                f"{path}: a {column!r} cell is longer than Excel's {MAX_CELL_CHARS:,} characters; "
                "write .parquet or .csv instead."
            )


def _text_cell(sheet, value: object) -> object:
    """The value as Excel should hold it: missing as empty, text never as a formula, lists as ``a;b``."""
    if isinstance(value, (list, tuple, np.ndarray)):
        value = join_labels(value)
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return None
    if not isinstance(value, str):
        return value.item() if isinstance(value, np.generic) else value
    value = ILLEGAL_CHARACTERS_RE.sub("", value)
    if value.startswith("="):
        cell = WriteOnlyCell(sheet, value=value)
        cell.data_type = "s"
        return cell
    return value
