"""Load annotation files into one checked table the classifier and the agreement report can trust.

An annotation file (``corpus/annotations.csv``, format in ``corpus/codebook.md`` §9) says which themes a
paragraph is about, who said so (``annotator``) and how much to believe it (``source``: gold by hand, silver
by heuristic). Loading refuses a file with any problem :mod:`pipeline.annotate.validate` finds, with the same
``file:line`` messages as ``rolcov validate``, so a model is never trained on a typo.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from types import MappingProxyType

import numpy as np
import pandas as pd

from pipeline.annotate.validate import (
    Problem,
    check_rows,
    check_text_drift,
    load_rows,
    validate_annotations,
)
from pipeline.errors import AnnotationError
from pipeline.schema import ANNOTATION_FILE_COLUMNS, join_labels, split_labels
from pipeline.taxonomy import Taxonomy, load_taxonomy

__all__ = [
    "ANNOTATION_COLUMNS",
    "DEFAULT_WEIGHTS",
    "Problem",
    "combine_annotations",
    "label_matrix",
    "read_annotations",
    "require_gold_rows",
    "validate_annotations",
]

ANNOTATION_COLUMNS = (*ANNOTATION_FILE_COLUMNS, "line", "file")
# Silver labels come from headings, which the codebook calls evidence, not truth: they count, but less.
DEFAULT_WEIGHTS: Mapping[str, float] = MappingProxyType({"gold": 1.0, "silver": 0.3})
_MAX_LISTED = 30


def read_annotations(
    path: str | Path, taxonomy: Taxonomy | None = None, raw_dir: str | Path | None = None
) -> pd.DataFrame:
    """Read and validate an annotation file.

    Parameters
    ----------
    path : str or Path
        .csv (UTF-8, BOM optional), .jsonl, .parquet or .xlsx in the annotation format.
    taxonomy : Taxonomy, optional
        Allowed label ids (default :func:`load_taxonomy`); ``labels`` come back in its order.
    raw_dir : str or Path, optional
        When given, also check each text against the report in this folder (see :func:`validate_annotations`).

    Returns
    -------
    pandas.DataFrame
        :data:`ANNOTATION_COLUMNS`: the file's columns with ``labels`` as a tuple of ids (empty tuple = no
        label), ``heading_path`` ``""`` if absent, ``line`` the 1-based line in the file and ``file`` its path
        (so later errors can point back to the row).

    Raises
    ------
    AnnotationError
        Listing every problem as ``file:line: what is wrong; what to do``.
    """
    path = Path(path)
    taxonomy = taxonomy or load_taxonomy()
    frame, problems = load_rows(path)
    if not problems:
        problems = check_rows(frame, path, taxonomy)
        if raw_dir is not None:
            problems += check_text_drift(frame, path, Path(raw_dir))
    if problems:
        raise AnnotationError(problem_list(path, sorted(problems, key=lambda problem: problem.line)))
    order = {label: index for index, label in enumerate(taxonomy.ids)}
    frame["labels"] = [tuple(sorted(split_labels(cell), key=order.__getitem__)) for cell in frame["labels"]]
    frame["primary"] = frame["primary"].str.strip()
    frame["line"] = frame["line"].astype(int)
    frame["file"] = str(path)
    return frame[list(ANNOTATION_COLUMNS)].reset_index(drop=True)


def problem_list(
    path: Path,
    problems: Sequence[Problem],
    what: str = "in the annotation file; fix each line below",
    limit: int | None = _MAX_LISTED,
) -> str:
    """One message for many problems: a count line, then one ``file:line: …`` line each (the first ``limit``)."""
    lines = [f"{path}: {len(problems)} problem(s) {what}"]
    lines += [str(problem) for problem in problems[:limit]]
    if limit is not None and len(problems) > limit:
        lines.append(f"… and {len(problems) - _MAX_LISTED} more; run `rolcov validate {path}` to list them all")
    return "\n".join(lines)


def label_matrix(frame: pd.DataFrame, label_ids: Sequence[str]) -> np.ndarray:
    """0/1 indicator matrix (n rows × k labels, int) with columns in ``label_ids`` order.

    ``labels`` may hold tuples (as from :func:`read_annotations`) or ``a;b`` strings.
    """
    column = {label: index for index, label in enumerate(label_ids)}
    matrix = np.zeros((len(frame), len(label_ids)), dtype=int)
    for row, labels in enumerate(frame["labels"]):
        for label in split_labels(labels):
            if label in column:
                matrix[row, column[label]] = 1
    return matrix


def combine_annotations(frames: Sequence[pd.DataFrame], weights: Mapping[str, float] = DEFAULT_WEIGHTS) -> pd.DataFrame:
    """Stack annotation tables into one training table with a ``weight`` per row.

    Gold wins: silver rows of a paragraph (same ``report_id`` + ``para_id``) that has a gold row are
    dropped, and gold rows that agree are kept once. Enumeration items are their own paragraphs here
    (``…:0005.2`` is not ``…:0005``).

    Parameters
    ----------
    frames : sequence of DataFrame
        Tables from :func:`read_annotations` (from one or several files).
    weights : mapping of str to float
        Sample weight per ``source``.

    Raises
    ------
    AnnotationError
        When gold rows of one paragraph disagree on the label set (each conflict named with both rows'
        file:line and label sets), or a source has no weight.
    """
    table = pd.concat(list(frames), ignore_index=True)
    unweighted = sorted(set(table["source"]) - set(weights))
    if unweighted:
        raise AnnotationError(
            f"no weight for source {', '.join(unweighted)}; add it to weights (have {', '.join(weights)})"
        )
    gold = table[table["source"] == "gold"]
    conflicts = _gold_conflicts(gold)
    if conflicts:
        raise AnnotationError(
            "\n".join(
                [
                    f"{len(conflicts)} paragraph(s) have conflicting gold labels; agree on one label set per paragraph",
                    *conflicts,
                ]
            )
        )
    key = ["report_id", "para_id"]
    has_gold = table.set_index(key).index.isin(gold.set_index(key).index)
    others = table[(table["source"] != "gold") & ~has_gold]
    combined = pd.concat([gold.drop_duplicates(key), others]).sort_index().reset_index(drop=True)
    combined["weight"] = combined["source"].map(weights).astype(float)
    return combined


def require_gold_rows(table: pd.DataFrame, paths: Sequence[str | Path]) -> None:
    """Refuse, in one line, a training table without gold rows (e.g. silver rows only).

    The classifier learns from every row but sets its calibration and thresholds on rows of weight >= 1
    (:meth:`pipeline.model.classifier.ParagraphClassifier.fit`), and the model card's scores are over gold rows; with
    none there is nothing to set them on or to score.

    Raises
    ------
    AnnotationError
        Naming the files and what to add.
    """
    if len(table) and not table["source"].eq("gold").any():
        raise AnnotationError(
            f"{', '.join(map(str, paths))}: no gold rows (sources: {', '.join(sorted(set(table['source'])))}); "
            "training needs hand-labelled gold rows to set thresholds and score the model — annotate some "
            "paragraphs (`rolcov suggest` picks which) and train on both files"
        )


def _gold_conflicts(gold: pd.DataFrame) -> list[str]:
    conflicts = []
    for (_, para_id), rows in gold.groupby(["report_id", "para_id"], sort=False):
        first = rows.iloc[0]
        for _, other in rows.iloc[1:].iterrows():
            if set(other["labels"]) != set(first["labels"]):
                conflicts.append(
                    f"{other['file']}:{other['line']}: gold labels {join_labels(other['labels']) or '(none)'} "
                    f"of {para_id} conflict with {first['file']}:{first['line']}: "
                    f"{join_labels(first['labels']) or '(none)'}; correct one of the two rows"
                )
    return conflicts
