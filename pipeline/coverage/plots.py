"""Matplotlib views of coverage profiles for notebooks, where an inline figure beats an HTML file.

Theme names and issuers are Chinese. Matplotlib draws them only with a font that has the glyphs, and its
font cache, built once, does not see fonts installed after it (``fonts-noto-cjk`` added to a machine where
matplotlib already ran): naming a family is not enough. :func:`cjk_font_family` therefore looks for the font
*files*, registers the first one found with matplotlib's font manager and uses its family name.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from functools import lru_cache
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib import font_manager, ft2font
from matplotlib.axes import Axes

from pipeline.coverage.corpus import SHARE_PREFIX, panel_themes
from pipeline.coverage.profile import label_names

#: File names of CJK fonts, best first (sans before serif): Noto CJK and Source Han (Linux packages
#: ``fonts-noto-cjk``), WenQuanYi (``fonts-wqy-microhei``/``-zenhei``), Droid fallback, Windows, macOS.
CJK_FONT_FILES = (
    "notosanscjk",
    "notosanssc",
    "sourcehansans",
    "wqy-microhei",
    "wqy-zenhei",
    "droidsansfallback",
    "msyh",
    "simhei",
    "pingfang",
    "notoserifcjk",
    "sourcehanserif",
    "simsun",
)
#: Directories searched besides matplotlib's system font paths.
EXTRA_FONT_DIRS = (
    "/usr/share/fonts",
    "/usr/local/share/fonts",
    str(Path.home() / ".fonts"),
    str(Path.home() / ".local/share/fonts"),
)
FONT_HINT = (
    "install one, e.g. `apt-get install fonts-noto-cjk` (Debian/Ubuntu), `dnf install "
    "google-noto-sans-cjk-fonts` (Fedora) or `brew install --cask font-noto-sans-cjk-sc` (macOS)"
)
_PROBE = "法治政府"
_WEIGHTED = re.compile(r"bold|black|heavy|light|thin|medium|semi|demi|extra", re.IGNORECASE)
_LOG = logging.getLogger("rolcov")


@lru_cache(maxsize=1)
def cjk_font_family() -> str | None:
    """Family name of an installed CJK font, registered with matplotlib; None (said once) if there is none.

    Returns
    -------
    str or None
        E.g. ``"Noto Sans CJK JP"`` (the first face of ``NotoSansCJK-Regular.ttc``; it has every
        simplified Chinese character).
    """
    extra = [directory for directory in EXTRA_FONT_DIRS if Path(directory).is_dir()]
    files = {str(path) for path in font_manager.findSystemFonts()}
    files |= {str(path) for path in font_manager.findSystemFonts(fontpaths=extra)} if extra else set()
    for pattern in CJK_FONT_FILES:
        for path in sorted((path for path in files if pattern in Path(path).name.lower()), key=_regular_first):
            if _has_glyphs(path):
                font_manager.fontManager.addfont(path)
                # a .ttc holds several faces (Noto CJK: JP, KR, SC, TC…): the SC face draws simplified forms
                faces = [font.name for font in font_manager.fontManager.ttflist if font.fname == path]
                return next(
                    (name for name in faces if name.endswith(" SC")), font_manager.FontProperties(fname=path).get_name()
                )
    _LOG.warning("no Chinese font found: Chinese text in figures will show as empty boxes; %s", FONT_HINT)
    return None


def _regular_first(path: str) -> tuple[bool, str]:
    """Sort key: a regular weight before Bold/Light/… files of the same font."""
    return bool(_WEIGHTED.search(Path(path).name)), path


def _has_glyphs(path: str) -> bool:
    try:
        font = ft2font.FT2Font(path)
    except (OSError, RuntimeError):  # unreadable or unsupported font file
        return False
    return all(font.get_char_index(ord(char)) for char in _PROBE)


def font_families() -> list[str]:
    """Font list for text with Chinese: the CJK font, then DejaVu Sans for Latin letters and symbols."""
    family = cjk_font_family()
    return [family, "DejaVu Sans"] if family else ["DejaVu Sans"]


def report_labels(profile: pd.DataFrame) -> dict[str, str]:
    """Row label of each report: issuer and year (``柳城县人民政府 2019``), else the report id.

    Two reports with the same label (one issuer, one year, or no year) get their report id added.
    """
    reports = profile.drop_duplicates("report_id").set_index("report_id")
    labels = {}
    for report_id, row in reports.iterrows():
        issuer = str(row.get("issuer", "") or "").strip()
        year = row.get("year")
        year_text = "" if pd.isna(year) else str(int(year))
        labels[report_id] = " ".join(filter(None, [issuer, year_text])) if issuer else str(report_id)
    counts = pd.Series(labels).value_counts()
    return {rid: f"{label} ({rid})" if counts[label] > 1 and label != rid else label for rid, label in labels.items()}


def plot_heatmap(
    profile: pd.DataFrame, ax: Axes | None = None, names: Mapping[str, str] | None = None, value: str = "char_share"
) -> Axes:
    """Draw reports × themes as a heatmap of whole-body shares, with missing themes marked ×.

    Parameters
    ----------
    profile : pandas.DataFrame
        Output of :func:`~pipeline.coverage.profile.coverage_profile`.
    ax : matplotlib.axes.Axes, optional
        Where to draw; a new figure sized to the table by default.
    names : mapping of str to str, optional
        Theme id → Chinese name; by default from the taxonomy, else the id.
    value : str
        Which share to colour by: ``char_share``, ``para_share`` or ``prob_share``.

    Returns
    -------
    matplotlib.axes.Axes
        The axes drawn on; rows are labelled by :func:`report_labels`, columns by Chinese name and id.
    """
    families = font_families()
    whole = profile[profile["part"] == "all"]
    themes = list(dict.fromkeys(whole["theme"]))
    reports = list(dict.fromkeys(whole["report_id"]))
    grid = whole.pivot(index="report_id", columns="theme", values=value).reindex(index=reports, columns=themes)
    status = whole.pivot(index="report_id", columns="theme", values="status").reindex(index=reports, columns=themes)
    if ax is None:
        _, ax = plt.subplots(figsize=(1.6 * len(themes) + 3, 0.5 * len(reports) + 2.5))
    shares = grid.to_numpy(dtype=float)
    vmax = max(0.1, float(np.nanmax(shares, initial=0.0)))
    image = ax.imshow(shares, cmap="Blues", vmin=0, vmax=vmax, aspect="auto")
    zh = label_names(themes, names)
    rows = report_labels(whole)
    ax.set_xticks(
        range(len(themes)), [f"{zh[t]}\n{t}" for t in themes], rotation=45, ha="right", fontsize=8, fontfamily=families
    )
    ax.set_yticks(range(len(reports)), [rows[r] for r in reports], fontsize=8, fontfamily=families)
    for (i, j), share in np.ndenumerate(shares):
        missing = status.iat[i, j] == "missing"
        text = "×" if missing else ("" if np.isnan(share) else f"{share:.0%}")
        colour = "#b00020" if missing else ("white" if share > 0.6 * vmax else "black")  # legible on dark cells
        ax.text(j, i, text, ha="center", va="center", fontsize=8, color=colour, fontfamily=families)
    ax.figure.colorbar(image, ax=ax, label=value)
    return ax


#: Level order in corpus charts; reports whose level is unknown come last.
LEVEL_ORDER = ("province", "prefecture", "county", "township", "department", "")
#: Task status colours (dark to light, so the order survives greyscale printing).
TASK_STATUS_COLOURS = {"concrete": "#1f3b73", "general": "#7b8fbf", "plans_or_problems": "#c9cfdc", "absent": "#f2f2f2"}


def _level_name(level: object) -> str:
    return str(level) if isinstance(level, str) and level else "unknown"


def plot_trends(
    by_year_level: pd.DataFrame,
    themes: list[str] | None = None,
    names: Mapping[str, str] | None = None,
    link: str | None = None,
) -> plt.Figure:
    """Small multiples, one per theme: mean share of body characters by year, one line per level.

    Parameters
    ----------
    by_year_level : pandas.DataFrame
        :func:`~pipeline.coverage.corpus.coverage_by` over ``["year", "level"]``.
    themes : list of str, optional
        Themes to draw (default: all, in the table's order).
    names : mapping of str to str, optional
        Theme id → Chinese name.
    link : str, optional
        A format string with ``{level}`` and ``{year}`` (``"#level={level}&year={year}"``); each point then links
        there in an SVG export (the site's report table filtered to that group).
    """
    frame = by_year_level[by_year_level["year"].notna()]
    themes = themes or list(dict.fromkeys(frame["theme"]))
    zh = label_names(themes, names)
    families = font_families()
    columns = min(4, len(themes)) or 1
    rows = -(-len(themes) // columns) or 1
    fig, axes = plt.subplots(
        rows, columns, figsize=(3.2 * columns, 2.5 * rows + 0.6), sharex=True, sharey=True, squeeze=False
    )
    levels = [lv for lv in LEVEL_ORDER if (frame["level"].fillna("") == lv).any()]
    for ax, theme in zip(axes.flat, themes):
        mine = frame[frame["theme"] == theme]
        for i, level in enumerate(levels):
            line = mine[mine["level"].fillna("") == level].sort_values("year")
            years = line["year"].astype(int).to_numpy()
            ax.plot(years, line["mean_share"], marker="o", markersize=4, color=f"C{i}", label=_level_name(level))
            if link:
                points = ax.scatter(years, line["mean_share"], s=30, color=f"C{i}", zorder=3)
                points.set_urls([link.format(level=level, year=year) for year in years])
        ax.set_title(f"{zh[theme]}\n{theme}", fontsize=9, fontfamily=families)
        ax.yaxis.set_major_formatter(lambda value, _: f"{value:.0%}")
        ax.grid(alpha=0.3)
    for ax in list(axes.flat)[len(themes) :]:
        ax.set_visible(False)
    axes.flat[0].figure.legend(
        *axes.flat[0].get_legend_handles_labels(), loc="lower center", ncol=len(levels), fontsize=8, frameon=False
    )
    fig.supylabel("mean share of body characters", fontsize=9)
    fig.tight_layout(rect=(0, 0.06, 1, 1))
    return fig


def plot_theme_distribution(panel: pd.DataFrame, names: Mapping[str, str] | None = None) -> plt.Figure:
    """Each theme's share of body characters across the reports of a panel, as box plots (n on each label)."""
    themes = panel_themes(panel)
    zh = label_names(themes, names)
    data = [panel[SHARE_PREFIX + theme].dropna().to_numpy(dtype=float) for theme in themes]
    fig, ax = plt.subplots(figsize=(9, 0.45 * len(themes) + 1))
    ax.boxplot(data, orientation="horizontal", widths=0.6, flierprops={"markersize": 2, "alpha": 0.4})
    ax.set_yticks(
        range(1, len(themes) + 1),
        [f"{zh[t]} ({t}) n={len(d)}" for t, d in zip(themes, data)],
        fontsize=8,
        fontfamily=font_families(),
    )
    ax.invert_yaxis()
    ax.xaxis.set_major_formatter(lambda value, _: f"{value:.0%}")
    ax.set_xlabel("share of body characters per report", fontsize=9)
    ax.grid(axis="x", alpha=0.3)
    fig.tight_layout()
    return fig


def plot_below_peers(
    below: pd.DataFrame,
    labels: Mapping[str, str],
    names: Mapping[str, str] | None = None,
    links: Mapping[str, str] | None = None,
    top: int = 30,
) -> plt.Figure:
    """The ``top`` report × theme pairs furthest below their peers: the report's share (dot, linked to its
    page when ``links`` maps report ids to URLs), the peers' median (bar) and the limit (tick)."""
    rows = below.head(top).iloc[::-1]
    zh = label_names(list(dict.fromkeys(rows["theme"])), names)
    fig, ax = plt.subplots(figsize=(9, 0.28 * len(rows) + 1.2))
    y = np.arange(len(rows))
    ax.barh(y, rows["peer_median"], color="#dddddd", label="peers' median")
    ax.scatter(rows["peer_limit"], y, marker="|", s=120, color="#555555", label="far-below limit")
    dots = ax.scatter(rows["share"], y, s=36, color="#b00020", zorder=3, clip_on=False, label="this report")
    ax.set_xlim(left=-0.02)  # a share of 0 is a whole dot off the axis line, so it can be seen and clicked
    if links:
        dots.set_urls([links.get(r) for r in rows["report_id"]])
    ax.set_yticks(
        y,
        [f"{labels.get(r, r)} · {zh.get(t, t)}" for r, t in zip(rows["report_id"], rows["theme"])],
        fontsize=8,
        fontfamily=font_families(),
    )
    ax.xaxis.set_major_formatter(lambda value, _: f"{value:.0%}")
    ax.legend(fontsize=8, loc="lower right")
    fig.tight_layout()
    return fig


def plot_task_prevalence(prevalence: pd.DataFrame) -> plt.Figure:
    """Per task, the share of reports reporting it concretely, in general, only in plans/problems, or not."""
    frame = prevalence.iloc[::-1]
    fig, ax = plt.subplots(figsize=(9, 0.22 * len(frame) + 1.2))
    left = np.zeros(len(frame))
    for status, colour in TASK_STATUS_COLOURS.items():
        ax.barh(
            np.arange(len(frame)),
            frame[status],
            left=left,
            color=colour,
            edgecolor="#999999",
            linewidth=0.3,
            label=status,
        )
        left += frame[status].to_numpy(dtype=float)
    ax.set_yticks(
        np.arange(len(frame)),
        [f"{n} ({t})" for n, t in zip(frame["name_zh"], frame["task"])],
        fontsize=7,
        fontfamily=font_families(),
    )
    ax.xaxis.set_major_formatter(lambda value, _: f"{value:.0%}")
    ax.set_xlim(0, 1)
    ax.legend(fontsize=8, ncol=4, loc="upper center", bbox_to_anchor=(0.5, -0.03 - 2 / (0.22 * len(frame) + 1.2) / 10))
    fig.tight_layout()
    return fig
