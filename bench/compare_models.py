"""Compare the rolcov classifier with its peers on the same leave-one-report-out folds of the gold seeds.

Run:  PYTHONPATH=. .venv/bin/python bench/compare_models.py   (or `make bench`); writes bench/results/models.md.

Every model trains on all rows (paragraphs and enumeration items) of four reports and labels the fifth;
the scores are over the gold paragraphs (ids without ".") of the held-out reports, as in `rolcov evaluate`.
Top-1 scores a rolcov model's own ``primary`` and each peer's most probable label. The rolcov rows are the
three configurations of :data:`pipeline.model.settings.SETTINGS` (shipped, text only, with headings). Peers:
* keyword dictionary — a label is assigned when any of its taxonomy cue terms occurs; top-1 = most cue hits;
* spaCy ``textcat_multilabel`` with the ``TextCatBOW.v3`` (unigram+bigram) and the default
  ``TextCatEnsemble.v2`` architectures, trained with ``nlp.update`` on pkuseg-segmented Docs, threshold 0.5;
* character 1–3-grams TF-IDF + one-vs-rest logistic regression (no segmenter), threshold 0.5.
pkuseg segmentation is computed once and carried in the table for all models, so timings measure the models,
not pkuseg.
"""

from __future__ import annotations

import random
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.multiclass import OneVsRestClassifier

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from pipeline.annotate.annotations import label_matrix  # noqa: E402
from pipeline.model.classifier import ParagraphClassifier  # noqa: E402
from pipeline.model.evaluate import score_rows  # noqa: E402
from pipeline.model.features import normalized_column, text_words, with_normalized_columns  # noqa: E402
from pipeline.model.settings import SETTINGS  # noqa: E402
from pipeline.model.train import training_table  # noqa: E402
from pipeline.schema import is_item  # noqa: E402
from pipeline.taxonomy import load_taxonomy  # noqa: E402

RESULTS = ROOT / "bench" / "results" / "models.md"
SPACY_EPOCHS = 20
SEED = 0


class RolcovModel:
    """A rolcov classifier configuration behind the peers' fit/predict interface."""

    def __init__(self, template):
        self.template = template

    def fit(self, frame, Y):
        from sklearn.base import clone

        self.model = clone(self.template).fit(frame, Y, groups=frame["report_id"])
        return self

    def predict(self, frame):
        return self.model.predict_proba(frame), self.model.predict(frame)

    def primary(self, frame):
        """The model's own ``primary`` (its primary-theme model), not the most probable assigned label."""
        return self.model.predict_primary(frame)


class KeywordModel:
    def __init__(self, taxonomy):
        self.cues = [[cue for cue in label.cues] for label in taxonomy.labels]

    def fit(self, frame, Y):
        return self

    def predict(self, frame):
        texts = normalized_column(frame, "text")
        hits = np.array([[sum(text.count(cue) for cue in cues) for cues in self.cues] for text in texts], float)
        share = hits / np.maximum(hits.sum(axis=1, keepdims=True), 1.0)
        return share, (hits > 0).astype(int)


class CharLogisticModel:
    def fit(self, frame, Y):
        self.vectorizer = TfidfVectorizer(analyzer="char", ngram_range=(1, 3), sublinear_tf=True, lowercase=False)
        matrix = self.vectorizer.fit_transform(normalized_column(frame, "text"))
        base = LogisticRegression(C=4.0, class_weight="balanced", max_iter=2000)
        self.model = OneVsRestClassifier(base).fit(matrix, Y)
        return self

    def predict(self, frame):
        probabilities = self.model.predict_proba(self.vectorizer.transform(normalized_column(frame, "text")))
        return probabilities, (probabilities >= 0.5).astype(int)


class SpacyTextcatModel:
    """spaCy's own multi-label text categorizer on Docs built from pkuseg words."""

    def __init__(self, architecture, labels):
        self.architecture = architecture
        self.labels = list(labels)

    def _docs(self, frame):
        from spacy.tokens import Doc

        return [Doc(self.nlp.vocab, words=words.split() or [" "]) for words in text_words(frame)]

    def fit(self, frame, Y):
        import spacy
        from spacy.training import Example
        from spacy.util import fix_random_seed, minibatch

        fix_random_seed(SEED)
        self.nlp = spacy.blank("zh")
        config = (
            {
                "model": {
                    "@architectures": "spacy.TextCatBOW.v3",
                    "exclusive_classes": False,
                    "ngram_size": 2,
                    "no_output_layer": False,
                }
            }
            if self.architecture == "bow"
            else {}
        )
        textcat = self.nlp.add_pipe("textcat_multilabel", config=config)  # {} = default TextCatEnsemble.v2
        for label in self.labels:
            textcat.add_label(label)
        examples = [
            Example.from_dict(doc, {"cats": {label: float(y) for label, y in zip(self.labels, row)}})
            for doc, row in zip(self._docs(frame), Y)
        ]
        optimizer = self.nlp.initialize(lambda: examples)
        rng = random.Random(SEED)
        for _ in range(SPACY_EPOCHS):
            rng.shuffle(examples)
            for batch in minibatch(examples, size=8):
                self.nlp.update(batch, sgd=optimizer, drop=0.2)
        return self

    def predict(self, frame):
        textcat = self.nlp.get_pipe("textcat_multilabel")
        docs = list(textcat.pipe(self._docs(frame), batch_size=64))
        probabilities = np.array([[doc.cats[label] for label in self.labels] for doc in docs])
        return probabilities, (probabilities >= 0.5).astype(int)


def run_model(name, model, table, Y, classes):
    """LORO with one model; returns its paragraph scores and timings."""
    probabilities, decisions = np.zeros(Y.shape), np.zeros(Y.shape, dtype=int)
    primary = np.full(len(table), "", dtype=object) if hasattr(model, "primary") else None
    train_seconds = predict_seconds = 0.0
    for report in table.report_id.unique():
        held_out = (table.report_id == report).to_numpy()
        start = time.perf_counter()
        model.fit(table[~held_out].reset_index(drop=True), Y[~held_out])
        train_seconds += time.perf_counter() - start
        start = time.perf_counter()
        probabilities[held_out], decisions[held_out] = model.predict(table[held_out].reset_index(drop=True))
        if primary is not None:
            primary[held_out] = model.primary(table[held_out].reset_index(drop=True))
        predict_seconds += time.perf_counter() - start
    paragraphs = ~is_item(table.para_id).to_numpy()
    scores, items = (
        score_rows(
            table[rows],
            Y[rows],
            probabilities[rows],
            decisions[rows],
            classes,
            None if primary is None else primary[rows],
        )
        for rows in (paragraphs, ~paragraphs)
    )
    row = {
        "model": name,
        "macro_f1": scores["macro_f1"],
        "micro_f1": scores["micro_f1"],
        "top1": scores["top1_accuracy"],
        "items_macro_f1": items["macro_f1"],
        "train_s_per_fold": train_seconds / table.report_id.nunique(),
        "paragraphs_per_s": len(table) / max(predict_seconds, 1e-9),
    }
    print(f"{name:42s} macro {row['macro_f1']:.3f} micro {row['micro_f1']:.3f} top-1 {row['top1']:.3f}", flush=True)
    return row


def markdown(rows: list[dict], table: pd.DataFrame) -> str:
    lines = [
        "# Paragraph classifier vs peers (leave-one-report-out, same folds)",
        "",
        f"{table.report_id.nunique()} seed reports, {len(table)} gold rows; scores over the "
        f"{(~is_item(table.para_id)).sum()} gold paragraphs of the held-out reports "
        "(items: macro-F1 over the enumeration items). Training time is per fold; paragraphs/s is prediction "
        "throughput with pkuseg words cached (segmentation excluded for every model).",
        "",
        "| model | macro-F1 | micro-F1 | top-1 | items macro-F1 | train s/fold | paragraphs/s |",
        "|---|---|---|---|---|---|---|",
    ]
    lines += [
        f"| {r['model']} | {r['macro_f1']:.3f} | {r['micro_f1']:.3f} | {r['top1']:.3f} | "
        f"{r['items_macro_f1']:.3f} | {r['train_s_per_fold']:.1f} | {r['paragraphs_per_s']:.0f} |"
        for r in rows
    ]
    lines += ["", f"Generated by `bench/compare_models.py` (spaCy epochs {SPACY_EPOCHS}, seed {SEED}).", ""]
    return "\n".join(lines)


def main() -> None:
    taxonomy = load_taxonomy()
    table = training_table([ROOT / "corpus" / "annotations.csv"], taxonomy=taxonomy)
    Y = label_matrix(table, taxonomy.ids)
    classes = np.asarray(taxonomy.ids)
    table = with_normalized_columns(table)  # normalize and segment once, outside every timing
    models = [
        ("rolcov ParagraphClassifier, shipped", RolcovModel(ParagraphClassifier(SETTINGS["shipped"], taxonomy))),
        ("rolcov ParagraphClassifier, text only", RolcovModel(ParagraphClassifier(SETTINGS["text_only"], taxonomy))),
        (
            "rolcov ParagraphClassifier, with headings",
            RolcovModel(ParagraphClassifier(SETTINGS["with_headings"], taxonomy)),
        ),
        ("keyword dictionary (taxonomy cues)", KeywordModel(taxonomy)),
        ("spaCy textcat_multilabel, TextCatBOW.v3", SpacyTextcatModel("bow", taxonomy.ids)),
        ("spaCy textcat_multilabel, TextCatEnsemble.v2", SpacyTextcatModel("ensemble", taxonomy.ids)),
        ("char 1-3-grams + logistic regression", CharLogisticModel()),
    ]
    rows = [run_model(name, model, table, Y, classes) for name, model in models]
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(markdown(rows, table), encoding="utf-8")
    print(f"wrote {RESULTS}")


if __name__ == "__main__":
    main()
