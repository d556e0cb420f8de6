"""Choose the paragraphs to annotate next: where the model says the labels they train with are wrong.

In the annotation loop (docs/train.md "Annotation loop") every paragraph of the new reports already trains the
model: with its heading-derived silver labels (``rolcov bootstrap``, ``train --silver``) until someone
annotates it. Annotating a paragraph whose silver labels are right changes nothing the model learns;
annotating one whose silver labels are wrong replaces a wrong lesson with a right one. So a suggestion is
the paragraph whose labels an annotator is most likely to *change*.

Scoring
-------
1. **Expected corrections** — the model's calibrated probability ``p_k`` is its estimate that label k is
   gold, so ``|p_k - r_k|`` is its estimate that the reference label ``r_k`` (0/1) is wrong. The reference
   is the silver label from headings (``reference="silver"``, the default: what the paragraph trains with
   now) or the model's own decision ``p_k >= t_k`` (``reference="model"``, for a loop trained on gold only,
   where an unannotated paragraph teaches nothing and the question is whether the guess is right). A
   paragraph's ``disagreement`` is the mean over labels (the expected share of its labels an annotator
   changes); its ``disputed_label`` the label most likely wrong.
2. **Diversity** — greedy selection: each step takes the candidate with the highest ``disagreement -
   DIVERSITY_WEIGHT * s``, where ``s`` is its largest cosine similarity to a paragraph already annotated or
   already chosen, in the model's own feature space (``features_.transform``). A candidate at least
   :data:`NEAR_DUPLICATE` similar to one of those is never taken (a report printed twice, a paragraph and
   its only enumeration item): ten near-copies of one wrong heading teach one thing ten times.

**Quotas** — at most ``ceil(k / reports)`` suggestions per report and ``ceil(k / labels)`` per
``disputed_label`` while other candidates remain, so the batch covers the reports given and asks about
several themes. When only over-quota candidates are left, the label quota is lifted first, then the report
quota.

Paragraphs already annotated (same ``report_id`` + ``para_id``, or the same text) are never suggested.
`bench/learning_curve.py` measures whether this beats annotating at random: with silver training it is ahead
for the first batches (20–30 paragraphs) and level or behind after them (docs/train.md "Annotation loop").
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.preprocessing import normalize

from pipeline.annotate.annotations import label_matrix
from pipeline.annotate.silver import silver_labels
from pipeline.errors import InputError
from pipeline.model.classifier import ParagraphClassifier, label_columns
from pipeline.model.features import with_normalized_columns
from pipeline.model.store import read_card
from pipeline.schema import ANNOTATION_FILE_COLUMNS
from pipeline.taxonomy import default_taxonomy

DIVERSITY_WEIGHT = 0.5
NEAR_DUPLICATE = 0.9
REFERENCES = ("silver", "model")
SUGGESTION_COLUMNS = (*ANNOTATION_FILE_COLUMNS, "silver_labels", "model_labels", "disputed_label", "disagreement")
_KEY = ["report_id", "para_id"]


def suggest_paragraphs(
    classifier: ParagraphClassifier,
    table: pd.DataFrame,
    k: int,
    exclude: pd.DataFrame | None = None,
    reference: str = "silver",
    random_state: int = 0,
    annotator: str = "model",
) -> pd.DataFrame:
    """The ``k`` paragraphs of ``table`` whose labels an annotator would most likely change, pre-filled.

    Parameters
    ----------
    classifier : ParagraphClassifier
        Fitted; its probabilities, thresholds and feature space drive the choice (module docstring). In the
        loop it is trained on the gold annotated so far plus the silver labels of ``table``.
    table : DataFrame
        Unlabelled paragraphs: ``report_id``, ``para_id``, ``text``; ``part`` and ``heading_path`` are
        copied when present (``heading_path`` also gives the silver labels).
    k : int
        How many to suggest (fewer come back if fewer distinct paragraphs are left).
    exclude : DataFrame, optional
        Already annotated rows (``report_id``, ``para_id``, ``text``), e.g. from :func:`read_annotations`:
        never suggested, and suggestions are kept unlike them.
    reference : {"silver", "model"}
        Which labels the expected corrections are counted against (module docstring).
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
        (the guess, kept for comparison after correction), ``disputed_label`` and ``disagreement``.
    """
    if k < 1:
        raise ValueError(f"k={k}; ask for at least one suggestion")
    if reference not in REFERENCES:
        raise ValueError(f"reference={reference!r}; use one of {', '.join(REFERENCES)}")
    candidates = _unannotated(_paragraph_table(table), exclude)
    if candidates.empty:
        return pd.DataFrame(columns=list(SUGGESTION_COLUMNS))
    candidates = with_normalized_columns(candidates)  # once, for the probabilities and the feature space
    probabilities = classifier.predict_proba(candidates)
    decisions = probabilities >= classifier.thresholds_
    silver = silver_labels(candidates, classifier.taxonomy or default_taxonomy())
    labels = label_matrix(silver, list(classifier.classes_)) if reference == "silver" else decisions
    disagreement, disputed = expected_corrections(probabilities, labels)
    vectors = normalize(classifier.features_.transform(candidates))
    covered = _similarity_to_annotated(vectors, classifier, exclude)
    rng = np.random.default_rng(random_state)
    chosen = select_diverse(disagreement, vectors, candidates["report_id"].to_numpy(), disputed, k, rng, covered)
    guesses = label_columns(probabilities[chosen], decisions[chosen], classifier.classes_)
    rows = candidates.iloc[chosen].reset_index(drop=True)
    rows["labels"], rows["primary"] = guesses["labels"], guesses["primary"]
    rows["model_labels"] = guesses["labels"]
    rows["silver_labels"] = silver["labels"].iloc[chosen].to_numpy()
    rows["annotator"], rows["source"] = annotator, "silver"
    rows["disputed_label"] = classifier.classes_[disputed[chosen]]
    rows["disagreement"] = disagreement[chosen].round(4)
    return rows[list(SUGGESTION_COLUMNS)]


def expected_corrections(probabilities: np.ndarray, labels: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per paragraph, the expected share of its reference ``labels`` (0/1) that are wrong, and the label
    most likely wrong.

    ``probabilities`` are calibrated, so ``|p_k - label_k|`` is the model's estimate that label k is wrong;
    the mean over labels is between 0 and 1.
    """
    wrong = np.abs(np.asarray(probabilities, dtype=float) - np.asarray(labels, dtype=float))
    return wrong.mean(axis=1), wrong.argmax(axis=1)


def select_diverse(
    score: np.ndarray,
    vectors,
    reports: np.ndarray,
    focus: np.ndarray,
    k: int,
    rng: np.random.Generator,
    covered: np.ndarray | None = None,
) -> np.ndarray:
    """Greedy pick of up to ``k`` row indices: high-scoring, unlike each other, spread over reports and labels.

    Parameters
    ----------
    score : array of shape (n,)
        Higher = more informative (:func:`expected_corrections`).
    vectors : sparse matrix of shape (n, d)
        Rows L2-normalized, so a dot product is a cosine similarity.
    reports, focus : array of shape (n,)
        Report and disputed label of each row; the quotas count them.
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
    base = score + rng.uniform(0.0, 1e-9, len(score))
    similarity = np.zeros(len(score)) if covered is None else np.asarray(covered, dtype=float).copy()
    available = np.ones(len(score), dtype=bool)
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
    """``model@<first 12 hex of model.skops's sha256>``: which model made a pre-filled guess."""
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
        raise InputError(
            f"the paragraph table has no {', '.join(missing)} column; suggestions must point back to "
            "a paragraph, so give report files or a table from `rolcov segment -o`"
        )
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
