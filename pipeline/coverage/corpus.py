"""A corpus of reports as tables a researcher analyses: one row per report, and summaries by group.

The long profile (report × theme × part) answers questions about one report; comparing hundreds needs the
shape that R, Stata and Excel expect — one row per report with its variables (year, province, level …) and
one column per measure — and grouped summaries that always say how many reports stand behind each cell,
since a share over three reports is not a share over three hundred.

- :func:`corpus_panel`: the wide panel (``panel.csv``/``.parquet``/``.dta``);
- :func:`coverage_by`: theme shares by any grouping (year × level, province …);
- :func:`task_prevalence`: per task, the share of reports with concrete evidence, a general mention, only
  plans/problems, or nothing, by group;
- :func:`below_peers`: reports whose theme share is far below that of their peers (same level and year,
  by default), by the rule of ``below_reference`` gaps (:func:`~pipeline.coverage.gaps.reference_limit`);
- :func:`with_required_contents` and :func:`required_by`: what the rules require of a report
  (:mod:`pipeline.coverage.requirements`) in the panel, and the shares complete / with causes / on time by group.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from pipeline.coverage.gaps import peer_limits
from pipeline.coverage.profile import CoverageThresholds, label_names, report_values
from pipeline.coverage.requirements import REQUIRED_CONTENTS, required_contents_summary
from pipeline.coverage.task_coverage import TASK_STATUSES
from pipeline.taxonomy import load_taxonomy
from pipeline.text.places import PLACE_COLUMNS, report_places

#: Column prefixes of the panel's measures: theme share and status, task status.
SHARE_PREFIX, STATUS_PREFIX, TASK_PREFIX = "share_", "status_", "task_"
#: Report variables of the panel, in order; ``published`` and ``*_source`` follow when the table has them.
REPORT_COLUMNS = ("report_id", "source", "issuer", "title", "year", *PLACE_COLUMNS)
#: Per-report counts: body paragraphs and characters (the denominators of every share).
COUNT_COLUMNS = ("n_paragraphs", "n_chars")
#: Default peer group of :func:`below_peers`.
PEERS = ("level", "year")
#: Prefix of a required content's status in the panel (``required_problems``: present / in_passing / absent).
REQUIRED_PREFIX = "required_"
#: The per-report columns of :func:`~pipeline.coverage.requirements.required_contents` the panel carries.
REQUIRED_PANEL_COLUMNS = (*REQUIRED_CONTENTS, "complete", "causes", "problems_specificity", "deadline", "timeliness")


def corpus_panel(
    table: pd.DataFrame, profile: pd.DataFrame, tasks: pd.DataFrame | None = None, places: pd.DataFrame | None = None
) -> pd.DataFrame:
    """One row per report: its variables, each theme's share and status, each task's status.

    Parameters
    ----------
    table : pandas.DataFrame
        The classified paragraph table (for ``source``, ``published``, ``*_source`` and, when ``places`` is
        not given, the issuer, title and opening that places are read from).
    profile : pandas.DataFrame
        :func:`~pipeline.coverage.profile.coverage_profile` of ``table``.
    tasks : pandas.DataFrame, optional
        :func:`~pipeline.coverage.task_coverage.task_coverage` of ``table``; adds ``task_<id>`` columns.
    places : pandas.DataFrame, optional
        :func:`~pipeline.text.places.report_places` of ``table`` (computed when not given).

    Returns
    -------
    pandas.DataFrame
        :data:`REPORT_COLUMNS` (and ``published``/``*_source`` when present), :data:`COUNT_COLUMNS`,
        ``share_<theme>`` (share of body characters), ``status_<theme>`` (covered / thin / missing) and
        ``task_<id>`` (concrete / general / plans_or_problems / absent), in the profile's report order.
    """
    whole = profile[profile["part"] == "all"]
    first = whole.drop_duplicates("report_id").set_index("report_id")
    panel = pd.DataFrame(
        {
            "report_id": first.index,
            "issuer": first["issuer"].to_numpy(),
            "title": first["title"].to_numpy(),
            "year": first["year"].to_numpy(),
        }
    )
    carried = ["source", *(c for c in table.columns if c == "published" or str(c).endswith("_source"))]
    carried = [column for column in dict.fromkeys(carried) if column in table.columns]
    panel = panel.merge(report_values(table, carried), on="report_id", how="left")
    places = report_places(table) if places is None else places
    panel = panel.merge(places, on="report_id", how="left")
    panel["n_paragraphs"] = first["part_paragraphs"].to_numpy()
    panel["n_chars"] = first["part_chars"].to_numpy()
    shares = whole.pivot(index="report_id", columns="theme", values="char_share")
    status = whole.pivot(index="report_id", columns="theme", values="status")
    themes = list(dict.fromkeys(whole["theme"]))
    measures = [shares[themes].add_prefix(SHARE_PREFIX), status[themes].add_prefix(STATUS_PREFIX)]
    if tasks is not None and not tasks.empty:
        task_rows = tasks[tasks["level"] == "task"]
        wide = task_rows.pivot(index="report_id", columns="task", values="status")
        measures.append(wide[list(dict.fromkeys(task_rows["task"]))].add_prefix(TASK_PREFIX))
    panel = panel.merge(pd.concat(measures, axis=1), left_on="report_id", right_index=True, how="left")
    return _ordered(panel.fillna({c: "" for c in (*PLACE_COLUMNS, "source")}))


def _ordered(panel: pd.DataFrame) -> pd.DataFrame:
    measures = [c for c in panel.columns if str(c).startswith((SHARE_PREFIX, STATUS_PREFIX, TASK_PREFIX))]
    first = [c for c in REPORT_COLUMNS if c in panel.columns]
    extra = [c for c in panel.columns if c not in (*first, *COUNT_COLUMNS, *measures)]
    return panel[[*first, *extra, *COUNT_COLUMNS, *measures]].reset_index(drop=True)


def panel_themes(panel: pd.DataFrame) -> list[str]:
    """Theme ids of a panel, in column order."""
    return [c[len(SHARE_PREFIX) :] for c in panel.columns if str(c).startswith(SHARE_PREFIX)]


def panel_tasks(panel: pd.DataFrame) -> list[str]:
    """Task ids of a panel, in column order."""
    return [c[len(TASK_PREFIX) :] for c in panel.columns if str(c).startswith(TASK_PREFIX)]


def _groups(panel: pd.DataFrame, by: Sequence[str]):
    """Group with empty values kept as a group of their own (a report whose level is unknown still counts)."""
    missing = [c for c in by if c not in panel.columns]
    if missing:
        raise KeyError(f"no column(s) {', '.join(missing)} in the panel; group by any of {', '.join(panel.columns)}")
    return panel.groupby(list(by), dropna=False, sort=True)


def coverage_by(panel: pd.DataFrame, by: Sequence[str]) -> pd.DataFrame:
    """Theme shares over the reports of each group, with the number of reports behind every row.

    Parameters
    ----------
    panel : pandas.DataFrame
        Output of :func:`corpus_panel`.
    by : sequence of str
        Panel columns to group by, e.g. ``["year", "level"]`` or ``["province"]``.

    Returns
    -------
    pandas.DataFrame
        One row per group × theme: the ``by`` columns, ``theme``, ``name_zh``, ``n_reports``, ``mean_share``,
        ``median_share``, ``q25_share``, ``q75_share`` (over reports with a body) and the shares of reports
        where the theme is ``covered``, ``thin`` or ``missing``.
    """
    themes = panel_themes(panel)
    zh = label_names(themes)
    rows = []
    for key, group in _groups(panel, by):
        values = dict(zip(by, key if isinstance(key, tuple) else (key,)))
        for theme in themes:
            shares = group[SHARE_PREFIX + theme].dropna().to_numpy(dtype=float)
            status = group[STATUS_PREFIX + theme]
            q25, median, q75 = np.quantile(shares, [0.25, 0.5, 0.75]) if len(shares) else (np.nan,) * 3
            rows.append(
                {
                    **values,
                    "theme": theme,
                    "name_zh": zh[theme],
                    "n_reports": len(group),
                    "mean_share": shares.mean() if len(shares) else np.nan,
                    "median_share": median,
                    "q25_share": q25,
                    "q75_share": q75,
                    **{f"{s}_reports": float((status == s).mean()) for s in ("covered", "thin", "missing")},
                }
            )
    return pd.DataFrame(rows)


def task_prevalence(panel: pd.DataFrame, by: Sequence[str] = ()) -> pd.DataFrame:
    """Per group and task: how many reports, and which share reports it concretely, in general, or not at all.

    Parameters
    ----------
    panel : pandas.DataFrame
        Output of :func:`corpus_panel` with ``task_<id>`` columns.
    by : sequence of str
        Panel columns to group by; empty for the whole corpus.

    Returns
    -------
    pandas.DataFrame
        The ``by`` columns, ``task``, ``theme``, ``name_zh``, ``n_reports`` and one share per status of
        :data:`~pipeline.coverage.task_coverage.TASK_STATUSES` (``concrete`` … ``absent``), summing to 1.
    """
    tasks = {task.id: task for task in load_taxonomy().tasks}
    grouped = _groups(panel, by) if by else [((), panel)]
    rows = []
    for key, group in grouped:
        values = dict(zip(by, key if isinstance(key, tuple) else (key,)))
        for task_id in panel_tasks(panel):
            status = group[TASK_PREFIX + task_id]
            task = tasks.get(task_id)
            rows.append(
                {
                    **values,
                    "task": task_id,
                    "theme": task.theme if task else "",
                    "name_zh": task.name_zh if task else task_id,
                    "n_reports": len(group),
                    **{s: float((status == s).mean()) for s in TASK_STATUSES},
                }
            )
    return pd.DataFrame(rows)


def below_peers(
    panel: pd.DataFrame, by: Sequence[str] = PEERS, thresholds: CoverageThresholds = CoverageThresholds()
) -> pd.DataFrame:
    """Reports whose share of a theme is far below their peers', furthest below first.

    Peers are the other reports with the same ``by`` values (by default the same level and year; reports
    whose level or year is unknown are peers of each other). "Far below" is the ``below_reference`` rule:
    under both ``median − k·MAD`` and ``ratio·median`` of the peers' shares, with at least
    ``thresholds.min_reference_reports`` peers.

    Returns
    -------
    pandas.DataFrame
        ``report_id, issuer, year, province, level, theme, name_zh, share, peer_median, peer_limit, n_peers,
        shortfall`` (peer median − share), sorted by ``shortfall``, largest first.
    """
    themes = panel_themes(panel)
    zh = label_names(themes)
    rows = []
    for _, group in _groups(panel, by):
        for theme in themes:
            shares = group[SHARE_PREFIX + theme].to_numpy(dtype=float)
            known = ~np.isnan(shares)
            stats = np.array(
                peer_limits(group["report_id"], group["report_id"][known], shares[known], thresholds), dtype=float
            ).reshape(-1, 4)
            flagged = (stats[:, 3] >= thresholds.min_reference_reports) & (shares < stats[:, 1])
            for i in np.flatnonzero(flagged):
                report = group.iloc[i]
                median, limit, _, n = stats[i]
                rows.append(
                    {
                        **{c: report.get(c, "") for c in ("report_id", "issuer", "year", "province", "level")},
                        "theme": theme,
                        "name_zh": zh[theme],
                        "share": shares[i],
                        "peer_median": median,
                        "peer_limit": limit,
                        "n_peers": int(n),
                        "shortfall": median - shares[i],
                    }
                )
    columns = [
        "report_id",
        "issuer",
        "year",
        "province",
        "level",
        "theme",
        "name_zh",
        "share",
        "peer_median",
        "peer_limit",
        "n_peers",
        "shortfall",
    ]
    frame = pd.DataFrame(rows, columns=columns)
    return frame.sort_values("shortfall", ascending=False, kind="stable").reset_index(drop=True)


def with_required_contents(panel: pd.DataFrame, required: pd.DataFrame) -> pd.DataFrame:
    """The panel with each report's required contents: ``required_<content>`` (present / in_passing / absent),
    ``required_complete``, ``causes``, ``problems_specificity``, ``deadline`` and ``timeliness``.

    ``required`` is :func:`~pipeline.coverage.requirements.required_contents` of the same table; the paragraphs
    behind each status stay in ``required.csv``, the panel keeps one value per cell.
    """
    kept = required[["report_id", *REQUIRED_PANEL_COLUMNS]].rename(columns=_REQUIRED_NAMES)
    return panel.merge(kept, on="report_id", how="left")


def required_by(panel: pd.DataFrame, by: Sequence[str] = ("year", "level")) -> pd.DataFrame:
    """Per group of a panel with required contents: reports complete, with causes, on time — each with its
    count and the number of reports behind it (:func:`~pipeline.coverage.requirements.required_contents_summary`)."""
    per_report = panel.rename(columns={name: column for column, name in _REQUIRED_NAMES.items()})
    return required_contents_summary(per_report, [column for column in by if column in panel.columns])


_REQUIRED_NAMES = {**{part: f"{REQUIRED_PREFIX}{part}" for part in REQUIRED_CONTENTS}, "complete": "required_complete"}
