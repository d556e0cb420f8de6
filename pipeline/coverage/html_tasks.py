"""The task part of the HTML coverage report: a reports × tasks checklist and the paragraphs behind each mark.

Marks must survive greyscale printing and colour-blind readers, so each status differs in three ways at once:
a letter (``C`` concrete, ``G`` general, ``P`` plans/problems only, ``–`` absent), a fill (solid dark, light
diagonal hatching, dotted, empty) and the cell's tooltip in words. Every mark links to a ``<details>`` block
listing that report's paragraphs for the task, with the matched cue terms highlighted (``<mark>``) and the
evidence reason; the text is escaped before highlighting, so report text can never inject markup.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from html import escape

import pandas as pd

from pipeline.coverage.evidence import EVIDENCE_COLUMN, REASON_COLUMN
from pipeline.coverage.tasks import CUES_COLUMN, parse_cues

MARKS = {"concrete": "C", "general": "G", "plans_or_problems": "P", "absent": "–"}
STATUS_WORDS = {"concrete": "reported with concrete evidence", "general": "mentioned in general terms only",
                "plans_or_problems": "only in plans or problems", "absent": "not mentioned"}
TASK_CSS = """
.checklist td.mark{text-align:center;font-weight:bold;min-width:26px;padding:2px 4px}.checklist a{text-decoration:none}
.checklist th.task{font-weight:normal;white-space:nowrap}.checklist th.theme{background:#e8e8e8}
td.s-concrete{background:#1f3b73;color:#fff}td.s-concrete a{color:#fff}
td.s-general{background:repeating-linear-gradient(45deg,#fff 0 2px,#7b8fbf 2px 6px)}td.s-general a,td.s-plans_or_problems a{color:#000;background:#fff;padding:0 3px}
td.s-plans_or_problems{background:radial-gradient(#999 1px,#fff 1.5px) 0 0/5px 5px}
td.s-absent{background:#fff}td.s-absent a{color:#888}
mark{background:#ffe066;padding:0 1px}.reason{color:#555;font-size:13px}
"""


def task_checklist_html(paragraphs: pd.DataFrame, tasks: pd.DataFrame, titles: Mapping[str, str]) -> str:
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
    themes = tasks[tasks["level"] == "theme"]
    theme_status = themes.set_index(["task", "report_id"])["status"]
    theme_names = dict(zip(themes["task"], themes["name_zh"]))
    if rows.empty:
        return ""
    reports = [r for r in titles if r in set(rows["report_id"])]
    by_id = paragraphs.set_index("para_id", drop=False)
    anchors = {(r, t): f"k{i}-{j}" for i, r in enumerate(reports) for j, t in enumerate(dict.fromkeys(rows["task"]))}
    listings = "".join(_listing(row, by_id, titles[row.report_id], anchors[(row.report_id, row.task)])
                       for row in rows.itertuples() if row.status != "absent")
    return (f'<section id="tasks"><h2>Reports × plan tasks (法治政府建设实施纲要 2021—2025)</h2>{_legend()}'
            f"{_checklist(rows, (theme_status, theme_names), reports, titles, anchors)}<h3>Paragraphs behind each task</h3>{listings}</section>")


def _legend() -> str:
    cells = "".join(f'<td class="mark s-{s}">{MARKS[s]}</td><td>{escape(STATUS_WORDS[s])}</td>' for s in MARKS)
    return ("<p>Per report and task, over the body (achievements, responsibility, problems, plans): "
            "<b>C</b> a paragraph in achievements/responsibility gives figures, an issued document, a date or a "
            "named result; <b>G</b> the task is named there without any; <b>P</b> only promised or regretted; "
            "<b>–</b> never mentioned. Click a mark for its paragraphs.</p>"
            f'<table class="checklist legend-table"><tr>{cells}</tr></table>')


def _checklist(rows: pd.DataFrame, themes: tuple[pd.Series, Mapping[str, str]], reports: list[str],
               titles: Mapping[str, str], anchors: Mapping[tuple[str, str], str]) -> str:
    """One row per task, grouped under a row per theme that carries the theme's own status (from its labels)."""
    theme_status, theme_names = themes
    status = rows.set_index(["task", "report_id"])["status"]
    head = "".join(f"<th>{escape(titles[r])}</th>" for r in reports)
    lines, theme = [], None
    for task in rows.drop_duplicates("task").itertuples():
        if task.theme != theme:
            theme = task.theme
            marks = "".join(_mark(theme_status.get((theme, r), "absent"), "") for r in reports)
            name = escape(theme_names.get(theme, theme))
            lines.append(f'<tr><th class="theme">{name} <small>{escape(theme)} (whole theme)</small></th>{marks}</tr>')
        cells = "".join(_mark(status[(task.task, r)], anchors[(r, task.task)]) for r in reports)
        lines.append(f'<tr><th class="task">{escape(task.name_zh)} <small>{escape(task.task)}</small></th>{cells}</tr>')
    return f'<table class="checklist"><tr><th>task</th>{head}</tr>{"".join(lines)}</table>'


def _mark(status: str, anchor: str) -> str:
    link = f'<a href="#{anchor}">{MARKS[status]}</a>' if anchor and status != "absent" else MARKS[status]
    return f'<td class="mark s-{status}" title="{escape(STATUS_WORDS[status])}">{link}</td>'


def _listing(row, by_id: pd.DataFrame, title: str, anchor: str) -> str:
    items = []
    for para_id in filter(None, str(row.para_ids).split(";")):
        para = by_id.loc[para_id]
        cues = parse_cues(para.get(CUES_COLUMN, "")).get(row.task, [])
        reason = para.get(REASON_COLUMN, "") or "no figures, issued documents, dates or named results"
        items.append(f'<li><span class="part">{escape(str(para["part"]))}</span> · {escape(para_id)} · '
                     f'<b>{escape(str(para.get(EVIDENCE_COLUMN, "")))}</b> <span class="reason">({escape(reason)})</span>'
                     f"<p>{highlight(str(para['text']), cues)}</p></li>")
    summary = f"{escape(title)} — {escape(row.name_zh)} ({escape(row.task)}): {escape(STATUS_WORDS[row.status])}"
    return f'<details id="{anchor}"><summary>{summary}</summary><ol>{"".join(items)}</ol></details>'


def highlight(text: str, cues: list[str]) -> str:
    """Escape ``text`` and wrap each occurrence of the cue terms in ``<mark>``.

    Cues are matched on the escaped text with their own escaped form, longest first, so a cue containing
    ``&`` or ``<`` still matches and nothing from the text is ever left unescaped.
    """
    escaped = escape(text)
    if not cues:
        return escaped
    alternation = "|".join(re.escape(escape(c)) for c in sorted(set(cues), key=len, reverse=True))
    return re.sub(alternation, lambda m: f"<mark>{m.group(0)}</mark>", escaped)
