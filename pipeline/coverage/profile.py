"""Turn a labelled paragraph table into a per-report coverage profile of the seven themes.

Coverage never loads a model: it reads the ``labels`` (and, when present, ``p_<id>``) columns of any
classified or hand-labelled paragraph table and counts.

Denominators are the report's *body*: the parts ``achievements``, ``responsibility``, ``problems`` and
``plans``. The ``preamble`` ("按照要求，现将……报告如下") and ``closing`` are formulaic, often name every theme in
one sentence, and vary in length between issuers for reasons unrelated to the work reported; counting them
would blur the differences researchers look for. They are validated but not counted.

Shares are per theme and may sum to more than 1 across themes, because a paragraph can carry several labels.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from pipeline.errors import InputError
from pipeline.schema import BODY_PARTS, CLASSIFIED_REQUIRED_COLUMNS, PARTS, PROB_PREFIX, PROFILE_PARTS, split_labels
from pipeline.taxonomy import Taxonomy, load_taxonomy

METADATA_COLUMNS = ("year", "issuer", "title")
PROFILE_COLUMNS = (
    "report_id",
    "year",
    "issuer",
    "title",
    "theme",
    "part",
    "n_paragraphs",
    "theme_chars",
    "part_paragraphs",
    "part_chars",
    "char_share",
    "para_share",
    "prob_share",
    "status",
)


@dataclass(frozen=True)
class CoverageThresholds:
    """When a theme counts as covered, thin or missing, and when it is far below a reference.

    A theme is ``missing`` from a report (or part) with 0 paragraphs, ``thin`` with fewer than
    ``min_paragraphs`` paragraphs or a character share below ``min_char_share``, else ``covered``.
    A single paragraph is thin on purpose: one sentence of boilerplate is not coverage.

    A report's character share of a theme is ``below_reference`` when, over the reference reports
    (at least ``min_reference_reports`` of them), it is below *both* ``median − reference_k · MAD`` and
    ``reference_ratio · median``. MAD is the median absolute deviation scaled by 1.4826, so ``reference_k``
    reads as standard deviations for normally spread shares. Requiring both limits keeps the test quiet when
    the reference reports all agree (MAD = 0 would flag any share a hair under the median) and when they
    disagree widely (the ratio alone would flag ordinary variation).

    Attributes
    ----------
    min_paragraphs : int
        Fewer body paragraphs than this make a present theme ``thin``. Default 2.
    min_char_share : float
        A character share below this makes a present theme ``thin``. Default 0.05.
    reference_k : float
        Number of scaled MADs below the reference median that counts as far below. Default 2.0.
    reference_ratio : float
        Fraction of the reference median under which a share counts as far below. Default 0.5.
    min_reference_reports : int
        Fewer reference reports than this and no ``below_reference`` gap is reported. Default 3.
    """

    min_paragraphs: int = 2
    min_char_share: float = 0.05
    reference_k: float = 2.0
    reference_ratio: float = 0.5
    min_reference_reports: int = 3


def validate_table(table: pd.DataFrame, origin: str = "the classified table") -> pd.DataFrame:
    """Check a paragraph table against the classified-table contract and return a normalised copy.

    Parameters
    ----------
    table : pandas.DataFrame
        One row per paragraph (see the module docstring of :mod:`pipeline.coverage.profile`).
    origin : str
        How to name the table in error messages, usually its file path.

    Returns
    -------
    pandas.DataFrame
        A copy with ``labels`` as strings, ``n_chars`` as numbers, and ``year``/``issuer``/``title``
        present (NaN or ``""`` when the input lacked them).

    Raises
    ------
    InputError
        If a required column is missing, a ``part`` is unknown, ``n_chars`` is not a non-negative number,
        or a ``(report_id, para_id)`` pair repeats.
    """
    missing = [c for c in CLASSIFIED_REQUIRED_COLUMNS if c not in table.columns]
    if missing:
        raise InputError(
            f"{origin}: missing column(s) {', '.join(missing)}; "
            f"coverage needs {', '.join(CLASSIFIED_REQUIRED_COLUMNS)} "
            "— pass the table written by `rolcov classify` or add these columns to your labelled table."
        )
    if table.empty:
        raise InputError(f"{origin}: the table has no paragraphs; check that the right file was given.")
    out = table.reset_index(drop=True).copy()
    for column in ("report_id", "para_id", "part", "labels", "issuer", "title"):
        if column in out.columns:
            out[column] = out[column].where(out[column].notna(), "").astype(str).str.strip()
    _check_parts(out, origin)
    _check_n_chars(out, origin)
    _check_unique_ids(out, origin)
    year = out["year"] if "year" in out.columns else pd.Series(np.nan, index=out.index)
    out["year"] = pd.to_numeric(year, errors="coerce").round().astype("Int64")
    for column in ("issuer", "title"):
        if column not in out.columns:
            out[column] = ""
    return out


def _check_parts(table: pd.DataFrame, origin: str) -> None:
    bad = ~table["part"].isin(PARTS)
    if bad.any():
        row = int(np.flatnonzero(bad)[0])
        raise InputError(
            f"{origin}: row {row + 1} (report {table.at[row, 'report_id']}) has part "
            f"{table.at[row, 'part']!r}; part must be one of {', '.join(PARTS)} — fix it or re-run segmentation."
        )


def _check_n_chars(table: pd.DataFrame, origin: str) -> None:
    n_chars = pd.to_numeric(table["n_chars"], errors="coerce")
    bad = n_chars.isna() | (n_chars < 0) | (n_chars % 1 != 0)
    if bad.any():
        row = int(np.flatnonzero(bad)[0])
        raise InputError(
            f"{origin}: row {row + 1} has n_chars {table.at[row, 'n_chars']!r}; "
            "n_chars must be the paragraph's character count (a whole number ≥ 0)."
        )
    table["n_chars"] = n_chars.astype("int64")


def _check_unique_ids(table: pd.DataFrame, origin: str) -> None:
    repeated = table.duplicated(["report_id", "para_id"])
    if repeated.any():
        row = int(np.flatnonzero(repeated)[0])
        raise InputError(
            f"{origin}: row {row + 1} repeats paragraph {table.at[row, 'para_id']!r} of report "
            f"{table.at[row, 'report_id']!r}; each (report_id, para_id) must appear once — was a file given twice?"
        )


def theme_ids(table: pd.DataFrame, labels: Sequence[str] | None = None) -> list[str]:
    """Return the theme ids to profile: ``labels`` if given, else the ``p_<id>`` columns, else the taxonomy.

    Raises
    ------
    InputError
        If no ids can be found (no ``p_*`` columns and no taxonomy available).
    """
    if labels is not None:
        return list(labels)
    from_columns = [c[len(PROB_PREFIX) :] for c in table.columns if str(c).startswith(PROB_PREFIX)]
    if from_columns:
        return from_columns
    return list(_taxonomy().ids)


def label_indicators(table: pd.DataFrame, labels: Sequence[str], origin: str = "the classified table") -> pd.DataFrame:
    """Return a boolean paragraph × theme frame from the semicolon-separated ``labels`` column.

    Raises
    ------
    InputError
        If a paragraph carries an id that is not among ``labels``.
    """
    parsed = table["labels"].map(lambda cell: set(split_labels(cell)))
    unknown = parsed.map(lambda ids: sorted(ids.difference(labels)))
    bad = unknown.map(bool)
    if bad.any():
        row = int(np.flatnonzero(bad)[0])
        raise InputError(
            f"{origin}: row {row + 1} (report {table['report_id'].iloc[row]}) has unknown label(s) "
            f"{', '.join(unknown.iloc[row])}; use only {', '.join(labels)}."
        )
    return pd.DataFrame({theme: parsed.map(lambda ids, t=theme: t in ids) for theme in labels}, index=table.index)


def label_probabilities(
    table: pd.DataFrame, indicators: pd.DataFrame, origin: str = "the classified table"
) -> pd.DataFrame:
    """Return paragraph × theme probabilities: the ``p_<id>`` columns, or the 0/1 labels when there are none.

    A paragraph with empty probabilities (a hand-labelled file combined with classified ones) gets its
    0/1 labels, so it counts as what the annotator said rather than as 0.

    Raises
    ------
    InputError
        If some but not all themes have a ``p_<id>`` column (a table mixed from two sources).
    """
    columns = [f"{PROB_PREFIX}{theme}" for theme in indicators.columns]
    present = [c for c in columns if c in table.columns]
    if not present:
        return indicators.astype(float)
    if len(present) != len(columns):
        absent = sorted(set(columns).difference(present))
        raise InputError(
            f"{origin}: has some probability columns but lacks {', '.join(absent)}; give all p_<id> columns or none."
        )
    probs = table[columns].apply(pd.to_numeric, errors="coerce")
    probs.columns = list(indicators.columns)
    return probs.where(probs.notna(), indicators.astype(float))


def coverage_profile(
    table: pd.DataFrame,
    labels: Sequence[str] | None = None,
    thresholds: CoverageThresholds = CoverageThresholds(),
) -> pd.DataFrame:
    """Profile how much of each report's body covers each theme, overall and per body part.

    For a report, a theme and a part (``all`` = whole body, or one of :data:`BODY_PARTS`), with ``c`` the
    paragraph's ``n_chars`` and sums over the part's paragraphs:

    - ``n_paragraphs``: paragraphs labelled with the theme; ``theme_chars``: their characters;
    - ``part_paragraphs``, ``part_chars``: all paragraphs / characters of the part (the denominators);
    - ``char_share = theme_chars / part_chars``; ``para_share = n_paragraphs / part_paragraphs``;
    - ``prob_share = Σ p·c / Σ c``, the character-weighted mean of ``p_<theme>``: the share of characters
      the model expects to be about the theme, which does not jump at the decision threshold. Without
      ``p_*`` columns it equals ``char_share``.
    - ``status``: ``covered`` / ``thin`` / ``missing`` by ``thresholds`` (see :class:`CoverageThresholds`).

    Shares are NaN for a part the report does not have.

    Parameters
    ----------
    table : pandas.DataFrame
        Classified (or hand-labelled) paragraph table.
    labels : sequence of str, optional
        Theme ids in display order; by default from the ``p_<id>`` columns, else from the taxonomy.
    thresholds : CoverageThresholds
        Limits for ``thin`` and ``missing``.

    Returns
    -------
    pandas.DataFrame
        Long format with :data:`PROFILE_COLUMNS`, one row per report × theme × part of
        :data:`PROFILE_PARTS`, reports in order of first appearance, themes in ``labels`` order.
    """
    table = validate_table(table)
    themes = theme_ids(table, labels)
    indicators = label_indicators(table, themes)
    probs = label_probabilities(table, indicators)
    sums = _theme_sums(table, indicators, probs)
    profile = _with_shares(sums, thresholds)
    profile = profile.merge(report_values(table), on="report_id", how="left")
    return _ordered(profile, table["report_id"].unique(), themes)


def _theme_sums(table: pd.DataFrame, indicators: pd.DataFrame, probs: pd.DataFrame) -> pd.DataFrame:
    """Sum paragraph counts and characters per report × theme × part, with zero rows for absent parts."""
    body = table["part"].isin(BODY_PARTS)
    chars = table.loc[body, "n_chars"]
    per_theme = [
        pd.DataFrame(
            {
                "report_id": table.loc[body, "report_id"],
                "theme": theme,
                "part": table.loc[body, "part"],
                "n_paragraphs": indicators.loc[body, theme].astype(int),
                "theme_chars": indicators.loc[body, theme] * chars,
                "prob_chars": probs.loc[body, theme] * chars,
                "part_paragraphs": 1,
                "part_chars": chars,
            }
        )
        for theme in indicators.columns
    ]
    long = pd.concat(per_theme, ignore_index=True)
    by_part = long.groupby(["report_id", "theme", "part"]).sum(numeric_only=True)
    whole = long.groupby(["report_id", "theme"]).sum(numeric_only=True).assign(part="all")
    sums = pd.concat([by_part, whole.set_index("part", append=True)])
    full = pd.MultiIndex.from_product(
        [table["report_id"].unique(), indicators.columns, PROFILE_PARTS], names=["report_id", "theme", "part"]
    )
    return sums.reindex(full, fill_value=0).reset_index()


def _with_shares(sums: pd.DataFrame, thresholds: CoverageThresholds) -> pd.DataFrame:
    out = sums.copy()
    part_chars = out["part_chars"].where(out["part_chars"] > 0)
    out["char_share"] = out["theme_chars"] / part_chars
    out["para_share"] = out["n_paragraphs"] / out["part_paragraphs"].where(out["part_paragraphs"] > 0)
    out["prob_share"] = out["prob_chars"] / part_chars
    out["status"] = coverage_status(out["n_paragraphs"], out["char_share"], thresholds)
    return out.drop(columns="prob_chars")


def coverage_status(n_paragraphs: pd.Series, char_share: pd.Series, thresholds: CoverageThresholds) -> pd.Series:
    """Classify each (paragraph count, character share) pair as ``covered``, ``thin`` or ``missing``."""
    thin = (n_paragraphs < thresholds.min_paragraphs) | (char_share.fillna(0) < thresholds.min_char_share)
    status = np.where(n_paragraphs == 0, "missing", np.where(thin, "thin", "covered"))
    return pd.Series(status, index=n_paragraphs.index, dtype=object)


def report_values(table: pd.DataFrame, columns: Sequence[str] = METADATA_COLUMNS) -> pd.DataFrame:
    """One row per report: the first non-empty value of each of ``columns`` among its paragraphs.

    Segmenters repeat a report's variables (year, issuer, title, published, source …) on every row, and a row
    may leave one empty; every stage that needs them per report reads them here. ``year`` stays a number
    (missing: NA), the other columns are text (missing: ``""``), and a column the table lacks reads as missing.
    """
    present = [column for column in columns if column in table.columns]
    text = [column for column in present if column != "year"]
    values = table[["report_id", *present]].copy()
    values[text] = values[text].astype("string").replace("", pd.NA)
    first = values.groupby("report_id", sort=False).first()
    for column in columns:
        if column == "year":
            first[column] = first[column] if column in first else pd.NA
        else:
            first[column] = first[column].fillna("").astype(str) if column in first else ""
    return first.reset_index()[["report_id", *columns]]


def _ordered(profile: pd.DataFrame, report_ids: Sequence[str], themes: Sequence[str]) -> pd.DataFrame:
    rank = {
        "report_id": {r: i for i, r in enumerate(report_ids)},
        "theme": {t: i for i, t in enumerate(themes)},
        "part": {p: i for i, p in enumerate(PROFILE_PARTS)},
    }
    profile = profile.sort_values(["report_id", "theme", "part"], key=lambda col: col.map(rank[col.name]))
    profile["n_paragraphs"] = profile["n_paragraphs"].astype(int)
    profile["part_paragraphs"] = profile["part_paragraphs"].astype(int)
    return profile[list(PROFILE_COLUMNS)].reset_index(drop=True)


def _taxonomy() -> Taxonomy:
    """The one place coverage consults the taxonomy (``$ROLCOV_TAXONOMY`` or the shipped file)."""
    return load_taxonomy()


def label_names(labels: Sequence[str], names: Mapping[str, str] | None = None) -> dict[str, str]:
    """Return id → Chinese name for ``labels``: from ``names``, else the taxonomy, else the id itself."""
    if names is None:
        taxonomy = _taxonomy()
        names = {theme: taxonomy.name_zh(theme) for theme in labels if theme in taxonomy.ids}
    return {theme: names.get(theme, theme) for theme in labels}
