"""The task part of the HTML coverage report: a reports × tasks checklist and the paragraphs behind each mark.

Marks must survive greyscale printing and colour-blind readers, so each status differs in three ways at once:
a letter (``C`` concrete, ``G`` general, ``P`` plans/problems only, ``–`` absent), a fill (solid dark, light
diagonal hatching, dotted, empty) and the cell's tooltip in words. Every mark links to a ``<details>`` block
listing that report's paragraphs for the task, with the matched cue terms highlighted (``<mark>``) and the
evidence reason. Rendered from ``templates/tasks.html.j2`` with autoescape; the highlighted text is built
from escaped pieces, so report text can never inject markup.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

import pandas as pd
from markupsafe import Markup, escape

from pipeline.coverage.evidence import EVIDENCE_COLUMN, REASON_COLUMN
from pipeline.coverage.tasks import CUES_COLUMN, parse_cues
from pipeline.coverage.templating import render

MARKS = {"concrete": "C", "general": "G", "plans_or_problems": "P", "absent": "–"}
STATUS_WORDS = {
    "concrete": "reported with concrete evidence",
    "general": "mentioned in general terms only",
    "plans_or_problems": "only in plans or problems",
    "absent": "not mentioned",
}
TASK_CSS = """
.checklist td.mark{text-align:center;font-weight:bold;min-width:26px;padding:2px 4px}.checklist a{text-decoration:none}
.checklist th.task{font-weight:normal;white-space:nowrap}.checklist th.theme{background:#e8e8e8}
td.s-concrete{background:#1f3b73;color:#fff}td.s-concrete a{color:#fff}
td.s-general{background:repeating-linear-gradient(45deg,#fff 0 2px,#7b8fbf 2px 6px)}
td.s-general a,td.s-plans_or_problems a{color:#000;background:#fff;padding:0 3px}
td.s-plans_or_problems{background:radial-gradient(#999 1px,#fff 1.5px) 0 0/5px 5px}
td.s-absent{background:#fff}td.s-absent a{color:#888}
mark{background:#ffe066;padding:0 1px}.reason{color:#555;font-size:13px}
"""


def task_checklist_html(paragraphs: pd.DataFrame, tasks: pd.DataFrame, titles: Mapping[str, str]) -> Markup:
    """Return the ``<section id="tasks">`` of the report: legend, checklist, per-task paragraph listings.

    Parameters
    ----------
    paragraphs : pandas.DataFrame
        The tagged paragraph table (``tasks``, ``task_cues``, ``evidence``, ``evidence_reason``).
    tasks : pandas.DataFrame
        Output of :func:`pipeline.coverage.task_coverage.task_coverage`; only its ``level="task"`` rows are drawn.
    titles : mapping of str to str
        report_id → display title (issuer and year), in report order.
    """
    rows = tasks[tasks["level"] == "task"]
    if rows.empty:
        return Markup("")
    reports = [r for r in titles if r in set(rows["report_id"])]
    by_id = {str(row["para_id"]): row for row in paragraphs.to_dict("records")}
    anchors = {(r, t): f"k{i}-{j}" for i, r in enumerate(reports) for j, t in enumerate(dict.fromkeys(rows["task"]))}
    listings = [
        _listing(row, by_id, titles[row.report_id], anchors[(row.report_id, row.task)])
        for row in rows.itertuples()
        if row.status != "absent"
    ]
    return render(
        "tasks.html.j2",
        marks=MARKS,
        words=STATUS_WORDS,
        titles=[titles[r] for r in reports],
        rows=_checklist_rows(rows, tasks[tasks["level"] == "theme"], reports, anchors),
        listings=listings,
    )


def _checklist_rows(
    rows: pd.DataFrame, themes: pd.DataFrame, reports: list[str], anchors: Mapping[tuple[str, str], str]
) -> list[dict[str, object]]:
    """One row per task, grouped under a row per theme that carries the theme's own status (from its labels)."""
    theme_status = dict(zip(zip(themes["task"], themes["report_id"]), themes["status"]))
    theme_names = dict(zip(themes["task"], themes["name_zh"]))
    status = dict(zip(zip(rows["task"], rows["report_id"]), rows["status"]))
    lines, theme = [], None
    for task in rows.drop_duplicates("task").itertuples():
        if task.theme != theme:
            theme = task.theme
            lines.append(
                {
                    "whole_theme": True,
                    "name": theme_names.get(theme, theme),
                    "id": theme,
                    "cells": [(theme_status.get((theme, r), "absent"), "") for r in reports],
                }
            )
        lines.append(
            {
                "whole_theme": False,
                "name": task.name_zh,
                "id": task.task,
                "cells": [(status[(task.task, r)], anchors[(r, task.task)]) for r in reports],
            }
        )
    return lines


def _listing(row, by_id: Mapping[str, Mapping], title: str, anchor: str) -> dict[str, object]:
    items = []
    for para_id in filter(None, str(row.para_ids).split(";")):
        para = by_id[para_id]
        cues = parse_cues(para.get(CUES_COLUMN, "")).get(row.task, [])
        items.append(
            {
                "part": str(para["part"]),
                "para_id": para_id,
                "evidence": str(para.get(EVIDENCE_COLUMN, "")),
                "reason": para.get(REASON_COLUMN, "") or "no figures, issued documents, dates or named results",
                "text": highlight(str(para["text"]), cues),
            }
        )
    return {
        "anchor": anchor,
        "title": title,
        "name": row.name_zh,
        "task": row.task,
        "status": row.status,
        "paragraphs": items,
    }


def highlight(text: str, cues: list[str]) -> Markup:
    """Escape ``text`` and wrap each occurrence of the cue terms in ``<mark>``.

    Cues are matched on the raw text, longest first; the pieces between matches and the matches themselves are
    escaped one by one, so a cue containing ``&`` or ``<`` still matches and nothing from the text is ever
    left unescaped.
    """
    if not cues:
        return escape(text)
    alternation = re.compile("|".join(re.escape(c) for c in sorted(dict.fromkeys(cues), key=len, reverse=True)))
    pieces, end = [], 0
    for match in alternation.finditer(text):
        pieces += [escape(text[end : match.start()]), Markup("<mark>%s</mark>") % match.group(0)]
        end = match.end()
    return Markup("").join([*pieces, escape(text[end:])])
