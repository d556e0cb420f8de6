"""Train, evaluate and apply the paragraph classifier: the steps behind ``rolcov train/evaluate/classify``.

Each function composes stages (annotations → classifier → model directory; files → paragraph table →
labelled table) so that Python users get the same results as the command line in the same few calls.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import partial
from pathlib import Path

import numpy as np
import pandas as pd

from pipeline.annotate.annotations import (
    DEFAULT_WEIGHTS, combine_annotations, label_matrix, read_annotations, require_gold_rows,
)
from pipeline.model.batch import classify_report
from pipeline.errors import AnnotationError
from pipeline.model.evaluate import evaluate_classifier
from pipeline.model.features import make_features
from pipeline.model.classifier import ParagraphClassifier
from pipeline.model.store import file_sha256, save_model, taxonomy_summary
from pipeline.text.segment import annotation_frame, map_reports, segment_files
from pipeline.io.tables import READ_SUFFIXES, read_table
from pipeline.taxonomy import Taxonomy, load_taxonomy
from pipeline.schema import split_labels

DEFAULT_MODEL_DIR = Path("models/default")
#: Named configurations: ``shipped`` (what ``rolcov train`` writes: heading evidence, and every training row
#: also without its headings, so one model serves report files and bare tables); ``text_only`` and
#: ``with_headings``, the two earlier configurations, kept for comparison.
SETTINGS = {"shipped": {"use_headings": True, "heading_copies": True},
            "text_only": {"use_headings": False, "heading_copies": False},
            "with_headings": {"use_headings": True, "heading_copies": False}}
SHIPPED = "shipped"


def default_classifier(setting: str = SHIPPED, taxonomy: Taxonomy | None = None) -> ParagraphClassifier:
    """An unfitted classifier of a named configuration (:data:`SETTINGS`): :func:`make_features` defaults, C=4."""
    options = SETTINGS[setting]
    return ParagraphClassifier(features=make_features(use_headings=options["use_headings"], taxonomy=taxonomy),
                               heading_copies=options["heading_copies"], taxonomy=taxonomy)


def training_table(annotation_paths: Sequence[str | Path], silver_paths: Sequence[str | Path] = (),
                   silver_weight: float = DEFAULT_WEIGHTS["silver"], taxonomy: Taxonomy | None = None) -> pd.DataFrame:
    """Read, validate and combine annotation files into one table with a ``weight`` column (gold wins)."""
    taxonomy = taxonomy or load_taxonomy()
    paths = [*annotation_paths, *silver_paths]
    table = combine_annotations([read_annotations(path, taxonomy) for path in paths],
                                weights={**DEFAULT_WEIGHTS, "silver": silver_weight})
    require_gold_rows(table, paths)
    return table


def evaluate_annotations(table: pd.DataFrame, taxonomy: Taxonomy | None = None,
                         settings: Sequence[str] = (SHIPPED,)) -> dict:
    """Leave-one-report-out results per named configuration (:data:`SETTINGS`)."""
    taxonomy = taxonomy or load_taxonomy()
    Y = label_matrix(table, taxonomy.ids)
    weight = table["weight"].to_numpy() if "weight" in table else None
    results = {"method": "leave-one-report-out; trained on paragraphs+items (+silver), gold rows scored; "
                         "paragraphs (ids without '.') and items scored separately, headline = paragraphs",
               "taxonomy": taxonomy_summary(taxonomy)}
    for name in settings:
        results[name] = evaluate_classifier(table, Y, default_classifier(name, taxonomy), weight)
    return results


def train_model(annotation_paths: Sequence[str | Path], output: str | Path, silver_paths: Sequence[str | Path] = (),
                silver_weight: float = DEFAULT_WEIGHTS["silver"], setting: str = SHIPPED,
                taxonomy: Taxonomy | None = None) -> Path:
    """Fit the default classifier on annotation files, evaluate it by LORO and save it with its card.

    Returns
    -------
    Path
        The written ``model.json``.
    """
    taxonomy = taxonomy or load_taxonomy()
    table = training_table(annotation_paths, silver_paths, silver_weight, taxonomy)
    evaluation = evaluate_annotations(table, taxonomy, [setting])[setting]
    Y = label_matrix(table, taxonomy.ids)
    classifier = default_classifier(setting, taxonomy).fit(table, Y, sample_weight=table["weight"].to_numpy())
    card = {
        "taxonomy": taxonomy_summary(taxonomy),
        "params": {"setting": setting, **SETTINGS[setting], "C": classifier.C, "inner_folds": classifier.inner_folds,
                   "codebook_weight": classifier.codebook_weight, "silver_weight": silver_weight},
        "training_data": _data_summary(table, [*annotation_paths, *silver_paths], taxonomy),
        "evaluation": {unit: _headline(evaluation[unit]) for unit in ("paragraphs", "items") if unit in evaluation},
    }
    return save_model(classifier, output, card)


def _data_summary(table: pd.DataFrame, paths: Sequence[str | Path], taxonomy: Taxonomy) -> dict:
    per_label = {label: {source: int(rows["labels"].map(lambda labels: label in labels).sum())
                         for source, rows in table.groupby("source")} for label in taxonomy.ids}
    return {"files": [{"path": str(path), "sha256": file_sha256(path)} for path in paths],
            "rows": int(len(table)), "reports": int(table.report_id.nunique()),
            "per_source": {str(s): int(n) for s, n in table["source"].value_counts().items()},
            "per_label": per_label}


def _headline(scores: dict) -> dict:
    keep = ("rows", "macro_f1", "micro_f1", "top1_accuracy", "top1_rows")
    return {**{key: scores[key] for key in keep},
            "per_label_f1": {label: m["f1"] for label, m in scores["per_label"].items()}}


def read_paragraphs(paths: Sequence[str | Path]) -> tuple[pd.DataFrame, list[str]]:
    """Paragraph table from report files/folders (segmented) and tables with a ``text`` column (as given).

    Returns the table and one error line per input that could not be read.
    """
    tables = [Path(p) for p in paths if Path(p).suffix.lower() in READ_SUFFIXES]
    reports = [p for p in paths if Path(p).suffix.lower() not in READ_SUFFIXES]
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
    reports = [p for p in paths if Path(p).suffix.lower() not in READ_SUFFIXES]
    tables = [p for p in paths if Path(p).suffix.lower() in READ_SUFFIXES]
    frames, failures = map_reports(reports, partial(classify_report, model=model), desc="classify")
    given, table_failures = read_paragraphs(tables)
    frames.append(model.classify(given))  # empty when no table was given: keeps the columns if nothing else has rows
    table = pd.concat([frame for frame in frames if not frame.empty] or frames[-1:], ignore_index=True)
    return table, failures + table_failures


def label_summary(table: pd.DataFrame, classes: Sequence[str]) -> str:
    """Per report (or overall): paragraphs and how many carry each label, and how many carry none."""
    key = table["report_id"] if "report_id" in table else pd.Series("all", index=table.index)
    labels = table["labels"].fillna("").map(split_labels)
    counts = pd.DataFrame({label: labels.map(lambda found, label=label: label in found) for label in classes})
    summary = counts.groupby(key.to_numpy()).sum()
    summary.insert(0, "paragraphs", key.value_counts().reindex(summary.index))
    summary["none"] = (table["labels"].fillna("") == "").groupby(key.to_numpy()).sum()
    return summary.to_string()


def labelled_sample(paths: Sequence[str | Path], taxonomy: Taxonomy | None = None) -> tuple[pd.DataFrame, list[str]]:
    """Rows to score a trained model on, with gold ``labels`` (tuples) and ``primary``: what
    ``rolcov evaluate --model`` reads.

    Tables (.csv/.jsonl/.parquet) hold the gold labels: the annotation format, or any table with ``text``
    and ``labels`` (``a;b``) and/or ``primary`` (a table without ``primary`` takes each row's first label;
    one without ``labels`` takes ``primary`` as its only label). When report files or folders are given
    too, each labelled row is matched to the paragraph or item of the same ``report_id`` and ``para_id`` in
    the reports as segmented now, and the model sees that paragraph as ``rolcov classify`` would (text
    with its lead, heading path); otherwise the tables' rows are scored as given.

    Returns the table and one line per labelled row or input that could not be used.

    Raises
    ------
    AnnotationError
        If no table carries labels, a label is not in the taxonomy, or no labelled row is left to score.
    """
    taxonomy = taxonomy or load_taxonomy()
    tables = [Path(p) for p in paths if Path(p).suffix.lower() in READ_SUFFIXES]
    reports = [p for p in paths if Path(p).suffix.lower() not in READ_SUFFIXES]
    if not tables:
        raise AnnotationError("no labelled table given; add the annotation file (.csv/.jsonl/.parquet) whose "
                              "labels the model is scored against")
    gold = pd.concat([_gold_rows(path, taxonomy) for path in tables], ignore_index=True)
    if not reports or gold.empty:
        return _non_empty(gold, []), []
    frames, failures = map_reports(reports, annotation_frame, desc="segment")
    segmented = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=["report_id", "para_id"])
    keys = ["report_id", "para_id"]
    matched = segmented.merge(gold[[*keys, "labels", "primary"]], on=keys, how="inner")
    missing = len(gold) - len(matched)
    if missing:
        failures.append(f"{missing} labelled row(s) have no paragraph with their report_id and para_id in the "
                        "given reports; check that the reports are the annotated ones, unchanged")
    return _non_empty(matched, failures), failures


def _non_empty(sample: pd.DataFrame, failures: list[str]) -> pd.DataFrame:
    if sample.empty:
        raise AnnotationError("no labelled paragraph to score" + "".join(f"; {failure}" for failure in failures))
    return sample


def _label_list(cell) -> list[str]:
    """Label ids of a cell: ``a;b`` text, or a list as JSON Lines and Parquet hold it."""
    if isinstance(cell, (list, tuple, np.ndarray)):
        return [str(label) for label in cell]
    return split_labels(cell) if isinstance(cell, str) else []


def _gold_rows(path: Path, taxonomy: Taxonomy) -> pd.DataFrame:
    """One labelled table with ``labels`` as tuples of ids and ``primary`` filled in (see :func:`labelled_sample`)."""
    frame = read_table(path)
    if "text" not in frame or not {"labels", "primary"} & set(frame.columns):
        raise AnnotationError(f"{path}: a labelled table needs 'text' and 'labels' and/or 'primary' columns")
    labels = (frame["labels"] if "labels" in frame else frame["primary"]).map(_label_list)
    known = set(taxonomy.ids)
    for line, row in enumerate(labels, start=2):
        unknown = [label for label in row if label not in known]
        if unknown:
            raise AnnotationError(f"{path}:{line}: unknown label {', '.join(unknown)}; use one of "
                                  f"{', '.join(taxonomy.ids)}")
    primary = frame["primary"].fillna("").astype(str).str.strip() if "primary" in frame else labels.map(
        lambda row: row[0] if row else "")
    frame = frame.assign(labels=labels.map(tuple), primary=primary)
    if "report_id" not in frame:
        frame["report_id"] = path.stem
    if "para_id" not in frame:
        frame["para_id"] = [f"{path.stem}:{line}" for line in range(2, len(frame) + 2)]
    return frame
