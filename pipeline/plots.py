"""Matplotlib views of coverage profiles for notebooks, where an inline figure beats an HTML file."""

from __future__ import annotations

from collections.abc import Mapping

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.axes import Axes

from pipeline.coverage import label_names

#: Tried in order for each character; the CJK fonts carry the Chinese theme names, DejaVu the rest.
CJK_FONTS = ["Noto Sans CJK SC", "Noto Sans SC", "Source Han Sans SC", "Microsoft YaHei", "PingFang SC", "DejaVu Sans"]


def plot_heatmap(profile: pd.DataFrame, ax: Axes | None = None, names: Mapping[str, str] | None = None,
                 value: str = "char_share") -> Axes:
    """Draw reports × themes as a heatmap of whole-body shares, with missing themes marked ×.

    Parameters
    ----------
    profile : pandas.DataFrame
        Output of :func:`~pipeline.coverage.coverage_profile`.
    ax : matplotlib.axes.Axes, optional
        Where to draw; a new figure sized to the table by default.
    names : mapping of str to str, optional
        Theme id → Chinese name; by default from the taxonomy, else the id.
    value : str
        Which share to colour by: ``char_share``, ``para_share`` or ``prob_share``.

    Returns
    -------
    matplotlib.axes.Axes
        The axes drawn on.
    """
    plt.rcParams["font.sans-serif"] = CJK_FONTS + [f for f in plt.rcParams["font.sans-serif"] if f not in CJK_FONTS]
    plt.rcParams["font.family"] = "sans-serif"
    whole = profile[profile["part"] == "all"]
    themes = list(dict.fromkeys(whole["theme"]))
    reports = list(dict.fromkeys(whole["report_id"]))
    grid = whole.pivot(index="report_id", columns="theme", values=value).reindex(index=reports, columns=themes)
    status = whole.pivot(index="report_id", columns="theme", values="status").reindex(index=reports, columns=themes)
    if ax is None:
        _, ax = plt.subplots(figsize=(1.6 * len(themes) + 2, 0.5 * len(reports) + 2.5))
    shares = grid.to_numpy(dtype=float)
    vmax = max(0.1, float(np.nanmax(shares, initial=0.0)))
    image = ax.imshow(shares, cmap="Blues", vmin=0, vmax=vmax, aspect="auto")
    zh = label_names(themes, names)
    ax.set_xticks(range(len(themes)), [f"{zh[t]}\n{t}" for t in themes], rotation=45, ha="right", fontsize=8)
    ax.set_yticks(range(len(reports)), reports, fontsize=8)
    for (i, j), share in np.ndenumerate(shares):
        missing = status.iat[i, j] == "missing"
        text = "×" if missing else ("" if np.isnan(share) else f"{share:.0%}")
        colour = "#b00020" if missing else ("white" if share > 0.6 * vmax else "black")  # legible on dark cells
        ax.text(j, i, text, ha="center", va="center", fontsize=8, color=colour)
    ax.figure.colorbar(image, ax=ax, label=value)
    return ax
