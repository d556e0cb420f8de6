"""Name the gaps in coverage profiles: what a report leaves out, mentions only as a problem or plan,
covers far less than comparable reports, or dropped since the issuer's previous report.

Every gap is one row a researcher can read without the profile at hand: the ``detail`` column states the
theme by its Chinese name and English id and gives the numbers behind the judgement.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from pipeline.coverage.profile import CoverageThresholds, label_names
from pipeline.errors import InputError
from pipeline.schema import BODY_PARTS

GAP_KINDS = ("missing", "thin", "only_in_plans_or_problems", "below_reference", "disappeared", "appeared")
GAP_COLUMNS = ("report_id", "year", "issuer", "theme", "name_zh", "kind", "detail")
PROFILE_NEEDED = ("report_id", "theme", "part", "n_paragraphs", "char_share", "status")
#: Scales the median absolute deviation to a standard deviation for normally spread data.
MAD_TO_SD = 1.4826


def coverage_gaps(
    profile: pd.DataFrame,
    reference: pd.DataFrame | None = None,
    thresholds: CoverageThresholds = CoverageThresholds(),
    names: Mapping[str, str] | None = None,
) -> pd.DataFrame:
    """List each report's coverage gaps, one row per report × theme × kind of gap.

    Kinds (in this order within a report and theme):

    - ``missing`` / ``thin``: the whole-body status from :func:`~pipeline.coverage.profile.coverage_profile`.
    - ``only_in_plans_or_problems``: the theme has paragraphs in ``plans`` or ``problems`` but none in
      ``achievements`` or ``responsibility`` — promised or regretted, not reported as done.
    - ``below_reference``: whole-body character share far below the reference (see
      :class:`~pipeline.coverage.profile.CoverageThresholds`). The reference is ``reference`` if given, else the other
      reports of ``profile`` (leave-one-out). A report is never its own reference. Not reported for a theme
      that is already ``missing``.
    - ``appeared`` / ``disappeared``: compared with the same issuer's most recent report from an earlier year
      (ties broken by the last ``report_id``), the theme went from 0 body paragraphs to some, or back.
      Reports with no issuer or no year are not compared.

    Parameters
    ----------
    profile : pandas.DataFrame
        A coverage profile (columns :data:`~pipeline.coverage.profile.PROFILE_COLUMNS`; ``year`` and ``issuer`` are
        needed only for the year-over-year comparison).
    reference : pandas.DataFrame, optional
        A coverage profile of reference reports, e.g. last year's run or a peer group.
    thresholds : CoverageThresholds
        Limits for ``below_reference``; ``thin``/``missing`` were fixed when the profile was computed.
    names : mapping of str to str, optional
        Theme id → Chinese name; by default from the taxonomy, else the id.

    Returns
    -------
    pandas.DataFrame
        Columns :data:`GAP_COLUMNS`; empty (with those columns) when nothing is found.
    """
    _check_profile(profile, "the profile")
    whole = profile[profile["part"] == "all"].copy()
    ref_whole = whole if reference is None else _reference_whole(reference)
    themes = list(dict.fromkeys(whole["theme"]))
    zh = label_names(themes, names)
    rows = [
        *_status_gaps(whole, zh),
        *_plans_only_gaps(profile, zh),
        *_reference_gaps(whole, ref_whole, thresholds, zh),
        *_year_over_year_gaps(whole, zh),
    ]
    gaps = pd.DataFrame(rows, columns=["report_id", "theme", "kind", "detail"])
    return _with_report_columns(gaps, whole, zh, themes)


def _check_profile(profile: pd.DataFrame, origin: str) -> None:
    missing = [c for c in PROFILE_NEEDED if c not in profile.columns]
    if missing:
        raise InputError(
            f"{origin}: missing column(s) {', '.join(missing)}; pass a table made by coverage_profile "
            "(profile.csv or profile.parquet written by `rolcov coverage`)."
        )


def _reference_whole(reference: pd.DataFrame) -> pd.DataFrame:
    _check_profile(reference, "the reference profile")
    return reference[reference["part"] == "all"]


def _theme(zh: Mapping[str, str], theme: str) -> str:
    return f"{zh.get(theme, theme)} ({theme})"


def _status_gaps(whole: pd.DataFrame, zh: Mapping[str, str]) -> list[tuple[str, str, str, str]]:
    rows = []
    for row in whole[whole["status"].isin(("missing", "thin"))].itertuples():
        if row.status == "missing":
            detail = f"{_theme(zh, row.theme)}: no body paragraph carries this theme."
        else:
            detail = (
                f"{_theme(zh, row.theme)}: only {row.n_paragraphs} body paragraph(s), "
                f"{row.char_share:.1%} of body characters."
            )
        rows.append((row.report_id, row.theme, row.status, detail))
    return rows


def _plans_only_gaps(profile: pd.DataFrame, zh: Mapping[str, str]) -> list[tuple[str, str, str, str]]:
    counts = profile.pivot_table(
        index=["report_id", "theme"], columns="part", values="n_paragraphs", aggfunc="sum", fill_value=0, sort=False
    )
    counts = counts.reindex(columns=list(BODY_PARTS), fill_value=0)
    done = counts["achievements"] + counts["responsibility"]
    flagged = counts[(done == 0) & (counts["problems"] + counts["plans"] > 0)]
    return [
        (
            report_id,
            theme,
            "only_in_plans_or_problems",
            f"{_theme(zh, theme)}: {int(n['plans'])} paragraph(s) in plans and {int(n['problems'])} in problems, "
            "none in achievements or responsibility.",
        )
        for (report_id, theme), n in flagged.iterrows()
    ]


def _reference_gaps(
    whole: pd.DataFrame, reference: pd.DataFrame, thresholds: CoverageThresholds, zh: Mapping[str, str]
) -> list[tuple[str, str, str, str]]:
    rows = []
    for theme, group in whole[whole["status"] != "missing"].groupby("theme", sort=False):
        ref = reference[(reference["theme"] == theme) & reference["char_share"].notna()]
        stats = peer_limits(group["report_id"], ref["report_id"], ref["char_share"].to_numpy(dtype=float), thresholds)
        for row, (median, limit, mad, n) in zip(group.itertuples(), stats):
            if n < thresholds.min_reference_reports or np.isnan(row.char_share) or not row.char_share < limit:
                continue
            rows.append(
                (
                    row.report_id,
                    row.theme,
                    "below_reference",
                    f"{_theme(zh, row.theme)}: {row.char_share:.1%} of body characters vs reference median "
                    f"{median:.1%} over {n} reports (scaled MAD {mad:.1%}); far below means under "
                    f"{limit:.1%}.",
                )
            )
    return rows


def peer_limits(
    report_ids: Sequence[str], peer_ids: Sequence[str], peer_shares: np.ndarray, thresholds: CoverageThresholds
) -> list[tuple[float, float, float, int]]:
    """``(median, limit, scaled_mad, n_peers)`` of each report's peers: ``peer_shares`` without its own share.

    A report is never its own reference: where its id is among ``peer_ids`` its share is left out (exactly,
    by :func:`leave_one_out_median`, in O(n log n) for the whole group rather than a pass per report).
    """
    peer_ids = list(peer_ids)
    position = {report_id: i for i, report_id in enumerate(peer_ids)}
    if len(position) != len(peer_ids):  # the same report twice among the peers: no shortcut, but rare
        return [_plain_limit(peer_shares[[p != r for p in peer_ids]], thresholds) for r in report_ids]
    all_peers = _plain_limit(peer_shares, thresholds) if len(peer_shares) else (np.nan, np.nan, np.nan, 0)
    if not any(r in position for r in report_ids):
        return [all_peers] * len(report_ids)
    medians, mads = (
        leave_one_out_median_and_mad(peer_shares)
        if len(peer_shares) > 1
        else (np.full(len(peer_shares), np.nan), np.full(len(peer_shares), np.nan))
    )
    stats = []
    for report_id in report_ids:
        if report_id not in position:
            stats.append(all_peers)
            continue
        median, mad = float(medians[position[report_id]]), float(mads[position[report_id]])
        limit = min(median - thresholds.reference_k * mad, thresholds.reference_ratio * median)
        stats.append((median, limit, mad, len(peer_shares) - 1))
    return stats


def _plain_limit(shares: np.ndarray, thresholds: CoverageThresholds) -> tuple[float, float, float, int]:
    if not len(shares):
        return np.nan, np.nan, np.nan, 0
    median, limit, mad = reference_limit(shares, thresholds)
    return median, limit, mad, len(shares)


def reference_limit(shares: np.ndarray, thresholds: CoverageThresholds) -> tuple[float, float, float]:
    """Return ``(median, limit, scaled_mad)`` of reference shares; a share under ``limit`` is far below.

    ``limit = min(median − k · MAD, ratio · median)`` with MAD scaled by :data:`MAD_TO_SD`, so a share must
    be low both against the reference's spread and in proportion (see
    :class:`~pipeline.coverage.profile.CoverageThresholds`).
    """
    median = float(np.median(shares))
    mad = MAD_TO_SD * float(np.median(np.abs(shares - median)))
    limit = min(median - thresholds.reference_k * mad, thresholds.reference_ratio * median)
    return median, limit, mad


def leave_one_out_median(values: np.ndarray) -> np.ndarray:
    """For each element, the median of all the *other* elements (at least two values).

    Sorted once; removing the element of rank ``r`` shifts every later rank down by one, so the median of
    the rest is read at one or two fixed positions of the sorted array, moved by one when ``r`` lies before them.
    """
    order = np.argsort(values, kind="stable")
    ordered = values[order]
    rank = np.empty(len(values), dtype=int)
    rank[order] = np.arange(len(values))
    m = len(values) - 1  # size of what is left
    low, high = (m - 1) // 2, m // 2  # positions of the median in the remaining sorted values
    at_low = ordered[np.where(rank <= low, low + 1, low)]
    at_high = ordered[np.where(rank <= high, high + 1, high)]
    return (at_low + at_high) / 2


def leave_one_out_median_and_mad(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Leave-one-out median and MAD (scaled by :data:`MAD_TO_SD`) of every element, as in :func:`reference_limit`.

    The leave-one-out median takes at most three values across the elements, so the deviations are
    computed once per value and their leave-one-out median read the same way.
    """
    medians = leave_one_out_median(values)
    mads = np.empty(len(values))
    for median in np.unique(medians):
        mine = medians == median
        mads[mine] = leave_one_out_median(np.abs(values - median))[mine]
    return medians, MAD_TO_SD * mads


def previous_reports(table: pd.DataFrame) -> dict[str, pd.Series]:
    """report_id → the same issuer's most recent report from an earlier year (``report_id``, ``year``).

    The comparison behind ``appeared``/``disappeared``, for themes here and for tasks
    (:func:`pipeline.coverage.task_coverage.year_over_year`): ties within that year go to the last ``report_id``;
    reports with no issuer or no year, or none earlier, are left out. ``table`` is any table with
    ``report_id``, ``issuer`` and ``year`` columns (rows may repeat a report).
    """
    if "year" not in table.columns or "issuer" not in table.columns:
        return {}
    dated = table[table["year"].notna() & (table["issuer"].fillna("").astype(str).str.strip() != "")]
    reports = dated[["report_id", "issuer", "year"]].drop_duplicates("report_id")
    found = {}
    for _, one_issuer in reports.groupby("issuer", sort=False):  # an issuer's reports: few, whatever the corpus
        ordered = one_issuer.sort_values(["year", "report_id"])
        for report in ordered.itertuples():
            earlier = ordered[ordered["year"] < report.year]
            if not earlier.empty:
                found[report.report_id] = earlier.iloc[-1]
    return found


def _year_over_year_gaps(whole: pd.DataFrame, zh: Mapping[str, str]) -> list[tuple[str, str, str, str]]:
    by_report = whole.set_index(["report_id", "theme"])
    return [
        row
        for report_id, before in previous_reports(whole).items()
        for row in _theme_changes(by_report, report_id, before, zh)
    ]


def _theme_changes(
    present: pd.DataFrame, report_id: str, before: pd.Series, zh: Mapping[str, str]
) -> list[tuple[str, str, str, str]]:
    now, then = present.loc[report_id], present.loc[before["report_id"]]
    prior = f"the same issuer's {int(before['year'])} report {before['report_id']}"
    rows = []
    for theme in now.index.intersection(then.index):
        n_now, n_then = int(now.at[theme, "n_paragraphs"]), int(then.at[theme, "n_paragraphs"])
        if n_now and not n_then:
            rows.append(
                (report_id, theme, "appeared", f"{_theme(zh, theme)}: {n_now} body paragraph(s) here, none in {prior}.")
            )
        elif n_then and not n_now:
            rows.append(
                (report_id, theme, "disappeared", f"{_theme(zh, theme)}: no body paragraph here, {n_then} in {prior}.")
            )
    return rows


def _with_report_columns(
    gaps: pd.DataFrame, whole: pd.DataFrame, zh: Mapping[str, str], themes: list[str]
) -> pd.DataFrame:
    meta_columns = [c for c in ("report_id", "year", "issuer") if c in whole.columns]
    meta = whole[meta_columns].drop_duplicates("report_id")
    gaps = gaps.merge(meta, on="report_id", how="left").assign(name_zh=lambda g: g["theme"].map(zh))
    report_rank = {r: i for i, r in enumerate(meta["report_id"])}
    ranks = {
        "report_id": report_rank,
        "theme": {t: i for i, t in enumerate(themes)},
        "kind": {k: i for i, k in enumerate(GAP_KINDS)},
    }
    gaps = gaps.sort_values(["report_id", "theme", "kind"], key=lambda col: col.map(ranks[col.name]))
    return gaps.reindex(columns=list(GAP_COLUMNS)).reset_index(drop=True)
