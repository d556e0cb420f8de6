"""Task-level coverage: per report, which of the plan's tasks it reports with evidence, in general terms, or not.

The theme profile (:mod:`pipeline.coverage.profile`) says a report covers ``enforcement``; this table says whether it
reported on 行政执法三项制度 with figures, only named it, only promised it, or never mentioned it — the gap
view evaluators ask for. Like coverage it never loads a model: it reads a paragraph table tagged by
:func:`pipeline.coverage.tasks.tag_tasks` and :func:`pipeline.coverage.evidence.tag_evidence` (both run here when the columns are
missing), so a hand-labelled table works too.

Status of a task (or a theme) in a report, over the body parts only (preamble and closing are formulaic):

- ``concrete``: at least one achievements/responsibility paragraph with the task has ``concrete`` evidence;
- ``general``: the task is in achievements/responsibility paragraphs, none of them concrete;
- ``plans_or_problems``: the task appears only in the plans or problems parts (promised or regretted);
- ``absent``: no body paragraph mentions it.
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from pipeline.coverage.profile import METADATA_COLUMNS, _report_metadata, label_indicators, label_names
from pipeline.coverage.evidence import CONCRETE, EVIDENCE_COLUMN, tag_evidence
from pipeline.coverage.gaps import previous_reports
from pipeline.schema import BODY_PARTS, split_labels
from pipeline.taxonomy import Task, load_taxonomy
from pipeline.coverage.tasks import CUES_COLUMN, TASKS_COLUMN, TaskTagger, parse_cues, task_ids

TASK_STATUSES = ("concrete", "general", "plans_or_problems", "absent")
DONE_PARTS = ("achievements", "responsibility")
TASK_COLUMNS = (
    "report_id", "year", "issuer", "title", "level", "task", "theme", "name_zh", "status", "n_paragraphs",
    "n_concrete", "n_general", "n_plans_problems", "para_ids", "cues",
)
TASK_GAP_KINDS = ("absent", "general_only", "plans_or_problems_only", "disappeared", "appeared")
TASK_GAP_COLUMNS = ("report_id", "year", "issuer", "level", "task", "theme", "name_zh", "kind", "detail")


def task_coverage(table: pd.DataFrame, tasks: Sequence[Task] | None = None,
                  tagger: TaskTagger | None = None) -> pd.DataFrame:
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
    body = tagged[tagged["part"].isin(BODY_PARTS)]
    themes = list(dict.fromkeys(task.theme for task in tasks))
    theme_flags = label_indicators(body, sorted(set(themes) | _used_labels(body)))
    zh = label_names(themes)
    carried = [set(task_ids(cell)) for cell in body[TASKS_COLUMN]]
    task_flags = pd.DataFrame({task.id: [task.id in ids for ids in carried] for task in tasks}, index=body.index,
                              dtype=bool)
    rows = []
    for report_id in dict.fromkeys(tagged["report_id"]):
        own = (body["report_id"] == report_id).to_numpy()
        for theme in themes:
            rows.append(_status_row(body[own & theme_flags[theme].to_numpy()], report_id, "theme", theme, theme,
                                    zh[theme]))
        for task in tasks:
            rows.append(_status_row(body[own & task_flags[task.id].to_numpy()], report_id, "task", task.id,
                                    task.theme, task.name_zh))
    frame = pd.DataFrame(rows).merge(_report_metadata(tagged), on="report_id", how="left")
    return frame[list(TASK_COLUMNS)]


def tag_paragraphs(table: pd.DataFrame, tasks: Sequence[Task] | None = None,
                   tagger: TaskTagger | None = None) -> pd.DataFrame:
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


def _status_row(paragraphs: pd.DataFrame, report_id: str, level: str, key: str, theme: str, name: str) -> dict:
    done = paragraphs[paragraphs["part"].isin(DONE_PARTS)]
    n_concrete = int((done[EVIDENCE_COLUMN] == CONCRETE).sum())
    n_plans = len(paragraphs) - len(done)
    status = ("concrete" if n_concrete else "general" if len(done) else
              "plans_or_problems" if n_plans else "absent")
    cues = [c for cell in paragraphs[CUES_COLUMN] for c in parse_cues(cell).get(key, [])] if level == "task" else []
    return {"report_id": report_id, "level": level, "task": key, "theme": theme, "name_zh": name, "status": status,
            "n_paragraphs": len(paragraphs), "n_concrete": n_concrete, "n_general": len(done) - n_concrete,
            "n_plans_problems": n_plans, "para_ids": ";".join(paragraphs["para_id"].astype(str)),
            "cues": ",".join(dict.fromkeys(cues))}


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
    rows = []
    for report_id, before in previous_reports(tasks).items():
        now = tasks[tasks["report_id"] == report_id].set_index("task")
        then = tasks[tasks["report_id"] == before["report_id"]].set_index("task")
        prior = f"the same issuer's {int(before['year'])} report {before['report_id']}"
        for task, row in now.iterrows():
            was, is_ = then.at[task, "status"] != "absent", row["status"] != "absent"
            if was != is_:
                kind = "appeared" if is_ else "disappeared"
                rows.append({**row.to_dict(), "task": task, "kind": kind,
                             "detail": f"{row['name_zh']} ({task}): {kind} since {prior}."})
    return pd.DataFrame(rows)


def most_missing_tasks(coverage: pd.DataFrame) -> pd.DataFrame:
    """Over the reports in ``coverage``: per task, how many reports never mention it or give no evidence.

    Returns
    -------
    pandas.DataFrame
        ``task, theme, name_zh, n_reports, n_absent, n_without_evidence`` (not ``concrete``), most absent first.
    """
    tasks = coverage[coverage["level"] == "task"]
    summary = tasks.groupby(["task", "theme", "name_zh"], sort=False).agg(
        n_reports=("report_id", "nunique"),
        n_absent=("status", lambda s: int((s == "absent").sum())),
        n_without_evidence=("status", lambda s: int((s != "concrete").sum())),
    ).reset_index()
    return summary.sort_values(["n_absent", "n_without_evidence"], ascending=False, kind="stable").reset_index(drop=True)
