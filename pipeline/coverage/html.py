"""Render coverage profiles and gaps as one self-contained HTML file that works offline, opened from disk.

Everything is inline — CSS, SVG charts, a three-line script — so the file can be mailed or archived with a
paper. Every number links to the paragraphs behind it: heatmap cells and per-part counts jump to a
``<details>`` block listing the paragraphs that carry the theme, with their probabilities.
"""

from __future__ import annotations

from collections.abc import Mapping
from html import escape
from pathlib import Path

import pandas as pd

from pipeline.io.tables import write_text_atomic
from pipeline.schema import BODY_PARTS, PROB_PREFIX, PROFILE_PARTS
from pipeline.coverage.profile import label_indicators, label_names, validate_table
from pipeline.coverage.charts import PART_COLOURS, coverage_bars_svg
from pipeline.coverage.html_tasks import TASK_CSS, task_checklist_html

STATUS_COLOURS = {"missing": "#f4c7c3", "thin": "#fde7b0"}
CSS = """
body{font-family:'Noto Sans CJK SC','Noto Sans SC','PingFang SC','Microsoft YaHei',sans-serif;margin:24px;color:#222;
max-width:1180px}
table{border-collapse:collapse;margin:8px 0 16px}td,th{border:1px solid #ccc;padding:4px 8px;font-size:14px}
th{background:#f4f4f4;text-align:left}.heatmap td{text-align:right;min-width:64px}.heatmap a{color:#111}
.legend span{display:inline-block;padding:2px 8px;margin-right:8px;color:#fff;font-size:13px}
details{margin:4px 0;border-left:3px solid #ddd;padding-left:8px}details:target{border-left-color:#d33}
summary{cursor:pointer}li p{margin:2px 0 8px;line-height:1.6}.meta{color:#555}.part{font-weight:bold}
section.report{border-top:2px solid #888;margin-top:32px}
"""
# Opening a closed <details> when a link targets it; browsers scroll to it but do not always expand it.
SCRIPT = """function openTarget(){var e=document.getElementById(decodeURIComponent(location.hash.slice(1)));
if(e&&e.tagName==='DETAILS'){e.open=true;}}window.addEventListener('hashchange',openTarget);openTarget();"""


def render_coverage_html(
    table: pd.DataFrame,
    profile: pd.DataFrame,
    gaps: pd.DataFrame,
    path: Path | str,
    names: Mapping[str, str] | None = None,
    tasks: pd.DataFrame | None = None,
) -> Path:
    """Write the coverage report for ``profile`` and ``gaps`` to ``path`` as one offline HTML file.

    Parameters
    ----------
    table : pandas.DataFrame
        The classified paragraph table the profile was computed from (for the paragraph listings).
    profile : pandas.DataFrame
        Output of :func:`~pipeline.coverage.profile.coverage_profile`.
    gaps : pandas.DataFrame
        Output of :func:`~pipeline.coverage.gaps.coverage_gaps`.
    path : Path or str
        Target file, written atomically.
    names : mapping of str to str, optional
        Theme id → Chinese name; by default from the taxonomy, else the id.
    tasks : pandas.DataFrame, optional
        Output of :func:`~pipeline.coverage.task_coverage.task_coverage`; adds the reports × tasks checklist, for which
        ``table`` must carry the task tags and evidence (:func:`~pipeline.coverage.task_coverage.tag_paragraphs`).

    Returns
    -------
    Path
        ``path``.
    """
    table = validate_table(table)
    themes = list(dict.fromkeys(profile["theme"]))
    zh = label_names(themes, names)
    reports = list(dict.fromkeys(profile["report_id"]))
    anchors = {r: f"r{i}" for i, r in enumerate(reports)}
    body = [
        f"<h1>法治政府建设情况报告 coverage — {len(reports)} report(s)</h1>",
        _reading_guide(),
        _heatmap(profile, themes, zh, anchors),
        _gap_list(gaps, anchors, _titles(profile)),
        "" if tasks is None else task_checklist_html(table, tasks, _titles(profile)),
        *(_report_section(table, profile, gaps, r, anchors[r], themes, zh) for r in reports),
    ]
    page = ('<!DOCTYPE html><html lang="zh-CN"><head><meta charset="utf-8">'
            f"<title>rolcov coverage</title><style>{CSS}{TASK_CSS}</style></head><body>"
            + "\n".join(body) + f"<script>{SCRIPT}</script></body></html>")
    return write_text_atomic(path, page)


def _reading_guide() -> str:
    legend = "".join(f'<span style="background:{c}">{p}</span>' for p, c in PART_COLOURS.items())
    return ("<p>Shares are of each report's <b>body</b> characters (achievements, responsibility, problems, plans); "
            "preamble and closing are not counted. A paragraph can carry several themes, so shares need not sum "
            "to 100%. Bars are split by the part the characters sit in; the black tick is the "
            "probability-weighted share. Click any number to see its paragraphs.</p>"
            f'<p class="legend">{legend}</p>')


def _heatmap(profile: pd.DataFrame, themes: list[str], zh: Mapping[str, str], anchors: Mapping[str, str]) -> str:
    whole = profile[profile["part"] == "all"].set_index(["report_id", "theme"])
    head = "".join(f"<th>{escape(zh[t])}<br><small>{escape(t)}</small></th>" for t in themes)
    rows = []
    for report_id, anchor in anchors.items():
        cells = [_heat_cell(whole.loc[(report_id, t)], f"{anchor}-t{j}") for j, t in enumerate(themes)]
        title = _report_title(whole.loc[report_id].iloc[0], report_id)
        rows.append(f'<tr><th><a href="#{anchor}">{escape(title)}</a></th>{"".join(cells)}</tr>')
    return (f'<section id="heatmap"><h2>Reports × themes (share of body characters)</h2>'
            f'<table class="heatmap"><tr><th>report</th>{head}</tr>{"".join(rows)}</table></section>')


def _heat_cell(row: pd.Series, target: str) -> str:
    share = row["char_share"]
    if row["status"] in STATUS_COLOURS:
        colour = STATUS_COLOURS[row["status"]]
    else:
        colour = f"rgba(0,114,178,{0.15 + 0.85 * min(float(share), 1.0):.2f})"
    text = "–" if pd.isna(share) else f"{share:.0%}"
    tip = escape(f"{row['status']}: {row['n_paragraphs']} paragraph(s)")
    return f'<td style="background:{colour}" title="{tip}"><a href="#{target}">{text}</a></td>'


def _report_title(row: pd.Series, report_id: str) -> str:
    """Issuer and year when the report names them (the title repeats both), else its title or id."""
    issuer, title = (row.get(key, "") for key in ("issuer", "title"))
    year = "" if pd.isna(row.get("year")) else f" {int(row['year'])}"
    if issuer and not pd.isna(issuer):
        return f"{issuer}{year}"
    return f"{title}{year}" if title and not pd.isna(title) else f"{report_id}{year}"


def _titles(profile: pd.DataFrame) -> dict[str, str]:
    first = profile.drop_duplicates("report_id")
    return {row["report_id"]: _report_title(row, row["report_id"]) for _, row in first.iterrows()}


def _gap_list(gaps: pd.DataFrame, anchors: Mapping[str, str], titles: Mapping[str, str]) -> str:
    if gaps.empty:
        return '<section id="gaps"><h2>Gaps</h2><p>No gaps found.</p></section>'
    items = []
    for report_id, rows in gaps.groupby("report_id", sort=False):
        entries = "".join(f"<li><b>{escape(r.kind)}</b>: {escape(r.detail)}</li>" for r in rows.itertuples())
        title = escape(titles.get(report_id, str(report_id)))
        link = f'<a href="#{anchors[report_id]}">{title}</a>' if report_id in anchors else title
        items.append(f"<li>{link}<ul>{entries}</ul></li>")
    return f'<section id="gaps"><h2>Gaps</h2><ul>{"".join(items)}</ul></section>'


def _report_section(table: pd.DataFrame, profile: pd.DataFrame, gaps: pd.DataFrame, report_id: str, anchor: str,
                    themes: list[str], zh: Mapping[str, str]) -> str:
    rows = profile[profile["report_id"] == report_id]
    first = rows.iloc[0]
    paragraphs = table[(table["report_id"] == report_id) & table["part"].isin(BODY_PARTS)]
    indicators = label_indicators(paragraphs, themes)
    own_gaps = gaps[gaps["report_id"] == report_id]
    gap_items = "".join(f"<li><b>{escape(g.kind)}</b>: {escape(g.detail)}</li>" for g in own_gaps.itertuples())
    listings = "".join(
        _theme_paragraphs(paragraphs[indicators[t]], t, zh[t], f"{anchor}-t{j}", rows) for j, t in enumerate(themes)
    )
    title = first.get("title", "")
    title_line = f'<p class="meta">{escape(str(title))}</p>' if title and not pd.isna(title) else ""
    return (f'<section class="report" id="{anchor}"><h2>{escape(_report_title(first, report_id))}</h2>{title_line}'
            f'<p class="meta">report_id {escape(str(report_id))} · {int(first["part_paragraphs"])} body paragraphs · '
            f'{int(first["part_chars"])} body characters</p>'
            + coverage_bars_svg(rows, zh, themes)
            + _part_table(rows, themes, zh, anchor)
            + (f"<h3>Gaps</h3><ul>{gap_items}</ul>" if gap_items else "")
            + f"<h3>Paragraphs by theme</h3>{listings}</section>")


def _part_table(rows: pd.DataFrame, themes: list[str], zh: Mapping[str, str], anchor: str) -> str:
    """Paragraph counts (and within-part character shares) per theme and part, each linking to the list."""
    indexed = rows.set_index(["theme", "part"])
    parts = PROFILE_PARTS
    head = "".join(f"<th>{p}</th>" for p in parts)
    lines = []
    for j, theme in enumerate(themes):
        cells = []
        for part in parts:
            row = indexed.loc[(theme, part)]
            share = "" if pd.isna(row["char_share"]) else f" ({row['char_share']:.0%})"
            cells.append(f'<td><a href="#{anchor}-t{j}">{int(row["n_paragraphs"])}{share}</a></td>')
        lines.append(f"<tr><th>{escape(zh[theme])} ({escape(theme)})</th>{''.join(cells)}</tr>")
    return f"<table><tr><th>paragraphs (share of part)</th>{head}</tr>{''.join(lines)}</table>"


def _theme_paragraphs(paragraphs: pd.DataFrame, theme: str, name: str, target: str, rows: pd.DataFrame) -> str:
    whole = rows[(rows["theme"] == theme) & (rows["part"] == "all")].iloc[0]
    prob_column = f"{PROB_PREFIX}{theme}"
    items = []
    for para in paragraphs.to_dict("records"):
        prob = f" · p={float(para[prob_column]):.2f}" if prob_column in para else " · hand-labelled"
        items.append(f'<li><span class="part">{escape(para["part"])}</span> · {escape(_heading(para))}'
                     f' · {escape(str(para["para_id"]))}{prob}<p>{escape(para["text"])}</p></li>')
    summary = (f"{escape(name)} ({escape(theme)}) — {whole['status']}: {int(whole['n_paragraphs'])} paragraph(s)"
               + ("" if pd.isna(whole["char_share"]) else f", {whole['char_share']:.1%} of body characters"))
    return f'<details id="{target}"><summary>{summary}</summary><ol>{"".join(items)}</ol></details>'


def _heading(para: Mapping[str, object]) -> str:
    """The heading path as one line; parquet and JSON tables may store it as a list of headings."""
    path = para.get("heading_path", "")
    if isinstance(path, str):
        return path
    return " › ".join(str(h) for h in path) if hasattr(path, "__iter__") else ""
