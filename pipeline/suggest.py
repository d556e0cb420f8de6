"""Choose the paragraphs to annotate next: where the model is least sure, spread over reports and themes.

Annotating costs a person's time, and five seed reports leave the model unsure about many kinds of
paragraph. Labelling the ones it is already sure about teaches it little; labelling ten near-copies of one
unsure paragraph teaches it one thing ten times; and asking about a theme that already has dozens of
examples teaches it less than asking about one that has three. So a suggestion balances four things.

Scoring
-------
1. **Uncertainty** — for each label k, how close the calibrated probability ``p_k`` is to that label's
   threshold ``t_k``, scaled to the room on that side of the threshold::

       closeness_k = 1 - |p_k - t_k| / (t_k if p_k < t_k else 1 - t_k)      # 1 at the threshold, 0 at 0 or 1

2. **Label need** — when the annotated rows (``exclude``) carry labels, label k's closeness is weighted by
   ``1 / sqrt(1 + n_k)``, ``n_k`` being how many annotated rows carry it: an open decision about a theme
   with few examples (oversight, dispute_resolution in the seed reports) is worth more than one about a
   theme with many. A paragraph's ``uncertainty`` is the weighted mean of its closeness over labels (the
   plain mean without labels) and its ``uncertain_label`` the label with the largest weighted closeness.
3. **Typicality and diversity** — an uncertain outlier (a table row, a garbled line) settles one
   decision, an uncertain paragraph like many others settles many, so the score is ``uncertainty *
   typicality`` (:func:`representativeness`). Greedy selection: each step takes the candidate with the
   highest ``score - DIVERSITY_WEIGHT * s``, where ``s`` is its largest cosine similarity to a paragraph
   already annotated or already chosen, in the model's own feature space (``features_.transform``). A
   candidate at least :data:`NEAR_DUPLICATE` similar to one of those is never taken (a report printed twice,
   a paragraph and its only enumeration item).
4. **Cold start** — while fewer than :data:`COLD_START` rows are annotated, the thresholds come from a
   handful of rows and "close to the threshold" is noise, so the score is typicality alone and the greedy
   pass is a density-weighted farthest-first: typical paragraphs unlike anything annotated or chosen.
   (Without ``exclude`` nothing is known about the model's training set, so it counts as past the cold start.)

**Quotas** — at most ``ceil(k / reports)`` suggestions per report and ``ceil(k / labels)`` per
``uncertain_label`` while other candidates remain, so the batch covers the reports given and asks about
several themes. When only over-quota candidates are left, the label quota is lifted first, then the report
quota.

Paragraphs already annotated (same ``report_id`` + ``para_id``, or the same text) are never suggested.
`bench/learning_curve.py` measures whether this beats annotating at random (README "Annotation loop").
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.preprocessing import normalize

from pipeline.annotations import label_matrix
from pipeline.errors import InputError
from pipeline.model import ParagraphClassifier, label_columns
from pipeline.modelstore import read_card
from pipeline.silver import silver_labels
from pipeline.taxonomy import load_taxonomy
from pipeline.validate import FILE_COLUMNS

DIVERSITY_WEIGHT = 0.5
NEAR_DUPLICATE = 0.9
COLD_START = 30  # annotated rows below which the thresholds are too noisy to steer by (module docstring)
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
        Already annotated rows (``report_id``, ``para_id``, ``text``; ``labels`` if known), e.g. from
        :func:`read_annotations`. Their labels set each label's need, their texts the diversity, and
        fewer than :data:`COLD_START` of them mean a farthest-first pick (module docstring).
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
    uncertainty, focus = label_uncertainty(probabilities, classifier.thresholds_,
                                           label_need(exclude, classifier.classes_))
    vectors = normalize(classifier.features_.transform(candidates))
    covered = _similarity_to_annotated(vectors, classifier, exclude)
    typical = representativeness(vectors)
    cold = exclude is not None and len(exclude) < COLD_START
    rng = np.random.default_rng(random_state)
    chosen = select_diverse(typical if cold else uncertainty * typical, vectors,
                            candidates["report_id"].to_numpy(), focus, k, rng, covered)
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


def label_uncertainty(probabilities: np.ndarray, thresholds: np.ndarray,
                      need: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Per paragraph, the (need-weighted) mean closeness of its labels' probabilities to their thresholds,
    and the label with the largest weighted closeness.

    Closeness is 1 at the threshold and falls linearly to 0 at probability 0 or 1 (module docstring), so
    labels with low and high thresholds are judged on the same scale. ``need`` (one weight per label,
    default equal) is :func:`label_need`; the result stays between 0 and 1.
    """
    room = np.where(probabilities < thresholds, thresholds, 1.0 - thresholds)
    closeness = 1.0 - np.abs(probabilities - thresholds) / np.maximum(room, 1e-9)
    need = np.ones(closeness.shape[1]) if need is None else np.asarray(need, dtype=float)
    weighted = closeness * need
    return weighted.sum(axis=1) / need.sum(), weighted.argmax(axis=1)


def representativeness(vectors) -> np.ndarray:
    """Each row's mean cosine similarity to all rows, scaled so the most typical row has 1.

    An uncertain paragraph that resembles many others settles many decisions; an uncertain outlier (a
    table row, a garbled line) settles one. Rows are L2-normalized, so the mean similarity is the dot
    product with the mean vector.
    """
    density = np.asarray(vectors @ np.asarray(vectors.mean(axis=0)).ravel()).ravel()
    return density / max(float(density.max()), 1e-12)


def label_need(annotated: pd.DataFrame | None, classes) -> np.ndarray | None:
    """``1 / sqrt(1 + n_k)`` per label, ``n_k`` = annotated rows carrying label k; None without labels.

    The square root keeps a theme with no example at all from drowning every other question: a label
    with 0 examples weighs 3 times one with 8, not 9 times.
    """
    if annotated is None or annotated.empty or "labels" not in annotated:
        return None
    counts = label_matrix(annotated.assign(labels=annotated["labels"].fillna("")), list(classes)).sum(axis=0)
    return 1.0 / np.sqrt(1.0 + counts)


def select_diverse(uncertainty: np.ndarray, vectors, reports: np.ndarray, focus: np.ndarray, k: int,
                   rng: np.random.Generator, covered: np.ndarray | None = None) -> np.ndarray:
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
    covered : array of shape (n,), optional
        Each row's largest cosine similarity to an already annotated paragraph (default 0); the greedy
        pass starts from it, so annotated content counts as chosen.
    """
    _, report_code = np.unique(reports, return_inverse=True)
    _, label_code = np.unique(focus, return_inverse=True)
    report_cap, label_cap = math.ceil(k / (report_code.max() + 1)), math.ceil(k / (label_code.max() + 1))
    report_count, label_count = np.zeros(report_code.max() + 1), np.zeros(label_code.max() + 1)
    base = uncertainty + rng.uniform(0.0, 1e-9, len(uncertainty))
    similarity = np.zeros(len(uncertainty)) if covered is None else np.asarray(covered, dtype=float).copy()
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


def _similarity_to_annotated(vectors, classifier: ParagraphClassifier, annotated: pd.DataFrame | None) -> np.ndarray:
    """Each candidate's largest cosine similarity to an annotated row, in the model's feature space."""
    if annotated is None or annotated.empty:
        return np.zeros(vectors.shape[0])
    seen = normalize(classifier.features_.transform(annotated.reset_index(drop=True)))
    return np.asarray((vectors @ seen.T).max(axis=1).todense()).ravel()


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
