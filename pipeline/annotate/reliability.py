"""How far coders agree: Krippendorff's alpha with a bootstrap interval, pairwise Cohen's kappa, percent agreement.

Content-analysis practice asks for a chance-corrected reliability figure per category, with its uncertainty,
before coded labels are trusted (Krippendorff 2004/2019; Hayes & Krippendorff 2007). Every figure here is
computed on the units (paragraphs, items) that two or more coders coded; a coder who did not code a unit is
missing there, not "no label".

* **Themes** are multi-label, so each label is its own binary variable (carries the label or not) — one row
  per label — plus ``(all)``: every unit × label decision pooled. **primary** is one nominal variable whose
  values are the label ids and "none".
* **Tasks** likewise: one binary variable per task that a coder used, plus ``(all)`` over every task of the
  taxonomy; **evidence** is nominal (``concrete`` / ``general``).

Alpha comes from the maintained ``krippendorff`` package (nominal level). Its 95 % interval is a percentile
bootstrap that resamples units with replacement (a pooled row resamples whole paragraphs, all of their
labels together), with a fixed seed so a published table can be reproduced. Cohen's kappa (scikit-learn) is
given for every pair of coders on the units both coded.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from itertools import combinations

import krippendorff
import numpy as np
import pandas as pd
from sklearn.exceptions import UndefinedMetricWarning
from sklearn.metrics import cohen_kappa_score

from pipeline.annotate.codings import CODING_FIELDS, UNIT, coders_of
from pipeline.schema import split_labels
from pipeline.taxonomy import Taxonomy

RELIABILITY_COLUMNS = (
    "field",
    "category",
    "units",
    "coders",
    "prevalence",
    "agreement",
    "alpha",
    "alpha_low",
    "alpha_high",
)
PAIRWISE_COLUMNS = ("field", "category", "coder_1", "coder_2", "units", "agreement", "kappa")
POOLED = "(all)"
DEFAULT_RESAMPLES = 1000


@dataclass(frozen=True)
class Variable:
    """One reliability variable: every coder's value for every unit as integer codes.

    Attributes
    ----------
    field, category : str
        What it measures (``labels`` / ``enforcement``, ``primary`` / ``(all)`` …).
    values : ndarray, shape (units, coders, k)
        Value codes ``0 … n_values-1``, NaN where the coder did not code the unit; ``k`` > 1 for a pooled
        variable (one column per label of the unit).
    coders : tuple of str
        The coder of each column of ``values``.
    n_values : int
        Size of the value domain (2 for a binary variable).
    binary : bool
        Whether code 1 means "carries the label" (so a prevalence is meaningful).
    """

    field: str
    category: str
    values: np.ndarray
    coders: tuple[str, ...]
    n_values: int
    binary: bool

    def value_counts(self) -> np.ndarray:
        """Per unit and column, how many coders gave each value: shape (units, k, n_values)."""
        return np.stack([(self.values == code).sum(axis=1) for code in range(self.n_values)], axis=-1)


def reliability_variables(codings: pd.DataFrame, taxonomy: Taxonomy) -> Iterator[Variable]:
    """Every variable the codings carry: per label, pooled labels, primary; per task, pooled tasks, evidence."""
    coders = coders_of(codings)
    tables = {field: _unit_by_coder(codings, field, coders) for field in CODING_FIELDS}
    for field, ids in (("labels", list(taxonomy.ids)), ("tasks", [task.id for task in taxonomy.tasks])):
        table = tables[field]
        if table.empty:
            continue
        indicators = np.stack([_indicator(table, item) for item in ids], axis=-1)
        for column, item in enumerate(ids):
            used = np.nansum(indicators[..., column]) > 0
            if field == "labels" or used:  # a task nobody tagged has no variance: no row
                yield Variable(field, item, indicators[..., column : column + 1], tuple(table.columns), 2, True)
        yield Variable(field, POOLED, indicators, tuple(table.columns), 2, True)
    for field, domain in (("primary", ["", *taxonomy.ids]), ("evidence", None)):
        table = tables[field]
        if not table.empty:
            domain = domain or sorted(set(table.stack().dropna()))
            code_of = {value: code for code, value in enumerate(domain)}
            codes = table.apply(lambda column, code_of=code_of: column.map(code_of))
            yield Variable(
                field, POOLED, codes.to_numpy(dtype=float)[..., None], tuple(table.columns), len(domain), False
            )


def _unit_by_coder(codings: pd.DataFrame, field: str, coders: Sequence[str]) -> pd.DataFrame:
    """Units coded by two or more coders × coders: the field's cell, NaN where a coder did not code it."""
    coded = codings[codings[field].notna()]
    table = coded.pivot(index=UNIT, columns="annotator", values=field).reindex(columns=coders)
    table = table.dropna(axis=1, how="all")
    return table[table.notna().sum(axis=1) >= 2]


def _indicator(table: pd.DataFrame, item: str) -> np.ndarray:
    return table.apply(
        lambda column: column.map(lambda cell: float(item in split_labels(cell)), na_action="ignore")
    ).to_numpy(dtype=float)


def krippendorff_alpha(counts: np.ndarray, n_values: int) -> float:
    """Nominal alpha from value counts (units × values); NaN when every value is the same (no variance)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        return float(
            krippendorff.alpha(value_counts=counts, value_domain=list(range(n_values)), level_of_measurement="nominal")
        )


def bootstrap_interval(variable: Variable, resamples: int, seed: int) -> tuple[float, float]:
    """Percentile 95 % interval of alpha over ``resamples`` resamplings of the units (with replacement)."""
    counts = variable.value_counts()
    rng = np.random.default_rng(seed)
    units = counts.shape[0]
    alphas = np.array(
        [
            krippendorff_alpha(counts[rng.integers(0, units, units)].reshape(-1, variable.n_values), variable.n_values)
            for _ in range(resamples)
        ]
    )
    alphas = alphas[np.isfinite(alphas)]
    if not len(alphas):
        return np.nan, np.nan
    low, high = np.percentile(alphas, [2.5, 97.5])
    return float(low), float(high)


def reliability_table(
    codings: pd.DataFrame, taxonomy: Taxonomy, resamples: int = DEFAULT_RESAMPLES, seed: int = 0
) -> pd.DataFrame:
    """Alpha, its bootstrap interval and percent agreement for every variable of the codings.

    Parameters
    ----------
    codings : DataFrame
        From :func:`pipeline.annotate.codings.stack_codings`.
    taxonomy : Taxonomy
        Label ids (in this order) and task ids.
    resamples : int
        Bootstrap resamples of the units for the interval (0: no interval).
    seed : int
        Seed of the resampling, so the same codings always give the same interval.

    Returns
    -------
    DataFrame
        :data:`RELIABILITY_COLUMNS`: ``units`` coded by two or more coders, ``coders`` who coded any of them,
        ``prevalence`` the share of codings that carry the label (binary variables), ``agreement`` the share
        of coder pairs within a unit who agree (mean over units and pooled columns), ``alpha`` with
        ``alpha_low``/``alpha_high``; NaN where undefined (every coding the same).
    """
    rows = []
    for variable in reliability_variables(codings, taxonomy):
        counts = variable.value_counts()
        values = variable.values
        low, high = bootstrap_interval(variable, resamples, seed) if resamples else (np.nan, np.nan)
        rows.append(
            {
                "field": variable.field,
                "category": variable.category,
                "units": values.shape[0],
                "coders": int((~np.isnan(values[..., 0])).any(axis=0).sum()),
                "prevalence": float(np.nanmean(values)) if variable.binary else np.nan,
                "agreement": _pair_agreement(counts),
                "alpha": krippendorff_alpha(counts.reshape(-1, variable.n_values), variable.n_values),
                "alpha_low": low,
                "alpha_high": high,
            }
        )
    return pd.DataFrame(rows, columns=list(RELIABILITY_COLUMNS))


def _pair_agreement(counts: np.ndarray) -> float:
    """Share of agreeing coder pairs within each unit (and pooled column), averaged over them."""
    coders = counts.sum(axis=-1)
    pairs = coders * (coders - 1)
    agreeing = (counts * (counts - 1)).sum(axis=-1)
    with np.errstate(invalid="ignore"):
        return float(np.mean(agreeing[pairs > 0] / pairs[pairs > 0])) if (pairs > 0).any() else np.nan


def pairwise_table(codings: pd.DataFrame, taxonomy: Taxonomy) -> pd.DataFrame:
    """Cohen's kappa and percent agreement of every pair of coders, per variable, on the units both coded.

    Returns
    -------
    DataFrame
        :data:`PAIRWISE_COLUMNS`; pairs that share no unit are left out, kappa is NaN when both coders gave
        one value throughout.
    """
    rows = []
    for variable in reliability_variables(codings, taxonomy):
        for (i, first), (j, second) in combinations(enumerate(variable.coders), 2):
            both = ~np.isnan(variable.values[:, i, 0]) & ~np.isnan(variable.values[:, j, 0])
            if not both.any():
                continue
            a, b = variable.values[both, i, :].ravel(), variable.values[both, j, :].ravel()
            with np.errstate(divide="ignore", invalid="ignore"), warnings.catch_warnings():
                warnings.simplefilter("ignore", UndefinedMetricWarning)  # one value throughout: NaN says so
                kappa = cohen_kappa_score(a, b, labels=list(range(variable.n_values)))
            rows.append(
                {
                    "field": variable.field,
                    "category": variable.category,
                    "coder_1": first,
                    "coder_2": second,
                    "units": int(both.sum()),
                    "agreement": float(np.mean(a == b)),
                    "kappa": float(kappa),
                }
            )
    return pd.DataFrame(rows, columns=list(PAIRWISE_COLUMNS))
