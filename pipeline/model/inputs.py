"""What a trained model is applied to: report files, folders and tables, read into one paragraph table
(``rolcov classify``, ``rolcov suggest``), and labelled samples to score it on (``rolcov evaluate --model``).

Inputs are told apart by suffix: tables (.csv/.jsonl/.parquet/.xlsx) are taken as given, everything else is a
report file or folder and is segmented exactly as a batch run segments it. Each function returns its table
and one line per input that could not be used, so one bad file never stops the others.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import partial
from pathlib import Path

import pandas as pd

from pipeline.annotate.annotations import read_annotations
from pipeline.errors import AnnotationError
from pipeline.io.tables import READ_SUFFIXES, read_table
from pipeline.model.batch import classify_report
from pipeline.model.classifier import ParagraphClassifier
from pipeline.schema import ANNOTATION_REQUIRED_COLUMNS, split_labels
from pipeline.taxonomy import Taxonomy, default_taxonomy
from pipeline.text.segment import annotation_frame, map_reports, segment_files


def _split_inputs(paths: Sequence[str | Path]) -> tuple[list[Path], list[str | Path]]:
    """Tables and report files/folders, each in the order given."""
    tables = [Path(p) for p in paths if Path(p).suffix.lower() in READ_SUFFIXES]
    return tables, [p for p in paths if Path(p).suffix.lower() not in READ_SUFFIXES]


def read_paragraphs(paths: Sequence[str | Path]) -> tuple[pd.DataFrame, list[str]]:
    """Paragraph table from report files/folders (segmented) and tables with a ``text`` column (as given).

    Returns the table and one error line per input that could not be read.
    """
    tables, reports = _split_inputs(paths)
    frames, failures = [], []
    if reports:
        segmented, failures = segment_files(reports)
        frames.append(segmented)
    for path in tables:
        frame = read_table(path)
        if "text" not in frame:
            failures.append(f"{path}: no 'text' column; give one row per paragraph with its text in 'text'")
            continue
        frames.append(frame)
    frames = [frame for frame in frames if not frame.empty]
    return (pd.concat(frames, ignore_index=True) if frames else pd.DataFrame({"text": []})), failures


def classify_inputs(paths: Sequence[str | Path], model: ParagraphClassifier) -> tuple[pd.DataFrame, list[str]]:
    """Labelled table of report files/folders and paragraph tables: what ``rolcov classify -o FILE`` writes.

    Reports go one at a time through :func:`pipeline.model.batch.classify_report`, the same work a batch run
    (:func:`pipeline.model.batch.classify_reports`) does in its workers; tables are classified as given.
    Returns the table and one error line per input that could not be read.
    """
    tables, reports = _split_inputs(paths)
    frames, failures = map_reports(reports, partial(classify_report, model=model), desc="classify")
    given, table_failures = read_paragraphs(tables)
    frames.append(model.classify(given))  # empty when no table was given: keeps the columns if nothing else has rows
    table = pd.concat([frame for frame in frames if not frame.empty] or frames[-1:], ignore_index=True)
    return table, failures + table_failures


def labelled_sample(paths: Sequence[str | Path], taxonomy: Taxonomy | None = None) -> tuple[pd.DataFrame, list[str]]:
    """Rows to score a trained model on, with gold ``labels`` (tuples) and ``primary``: what
    ``rolcov evaluate --model`` reads.

    Tables (.csv/.jsonl/.parquet/.xlsx) hold the gold labels: an annotation file, read and checked by
    :func:`pipeline.annotate.annotations.read_annotations` (the same messages as ``rolcov validate``), or any
    table with ``text`` and ``labels`` (``a;b``) and/or ``primary`` (a table without ``primary`` takes each
    row's first label; one without ``labels`` takes ``primary`` as its only label). When report files or
    folders are given too, each labelled row is matched to the paragraph or item of the same ``report_id`` and
    ``para_id`` in the reports as segmented now, and the model sees that paragraph as ``rolcov classify``
    would (text with its lead, heading path); otherwise the tables' rows are scored as given.

    Returns the table and one line per labelled row or input that could not be used.

    Raises
    ------
    AnnotationError
        If no table carries labels, a label is not in the taxonomy, or no labelled row is left to score.
    """
    taxonomy = taxonomy or default_taxonomy()
    tables, reports = _split_inputs(paths)
    if not tables:
        raise AnnotationError(
            "no labelled table given; add the annotation file (.csv/.jsonl/.parquet) whose "
            "labels the model is scored against"
        )
    gold = pd.concat([_labelled_table(path, taxonomy) for path in tables], ignore_index=True)
    if not reports or gold.empty:
        return _non_empty(gold, []), []
    frames, failures = map_reports(reports, annotation_frame, desc="segment")
    segmented = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=["report_id", "para_id"])
    keys = ["report_id", "para_id"]
    matched = segmented.merge(gold[[*keys, "labels", "primary"]], on=keys, how="inner")
    missing = len(gold) - len(matched)
    if missing:
        failures.append(
            f"{missing} labelled row(s) have no paragraph with their report_id and para_id in the "
            "given reports; check that the reports are the annotated ones, unchanged"
        )
    return _non_empty(matched, failures), failures


def _non_empty(sample: pd.DataFrame, failures: list[str]) -> pd.DataFrame:
    if sample.empty:
        raise AnnotationError("no labelled paragraph to score" + "".join(f"; {failure}" for failure in failures))
    return sample


def _labelled_table(path: Path, taxonomy: Taxonomy) -> pd.DataFrame:
    """One labelled table: an annotation file through the annotate stage's reader, else :func:`_plain_labels`."""
    columns = read_table(path).columns
    if set(ANNOTATION_REQUIRED_COLUMNS) <= set(columns):
        return read_annotations(path, taxonomy)
    return _plain_labels(path, taxonomy)


def _plain_labels(path: Path, taxonomy: Taxonomy) -> pd.DataFrame:
    """A table that is not an annotation file, only ``text`` with ``labels`` and/or ``primary``: labels as
    tuples, ``primary`` filled in, ``report_id`` the file name and ``para_id`` its line, as in an annotation file."""
    frame = read_table(path)
    if "text" not in frame or not {"labels", "primary"} & set(frame.columns):
        raise AnnotationError(f"{path}: a labelled table needs 'text' and 'labels' and/or 'primary' columns")
    labels = (frame["labels"] if "labels" in frame else frame["primary"]).map(split_labels)
    known = set(taxonomy.ids)
    for line, row in enumerate(labels, start=2):
        unknown = [label for label in row if label not in known]
        if unknown:
            raise AnnotationError(
                f"{path}:{line}: unknown label id {', '.join(map(repr, unknown))}; known ids are "
                f"{', '.join(taxonomy.ids)}"
            )
    primary = (
        frame["primary"].fillna("").astype(str).str.strip()
        if "primary" in frame
        else labels.map(lambda row: row[0] if row else "")
    )
    frame = frame.assign(labels=labels.map(tuple), primary=primary)
    if "report_id" not in frame:
        frame["report_id"] = path.stem
    if "para_id" not in frame:
        frame["para_id"] = [f"{path.stem}:{line}" for line in range(2, len(frame) + 2)]
    return frame
