"""Choose the paragraphs to annotate next: where the model is least sure, spread over reports and themes.

Annotating costs a person's time, and five seed reports leave the model unsure about many kinds of
paragraph. Labelling the ones it is already sure about teaches it little; labelling ten near-copies of one
unsure paragraph teaches it one thing ten times. So a suggestion balances three things.

Scoring
-------
1. **Uncertainty** — for each label k, how close the calibrated probability ``p_k`` is to that label's
   threshold ``t_k``, scaled to the room on that side of the threshold::

       closeness_k = 1 - |p_k - t_k| / (t_k if p_k < t_k else 1 - t_k)      # 1 at the threshold, 0 at 0 or 1

   A paragraph's ``uncertainty`` is the mean over labels — how many of its seven decisions are open — and
   the label closest to its threshold is its ``uncertain_label``. (The maximum saturates: almost every
   paragraph has one theme near its threshold, so it barely ranks them; see README "Annotation loop".)
2. **Diversity** — greedy selection: each step takes the candidate with the highest
   ``uncertainty - DIVERSITY_WEIGHT * s``, where ``s`` is its largest cosine similarity to a paragraph
   already chosen, in the model's own feature space (``features_.transform``). A candidate at least
   :data:`NEAR_DUPLICATE` similar to a chosen one is never taken (a report printed twice, a paragraph and
   its only enumeration item).
3. **Quotas** — at most ``ceil(k / reports)`` suggestions per report and ``ceil(k / labels)`` per
   ``uncertain_label`` while other candidates remain, so the batch covers the reports given and asks about
   rare themes as often as common ones. When only over-quota candidates are left, the label quota is
   lifted first, then the report quota.

Paragraphs already annotated (same ``report_id`` + ``para_id``, or the same text) are never suggested.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.preprocessing import normalize

from pipeline.errors import InputError
from pipeline.model import ParagraphClassifier, label_columns
from pipeline.modelstore import read_card
from pipeline.silver import silver_labels
from pipeline.taxonomy import load_taxonomy
from pipeline.validate import FILE_COLUMNS

DIVERSITY_WEIGHT = 0.5
NEAR_DUPLICATE = 0.9
SUGGESTION_COLUMNS = (*FILE_COLUMNS, "silver_labels", "model_labels", "uncertain_label", "uncertainty")
_KEY = ["report_id", "para_id"]


def suggest_paragraphs(classifier: ParagraphClassifier, table: pd.DataFrame, k: int,
                       exclude: pd.DataFrame | None = None, random_state: int = 0,
                       annotator: str = "model") -> pd.DataFrame:
    """The ``k`` paragraphs of ``table`` whose labels would teach ``classifier`` most, pre-filled with its guess.

    Parameters
    ----------
    classifier : ParagraphClassifier
        Fitted; its probabilities, thresholds and feature space drive the choice (module docstring).
    table : DataFrame
        Unlabelled paragraphs: ``report_id``, ``para_id``, ``text``; ``part`` and ``heading_path`` are
        copied when present (``heading_path`` also gives the silver label).
    k : int
        How many to suggest (fewer come back if fewer distinct paragraphs are left).
    exclude : DataFrame, optional
        Already annotated rows (``report_id``, ``para_id``, ``text``), e.g. from :func:`read_annotations`.
    random_state : int
        Breaks ties between equally scored paragraphs.
    annotator : str
        Written to ``annotator`` so the rows say who guessed; the CLI uses :func:`model_annotator`.

    Returns
    -------
    DataFrame
        :data:`SUGGESTION_COLUMNS`, most informative first: the annotation file format with the model's
        ``labels``/``primary``, ``source=silver`` and ``annotator`` (an annotator corrects the labels and
        sets ``source=gold`` and their name), plus ``silver_labels`` (from headings), ``model_labels``
        (the guess, kept for comparison after correction), ``uncertain_label`` and ``uncertainty``.
    """
    if k < 1:
        raise ValueError(f"k={k}; ask for at least one suggestion")
    candidates = _unannotated(_paragraph_table(table), exclude)
    if candidates.empty:
        return pd.DataFrame(columns=list(SUGGESTION_COLUMNS))
    probabilities = classifier.predict_proba(candidates)
    uncertainty, focus = label_uncertainty(probabilities, classifier.thresholds_)
    vectors = normalize(classifier.features_.transform(candidates))
    rng = np.random.default_rng(random_state)
    chosen = select_diverse(uncertainty, vectors, candidates["report_id"].to_numpy(), focus, k, rng)
    guesses = label_columns(probabilities[chosen], probabilities[chosen] >= classifier.thresholds_,
                            classifier.classes_)
    rows = candidates.iloc[chosen].reset_index(drop=True)
    rows["labels"], rows["primary"] = guesses["labels"], guesses["primary"]
    rows["model_labels"] = guesses["labels"]
    rows["silver_labels"] = silver_labels(rows, classifier.taxonomy or load_taxonomy())["labels"]
    rows["annotator"], rows["source"] = annotator, "silver"
    rows["uncertain_label"] = classifier.classes_[focus[chosen]]
    rows["uncertainty"] = uncertainty[chosen].round(4)
    return rows[list(SUGGESTION_COLUMNS)]


def label_uncertainty(probabilities: np.ndarray, thresholds: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per paragraph, the mean closeness of its labels' probabilities to their thresholds, and the closest label.

    Closeness is 1 at the threshold and falls linearly to 0 at probability 0 or 1 (module docstring), so
    labels with low and high thresholds are judged on the same scale.
    """
    room = np.where(probabilities < thresholds, thresholds, 1.0 - thresholds)
    closeness = 1.0 - np.abs(probabilities - thresholds) / np.maximum(room, 1e-9)
    return closeness.mean(axis=1), closeness.argmax(axis=1)


def select_diverse(uncertainty: np.ndarray, vectors, reports: np.ndarray, focus: np.ndarray, k: int,
                   rng: np.random.Generator) -> np.ndarray:
    """Greedy pick of up to ``k`` row indices: uncertain, unlike each other, spread over reports and labels.

    Parameters
    ----------
    uncertainty : array of shape (n,)
        Higher = more informative.
    vectors : sparse matrix of shape (n, d)
        Rows L2-normalized, so a dot product is a cosine similarity.
    reports, focus : array of shape (n,)
        Report and uncertain label of each row; the quotas count them.
    k : int
        Batch size.
    rng : numpy Generator
        Tie-breaking jitter (far below any real score difference).
    """
    _, report_code = np.unique(reports, return_inverse=True)
    _, label_code = np.unique(focus, return_inverse=True)
    report_cap, label_cap = math.ceil(k / (report_code.max() + 1)), math.ceil(k / (label_code.max() + 1))
    report_count, label_count = np.zeros(report_code.max() + 1), np.zeros(label_code.max() + 1)
    base = uncertainty + rng.uniform(0.0, 1e-9, len(uncertainty))
    similarity = np.zeros(len(uncertainty))
    available = np.ones(len(uncertainty), dtype=bool)
    chosen: list[int] = []
    while len(chosen) < k:
        open_rows = available & (similarity < NEAR_DUPLICATE)
        if not open_rows.any():
            break
        in_report_quota = open_rows & (report_count[report_code] < report_cap)
        in_both_quotas = in_report_quota & (label_count[label_code] < label_cap)
        # Lift the label quota before the report quota: a batch from one report is the worse failure.
        eligible = next(rows for rows in (in_both_quotas, in_report_quota, open_rows) if rows.any())
        pick = int(np.argmax(np.where(eligible, base - DIVERSITY_WEIGHT * similarity, -np.inf)))
        chosen.append(pick)
        available[pick] = False
        report_count[report_code[pick]] += 1
        label_count[label_code[pick]] += 1
        similarity = np.maximum(similarity, np.asarray((vectors @ vectors[pick].T).todense()).ravel())
    return np.asarray(chosen, dtype=int)


def model_annotator(directory: str | Path) -> str:
    """``model@<first 12 hex of model.joblib's sha256>``: which model made a pre-filled guess."""
    return f"model@{read_card(directory)['model_file']['sha256'][:12]}"


def _paragraph_table(table: pd.DataFrame) -> pd.DataFrame:
    missing = [column for column in ("report_id", "para_id", "text") if column not in table]
    if missing:
        raise InputError(f"the paragraph table has no {', '.join(missing)} column; suggestions must point back to "
                         "a paragraph, so give report files or a table from `rolcov segment -o`")
    table = table.reset_index(drop=True).copy()
    for column in ("part", "heading_path"):
        table[column] = table[column].fillna("").astype(str) if column in table else ""
    return table.drop_duplicates(_KEY).reset_index(drop=True)


def _unannotated(table: pd.DataFrame, exclude: pd.DataFrame | None) -> pd.DataFrame:
    """Rows of ``table`` neither keyed (report_id, para_id) nor worded (same text) like an ``exclude`` row."""
    if exclude is None or exclude.empty:
        return table
    annotated = pd.MultiIndex.from_frame(exclude[_KEY].astype(str))
    same_key = pd.MultiIndex.from_frame(table[_KEY].astype(str)).isin(annotated)
    same_text = table["text"].str.strip().isin(set(exclude["text"].astype(str).str.strip()))
    return table[~same_key & ~same_text].reset_index(drop=True)
