"""The coverage site of a corpus: an index page comparing all reports, and one page per report.

One page for hundreds of reports does not work (a 49 MB page whose first screen is a 500-row heatmap); a
researcher asks how coverage differs by level, province and year, which reports fall far below comparable
ones, and which tasks most reports miss — then opens a report. So with more than a handful of reports
(:data:`HANDFUL`) ``rolcov coverage`` writes a folder:

- ``index.html``: the theme distributions, trends by year and level with the number of reports behind each
  point, tables by level and province, the reports far below their peers, task prevalence, and a table of all
  reports that filters by level, year, province and issuer and sorts by any column (its state lives in the
  address's ``#hash``, so chart points link to filtered views);
- ``reports/<id>.html``: one report — its variables, where it stands against its peers, the bar chart and
  theme × part table, gaps, the task checklist and the paragraphs behind every number.

Everything opens from disk, offline: the charts are matplotlib figures inlined as SVG with their text left
as text (the browser's fonts draw the Chinese), chosen over plotly and Vega-Lite by ``bench/corpus_site.py``;
the table's data is JSON in the page and its script is the site's own. Pages are Jinja2 templates with
autoescape (``templates/site/``), each made of one include per section listed in :data:`INDEX_SECTIONS` /
:data:`REPORT_SECTIONS`: a new section is a template and one line there.
"""

from __future__ import annotations

import hashlib
import io
import json
import re
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import matplotlib
import pandas as pd
from markupsafe import Markup
from tqdm import tqdm

from pipeline.coverage.charts import FONT, PART_COLOURS
from pipeline.coverage.corpus import (
    PEERS,
    SHARE_PREFIX,
    below_peers,
    coverage_by,
    panel_themes,
    required_by,
    task_prevalence,
)
from pipeline.coverage.html import CSS, SCRIPT, report_section
from pipeline.coverage.html_tasks import TASK_CSS, task_checklist_html
from pipeline.coverage.profile import CoverageThresholds, label_names
from pipeline.coverage.required_block import REQUIRED_CSS, required_contents_block
from pipeline.coverage.templating import render
from pipeline.io.tables import write_text_atomic
from pipeline.schema import PROFILE_PARTS
from pipeline.text.places import LEVELS, PLACE_COLUMNS, place_summary

#: Up to this many reports ``rolcov coverage`` writes today's single page; above it, the site (``--handful``).
HANDFUL = 10
#: Rows of the index's report table per page.
PAGE_SIZE = 100
#: Report × theme pairs drawn in the below-peers chart (all are listed in ``below_peers.csv``).
PEERS_DRAWN = 30
PEERS_LISTED = 200


@dataclass(frozen=True)
class Section:
    """A section of a page: its anchor, its name in the navigation bar, and the template that draws it."""

    id: str
    name: str
    template: str


INDEX_SECTIONS = (
    Section("overview", "overview", "site/overview.html.j2"),
    Section("trends", "trends", "site/trends.html.j2"),
    Section("groups", "by level and province", "site/groups.html.j2"),
    Section("peers", "far below peers", "site/peers.html.j2"),
    Section("required", "required contents", "site/required.html.j2"),
    Section("tasks", "tasks", "site/tasks.html.j2"),
    Section("reports", "all reports", "site/reports.html.j2"),
)
REPORT_SECTIONS = (
    Section("summary", "report", "site/report_summary.html.j2"),
    Section("required", "required contents", "site/report_required.html.j2"),
    Section("peers", "against peers", "site/report_peers.html.j2"),
    Section("coverage", "coverage", "site/report_coverage.html.j2"),
    Section("task-checklist", "tasks", "site/report_tasks.html.j2"),
    Section("paragraphs", "paragraphs", "site/report_paragraphs.html.j2"),
)
SITE_CSS = f"""
nav.site{{position:sticky;top:0;background:#fff;border-bottom:1px solid #ccc;padding:6px 0;z-index:2}}
nav.site a{{margin-right:6px}}.chart svg{{max-width:100%;height:auto}}
.chart svg text{{font-family:{FONT} !important}}table.heat td{{text-align:right}}td.num{{text-align:right}}
table.reports th[data-key]{{cursor:pointer}}th.sorted-desc::after{{content:" ▼"}}th.sorted-asc::after{{content:" ▲"}}
.filters label{{margin-right:12px}}.filters .shown{{color:#555}}
td.scale{{position:relative;width:320px;height:18px;padding:0}}td.scale div{{position:absolute;top:3px;height:12px}}
.band{{background:#ddd}}.median{{width:2px;background:#555;top:1px!important;height:16px!important}}
.bar{{background:#0072B2;opacity:.8;left:0}}td.flag{{color:#b00020;font-weight:bold}}.meta-table th{{width:160px}}
"""
#: Report variables shown on a report's page, in order (user columns from ``--metadata`` follow).
SHOWN_VARIABLES = ("issuer", "year", "published", *PLACE_COLUMNS, "source")


def render_coverage_site(
    table: pd.DataFrame,
    profile: pd.DataFrame,
    gaps: pd.DataFrame,
    panel: pd.DataFrame,
    folder: Path | str,
    tasks: pd.DataFrame | None = None,
    names: Mapping[str, str] | None = None,
    thresholds: CoverageThresholds = CoverageThresholds(),
    progress: bool = False,
    required: pd.DataFrame | None = None,
) -> Path:
    """Write the site into ``folder`` (``index.html`` and ``reports/*.html``) and return the index's path.

    Parameters
    ----------
    table : pandas.DataFrame
        The classified paragraph table, validated; task-tagged when ``tasks`` is given.
    profile, gaps : pandas.DataFrame
        :func:`~pipeline.coverage.profile.coverage_profile` and :func:`~pipeline.coverage.gaps.coverage_gaps`.
    panel : pandas.DataFrame
        :func:`~pipeline.coverage.corpus.corpus_panel` (with any ``--metadata`` joined).
    folder : Path or str
        Created if missing; each page is written atomically.
    tasks : pandas.DataFrame, optional
        :func:`~pipeline.coverage.task_coverage.task_coverage`: adds task prevalence and each report's checklist.
    names : mapping of str to str, optional
        Theme id → Chinese name; by default from the taxonomy.
    thresholds : CoverageThresholds
        The ``below_reference`` rule, applied to peers.
    progress : bool
        Show a progress bar of the report pages on stderr.
    required : pandas.DataFrame, optional
        :func:`~pipeline.coverage.requirements.required_contents`: adds each report's "required contents" block
        (the index's shares complete / with causes / on time come from the panel's columns).
    """
    folder = Path(folder)
    themes = panel_themes(panel)
    zh = label_names(themes, names)
    pages = {r: f"reports/{page_name(r)}" for r in panel["report_id"]}
    titles = report_labels(panel)
    below = below_peers(panel, thresholds=thresholds)
    by_peers = coverage_by(panel, list(PEERS))
    css = Markup(CSS + TASK_CSS + REQUIRED_CSS + SITE_CSS)
    report_pages = _report_pages(table, profile, gaps, panel, tasks, required, by_peers, below, themes, zh, titles, css)
    for page in tqdm(
        report_pages, total=len(panel), desc="report pages", unit="page", file=sys.stderr, disable=not progress
    ):
        write_text_atomic(folder / pages[page["report_id"]], page["html"])
    index = _index_context(panel, below, themes, zh, pages, titles, thresholds)
    return write_text_atomic(
        folder / "index.html",
        render("site/index.html.j2", css=css, sections=INDEX_SECTIONS, script=render("site/reports.js.j2"), **index),
    )


def page_name(report_id: str) -> str:
    """A report page's file name: the id where it is a safe file name, else a hash of it (stable across runs)."""
    if re.fullmatch(r"[A-Za-z0-9_.~-]{1,100}", report_id) and not report_id.startswith("."):
        return f"{report_id}.html"
    return f"r-{hashlib.sha256(report_id.encode()).hexdigest()[:16]}.html"


def report_labels(panel: pd.DataFrame) -> dict[str, str]:
    """Issuer and year (``柳城县人民政府 2019``), else title or id, for every report of a panel."""
    labels = {}
    for report_id, issuer, title, year in zip(panel["report_id"], panel["issuer"], panel["title"], panel["year"]):
        name = issuer or title or report_id
        labels[report_id] = f"{name} {int(year)}" if not pd.isna(year) else name
    return labels


def _index_context(
    panel: pd.DataFrame,
    below: pd.DataFrame,
    themes: list[str],
    zh: Mapping[str, str],
    pages: Mapping[str, str],
    titles: Mapping[str, str],
    thresholds: CoverageThresholds,
) -> dict[str, object]:
    years = panel["year"].dropna().astype(int)
    context = {
        "n_reports": len(panel),
        "years": f"{years.min()}–{years.max()}" if len(years) else "",
        "place_line": place_summary(panel).split(" (see")[0],
        "level_counts": [
            {"key": lv, "name": _level_name(lv), "n": int((panel["level"] == lv).sum())} for lv in _levels(panel)
        ],
        "themes": [{"id": t, "name": zh[t]} for t in themes],
        "distribution_svg": _svg(_plots().plot_theme_distribution(panel, names=zh)),
    }
    context.update(_trend_context(panel, themes, zh))
    context.update(by_level=_group_rows(panel, "level", themes), by_province=_group_rows(panel, "province", themes))
    context.update(_peer_context(below, pages, titles, zh, thresholds))
    context.update(_task_context(panel))
    context.update(required_rows=_required_rows(panel))
    context.update(_table_context(panel, themes, zh, pages, titles))
    return context


def _required_rows(panel: pd.DataFrame) -> list[dict[str, object]]:
    """Shares of reports complete, with causes and on time, by year × level (none without those columns)."""
    if "timeliness" not in panel.columns:
        return []
    rows = []
    for row in required_by(panel, ["year", "level"]).to_dict("records"):
        year = "unknown" if pd.isna(row["year"]) else str(int(row["year"]))
        on_time = "–" if pd.isna(row["share_on_time"]) else f"{_percent(row['share_on_time'])} of {row['n_dated']}"
        rows.append(
            {
                "year": year,
                "level": _level_name("" if pd.isna(row["level"]) else row["level"]),
                "n": row["n_reports"],
                "complete": _percent(row["share_complete"]),
                "causes": _percent(row["share_with_causes"]),
                "on_time": on_time,
            }
        )
    return rows


def _plots():
    """The matplotlib figures (imported on first use, with the non-interactive backend)."""
    matplotlib.use("Agg")
    from pipeline.coverage import plots

    return plots


def _svg(figure) -> Markup:
    """A figure as inline SVG markup; text stays text (so the page's fonts draw Chinese) and ids are stable."""
    buffer = io.StringIO()
    with matplotlib.rc_context({"svg.fonttype": "none", "svg.hashsalt": "rolcov"}):
        figure.savefig(
            buffer,
            format="svg",
            bbox_inches="tight",
            metadata={"Creator": None, "Date": None, "Format": None, "Type": None},
        )
    _plots().plt.close(figure)
    svg = buffer.getvalue()
    # matplotlib opens every link in a new tab; the site's links stay in the same one, like the table's
    return Markup(svg[svg.index("<svg") :].replace(' target="_blank"', ""))


def _levels(panel: pd.DataFrame) -> list[str]:
    present = set(panel["level"].fillna(""))
    return [lv for lv in (*LEVELS, "") if lv in present]


def _level_name(level: str) -> str:
    return level or "unknown"


def _trend_context(panel: pd.DataFrame, themes: list[str], zh: Mapping[str, str]) -> dict[str, object]:
    by_year_level = coverage_by(panel, ["year", "level"])
    dated = panel[panel["year"].notna()]
    years = sorted(dated["year"].astype(int).unique())
    counts = dated.groupby(["level", "year"]).size()
    rows = [
        {"key": lv, "name": _level_name(lv), "cells": [{"year": y, "n": int(counts.get((lv, y), 0))} for y in years]}
        for lv in _levels(dated)
    ]
    svg = _svg(_plots().plot_trends(by_year_level, themes, zh, link="#level={level}&year={year}")) if years else ""
    return {"trends_svg": svg, "trend_years": years, "trend_counts": rows}


def _share_colour(share: float) -> str:
    return "#fff" if pd.isna(share) else f"rgba(0,114,178,{0.1 + 0.8 * min(float(share), 1.0):.2f})"


def _group_rows(panel: pd.DataFrame, column: str, themes: list[str]) -> list[dict[str, object]]:
    grouped = coverage_by(panel, [column]).set_index([column, "theme"])
    keys = (
        _levels(panel) if column == "level" else sorted(panel[column].fillna("").unique(), key=lambda v: (v == "", v))
    )
    rows = []
    for key in keys:
        cells = []
        for theme in themes:
            row = grouped.loc[(key, theme)]
            cells.append(
                {
                    "colour": _share_colour(row["mean_share"]),
                    "text": _percent(row["mean_share"]),
                    "tip": f"median {_percent(row['median_share'])}, missing in "
                    f"{row['missing_reports']:.0%} of reports",
                }
            )
        rows.append(
            {
                "name": key or "unknown",
                "filter": f"{column}={key}",
                "n": int(grouped.loc[(key, themes[0]), "n_reports"]),
                "cells": cells,
            }
        )
    return rows


def _percent(value: float) -> str:
    return "–" if pd.isna(value) else f"{value:.0%}"


def _peer_context(
    below: pd.DataFrame,
    pages: Mapping[str, str],
    titles: Mapping[str, str],
    zh: Mapping[str, str],
    thresholds: CoverageThresholds,
) -> dict[str, object]:
    svg = ""
    if not below.empty:
        svg = _svg(_plots().plot_below_peers(below, titles, zh, links=pages, top=PEERS_DRAWN))
    rows = [
        {
            "href": pages[r.report_id],
            "title": titles[r.report_id],
            "level": r.level or "unknown",
            "year": "" if pd.isna(r.year) else int(r.year),
            "theme": f"{zh[r.theme]} ({r.theme})",
            "share": _percent(r.share),
            "median": _percent(r.peer_median),
            "n": r.n_peers,
        }
        for r in below.head(PEERS_LISTED).itertuples()
    ]
    return {
        "peers_svg": svg,
        "below": rows,
        "n_below": len(below),
        "n_below_reports": below["report_id"].nunique(),
        "top": min(PEERS_DRAWN, len(below)),
        "peer_words": " and ".join(PEERS),
        "k": thresholds.reference_k,
        "ratio": thresholds.reference_ratio,
        "min_peers": thresholds.min_reference_reports,
    }


def _task_context(panel: pd.DataFrame) -> dict[str, object]:
    overall = task_prevalence(panel)
    if overall.empty:
        return {"task_svg": "", "task_levels": [], "task_rows": []}
    by_level = task_prevalence(panel, ["level"]).set_index(["level", "task"])
    levels = _levels(panel)
    counts = panel["level"].fillna("").value_counts()
    rows = [
        {
            "name": t.name_zh,
            "id": t.task,
            "cells": [
                {
                    "colour": _share_colour(by_level.loc[(lv, t.task), "concrete"]),
                    "text": _percent(by_level.loc[(lv, t.task), "concrete"]),
                }
                for lv in levels
            ],
        }
        for t in overall.itertuples()
    ]
    return {
        "task_svg": _svg(_plots().plot_task_prevalence(overall)),
        "task_levels": [{"name": _level_name(lv), "n": int(counts.get(lv, 0))} for lv in levels],
        "task_rows": rows,
    }


def _table_context(
    panel: pd.DataFrame, themes: list[str], zh: Mapping[str, str], pages: Mapping[str, str], titles: Mapping[str, str]
) -> dict[str, object]:
    """The report table's columns and its rows as JSON (built in the browser: 5,000 rows stay small)."""
    columns = [
        {"key": "report", "name": "report"},
        {"key": "year", "name": "year"},
        {"key": "province", "name": "province"},
        {"key": "county", "name": "county / city"},
        {"key": "level", "name": "level"},
        {"key": "department_kind", "name": "department"},
        *({"key": SHARE_PREFIX + t, "name": zh[t], "percent": True} for t in themes),
    ]
    keys = [c["key"] for c in columns] + ["href"]
    rows = []
    for record in panel.to_dict("records"):
        values = {
            "report": titles[record["report_id"]],
            "href": pages[record["report_id"]],
            "county": record.get("county") or record.get("city") or "",
            "year": None if pd.isna(record["year"]) else int(record["year"]),
        }
        rows.append([values[k] if k in values else _json_value(record.get(k)) for k in keys])
    data = {"columns": [*columns, {"key": "href", "name": ""}], "rows": rows, "page_size": PAGE_SIZE}
    return {"table_columns": columns, "table_data": Markup(_script_json(data))}


def _json_value(value: object) -> object:
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return None
    return round(float(value), 4) if isinstance(value, float) else value


def _script_json(data: object) -> str:
    """JSON safe inside ``<script>``: ``<``, ``>`` and ``&`` escaped, so no text can close the element."""
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def _report_pages(table, profile, gaps, panel, tasks, required, by_peers, below, themes, zh, titles, css):
    """Each report's page, from the report's own rows (grouped once, so the run stays linear in reports)."""
    by_report = {
        name: dict(tuple(frame.groupby("report_id", sort=False)))
        for name, frame in (("table", table), ("profile", profile), ("gaps", gaps))
    }
    task_rows = dict(tuple(tasks.groupby("report_id", sort=False))) if tasks is not None and not tasks.empty else {}
    required_rows = {} if required is None else {row["report_id"]: row for row in required.to_dict("records")}
    peers = _peer_stats(by_peers)
    flagged = set(zip(below["report_id"], below["theme"]))
    empty = {name: frame.iloc[:0] for name, frame in (("table", table), ("profile", profile), ("gaps", gaps))}
    for record in panel.to_dict("records"):
        report_id = record["report_id"]
        mine = {name: groups.get(report_id, empty[name]) for name, groups in by_report.items()}
        section = report_section(mine["table"], mine["profile"], mine["gaps"], report_id, "r", themes, zh)
        section["heading"] = titles[report_id]
        checklist = ""
        if report_id in task_rows:
            checklist = task_checklist_html(mine["table"], task_rows[report_id], {report_id: titles[report_id]})
        required_block = ""
        if report_id in required_rows:
            required_block = required_contents_block(required_rows[report_id], mine["table"], anchor="req")
        html = render(
            "site/report.html.j2",
            css=css,
            script=Markup(SCRIPT),
            sections=REPORT_SECTIONS,
            report=section,
            variables=_variables(record),
            tasks=checklist,
            part_colours=PART_COLOURS,
            required=required_block,
            parts=PROFILE_PARTS,
            **_peer_rows(record, peers, flagged, themes, zh),
        )
        yield {"report_id": report_id, "html": html}


def _variables(record: Mapping[str, object]) -> list[tuple[str, str]]:
    """The report's variables as (name, text), rolcov's first, then the user's; empty ones left out."""
    shown = [c for c in SHOWN_VARIABLES if c in record]
    extra = [
        c
        for c in record
        if c not in shown
        and c not in ("report_id", "title", "n_paragraphs", "n_chars")
        and not str(c).startswith(("share_", "status_", "task_"))
    ]
    pairs = []
    for column in (*shown, *extra):
        value = record[column]
        if value is None or (not isinstance(value, str) and pd.isna(value)) or value == "":
            continue
        pairs.append((column, str(int(value)) if isinstance(value, float) and value.is_integer() else str(value)))
    return pairs


def _peer_stats(by_peers: pd.DataFrame) -> dict[tuple[str, int | None, str], dict[str, float]]:
    """(level, year, theme) → the group's statistics; an unknown year is ``None`` (NaN never equals itself)."""
    return {
        (row["level"] or "", None if pd.isna(row["year"]) else int(row["year"]), row["theme"]): row
        for row in by_peers.to_dict("records")
    }


def _peer_rows(
    record: Mapping[str, object], peers: Mapping, flagged: set, themes: list[str], zh: Mapping[str, str]
) -> dict[str, object]:
    level = record.get("level") or ""
    year = None if pd.isna(record.get("year")) else int(record["year"])
    stats = {theme: peers[(level, year, theme)] for theme in themes}
    shares = {theme: record.get(SHARE_PREFIX + theme) for theme in themes}
    top = max(
        [
            0.0,
            *(s["q75_share"] for s in stats.values() if not pd.isna(s["q75_share"])),
            *(v for v in shares.values() if v is not None and not pd.isna(v)),
        ]
    )
    scale = max(0.1, min(1.0, -(-top * 10 // 1) / 10))
    rows = []
    for theme in themes:
        share, row = shares[theme], stats[theme]
        low, high = _x(row["q25_share"], scale), _x(row["q75_share"], scale)
        rows.append(
            {
                "id": theme,
                "name": zh[theme],
                "share": _percent(share),
                "median": _percent(row["median_share"]),
                "share_x": _x(share, scale),
                "median_x": _x(row["median_share"], scale),
                "q25": low,
                "iqr": f"{max(0.0, float(high) - float(low)):.1f}",
                "flag": "far below" if (record["report_id"], theme) in flagged else "",
            }
        )
    return {
        "peer_rows": rows,
        "peer_count": int(stats[themes[0]]["n_reports"]) if themes else 0,
        "peer_words": " and ".join(PEERS),
        "peer_group": f"level {_level_name(level)}, year {year or 'unknown'}",
        "peers_filter": f"level={level}&year={year or ''}",
        "scale": f"{scale:.0%}",
    }


def _x(value: float, scale: float) -> str:
    return "0" if value is None or pd.isna(value) else f"{100 * min(float(value), scale) / scale:.1f}"
