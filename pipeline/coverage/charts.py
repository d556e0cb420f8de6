"""Draw the coverage bar chart as inline SVG, so the HTML report needs no plotting library or network.

The browser renders the text with its own fonts, which is what makes Chinese theme names show up in a file
opened from disk without bundling a 16 MB CJK font.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from html import escape

import pandas as pd

from pipeline.schema import BODY_PARTS

#: One colour per body part, colour-blind safe (Okabe–Ito), reused by the HTML legend.
PART_COLOURS = {"achievements": "#0072B2", "responsibility": "#009E73", "problems": "#E69F00", "plans": "#CC79A7"}
STATUS_MARKS = {"covered": "", "thin": "thin", "missing": "missing"}
FONT = "'Noto Sans CJK SC','Noto Sans SC','Source Han Sans SC','PingFang SC','Microsoft YaHei',sans-serif"
LABEL_WIDTH, BAR_WIDTH, ROW_HEIGHT, TOP = 330, 520, 30, 28


def coverage_bars_svg(report_profile: pd.DataFrame, names: Mapping[str, str], themes: Sequence[str]) -> str:
    """Return an SVG of one report's theme shares as horizontal bars stacked by body part.

    Each bar is the theme's share of the report's body characters; its segments show which part the
    characters sit in (a theme carried only by the pink *plans* segment was promised, not done). A black
    tick marks the probability-weighted share.

    Parameters
    ----------
    report_profile : pandas.DataFrame
        The rows of one report in a coverage profile.
    names : mapping of str to str
        Theme id → Chinese name.
    themes : sequence of str
        Theme ids in display order.
    """
    rows = report_profile.set_index(["theme", "part"])
    scale_max = _axis_max(report_profile)
    height = TOP + ROW_HEIGHT * len(themes) + 10
    width = LABEL_WIDTH + BAR_WIDTH + 150
    parts = [_axis(scale_max, height)]
    for i, theme in enumerate(themes):
        parts.append(_bar_row(rows, theme, names.get(theme, theme), TOP + i * ROW_HEIGHT, scale_max))
    return (f'<svg xmlns="http://www.w3.org/2000/svg" class="bars" width="{width}" height="{height}" '
            f'viewBox="0 0 {width} {height}" role="img" font-family="{FONT}" font-size="13">'
            + "".join(parts) + "</svg>")


def _axis_max(report_profile: pd.DataFrame) -> float:
    """Round the largest whole-body share (bar or probability tick) up to a tenth, so every mark fits."""
    top = report_profile.loc[report_profile["part"] == "all", ["char_share", "prob_share"]].max().max()
    top = 0.0 if pd.isna(top) else float(top)
    return max(0.1, min(1.0, -(-top * 10 // 1) / 10))


def _axis(scale_max: float, height: int) -> str:
    ticks = []
    for k in range(int(round(scale_max * 10)) + 1):
        x = LABEL_WIDTH + BAR_WIDTH * (k / 10) / scale_max
        ticks.append(f'<line x1="{x:.1f}" y1="{TOP - 6}" x2="{x:.1f}" y2="{height - 8}" stroke="#ddd"/>'
                     f'<text x="{x:.1f}" y="{TOP - 10}" text-anchor="middle" fill="#666" font-size="11">{k * 10}%</text>')
    return "".join(ticks)


def _bar_row(rows: pd.DataFrame, theme: str, name: str, y: int, scale_max: float) -> str:
    whole = rows.loc[(theme, "all")]
    label = escape(f"{name} ({theme})")
    out = [f'<text x="{LABEL_WIDTH - 8}" y="{y + 17}" text-anchor="end" fill="#222">{label}</text>']
    x = float(LABEL_WIDTH)
    body_chars = whole["part_chars"]
    for part in BODY_PARTS:
        share = rows.loc[(theme, part), "theme_chars"] / body_chars if body_chars else 0.0
        w = BAR_WIDTH * share / scale_max
        if w > 0:
            out.append(f'<rect x="{x:.1f}" y="{y + 4}" width="{w:.1f}" height="{ROW_HEIGHT - 10}" '
                       f'fill="{PART_COLOURS[part]}"><title>{escape(part)}: {share:.1%}</title></rect>')
        x += w
    out.append(_prob_tick(whole["prob_share"], y, scale_max))
    mark = STATUS_MARKS[whole["status"]]
    share_text = "–" if pd.isna(whole["char_share"]) else f"{whole['char_share']:.1%}"
    colour = "#b00020" if mark else "#222"
    out.append(f'<text x="{x + 6:.1f}" y="{y + 17}" fill="{colour}">{share_text} {mark}</text>')
    return "".join(out)


def _prob_tick(prob_share: float, y: int, scale_max: float) -> str:
    if pd.isna(prob_share):
        return ""
    x = LABEL_WIDTH + BAR_WIDTH * min(prob_share, scale_max) / scale_max
    return (f'<line x1="{x:.1f}" y1="{y + 1}" x2="{x:.1f}" y2="{y + ROW_HEIGHT - 3}" stroke="#000" '
            f'stroke-width="2"><title>probability-weighted share {prob_share:.1%}</title></line>')
