"""Render coverage profiles and gaps as one self-contained HTML file that works offline, opened from disk.

Everything is inline — CSS, SVG charts, a three-line script — so the file can be mailed or archived with a
paper. Every number links to the paragraphs behind it: heatmap cells and per-part counts jump to a
``<details>`` block listing the paragraphs that carry the theme, with their probabilities.

The page is ``templates/report.html.j2`` rendered with autoescape: this module only gathers the values
(strings and numbers, formatted), so no report text, title or file name can become markup.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import pandas as pd
from markupsafe import Markup

from pipeline.coverage.charts import PART_COLOURS, coverage_bars_svg
from pipeline.coverage.html_tasks import TASK_CSS, task_checklist_html
from pipeline.coverage.profile import label_indicators, label_names, validate_table
from pipeline.coverage.required_block import REQUIRED_CSS, required_contents_block
from pipeline.coverage.templating import render
from pipeline.io.tables import write_text_atomic
from pipeline.schema import BODY_PARTS, PROB_PREFIX, PROFILE_PARTS

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
    required: pd.DataFrame | None = None,
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
    required : pandas.DataFrame, optional
        Output of :func:`~pipeline.coverage.requirements.required_contents`; adds each report's "required
        contents" block.

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
    titles = report_titles(profile)
    required_blocks = (
        {}
        if required is None
        else {
            row["report_id"]: required_contents_block(
                row, table[table["report_id"] == row["report_id"]], anchors.get(row["report_id"], "r") + "-required"
            )
            for row in required.to_dict("records")
        }
    )
    page = render(
        "report.html.j2",
        css=Markup(CSS + TASK_CSS + REQUIRED_CSS),
        script=Markup(SCRIPT),
        part_colours=PART_COLOURS,
        themes=[{"name": zh[t], "id": t} for t in themes],
        heatmap=_heatmap(profile, themes, anchors),
        gaps=_gap_list(gaps, anchors, titles),
        parts=PROFILE_PARTS,
        tasks="" if tasks is None else task_checklist_html(table, tasks, titles),
        reports=[
            {**report_section(table, profile, gaps, r, anchors[r], themes, zh), "required": required_blocks.get(r, "")}
            for r in reports
        ],
    )
    return write_text_atomic(path, page)


def _heatmap(profile: pd.DataFrame, themes: list[str], anchors: Mapping[str, str]) -> list[dict[str, object]]:
    whole = profile[profile["part"] == "all"].set_index(["report_id", "theme"])
    return [
        {
            "anchor": anchor,
            "title": _report_title(whole.loc[report_id].iloc[0], report_id),
            "cells": [_heat_cell(whole.loc[(report_id, t)], f"{anchor}-t{j}") for j, t in enumerate(themes)],
        }
        for report_id, anchor in anchors.items()
    ]


def _heat_cell(row: pd.Series, target: str) -> dict[str, str]:
    share = row["char_share"]
    if row["status"] in STATUS_COLOURS:
        colour = STATUS_COLOURS[row["status"]]
    else:
        colour = f"rgba(0,114,178,{0.15 + 0.85 * min(float(share), 1.0):.2f})"
    return {
        "colour": colour,
        "tip": f"{row['status']}: {row['n_paragraphs']} paragraph(s)",
        "target": target,
        "text": "–" if pd.isna(share) else f"{share:.0%}",
    }


def _report_title(row: pd.Series, report_id: str) -> str:
    """Issuer and year when the report names them (the title repeats both), else its title or id."""
    issuer, title = (row.get(key, "") for key in ("issuer", "title"))
    year = "" if pd.isna(row.get("year")) else f" {int(row['year'])}"
    if issuer and not pd.isna(issuer):
        return f"{issuer}{year}"
    return f"{title}{year}" if title and not pd.isna(title) else f"{report_id}{year}"


def report_titles(profile: pd.DataFrame) -> dict[str, str]:
    first = profile.drop_duplicates("report_id")
    return {row["report_id"]: _report_title(row, row["report_id"]) for _, row in first.iterrows()}


def _gap_entries(gaps: pd.DataFrame) -> list[tuple[str, str]]:
    return [(str(g.kind), str(g.detail)) for g in gaps.itertuples()]


def _gap_list(gaps: pd.DataFrame, anchors: Mapping[str, str], titles: Mapping[str, str]) -> list[dict[str, object]]:
    return [
        {
            "anchor": anchors.get(report_id, ""),
            "title": titles.get(report_id, str(report_id)),
            "entries": _gap_entries(rows),
        }
        for report_id, rows in gaps.groupby("report_id", sort=False)
    ]


def report_section(
    table: pd.DataFrame,
    profile: pd.DataFrame,
    gaps: pd.DataFrame,
    report_id: str,
    anchor: str,
    themes: list[str],
    zh: Mapping[str, str],
) -> dict[str, object]:
    """One report's part of a page: heading, bar chart, theme × part table, gaps and paragraphs by theme.

    Pass the report's own rows of ``table``, ``profile`` and ``gaps`` when rendering many reports: each is
    filtered by ``report_id`` here, which costs a pass over whatever is given.
    """
    rows = profile[profile["report_id"] == report_id]
    first = rows.iloc[0]
    paragraphs = table[(table["report_id"] == report_id) & table["part"].isin(BODY_PARTS)]
    indicators = label_indicators(paragraphs, themes)
    cells = {(row["theme"], row["part"]): row for row in rows.to_dict("records")}
    records = paragraphs.to_dict("records")
    title = first.get("title", "")
    return {
        "anchor": anchor,
        "heading": _report_title(first, report_id),
        "report_id": str(report_id),
        "title": str(title) if title and not pd.isna(title) else "",
        "n_paragraphs": int(first["part_paragraphs"]),
        "n_chars": int(first["part_chars"]),
        "chart": coverage_bars_svg(rows, zh, themes),
        "part_rows": _part_rows(cells, themes, zh, anchor),
        "gaps": _gap_entries(gaps[gaps["report_id"] == report_id]),
        "listings": [
            _theme_paragraphs(
                [r for r, flag in zip(records, indicators[t].to_numpy()) if flag],
                t,
                zh[t],
                f"{anchor}-t{j}",
                cells[(t, "all")],
            )
            for j, t in enumerate(themes)
        ],
    }


def _part_rows(
    cells: Mapping[tuple[str, str], Mapping], themes: list[str], zh: Mapping[str, str], anchor: str
) -> list[dict[str, object]]:
    """Paragraph counts (and within-part character shares) per theme and part, each linking to the list."""
    lines = []
    for j, theme in enumerate(themes):
        row_cells = []
        for part in PROFILE_PARTS:
            row = cells[(theme, part)]
            share = "" if pd.isna(row["char_share"]) else f" ({row['char_share']:.0%})"
            row_cells.append(f"{int(row['n_paragraphs'])}{share}")
        lines.append({"name": zh[theme], "id": theme, "target": f"{anchor}-t{j}", "cells": row_cells})
    return lines


def _theme_paragraphs(
    paragraphs: list[Mapping[str, object]], theme: str, name: str, target: str, whole: Mapping[str, object]
) -> dict[str, object]:
    prob_column = f"{PROB_PREFIX}{theme}"
    items = [
        {
            "part": str(para["part"]),
            "heading": _heading(para),
            "para_id": str(para["para_id"]),
            "prob": f" · p={float(para[prob_column]):.2f}" if prob_column in para else " · hand-labelled",
            "text": str(para["text"]),
        }
        for para in paragraphs
    ]
    summary = f"{name} ({theme}) — {whole['status']}: {int(whole['n_paragraphs'])} paragraph(s)" + (
        "" if pd.isna(whole["char_share"]) else f", {whole['char_share']:.1%} of body characters"
    )
    return {"target": target, "summary": summary, "paragraphs": items}


def _heading(para: Mapping[str, object]) -> str:
    """The heading path as one line; parquet and JSON tables may store it as a list of headings."""
    path = para.get("heading_path", "")
    if isinstance(path, str):
        return path
    return " › ".join(str(h) for h in path) if hasattr(path, "__iter__") else ""
