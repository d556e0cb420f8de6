"""Find every problem in an annotation file, each as ``file:line: what is wrong; what to do``.

Annotation files are edited by hand in Excel/WPS, exported from Label Studio and merged from several
annotators, so they break in predictable ways: a GBK save, a comma between label ids, a typo in an id, a
paragraph whose text moved after segmentation changed. Training and ``rolcov validate`` run the same checks
so a researcher sees the same message whichever way they meet the problem.
"""

from __future__ import annotations

import csv
import glob
import io
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from pipeline.errors import RolcovError
from pipeline.io.excel import read_xlsx
from pipeline.io.ingest import SUPPORTED_SUFFIXES, read_report
from pipeline.io.tables import csv_cells_restored, read_table
from pipeline.schema import ANNOTATION_FILE_COLUMNS, ANNOTATION_REQUIRED_COLUMNS, PARTS, join_labels, split_labels
from pipeline.taxonomy import Taxonomy, load_taxonomy
from pipeline.text.segment import annotation_units

SOURCES = ("gold", "silver")
WRONG_SEPARATORS = (",", "，", "、", "|", "/")
_SAVE_AS_UTF8 = "save it as 'CSV UTF-8' in Excel/WPS (or UTF-8 in your editor)"


@dataclass(frozen=True)
class Problem:
    """One thing wrong with an annotation file, where it is and how to fix it.

    Attributes
    ----------
    file : str
        The annotation file.
    line : int
        1-based line of the CSV (the header is line 1) or JSONL; the sheet row of an .xlsx workbook (the header
        is row 1), as Excel shows it; row number + 1 for parquet; 0 for a problem of the file as a whole.
    message : str
        ``what is wrong; what to do``.
    """

    file: str
    line: int
    message: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.message}" if self.line else f"{self.file}: {self.message}"


def validate_annotations(
    path: str | Path, taxonomy: Taxonomy | None = None, raw_dir: str | Path | None = None
) -> list[Problem]:
    """Return every problem in an annotation file (empty list: the file is clean).

    Parameters
    ----------
    path : str or Path
        A .csv (UTF-8, BOM optional), .jsonl or .parquet file in the annotation format.
    taxonomy : Taxonomy, optional
        Label ids allowed in ``labels`` and ``primary``; defaults to :func:`load_taxonomy`.
    raw_dir : str or Path, optional
        Folder with the reports (``<report_id>.*``). Each paragraph's text is compared with the report as
        segmented now, which catches text drift after a segmentation change. Defaults to ``raw/`` inside the
        ``corpus/`` folder that holds the annotation file, when there is one.
    """
    path = Path(path)
    frame, problems = load_rows(path)
    if problems:
        return problems
    problems = check_rows(frame, path, taxonomy)
    raw = Path(raw_dir) if raw_dir is not None else default_raw_dir(path)
    if raw is not None:
        problems += check_text_drift(frame, path, raw)
    return sorted(problems, key=lambda problem: problem.line)


def default_raw_dir(path: Path) -> Path | None:
    """``corpus/raw`` of the ``corpus/`` folder an annotation file sits in, if that folder exists."""
    for folder in path.resolve().parents:
        if folder.name == "corpus" and (folder / "raw").is_dir():
            return folder / "raw"
    return None


def load_rows(path: Path) -> tuple[pd.DataFrame, list[Problem]]:
    """Read the file as text cells plus a ``line`` column; return problems that stop any further check."""
    suffix = path.suffix.lower()
    if suffix == ".xlsx":
        frame, problem = _xlsx_rows(path)
        if problem:
            return pd.DataFrame(), [problem]
    elif suffix != ".csv":
        frame = read_table(path).fillna("")  # jsonl/parquet: one record per line/row
        if "labels" in frame.columns:  # written from a DataFrame, labels are a list, not ``a;b``
            frame["labels"] = [cell if isinstance(cell, str) else join_labels(cell) for cell in frame["labels"]]
        frame = frame.astype(str)
        frame["line"] = range(1, len(frame) + 1)
    else:
        text, problem = _decode(path)
        if problem:
            return pd.DataFrame(), [problem]
        frame = _csv_rows(text)
    missing = [column for column in ANNOTATION_REQUIRED_COLUMNS if column not in frame.columns]
    if missing:
        stray = next((c for c in frame.columns if c.startswith("\ufeff")), None)
        header = f"the header must be {','.join(ANNOTATION_FILE_COLUMNS)}"
        fix = f"the file has two BOMs; {_SAVE_AS_UTF8}" if stray else header
        return pd.DataFrame(), [Problem(str(path), 1, f"missing column(s) {', '.join(missing)}; {fix}")]
    if "heading_path" not in frame.columns:
        frame["heading_path"] = ""
    return frame, []


def _xlsx_rows(path: Path) -> tuple[pd.DataFrame, Problem | None]:
    """Cells as text with their sheet row in ``line``, so a message points at the row Excel shows."""
    try:
        frame = read_xlsx(path)
    except (OSError, ValueError) as error:
        return pd.DataFrame(), Problem(str(path), 1, f"cannot read this workbook ({error}); save it again as .xlsx")
    lines = frame.pop("line")
    frame = frame.astype(object).where(frame.notna(), "").astype(str)
    frame["line"] = lines
    return frame, None


def _decode(path: Path) -> tuple[str, Problem | None]:
    raw = path.read_bytes()
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        return "", Problem(str(path), 1, f"the file is UTF-16 ('Unicode text'), not UTF-8; {_SAVE_AS_UTF8}")
    try:
        return raw.decode("utf-8-sig"), None
    except UnicodeDecodeError as error:
        line = raw[: error.start].count(b"\n") + 1
        guess = " (looks like GBK/GB18030, Excel's default for Chinese)" if _is_gb18030(raw) else ""
        return "", Problem(str(path), line, f"not UTF-8{guess}; {_SAVE_AS_UTF8}")


def _is_gb18030(raw: bytes) -> bool:
    try:
        raw.decode("gb18030")
    except UnicodeDecodeError:
        return False
    return True


def _csv_rows(text: str) -> pd.DataFrame:
    """Parse CSV text keeping the line each record starts on (quoted cells may span lines)."""
    reader = csv.reader(io.StringIO(text, newline=""))
    header = [name.strip() for name in next(reader, [])]
    records, start = [], 2
    for cells in reader:
        if any(cell.strip() for cell in cells):
            padded = (cells + [""] * len(header))[: len(header)]
            records.append([*padded, start])
        start = reader.line_num + 1
    return csv_cells_restored(pd.DataFrame(records, columns=[*header, "line"]))  # '=… cells as written


def check_rows(frame: pd.DataFrame, path: Path, taxonomy: Taxonomy | None = None) -> list[Problem]:
    """Problems visible in the file alone: labels, primary, source, part, empty text, duplicates."""
    known = (taxonomy or load_taxonomy()).ids
    problems: list[Problem] = []
    seen: dict[tuple[str, str, str], int] = {}
    for row in frame.itertuples(index=False):
        messages = [*_row_messages(row, known)]
        key = (row.report_id, row.para_id, row.annotator)
        if key in seen:
            messages.append(
                f"duplicate of line {seen[key]} (same report_id, para_id and annotator); "
                "delete one row or give it another annotator"
            )
        seen.setdefault(key, row.line)
        problems += [Problem(str(path), row.line, message) for message in messages]
    return problems


def _row_messages(row: object, known: list[str]) -> Iterable[str]:
    for column in ("report_id", "para_id", "text"):
        if not str(getattr(row, column)).strip():
            yield f"empty {column}; copy it from the `rolcov segment` output"
    if row.report_id and row.para_id and not row.para_id.startswith(f"{row.report_id}:"):
        yield f"para_id {row.para_id!r} is not in report {row.report_id!r}; ids look like {row.report_id}:0005"
    wrong = sorted({sep for sep in WRONG_SEPARATORS if sep in row.labels})
    if wrong:
        yield f"labels {row.labels!r} separates ids with {' '.join(wrong)}; use ; (e.g. enforcement;capacity)"
        return
    labels = split_labels(row.labels)
    for label in labels:
        if label not in known:
            yield f"unknown label id {label!r}; known ids are {', '.join(known)}"
    primary = row.primary.strip()
    if primary and not labels:
        yield f"primary {primary!r} is set but labels is empty; add it to labels or clear primary"
    elif labels and primary not in labels:
        yield f"primary {primary!r} is not among labels {row.labels!r}; set primary to one of them"
    if row.source not in SOURCES:
        yield f"unknown source {row.source!r}; use gold (by hand) or silver (heuristic)"
    if row.part not in PARTS:
        yield f"unknown part {row.part!r}; use one of {', '.join(PARTS)}"


def check_text_drift(frame: pd.DataFrame, path: Path, raw_dir: Path) -> list[Problem]:
    """Compare each row's text with its paragraph in the report as segmented now (each report once)."""
    problems: list[Problem] = []
    for report_id, rows in frame.groupby("report_id", sort=False):
        if not _is_file_stem(report_id):
            problems.append(
                Problem(
                    str(path),
                    int(rows.line.min()),
                    f"report_id {report_id!r} is a path, not a "
                    f"file name; use the name of its report file in {raw_dir} without extension",
                )
            )
            continue
        report_file = _report_file(raw_dir, report_id)
        if report_file is None:
            problems.append(
                Problem(
                    str(path),
                    int(rows.line.min()),
                    f"no report file {raw_dir}/{report_id}.*; "
                    "put the report there or point --raw at the folder that has it",
                )
            )
            continue
        texts = _segmented_texts(report_file)
        problems += [
            Problem(str(path), row.line, message)
            for row in rows.itertuples(index=False)
            for message in _drift_messages(row, texts, report_file)
        ]
    return problems


def _is_file_stem(report_id: str) -> bool:
    """A report_id names a file in the reports folder; ``../x`` or ``/x`` would be read from outside it."""
    return report_id not in ("", ".", "..") and "/" not in report_id and "\\" not in report_id


def _report_file(raw_dir: Path, report_id: str) -> Path | None:
    candidates = sorted(
        p for p in raw_dir.glob(f"{glob.escape(report_id)}.*") if p.suffix.lower() in SUPPORTED_SUFFIXES
    )
    return candidates[0] if candidates else None


def _segmented_texts(report_file: Path) -> dict[str, str]:
    """para_id → text for paragraphs and enumeration items (ids of both kinds are distinct)."""
    try:
        report = read_report(report_file)
    except RolcovError as error:
        raise type(error)(f"{error}; cannot check annotation text against it") from None
    return {unit.para_id: unit.text.strip() for unit in annotation_units(report)}


def _drift_messages(row: object, texts: dict[str, str], report_file: Path) -> Iterable[str]:
    if row.para_id not in texts:
        yield (
            f"para_id {row.para_id!r} is not in {report_file.name} as segmented now ({len(texts)} paragraphs "
            "and items); re-run `rolcov segment --items` and fix the para_id"
        )
    elif texts[row.para_id] != row.text.strip():
        moved = next((pid for pid, text in texts.items() if text == row.text.strip()), None)
        fix = f"the text is now at {moved}; change para_id" if moved else "re-check the text and its labels"
        yield f"text of {row.para_id} no longer matches {report_file.name} (now {texts[row.para_id][:20]!r}…); {fix}"
