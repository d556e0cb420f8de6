"""Leave-one-report-out evaluation of the paragraph classifier.

Which rows are scored
---------------------
Each fold trains on every row (paragraphs, enumeration items, silver rows) of all reports but one and scores
the held-out report's **gold** rows, so no text of the held-out report is ever in training (its items and
silver rows belong to the same report and leave with it). Paragraphs (``…:0005``) and items (``…:0005.2``,
told apart by :func:`pipeline.schema.is_item`) are scored separately; the headline numbers are the paragraphs',
because the paragraph is the unit annotators label and coverage counts.

Metrics
-------
Per-label precision/recall/F1, micro and macro F1 over the 0/1 decisions; top-1 accuracy of
``predict_primary`` (the model's primary theme) on rows whose gold ``primary`` is non-empty; a confusion table
of gold primary × predicted primary (``(none)`` when no label passes its threshold); and the rows whose
predicted probabilities were furthest from the gold labels.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.base import clone
from sklearn.metrics import f1_score, precision_recall_fscore_support

from pipeline.errors import AnnotationError
from pipeline.io.tables import atomic_path
from pipeline.model.classifier import label_columns
from pipeline.model.features import with_normalized_columns
from pipeline.schema import is_item as enumeration_item
from pipeline.schema import join_labels
from pipeline.taxonomy import default_taxonomy

NONE = "(none)"
WORST_SHOWN = 10


def loro_probabilities(
    frame: pd.DataFrame, Y: np.ndarray, classifier, sample_weight=None
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Out-of-report probabilities, 0/1 decisions and primary labels for every row, one fold per report.

    Parameters
    ----------
    frame : DataFrame
        Needs ``report_id`` and ``text``.
    Y : array of shape (n, n_labels)
        Gold (or silver) label matrix in the classifier's label order.
    classifier : ParagraphClassifier
        Unfitted template, cloned per fold.
    sample_weight : array, optional
        Passed to ``fit``.
    """
    if frame.report_id.nunique() < 2:
        raise AnnotationError(
            f"the annotations cover {frame.report_id.nunique()} report(s); leave-one-report-out evaluation "
            "needs at least 2 — annotate paragraphs of another report"
        )
    frame = with_normalized_columns(frame.reset_index(drop=True))  # once for all folds, not once per fit
    Y = np.asarray(Y)
    weight = np.ones(len(frame)) if sample_weight is None else np.asarray(sample_weight, dtype=float)
    probabilities, decisions = np.zeros(Y.shape), np.zeros(Y.shape, dtype=int)
    primary = np.full(len(frame), "", dtype=object)
    for report in frame.report_id.unique():
        held_out = (frame.report_id == report).to_numpy()
        model = clone(classifier).fit(
            frame[~held_out], Y[~held_out], groups=frame.report_id[~held_out], sample_weight=weight[~held_out]
        )
        probabilities[held_out] = model.predict_proba(frame[held_out])
        decisions[held_out] = model.predict(frame[held_out])
        primary[held_out] = model.predict_primary(frame[held_out])
    return probabilities, decisions, primary


def score_rows(
    frame: pd.DataFrame,
    Y: np.ndarray,
    probabilities: np.ndarray,
    decisions: np.ndarray,
    classes,
    primary: np.ndarray | None = None,
) -> dict:
    """Metrics of one set of rows (see the module docstring); ``frame`` needs ``primary`` and ``text``.

    ``primary`` is the model's own primary label per row (``""`` for none); without it, top-1 scores the
    most probable label and the confusion table the most probable assigned one.
    """
    classes, Y = np.asarray(classes), np.asarray(Y)
    precision, recall, f1, support = precision_recall_fscore_support(Y, decisions, zero_division=0)
    gold_primary = frame["primary"].fillna("").to_numpy()
    has_primary = gold_primary != ""
    top = classes[np.argmax(probabilities, axis=1)] if primary is None else np.asarray(primary)
    predicted_primary = label_columns(probabilities, decisions, classes, primary)["primary"].replace("", NONE)
    return {
        "rows": int(len(frame)),
        "micro_f1": _round(f1_score(Y, decisions, average="micro", zero_division=0)),
        "macro_f1": _round(f1_score(Y, decisions, average="macro", zero_division=0)),
        "top1_accuracy": _round(np.mean(top[has_primary] == gold_primary[has_primary])),
        "top1_rows": int(has_primary.sum()),
        "per_label": {
            label: {"precision": _round(p), "recall": _round(r), "f1": _round(f), "support": int(s)}
            for label, p, r, f, s in zip(classes, precision, recall, f1, support)
        },
        "confusion": _confusion(np.where(has_primary, gold_primary, NONE), predicted_primary.to_numpy(), classes),
        "worst": _worst_rows(frame, Y, probabilities, decisions, classes),
    }


def primary_scores(gold: np.ndarray, predicted: np.ndarray, classes) -> dict:
    """Single-label scores of one predicted theme per row: top-1 accuracy and per-label/macro F1.

    Any value that is not a label id (empty, ``none``, ``(none)``) means "no theme"; it counts as right when
    both sides say so, and it is not one of the labels the macro-F1 averages over.
    """
    classes = [str(label) for label in classes]
    gold = np.array([value if value in classes else NONE for value in gold], dtype=object)
    predicted = np.array([value if value in classes else NONE for value in predicted], dtype=object)
    per_label = f1_score(gold, predicted, labels=classes, average=None, zero_division=0)
    return {
        "top1": _round(np.mean(gold == predicted)) if len(gold) else 0.0,
        "macro_f1": _round(np.mean(per_label)),
        "per_label_f1": {label: _round(f) for label, f in zip(classes, per_label)},
    }


def _round(value) -> float:
    return round(float(value), 4)


def _confusion(gold: np.ndarray, predicted: np.ndarray, classes) -> dict:
    """Nested counts {gold primary: {predicted primary: n}} over the labels plus ``(none)``."""
    names = [*classes, NONE]
    table = pd.crosstab(pd.Categorical(gold, names), pd.Categorical(predicted, names), dropna=False)
    return {str(g): {str(p): int(n) for p, n in row.items()} for g, row in table.iterrows()}


def _worst_rows(frame, Y, probabilities, decisions, classes) -> list[dict]:
    """Rows with the largest total gap between gold 0/1 and predicted probability."""
    gap = np.abs(Y - probabilities).sum(axis=1)
    rows = []
    for index in np.argsort(-gap, kind="stable")[:WORST_SHOWN]:
        rows.append(
            {
                "para_id": str(frame["para_id"].iloc[index]),
                "gap": _round(gap[index]),
                "gold": join_labels(classes[Y[index] == 1]),
                "predicted": join_labels(classes[decisions[index] == 1]),
                "text": str(frame["text"].iloc[index])[:80],
            }
        )
    return rows


def evaluate_classifier(frame: pd.DataFrame, Y: np.ndarray, classifier, sample_weight=None) -> dict:
    """Leave-one-report-out scores of ``classifier`` on the gold rows of ``frame``, paragraphs and items apart.

    Parameters
    ----------
    frame : DataFrame
        Annotation table (``report_id``, ``para_id``, ``text``, ``primary``; ``source`` if silver rows are
        mixed in — only ``source == "gold"`` rows are scored).
    Y : array of shape (n, n_labels)
        Label matrix in taxonomy order.
    classifier : ParagraphClassifier
        Unfitted; its taxonomy decides the label order.
    """
    frame = frame.reset_index(drop=True)
    probabilities, decisions, primary = loro_probabilities(frame, Y, classifier, sample_weight)
    classes = np.asarray((classifier.taxonomy or default_taxonomy()).ids)
    gold = frame["source"].eq("gold").to_numpy() if "source" in frame else np.ones(len(frame), bool)
    is_item = enumeration_item(frame["para_id"]).to_numpy()
    result = {"reports": int(frame.report_id.nunique())}
    for name, rows in (("paragraphs", gold & ~is_item), ("items", gold & is_item)):
        if rows.any():
            result[name] = score_rows(
                frame[rows], np.asarray(Y)[rows], probabilities[rows], decisions[rows], classes, primary[rows]
            )
    return result


def score_model(model, frame: pd.DataFrame, Y: np.ndarray) -> dict:
    """Scores of a trained model on a labelled sample it was not trained on (``rolcov evaluate --model``).

    Parameters
    ----------
    model : ParagraphClassifier
        Fitted; its ``classes_`` are the columns of ``Y``.
    frame : DataFrame
        ``text`` (and ``heading_path`` when known), the gold ``primary`` (``""`` when the row has no
        theme) and ``para_id`` to name the worst rows.
    Y : array of shape (n, n_labels)
        Gold labels.

    Returns
    -------
    dict
        What :func:`score_rows` gives (per-label P/R/F1, macro/micro-F1, top-1, confusion, worst rows),
        plus ``primary`` (single-label scores of the predicted primary, "no theme" included, see
        :func:`primary_scores`) and ``calibration``: per label the Brier score of ``p_<label>`` and a
        reliability table pooled over labels (mean predicted probability against the observed rate).
    """
    frame = with_normalized_columns(frame.reset_index(drop=True))  # once for the three predictions below
    classes = np.asarray(model.classes_)
    probabilities, decisions, primary = model.predict_proba(frame), model.predict(frame), model.predict_primary(frame)
    scores = score_rows(frame, Y, probabilities, decisions, classes, primary)
    scores["primary"] = primary_scores(frame["primary"].fillna("").to_numpy(), primary, classes)
    scores["calibration"] = calibration(np.asarray(Y), probabilities, classes)
    return scores


RELIABILITY_BINS = (0.0, 0.1, 0.3, 0.5, 0.7, 0.9, 1.0)


def calibration(Y: np.ndarray, probabilities: np.ndarray, classes) -> dict:
    """Brier score per label and a reliability table (bins of predicted probability, pooled over labels).

    A well calibrated model has, in each bin, an observed rate close to its mean probability; the
    coverage profiles' ``prob_share`` relies on that.
    """
    brier = {str(label): _round(np.mean((probabilities[:, k] - Y[:, k]) ** 2)) for k, label in enumerate(classes)}
    flat_p, flat_y = probabilities.ravel(), Y.ravel()
    bins = np.digitize(flat_p, RELIABILITY_BINS[1:-1])
    reliability = []
    for index, (low, high) in enumerate(zip(RELIABILITY_BINS, RELIABILITY_BINS[1:])):
        inside = bins == index
        if inside.any():
            reliability.append(
                {
                    "bin": f"{low:.1f}–{high:.1f}",
                    "n": int(inside.sum()),
                    "mean_p": _round(flat_p[inside].mean()),
                    "observed": _round(flat_y[inside].mean()),
                }
            )
    return {"brier": brier, "brier_mean": _round(np.mean(list(brier.values()))), "reliability": reliability}


def format_model_scores(scores: dict, title: str) -> str:
    """Readable text of :func:`score_model`: the evaluation block plus primary and calibration."""
    lines = _format_block(title, scores, "model scored on a labelled sample")
    primary = scores["primary"]
    lines += [
        f"primary theme (one per paragraph, no-theme included): top-1 {primary['top1']:.3f}, "
        f"macro-F1 {primary['macro_f1']:.3f}",
        "",
        f"calibration: mean Brier score {scores['calibration']['brier_mean']:.3f} "
        "(per label: " + ", ".join(f"{k} {v:.3f}" for k, v in scores["calibration"]["brier"].items()) + ")",
        "",
        "| predicted p | pairs | mean p | observed rate |",
        "|---|---|---|---|",
    ]
    lines += [
        f"| {r['bin']} | {r['n']} | {r['mean_p']:.3f} | {r['observed']:.3f} |"
        for r in scores["calibration"]["reliability"]
    ]
    return "\n".join(lines + [""])


def format_evaluation(results: dict) -> str:
    """Readable text: one block per setting (text only / with headings), paragraphs then items."""
    lines = []
    for setting, result in results.items():
        if not isinstance(result, dict) or "paragraphs" not in result:
            continue
        for unit in ("paragraphs", "items"):
            if unit in result:
                lines += _format_block(f"{setting} — {unit}", result[unit])
    return "\n".join(lines)


def _format_block(title: str, scores: dict, method: str = "leave-one-report-out") -> list[str]:
    lines = [
        f"## {title} ({scores['rows']} rows, {method})",
        "",
        f"macro-F1 {scores['macro_f1']:.3f}   micro-F1 {scores['micro_f1']:.3f}   "
        f"top-1 {scores['top1_accuracy']:.3f} (of {scores['top1_rows']} rows with a gold primary)",
        "",
        "| label | precision | recall | F1 | support |",
        "|---|---|---|---|---|",
    ]
    lines += [
        f"| {label} | {m['precision']:.3f} | {m['recall']:.3f} | {m['f1']:.3f} | {m['support']} |"
        for label, m in scores["per_label"].items()
    ]
    names = list(scores["confusion"])
    lines += [
        "",
        "gold primary (rows) × predicted primary (columns):",
        "",
        "| gold \\ predicted | " + " | ".join(names) + " |",
        "|---" * (len(names) + 1) + "|",
    ]
    lines += [
        f"| {gold} | " + " | ".join(str(row[p]) for p in names) + " |" for gold, row in scores["confusion"].items()
    ]
    lines += ["", "furthest from gold:", ""]
    lines += [f"- {w['para_id']} gold [{w['gold']}] predicted [{w['predicted']}]: {w['text']}" for w in scores["worst"]]
    return lines + [""]


def write_evaluation(results: dict, directory: str | Path, text: str | None = None) -> tuple[Path, Path]:
    """Write ``evaluation.json`` and ``evaluation.md`` (``text``, default :func:`format_evaluation`) into
    ``directory`` (atomically); return both paths."""
    directory = Path(directory)
    json_path, text_path = directory / "evaluation.json", directory / "evaluation.md"
    with atomic_path(json_path) as temporary:
        temporary.write_text(json.dumps(results, ensure_ascii=False, indent=2), encoding="utf-8")
    with atomic_path(text_path) as temporary:
        temporary.write_text((format_evaluation(results) if text is None else text) + "\n", encoding="utf-8")
    return json_path, text_path
