"""From several codings to one gold file: the disagreements as a workbook to decide, and the merge back.

Curation tools (INCEpTION's curation, Prodigy's review) show each coder's answer side by side and let a third
person decide. Here that is an Excel/WPS workbook, which a team can share without a server:

* sheet ``disagreements`` — one row per unit × field on which the coders differ (``labels``, ``primary``,
  ``tasks``, ``evidence``), with the paragraph's text and heading path, each coder's value in a column named
  after the coder, optionally the model's guess (``model``) as a hint, and an empty ``adjudicated`` column
  to fill (``adjudicator`` and ``note`` are optional). A ``labels`` disagreement always brings a ``primary``
  row, pre-filled when the coders chose the same primary, because a new label set may need a new primary.
* sheet ``codings`` — every coding as read, so the workbook alone is enough to rebuild the gold file.

In both, :data:`~pipeline.annotate.codings.NONE_CELL` (``_none``) says "no label / no task" and an empty cell
says "not coded" or "not decided". :func:`adjudicate` refuses a sheet with a row left undecided, an unknown
label or task id, or a primary outside its labels, each as ``file:row: what; what to do``.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pandas as pd

from pipeline.annotate.annotations import problem_list
from pipeline.annotate.codings import (
    CODING_FIELDS,
    CODINGS_COLUMNS,
    TASK_FIELDS,
    THEME_FIELDS,
    UNIT,
    coded_units,
    coders_of,
    read_value,
    show_value,
)
from pipeline.annotate.validate import WRONG_SEPARATORS, Problem
from pipeline.errors import AnnotationError
from pipeline.io.excel import read_xlsx
from pipeline.io.tables import write_workbook
from pipeline.schema import ANNOTATION_FILE_COLUMNS, join_labels, split_labels
from pipeline.taxonomy import Taxonomy

DISAGREEMENTS_SHEET, CODINGS_SHEET = "disagreements", "codings"
CONTEXT_COLUMNS = ("report_id", "para_id", "part", "heading_path", "text", "field")
DECISION_COLUMNS = ("adjudicated", "adjudicator", "note")
HINT_COLUMN = "model"
TASK_GOLD_COLUMNS = ("report_id", "para_id", "tasks", "evidence", "annotator", "source")
DEFAULT_ADJUDICATOR = "adjudicator"
_FILE_LINE = "line_in_file"  # the codings sheet's own column for a coding's line (``line`` is the sheet row)


def field_values(codings: pd.DataFrame, field: str) -> pd.DataFrame:
    """Units × coders: each coder's value of ``field`` (``None`` where not coded), units in order of appearance."""
    coded = codings[codings[field].notna()]
    if coded.empty:
        return pd.DataFrame(columns=coders_of(codings))
    table = coded.pivot(index=UNIT, columns="annotator", values=field)
    order = pd.MultiIndex.from_frame(coded[UNIT]).unique()
    return table.reindex(index=order, columns=[c for c in coders_of(codings) if c in table.columns])


def _distinct(values: pd.Series) -> set[str]:
    return set(values.dropna())


def disagreement_sheet(codings: pd.DataFrame, hints: pd.DataFrame | None = None) -> pd.DataFrame:
    """The ``disagreements`` sheet: one row per unit × field the coders differ on, ready to decide.

    Parameters
    ----------
    codings : DataFrame
        From :func:`pipeline.annotate.codings.stack_codings`.
    hints : DataFrame, optional
        A guess per unit (index ``report_id``, ``para_id``; columns among ``labels``, ``primary``, ``tasks``,
        ``evidence``), e.g. the model's; shown in a ``model`` column.

    Returns
    -------
    DataFrame
        :data:`CONTEXT_COLUMNS`, one column per coder, ``model`` when hints are given, :data:`DECISION_COLUMNS`.
    """
    coders = coders_of(codings)
    clash = sorted(set(coders) & {*CONTEXT_COLUMNS, *DECISION_COLUMNS, HINT_COLUMN})
    if clash:
        raise AnnotationError(f"coder id {', '.join(clash)} is also a column of the sheet; rename the coder")
    values = {field: field_values(codings, field) for field in CODING_FIELDS}
    rows = []
    for unit in coded_units(codings).itertuples(index=False):
        key = (unit.report_id, unit.para_id)
        for field in _fields_to_decide(values, key):
            coded = values[field].loc[key] if key in values[field].index else pd.Series(dtype=object)
            row = {**unit._asdict(), "field": field, **{c: show_value(coded.get(c)) for c in coders}}
            if hints is not None:
                row[HINT_COLUMN] = show_value(hints[field].get(key)) if field in hints else None
            agreed = _distinct(coded)
            row["adjudicated"] = show_value(agreed.pop()) if len(agreed) == 1 else None
            rows.append({**row, "adjudicator": None, "note": None})
    hint = [HINT_COLUMN] if hints is not None else []
    return pd.DataFrame(rows, columns=[*CONTEXT_COLUMNS, *coders, *hint, *DECISION_COLUMNS])


def _fields_to_decide(values: dict[str, pd.DataFrame], key: tuple[str, str]) -> list[str]:
    differ = [field for field, table in values.items() if key in table.index and len(_distinct(table.loc[key])) > 1]
    if "labels" in differ and "primary" not in differ and key in values["primary"].index:
        differ.insert(differ.index("labels") + 1, "primary")  # a new label set may need a new primary
    return differ


def write_adjudication_workbook(sheet: pd.DataFrame, codings: pd.DataFrame, path: str | Path) -> Path:
    """Write the workbook to decide in: the disagreements first, then every coding (written atomically)."""
    shown = codings.rename(columns={"line": _FILE_LINE})
    for field in CODING_FIELDS:
        shown[field] = shown[field].map(show_value, na_action=None)
    return write_workbook({DISAGREEMENTS_SHEET: sheet, CODINGS_SHEET: shown}, path)


def read_adjudication_workbook(path: str | Path) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The decided ``disagreements`` sheet (with its sheet ``line``) and the ``codings`` it came with.

    Raises
    ------
    AnnotationError
        When the file is not such a workbook or lacks a required column, naming the file and what to do.
    """
    try:
        sheet = read_xlsx(path, DISAGREEMENTS_SHEET)
        codings = read_xlsx(path, CODINGS_SHEET).drop(columns="line").rename(columns={_FILE_LINE: "line"})
    except (OSError, ValueError) as error:
        raise AnnotationError(
            f"{path}: not an adjudication workbook ({error}); decide in the .xlsx that "
            "`rolcov agreement … --disagreements FILE.xlsx` wrote"
        ) from None
    for name, table, required in (
        (DISAGREEMENTS_SHEET, sheet, ("report_id", "para_id", "field", "adjudicated")),
        (CODINGS_SHEET, codings, CODINGS_COLUMNS),
    ):
        missing = [column for column in required if column not in table.columns]
        if missing:
            raise AnnotationError(
                f"{path}:1: sheet {name!r} has no column {', '.join(missing)}; restore the "
                "header row as `rolcov agreement` wrote it"
            )
    for field in CODING_FIELDS:
        codings[field] = codings[field].map(read_value, na_action=None)
    codings = codings.astype(object).where(codings.notna(), None)
    return sheet, codings[list(CODINGS_COLUMNS)]


def adjudicate(
    sheet: pd.DataFrame,
    codings: pd.DataFrame,
    taxonomy: Taxonomy,
    evidence_values: Sequence[str] = (),
    adjudicator: str = DEFAULT_ADJUDICATOR,
    path: str | Path = "sheet",
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Merge the decided sheet and the codings into one gold theme table and one gold task table.

    Per unit and field the value is the sheet's ``adjudicated`` cell where the coders disagreed, else what the
    coders agreed on (or the only coder's value). A row's ``annotator`` is the adjudicator when any of its
    fields was decided in the sheet (the row's ``adjudicator`` cell, else ``adjudicator``), else the coders
    who agreed, joined by ``+``.

    Parameters
    ----------
    sheet : DataFrame
        The ``disagreements`` sheet as filled in, with the sheet row in ``line`` (:func:`read_adjudication_workbook`).
    codings : DataFrame
        The codings it was written from.
    taxonomy : Taxonomy
        Allowed label and task ids.
    evidence_values : sequence of str
        Allowed ``evidence`` values (``pipeline.coverage.evidence.EVIDENCE_VALUES``); needed when the codings
        carry tasks.
    adjudicator : str
        Recorded for decided rows whose ``adjudicator`` cell is empty.
    path : str or Path
        The sheet's file, named in error messages.

    Returns
    -------
    (DataFrame, DataFrame)
        The theme gold in the annotation format (:data:`~pipeline.schema.ANNOTATION_FILE_COLUMNS`,
        ``source=gold``) and the task gold (:data:`TASK_GOLD_COLUMNS`), each empty when nothing was coded.

    Raises
    ------
    AnnotationError
        Every row left undecided, with an unknown id or value, deciding a unit or field the codings do not
        have, or leaving a primary outside its labels; and every disagreement without a row.
    """
    allowed = {
        "labels": set(taxonomy.ids),
        "primary": set(taxonomy.ids),
        "tasks": {t.id for t in taxonomy.tasks},
        "evidence": set(evidence_values),
    }
    values = {field: field_values(codings, field) for field in CODING_FIELDS}
    decisions, problems = _decisions(sheet, values, allowed, adjudicator, str(path))
    problems += _undecided_disagreements(values, decisions, str(path))
    gold = {field: _gold_values(values[field], decisions, field) for field in CODING_FIELDS}
    problems += _primary_outside_labels(gold, decisions, str(path))
    if problems:
        raise AnnotationError(
            problem_list(
                Path(path),
                sorted(problems, key=lambda problem: problem.line),
                "in the adjudication sheet; decide or fix each row below",
                limit=None,
            )
        )
    order = {label: index for index, label in enumerate(taxonomy.ids)}
    themes = _gold_table(codings, gold, decisions, THEME_FIELDS, order)
    tasks = _gold_table(codings, gold, decisions, TASK_FIELDS, {t.id: i for i, t in enumerate(taxonomy.tasks)})
    return (themes.reindex(columns=list(ANNOTATION_FILE_COLUMNS)), tasks.reindex(columns=list(TASK_GOLD_COLUMNS)))


def _decisions(
    sheet: pd.DataFrame, values: dict[str, pd.DataFrame], allowed: dict[str, set[str]], adjudicator: str, path: str
) -> tuple[dict, list[Problem]]:
    """(unit, field) → (value, adjudicator, sheet row) for every row, and a Problem for every bad row."""
    decisions, problems = {}, []
    for row in sheet.itertuples(index=False):
        key, field, line = (str(row.report_id), str(row.para_id)), str(row.field), int(row.line)
        if field not in CODING_FIELDS or key not in values[field].index:
            what = f"field {field!r}" if field not in CODING_FIELDS else f"{key[1]} has no {field} coding"
            problems.append(
                Problem(
                    path,
                    line,
                    f"{what}; keep only rows written by `rolcov agreement` (fields {', '.join(CODING_FIELDS)})",
                )
            )
            continue
        value, message = _decided_value(row.adjudicated, field, allowed[field])
        earlier = decisions.get(key + (field,))
        if message:
            problems.append(Problem(path, line, f"{key[1]} {field}: {message}"))
        elif earlier and earlier[0] != value:
            problems.append(
                Problem(path, line, f"{key[1]} {field} is decided differently in row {earlier[2]}; keep one decision")
            )
        who = read_value(getattr(row, "adjudicator", None)) or adjudicator
        decisions.setdefault(key + (field,), (value, who, line))  # value None: refused above, but the row is there
    return decisions, problems


def _decided_value(cell: object, field: str, allowed: set[str]) -> tuple[str | None, str | None]:
    """The canonical value of an ``adjudicated`` cell, or what is wrong with it."""
    value = read_value(cell)
    if value is None:
        return None, "not decided (the adjudicated cell is empty); write the value, or _none for none"
    wrong = sorted(sep for sep in WRONG_SEPARATORS if sep in value)
    if wrong:
        return None, f"{value!r} separates ids with {' '.join(wrong)}; use ; (e.g. enforcement;capacity)"
    ids = split_labels(value)
    if len(ids) > 1 and field in ("primary", "evidence"):
        return None, f"{value!r}: {field} takes one value; choose one"
    unknown = [item for item in ids if item not in allowed]
    if unknown:
        kind = {"labels": "label id", "primary": "label id", "tasks": "task id"}.get(field, "evidence value")
        return None, f"unknown {kind} {', '.join(unknown)}; use one of {', '.join(sorted(allowed))}"
    if field == "evidence" and not ids:
        return None, "evidence cannot be none; write one of " + ", ".join(sorted(allowed))
    return join_labels(ids), None


def _undecided_disagreements(values: dict[str, pd.DataFrame], decisions: dict, path: str) -> list[Problem]:
    problems = []
    for field, table in values.items():
        for key, coded in table.iterrows():
            if len(_distinct(coded)) > 1 and key + (field,) not in decisions:
                problems.append(
                    Problem(
                        path,
                        0,
                        f"no row decides {key[1]} {field}, on which the coders differ "
                        f"({', '.join(sorted(_distinct(coded)))}); write the sheet again "
                        "with `rolcov agreement --disagreements` and decide it",
                    )
                )
    return problems


def _gold_values(table: pd.DataFrame, decisions: dict, field: str) -> dict[tuple[str, str], str]:
    gold = {}
    for key, coded in table.iterrows():
        decided = decisions.get(key + (field,))
        agreed = _distinct(coded)
        gold[key] = decided[0] if decided else (agreed.pop() if len(agreed) == 1 else None)
    return gold


def _primary_outside_labels(gold: dict[str, dict], decisions: dict, path: str) -> list[Problem]:
    problems = []
    for key, labels in gold["labels"].items():
        primary = gold["primary"].get(key, "")
        if labels is None or primary is None or primary in (split_labels(labels) or [""]):
            continue
        row = decisions.get(key + ("primary",)) or decisions.get(key + ("labels",))
        problems.append(
            Problem(
                path,
                row[2] if row else 0,
                f"{key[1]}: primary {primary or '_none'} is not "
                f"among its labels {labels or '_none'}; make the primary one of the labels",
            )
        )
    return problems


def _gold_table(
    codings: pd.DataFrame, gold: dict[str, dict], decisions: dict, fields: Sequence[str], order: dict[str, int]
) -> pd.DataFrame:
    """One gold row per unit coded in ``fields``: the values, who decided or agreed, the unit's context."""
    coded = codings[codings[list(fields)].notna().any(axis=1)]
    rows = []
    for key, unit in coded.groupby(UNIT, sort=False):
        row = {
            "report_id": key[0],
            "para_id": key[1],
            "source": "gold",
            "annotator": _gold_annotator(key, unit, fields, decisions),
        }
        for field in fields:
            value = gold[field].get(key) or ""
            row[field] = join_labels(sorted(split_labels(value), key=lambda item: order.get(item, len(order))))
        rows.append(row)
    table = pd.DataFrame(rows)
    context = coded_units(codings).set_index(UNIT)
    return table.join(context, on=UNIT) if len(table) else table


def _gold_annotator(key: tuple[str, str], unit: pd.DataFrame, fields: Sequence[str], decisions: dict) -> str:
    """Who stands behind a gold row: the adjudicator(s) of any decided field, else the coders who agreed."""
    decided = [decisions[key + (field,)][1] for field in fields if key + (field,) in decisions]
    return "+".join(dict.fromkeys(decided or unit["annotator"]))
