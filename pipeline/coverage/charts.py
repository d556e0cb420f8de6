"""Draw the coverage bar chart as inline SVG, so the HTML report needs no plotting library or network.

The browser renders the text with its own fonts, which is what makes Chinese theme names show up in a file
opened from disk without bundling a 16 MB CJK font.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import pandas as pd
from markupsafe import Markup

from pipeline.coverage.templating import render
from pipeline.schema import BODY_PARTS

#: One colour per body part, colour-blind safe (Okabe–Ito), reused by the HTML legend.
PART_COLOURS = {"achievements": "#0072B2", "responsibility": "#009E73", "problems": "#E69F00", "plans": "#CC79A7"}
STATUS_MARKS = {"covered": "", "thin": "thin", "missing": "missing"}
FONT = "'Noto Sans CJK SC','Noto Sans SC','Source Han Sans SC','PingFang SC','Microsoft YaHei',sans-serif"
LABEL_WIDTH, BAR_WIDTH, ROW_HEIGHT, TOP = 330, 520, 30, 28


def coverage_bars_svg(report_profile: pd.DataFrame, names: Mapping[str, str], themes: Sequence[str]) -> Markup:
    """Return an SVG of one report's theme shares as horizontal bars stacked by body part.

    Each bar is the theme's share of the report's body characters; its segments show which part the
    characters sit in (a theme carried only by the pink *plans* segment was promised, not done). A black
    tick marks the probability-weighted share. Drawn from ``templates/bars.svg.j2``, so the theme names in
    the labels are escaped like every other value.

    Parameters
    ----------
    report_profile : pandas.DataFrame
        The rows of one report in a coverage profile.
    names : mapping of str to str
        Theme id → Chinese name.
    themes : sequence of str
        Theme ids in display order.
    """
    rows = {(row["theme"], row["part"]): row for row in report_profile.to_dict("records")}
    scale_max = _axis_max(report_profile)
    height = TOP + ROW_HEIGHT * len(themes) + 10
    return render(
        "bars.svg.j2",
        width=LABEL_WIDTH + BAR_WIDTH + 150,
        height=height,
        font=FONT,
        bar_height=ROW_HEIGHT - 10,
        ticks=_axis(scale_max, height),
        rows=[
            _bar_row(rows, theme, names.get(theme, theme), TOP + i * ROW_HEIGHT, scale_max)
            for i, theme in enumerate(themes)
        ],
    )


def _axis_max(report_profile: pd.DataFrame) -> float:
    """Round the largest whole-body share (bar or probability tick) up to a tenth, so every mark fits."""
    top = report_profile.loc[report_profile["part"] == "all", ["char_share", "prob_share"]].max().max()
    top = 0.0 if pd.isna(top) else float(top)
    return max(0.1, min(1.0, -(-top * 10 // 1) / 10))


def _axis(scale_max: float, height: int) -> list[dict[str, object]]:
    return [
        {
            "x": f"{LABEL_WIDTH + BAR_WIDTH * (k / 10) / scale_max:.1f}",
            "y1": TOP - 6,
            "y2": height - 8,
            "y_text": TOP - 10,
            "label": f"{k * 10}%",
        }
        for k in range(int(round(scale_max * 10)) + 1)
    ]


def _bar_row(
    rows: Mapping[tuple[str, str], Mapping], theme: str, name: str, y: int, scale_max: float
) -> dict[str, object]:
    """One theme's bar: its label, a segment per body part, the probability tick and the share in words."""
    whole = rows[(theme, "all")]
    x = float(LABEL_WIDTH)
    body_chars = whole["part_chars"]
    rects = []
    for part in BODY_PARTS:
        share = rows[(theme, part)]["theme_chars"] / body_chars if body_chars else 0.0
        w = BAR_WIDTH * share / scale_max
        if w > 0:
            rects.append(
                {"x": f"{x:.1f}", "width": f"{w:.1f}", "fill": PART_COLOURS[part], "title": f"{part}: {share:.1%}"}
            )
        x += w
    mark = STATUS_MARKS[whole["status"]]
    share_text = "–" if pd.isna(whole["char_share"]) else f"{whole['char_share']:.1%}"
    return {
        "label": f"{name} ({theme})",
        "label_x": LABEL_WIDTH - 8,
        "text_y": y + 17,
        "bar_y": y + 4,
        "rects": rects,
        "tick": _prob_tick(whole["prob_share"], y, scale_max),
        "share_x": f"{x + 6:.1f}",
        "colour": "#b00020" if mark else "#222",
        "share": f"{share_text} {mark}",
    }


def _prob_tick(prob_share: float, y: int, scale_max: float) -> dict[str, object] | None:
    if pd.isna(prob_share):
        return None
    x = LABEL_WIDTH + BAR_WIDTH * min(prob_share, scale_max) / scale_max
    return {
        "x": f"{x:.1f}",
        "y1": y + 1,
        "y2": y + ROW_HEIGHT - 3,
        "title": f"probability-weighted share {prob_share:.1%}",
    }
