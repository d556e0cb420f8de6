"""Several coders' codings of the same paragraphs, stacked into one table: who coded what about which unit.

Reliability and adjudication both start from the same question — for each paragraph, what did each coder
say? — so the answer is built once here. A *coding* is one coder's reading of one unit (a paragraph or an
enumeration item, keyed by ``report_id`` + ``para_id``): its themes (``labels``, ``primary``, a row of an
annotation file) or its task reading (``tasks``, ``evidence``, a row of a task file like
``corpus/task_annotations.csv``); the two stay separate rows, each pointing back to its file and line.
The coder is the ``annotator`` column. A field a coder did not code is missing (``None``), which is not the
same as coding it as empty: ``labels == ""`` means "no theme", a decision that counts in the agreement.
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from pipeline.annotate.labelstudio import NO_LABEL
from pipeline.errors import AnnotationError
from pipeline.schema import join_labels, split_labels
from pipeline.taxonomy import Taxonomy

UNIT = ["report_id", "para_id"]
THEME_FIELDS, TASK_FIELDS = ("labels", "primary"), ("tasks", "evidence")
CODING_FIELDS = (*THEME_FIELDS, *TASK_FIELDS)
#: The codings table: one row per unit × coder × kind of file; fields a row does not code are ``None``.
CODINGS_COLUMNS = (*UNIT, "annotator", *CODING_FIELDS, "part", "heading_path", "text", "file", "line")
#: How an explicit "none" (no theme, no primary, no task) is written in a sheet cell, where an empty cell
#: means "not coded" or "not decided"; the same choice Label Studio's config offers for "no theme".
NONE_CELL = NO_LABEL
_CONTEXT = ("part", "heading_path", "text")


def stack_codings(
    themes: Sequence[pd.DataFrame] = (), tasks: Sequence[pd.DataFrame] = (), taxonomy: Taxonomy | None = None
) -> pd.DataFrame:
    """One codings table from annotation tables and task tables, each row one coder's reading of one unit.

    Parameters
    ----------
    themes : sequence of DataFrame
        Tables from :func:`pipeline.annotate.annotations.read_annotations` (one or several coders each).
    tasks : sequence of DataFrame
        Task readings (``report_id, para_id, tasks, evidence, annotator``; e.g. from
        :func:`pipeline.coverage.tasks.read_task_annotations`), with ``file`` and ``line`` columns when known.
    taxonomy : Taxonomy, optional
        Orders the task ids of a ``tasks`` cell (so two coders' equal sets compare equal); default: file order.

    Returns
    -------
    DataFrame
        :data:`CODINGS_COLUMNS`, theme rows first; ``labels`` and ``tasks`` as ``a;b`` cells in taxonomy order
        (empty: coded as none), ``None`` where the row does not code the field.

    Raises
    ------
    AnnotationError
        When one coder coded the same unit twice in different files (both places named).
    """
    theme_rows = [_theme_rows(frame) for frame in themes]
    task_rows = [_task_rows(frame, taxonomy) for frame in tasks]
    stacked = pd.concat([*theme_rows, *task_rows], ignore_index=True)
    if stacked.empty:
        return pd.DataFrame(columns=list(CODINGS_COLUMNS))
    _refuse_repeated_codings(stacked)
    return stacked.astype(object).where(stacked.notna(), None)[list(CODINGS_COLUMNS)]


def _theme_rows(frame: pd.DataFrame) -> pd.DataFrame:
    rows = frame.loc[:, [*UNIT, "annotator", "primary", *_CONTEXT, "file", "line"]].copy()
    rows["labels"] = [cell if isinstance(cell, str) else join_labels(cell) for cell in frame["labels"]]
    rows["primary"] = rows["primary"].fillna("").astype(str).str.strip()
    rows["kind"] = "themes"
    return rows.assign(tasks=None, evidence=None)


def _task_rows(frame: pd.DataFrame, taxonomy: Taxonomy | None) -> pd.DataFrame:
    order = {task.id: index for index, task in enumerate(taxonomy.tasks)} if taxonomy else {}
    rows = frame.loc[:, [*UNIT, "annotator", "evidence"]].copy()
    rows["tasks"] = [
        join_labels(sorted(split_labels(cell), key=lambda t: order.get(t, len(order))))
        for cell in frame["tasks"].fillna("")
    ]
    rows["evidence"] = rows["evidence"].fillna("").astype(str).str.strip()
    rows["file"] = frame["file"] if "file" in frame else ""
    rows["line"] = frame["line"] if "line" in frame else range(2, len(frame) + 2)
    rows["kind"] = "tasks"
    return rows.assign(labels=None, primary=None, **{column: None for column in _CONTEXT})


def _first_present(values: pd.Series) -> object:
    present = values.dropna()
    return present.iloc[0] if len(present) else None


def _refuse_repeated_codings(stacked: pd.DataFrame) -> None:
    repeated = stacked[stacked.duplicated([*UNIT, "annotator", "kind"], keep=False)]
    lines = []
    for (_, para_id, annotator, _), rows in repeated.groupby([*UNIT, "annotator", "kind"], sort=False):
        first, again = rows.iloc[0], rows.iloc[1]
        lines.append(
            f"{again['file']}:{again['line']}: {annotator} already coded {para_id} in "
            f"{first['file']}:{first['line']}; keep one of the two rows (or give one another coder id)"
        )
    if lines:
        raise AnnotationError("\n".join(lines))


def coders_of(codings: pd.DataFrame) -> list[str]:
    """The coder ids of a codings table, in the order they first appear."""
    return list(dict.fromkeys(codings["annotator"]))


def select_coders(codings: pd.DataFrame, coders: Sequence[str]) -> pd.DataFrame:
    """Only the rows of ``coders``; an id that codes nothing here is refused (a typo would silently drop a coder).

    Raises
    ------
    AnnotationError
        Naming the unknown ids, the files searched and the coders they hold.
    """
    known = coders_of(codings)
    unknown = [coder for coder in coders if coder not in known]
    if unknown:
        files = ", ".join(dict.fromkeys(codings["file"].astype(str)))
        raise AnnotationError(
            f"{files}: no coder {', '.join(unknown)} in these files (their coders: "
            f"{', '.join(known)}); use ids from the annotator column"
        )
    return codings[codings["annotator"].isin(coders)].reset_index(drop=True)


def unpaired_files(codings: pd.DataFrame) -> dict[str, str]:
    """Files none of whose units a second coder coded (for the same fields): file → what is wrong, what to do.

    Such a file adds nothing to a reliability figure, and usually means it was coded on another segmentation
    or other reports, which is worth a line rather than silence.
    """
    unpaired = {}
    for file, rows in codings.groupby("file", sort=False):
        fields = [field for field in CODING_FIELDS if rows[field].notna().any()]
        coders = codings[codings[fields].notna().any(axis=1)].groupby(UNIT)["annotator"].nunique()
        units = pd.MultiIndex.from_frame(rows[UNIT]).unique()
        if not (coders.reindex(units).fillna(0) >= 2).any():
            unpaired[str(file)] = (
                f"none of its {len(units)} paragraphs is coded by a second coder; check that the "
                "coders worked on the same reports and segmentation (para_id as `rolcov segment "
                "--items` numbers them)"
            )
    return unpaired


def text_mismatches(codings: pd.DataFrame) -> list[str]:
    """``file:line`` lines for coders who coded one ``para_id`` on different texts (different segmentations)."""
    lines = []
    themed = codings[codings["text"].notna()]
    for _, rows in themed.groupby(UNIT, sort=False):
        first = rows.iloc[0]
        for _, other in rows.iloc[1:].iterrows():
            if str(other["text"]).strip() != str(first["text"]).strip():
                lines.append(
                    f"{other['file']}:{other['line']}: the text of {other['para_id']} differs from "
                    f"{first['file']}:{first['line']}; the coders read different segmentations — "
                    "re-segment and re-check this paragraph"
                )
    return lines


def coded_units(codings: pd.DataFrame) -> pd.DataFrame:
    """One row per unit with its context (``part``, ``heading_path``, ``text``), in the order units appear."""
    units = codings.groupby(UNIT, sort=False)[list(_CONTEXT)].agg(_first_present).reset_index()
    return units.fillna("")


def show_value(value: object) -> object:
    """A field's value as a sheet cell: ``None`` (not coded) stays empty, an empty set is :data:`NONE_CELL`."""
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return None
    return value if value != "" else NONE_CELL


def read_value(cell: object) -> str | None:
    """The inverse of :func:`show_value`: an empty cell is ``None``, :data:`NONE_CELL` is ``""``."""
    if cell is None or (not isinstance(cell, str) and pd.isna(cell)) or not str(cell).strip():
        return None
    text = str(cell).strip()
    return "" if text == NONE_CELL else text
