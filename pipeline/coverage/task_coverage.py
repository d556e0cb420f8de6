"""Task-level coverage: per report, which of the plan's tasks it reports with evidence, in general terms, or not.

The theme profile (:mod:`pipeline.coverage.profile`) says a report covers ``enforcement``; this table says whether it
reported on 行政执法三项制度 with figures, only named it, only promised it, or never mentioned it — the gap
view evaluators ask for. Like coverage it never loads a model: it reads a paragraph table tagged by
:func:`pipeline.coverage.tasks.tag_tasks` and :func:`pipeline.coverage.evidence.tag_evidence` (both run here
when the columns are missing), so a hand-labelled table works too.

Status of a task (or a theme) in a report, over the body parts only (preamble and closing are formulaic):

- ``concrete``: at least one achievements/responsibility paragraph with the task has ``concrete`` evidence;
- ``general``: the task is in achievements/responsibility paragraphs, none of them concrete;
- ``plans_or_problems``: the task appears only in the plans or problems parts (promised or regretted);
- ``absent``: no body paragraph mentions it.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from pipeline.coverage.evidence import CONCRETE, EVIDENCE_COLUMN, tag_evidence
from pipeline.coverage.gaps import previous_reports
from pipeline.coverage.profile import METADATA_COLUMNS, label_indicators, label_names, report_values
from pipeline.coverage.tasks import CUES_COLUMN, TASKS_COLUMN, TaskTagger, parse_cues, task_ids
from pipeline.schema import BODY_PARTS, split_labels
from pipeline.taxonomy import Task, load_taxonomy

TASK_STATUSES = ("concrete", "general", "plans_or_problems", "absent")
DONE_PARTS = ("achievements", "responsibility")
TASK_COLUMNS = (
    "report_id",
    "year",
    "issuer",
    "title",
    "level",
    "task",
    "theme",
    "name_zh",
    "status",
    "n_paragraphs",
    "n_concrete",
    "n_general",
    "n_plans_problems",
    "para_ids",
    "cues",
)
TASK_GAP_KINDS = ("absent", "general_only", "plans_or_problems_only", "disappeared", "appeared")
TASK_GAP_COLUMNS = ("report_id", "year", "issuer", "level", "task", "theme", "name_zh", "kind", "detail")


def task_coverage(
    table: pd.DataFrame, tasks: Sequence[Task] | None = None, tagger: TaskTagger | None = None
) -> pd.DataFrame:
    """One row per report × task (``level="task"``) and report × theme (``level="theme"``), with its status.

    Parameters
    ----------
    table : pandas.DataFrame
        A validated paragraph table (:func:`pipeline.coverage.profile.validate_table`). ``tasks``/``task_cues`` and
        ``evidence`` are computed when absent (with ``tagger``, default :class:`~pipeline.coverage.tasks.TaskTagger`).
    tasks : sequence of Task, optional
        The tasks to report on, by default the taxonomy's. None at all (a framework without ``tasks``): an
        empty frame with :data:`TASK_COLUMNS`.
    tagger : TaskTagger, optional
        Used when ``table`` has no ``tasks`` column yet.

    Returns
    -------
    pandas.DataFrame
        :data:`TASK_COLUMNS`; ``para_ids`` lists the body paragraphs behind the row, ``cues`` the matched cue terms.
    """
    tasks = tuple(load_taxonomy().tasks if tasks is None else tasks)
    if not tasks:
        return pd.DataFrame(columns=list(TASK_COLUMNS))
    tagged = tag_paragraphs(table, tasks, tagger)
    body = tagged[tagged["part"].isin(BODY_PARTS)].reset_index(drop=True)
    themes = list(dict.fromkeys(task.theme for task in tasks))
    theme_flags = label_indicators(body, sorted(set(themes) | _used_labels(body)))[themes]
    carried = [set(task_ids(cell)) for cell in body[TASKS_COLUMN]]
    task_flags = pd.DataFrame(
        {task.id: [task.id in ids for ids in carried] for task in tasks}, index=body.index, dtype=bool
    )
    zh = label_names(themes)
    keys = pd.DataFrame(
        [("theme", theme, theme, zh[theme]) for theme in themes]
        + [("task", task.id, task.theme, task.name_zh) for task in tasks],
        columns=["level", "task", "theme", "name_zh"],
    )
    counts = pd.concat([_counts(body, theme_flags, "theme"), _counts(body, task_flags, "task")], ignore_index=True)
    grid = pd.MultiIndex.from_product(
        [list(dict.fromkeys(tagged["report_id"])), range(len(keys))], names=["report_id", "key"]
    ).to_frame(index=False)
    frame = grid.join(keys, on="key").merge(counts, on=["report_id", "level", "task"], how="left")
    frame = _with_status(frame).merge(report_values(tagged), on="report_id", how="left")
    return frame[list(TASK_COLUMNS)]


def _counts(body: pd.DataFrame, flags: pd.DataFrame, level: str) -> pd.DataFrame:
    """Per report × key (a column of ``flags``) that some body paragraph carries: its paragraphs' counts,
    ids and (for tasks) the cue terms that matched — one pass over the flagged cells, whatever the corpus."""
    rows, keys = flags.to_numpy().nonzero()
    hits = body.iloc[rows][["report_id", "para_id", "part", EVIDENCE_COLUMN, CUES_COLUMN]].reset_index(drop=True)
    hits["task"] = flags.columns[keys]
    hits["done"] = hits["part"].isin(DONE_PARTS)
    hits["concrete"] = hits["done"] & (hits[EVIDENCE_COLUMN] == CONCRETE)
    hits["cues"] = (
        [",".join(parse_cues(cell).get(key, [])) for cell, key in zip(hits[CUES_COLUMN], hits["task"])]
        if level == "task"
        else ""
    )
    counts = hits.groupby(["report_id", "task"], sort=False).agg(
        n_paragraphs=("para_id", "size"),
        n_done=("done", "sum"),
        n_concrete=("concrete", "sum"),
        para_ids=("para_id", lambda ids: ";".join(ids.astype(str))),
        cues=("cues", lambda cells: ",".join(dict.fromkeys(c for cell in cells for c in cell.split(",") if c))),
    )
    return counts.reset_index().assign(level=level)


def _with_status(frame: pd.DataFrame) -> pd.DataFrame:
    """Counts of report × key rows that no paragraph carries become zeros; the status follows from them."""
    for column in ("n_paragraphs", "n_done", "n_concrete"):
        frame[column] = frame[column].fillna(0).astype(int)
    frame[["para_ids", "cues"]] = frame[["para_ids", "cues"]].fillna("")
    frame["n_general"] = frame["n_done"] - frame["n_concrete"]
    frame["n_plans_problems"] = frame["n_paragraphs"] - frame["n_done"]
    frame["status"] = np.select(
        [frame["n_concrete"] > 0, frame["n_done"] > 0, frame["n_plans_problems"] > 0],
        ["concrete", "general", "plans_or_problems"],
        default="absent",
    )
    return frame


def tag_paragraphs(
    table: pd.DataFrame, tasks: Sequence[Task] | None = None, tagger: TaskTagger | None = None
) -> pd.DataFrame:
    """``table`` with task tags and evidence strength, computing whichever is missing."""
    if TASKS_COLUMN not in table.columns:
        tagger = tagger or TaskTagger(tasks=tasks)
        table = tagger.tag(table)
    if CUES_COLUMN not in table.columns:
        table = table.assign(**{CUES_COLUMN: ""})
    if EVIDENCE_COLUMN not in table.columns:
        table = tag_evidence(table)
    for column in METADATA_COLUMNS:
        if column not in table.columns:
            table = table.assign(**{column: ""})
    return table


def _used_labels(table: pd.DataFrame) -> set[str]:
    return {label for cell in table["labels"] for label in split_labels(cell)}


def task_gaps(coverage: pd.DataFrame) -> pd.DataFrame:
    """Per report: tasks absent, mentioned only in general terms or only in plans/problems; year-over-year changes.

    Parameters
    ----------
    coverage : pandas.DataFrame
        Output of :func:`task_coverage`.

    Returns
    -------
    pandas.DataFrame
        :data:`TASK_GAP_COLUMNS`; ``kind`` is one of :data:`TASK_GAP_KINDS`. Themes appear too
        (``level="theme"``) when a whole theme has no concrete evidence.
    """
    kind_of = {"absent": "absent", "general": "general_only", "plans_or_problems": "plans_or_problems_only"}
    gaps = coverage[coverage["status"].isin(kind_of)].assign(kind=lambda f: f["status"].map(kind_of))
    gaps = gaps.assign(detail=[_detail(row) for row in gaps.itertuples()])
    changes = year_over_year(coverage)
    frame = pd.concat([gaps, changes], ignore_index=True) if not changes.empty else gaps
    return frame.reindex(columns=list(TASK_GAP_COLUMNS)).reset_index(drop=True)


def _detail(row) -> str:
    what = f"{row.name_zh} ({row.task})"
    if row.status == "absent":
        return f"{what}: no body paragraph mentions it."
    if row.status == "general":
        return f"{what}: {row.n_general} paragraph(s) in achievements/responsibility, none with figures or documents."
    return f"{what}: only in plans or problems ({row.n_plans_problems} paragraph(s))."


def year_over_year(coverage: pd.DataFrame) -> pd.DataFrame:
    """Tasks that ``appeared`` (absent before) or ``disappeared`` since the same issuer's report of an earlier year.

    The report compared with is the one theme gaps use (:func:`pipeline.coverage.gaps.previous_reports`): the
    most recent earlier year, so two reports of one year are each compared with the year before, not with
    each other.
    """
    tasks = coverage[coverage["level"] == "task"]
    status = tasks.pivot(index="report_id", columns="task", values="status")
    rows_of = tasks.set_index(["report_id", "task"])
    rows = []
    for report_id, before in previous_reports(tasks).items():
        prior = f"the same issuer's {int(before['year'])} report {before['report_id']}"
        is_, was = status.loc[report_id] != "absent", status.loc[before["report_id"]] != "absent"
        for task in status.columns[(is_ != was).to_numpy()]:
            kind = "appeared" if is_[task] else "disappeared"
            row = rows_of.loc[(report_id, task)]
            rows.append(
                {
                    **row.to_dict(),
                    "report_id": report_id,
                    "task": task,
                    "kind": kind,
                    "detail": f"{row['name_zh']} ({task}): {kind} since {prior}.",
                }
            )
    return pd.DataFrame(rows)


def most_missing_tasks(coverage: pd.DataFrame) -> pd.DataFrame:
    """Over the reports in ``coverage``: per task, how many reports never mention it or give no evidence.

    Returns
    -------
    pandas.DataFrame
        ``task, theme, name_zh, n_reports, n_absent, n_without_evidence`` (not ``concrete``), most absent first.
    """
    tasks = coverage[coverage["level"] == "task"]
    summary = (
        tasks.groupby(["task", "theme", "name_zh"], sort=False)
        .agg(
            n_reports=("report_id", "nunique"),
            n_absent=("status", lambda s: int((s == "absent").sum())),
            n_without_evidence=("status", lambda s: int((s != "concrete").sum())),
        )
        .reset_index()
    )
    return summary.sort_values(["n_absent", "n_without_evidence"], ascending=False, kind="stable").reset_index(
        drop=True
    )
