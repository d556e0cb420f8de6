"""Train and evaluate the paragraph classifier on annotation files: the steps behind ``rolcov train`` and
``rolcov evaluate``.

annotation files → one checked training table → :class:`~pipeline.model.classifier.ParagraphClassifier` →
model directory whose card says what the model learned from, how it scored leave-one-report-out, and the
limitations that follow from both. Python users get the command line's results in the same few calls.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pandas as pd

from pipeline.annotate.annotations import (
    DEFAULT_WEIGHTS,
    combine_annotations,
    label_matrix,
    read_annotations,
    require_gold_rows,
)
from pipeline.io.checksum import file_sha256
from pipeline.model.classifier import ParagraphClassifier
from pipeline.model.evaluate import evaluate_classifier
from pipeline.model.settings import SETTINGS, SHIPPED, ModelSettings
from pipeline.model.store import save_model, taxonomy_summary
from pipeline.taxonomy import Taxonomy, default_taxonomy

REPORTS_NAMED = 10  # the card's limitations name at most this many training reports


def training_table(
    annotation_paths: Sequence[str | Path],
    silver_paths: Sequence[str | Path] = (),
    silver_weight: float = DEFAULT_WEIGHTS["silver"],
    taxonomy: Taxonomy | None = None,
) -> pd.DataFrame:
    """Read, validate and combine annotation files into one table with a ``weight`` column (gold wins).

    ``taxonomy`` defaults to :func:`pipeline.taxonomy.default_taxonomy`; the CLI passes ``$ROLCOV_TAXONOMY``.
    """
    taxonomy = taxonomy or default_taxonomy()
    paths = [*annotation_paths, *silver_paths]
    table = combine_annotations(
        [read_annotations(path, taxonomy) for path in paths], weights={**DEFAULT_WEIGHTS, "silver": silver_weight}
    )
    require_gold_rows(table, paths)
    return table


def evaluate_annotations(
    table: pd.DataFrame, taxonomy: Taxonomy | None = None, settings: Sequence[str] = (SHIPPED,), random_state: int = 0
) -> dict:
    """Leave-one-report-out results per named configuration (:data:`pipeline.model.settings.SETTINGS`)."""
    taxonomy = taxonomy or default_taxonomy()
    Y = label_matrix(table, taxonomy.ids)
    weight = table["weight"].to_numpy() if "weight" in table else None
    results = {
        "method": "leave-one-report-out; trained on paragraphs+items (+silver), gold rows scored; "
        "paragraphs (ids without '.') and items scored separately, headline = paragraphs",
        "taxonomy": taxonomy_summary(taxonomy),
    }
    for name in settings:
        classifier = ParagraphClassifier(SETTINGS[name], taxonomy, random_state)
        results[name] = evaluate_classifier(table, Y, classifier, weight)
    return results


def train_model(
    annotation_paths: Sequence[str | Path],
    output: str | Path,
    silver_paths: Sequence[str | Path] = (),
    silver_weight: float = DEFAULT_WEIGHTS["silver"],
    setting: str = SHIPPED,
    taxonomy: Taxonomy | None = None,
    evaluate: bool = True,
    random_state: int = 0,
) -> Path:
    """Fit a classifier of a named configuration on annotation files and save it with its card.

    Parameters
    ----------
    annotation_paths, silver_paths : sequence of str or Path
        Gold annotation files; silver ones (e.g. from ``rolcov bootstrap``), weighted ``silver_weight``.
    output : str or Path
        The model directory to write (:func:`pipeline.model.store.save_model`).
    setting : str
        A name in :data:`pipeline.model.settings.SETTINGS`; ``"shipped"`` is ``ParagraphClassifier()``.
    taxonomy : Taxonomy, optional
        Default :func:`pipeline.taxonomy.default_taxonomy`; the CLI passes ``$ROLCOV_TAXONOMY``.
    evaluate : bool
        First score the configuration leave-one-report-out (one more fit per report) and put the scores on
        the card. Off, the card says the model was not evaluated: for a model that is only a step in the
        annotation loop (``rolcov suggest``) or a test.
    random_state : int
        The classifier's ``random_state``.

    Returns
    -------
    Path
        The written ``model.json``.
    """
    taxonomy = taxonomy or default_taxonomy()
    table = training_table(annotation_paths, silver_paths, silver_weight, taxonomy)
    Y = label_matrix(table, taxonomy.ids)
    weight = table["weight"].to_numpy()
    classifier = ParagraphClassifier(SETTINGS[setting], taxonomy, random_state)
    evaluation = evaluate_classifier(table, Y, classifier, weight) if evaluate else {}
    classifier.fit(table, Y, groups=table["report_id"], sample_weight=weight)
    data = _data_summary(table, [*annotation_paths, *silver_paths], taxonomy)
    card = {
        "taxonomy": taxonomy_summary(taxonomy),
        "params": {"setting": setting, "silver_weight": silver_weight, **card_params(classifier)},
        "training_data": data,
        "evaluation": {unit: _headline(evaluation[unit]) for unit in ("paragraphs", "items") if unit in evaluation},
        "limitations": limitations(table, data, evaluation),
    }
    return save_model(classifier, output, card)


def card_params(classifier: ParagraphClassifier) -> dict:
    """The classifier's ``get_params()`` as the card saves it: every parameter, the settings whole; the
    taxonomy is the card's own ``taxonomy`` entry (and file)."""
    return {
        name: value.as_dict() if isinstance(value, ModelSettings) else value
        for name, value in classifier.get_params(deep=False).items()
        if name != "taxonomy"
    }


def limitations(table: pd.DataFrame, data: dict, evaluation: dict) -> list[str]:
    """What the card's Limitations say, from the training data and the leave-one-report-out scores."""
    reports = sorted(table["report_id"].unique())
    named = ", ".join(reports[:REPORTS_NAMED]) + (", …" if len(reports) > REPORTS_NAMED else "")
    gold = {label: counts.get("gold", 0) for label, counts in data["per_label"].items()}
    rarest = min(gold, key=gold.get)
    lines = [
        f"Trained on {len(reports)} report(s) ({named}); expect lower accuracy on reports whose wording, "
        "region or year differs from theirs.",
        f"{min(gold.values())}–{max(gold.values())} gold rows per label (fewest: `{rarest}`, {gold[rarest]}); "
        "treat per-label figures as rough.",
        f"Probabilities and thresholds are calibrated on out-of-report predictions of the same "
        f"{len(reports)} report(s).",
    ]
    if "paragraphs" in evaluation:
        f1 = {label: scores["f1"] for label, scores in evaluation["paragraphs"]["per_label"].items()}
        weakest = min(f1, key=f1.get)
        lines.append(f"`{weakest}` is the weakest label leave-one-report-out (F1 {f1[weakest]:.2f} on paragraphs).")
    silver = int(data["per_source"].get("silver", 0))
    if silver:
        lines.append(
            f"{silver} silver rows (labels from headings) teach the model at a lower weight; they set "
            "neither thresholds nor scores."
        )
    return lines


def _data_summary(table: pd.DataFrame, paths: Sequence[str | Path], taxonomy: Taxonomy) -> dict:
    per_label = {
        label: {
            source: int(rows["labels"].map(lambda labels, label=label: label in labels).sum())
            for source, rows in table.groupby("source")
        }
        for label in taxonomy.ids
    }
    return {
        "files": [{"path": str(path), "sha256": file_sha256(path)} for path in paths],
        "rows": int(len(table)),
        "reports": int(table.report_id.nunique()),
        "per_source": {str(s): int(n) for s, n in table["source"].value_counts().items()},
        "per_label": per_label,
    }


def _headline(scores: dict) -> dict:
    keep = ("rows", "macro_f1", "micro_f1", "top1_accuracy", "top1_rows")
    return {
        **{key: scores[key] for key in keep},
        "per_label_f1": {label: m["f1"] for label, m in scores["per_label"].items()},
    }
