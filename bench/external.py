"""Score the classifier and its peers on real reports outside the corpus: the devset, as tables and as files.

Run:  PYTHONPATH=. .venv/bin/python bench/external.py [DEVSET_DIR] [-o OUT.md]
      (default DEVSET_DIR ../shared/devset from the repository root; writes bench/results/external.md).

Every model is trained once on the gold seed annotations (`corpus/annotations.csv`, paragraphs and items)
and never sees the devset. It is then scored twice on the devset's paragraphs (protocol in the devset's
README):

* as a table — one row per paragraph with its ``text`` only (no heading, no report structure);
* as report files — ``reports/*.txt`` segmented exactly as ``rolcov classify`` does
  (:func:`pipeline.model.batch.classify_report` is ``model.classify(segment_file(path))``), each devset paragraph
  matched to the output row whose normalized text contains the paragraph's last 20 characters.

The label of record is ``content_primary`` (what the text is about). Measures: top-1 (the predicted
``primary`` — the most probable *assigned* label, empty when none passes — equals ``content_primary``, so a
``none`` paragraph is right when nothing is assigned) and macro-F1 over the seven labels of that one
prediction; agreement with ``heading_label`` on paragraphs whose heading names a theme; and, on the
paragraphs whose heading and content readings differ, how often the model follows each.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from compare_models import CharLogisticModel, KeywordModel, RolcovModel, SpacyTextcatModel  # noqa: E402

from pipeline.annotate.annotations import label_matrix  # noqa: E402
from pipeline.model.classifier import ParagraphClassifier, label_columns  # noqa: E402
from pipeline.model.evaluate import primary_scores  # noqa: E402
from pipeline.model.features import with_normalized_columns  # noqa: E402
from pipeline.model.settings import SETTINGS  # noqa: E402
from pipeline.model.train import training_table  # noqa: E402
from pipeline.taxonomy import load_taxonomy  # noqa: E402
from pipeline.text.normalize import normalize_text  # noqa: E402
from pipeline.text.segment import segment_files  # noqa: E402

DEFAULT_DEVSET = ROOT.parent / "shared" / "devset"
RESULTS = ROOT / "bench" / "results" / "external.md"
MATCH_CHARS = 20
NONE_LABEL = "none"  # the devset's content reading when a paragraph carries no theme


def read_devset(directory: Path) -> pd.DataFrame:
    """The devset paragraphs (``paragraphs.jsonl``) as a table."""
    rows = [
        json.loads(line)
        for line in (directory / "paragraphs.jsonl").read_text(encoding="utf-8").splitlines()
        if line.strip()
    ]
    return pd.DataFrame(rows)


def match_file_rows(devset: pd.DataFrame, segmented: pd.DataFrame) -> np.ndarray:
    """Index of the segmented row holding each devset paragraph (its last 20 characters), -1 when none does."""
    texts = {
        report: [(index, normalize_text(text)) for index, text in rows.items()]
        for report, rows in segmented.groupby("report_id")["text"]
    }
    found = []
    for report, text in zip(devset["report"], devset["text"]):
        tail = normalize_text(text).strip()[-MATCH_CHARS:]
        found.append(next((index for index, candidate in texts.get(report, []) if tail in candidate), -1))
    return np.asarray(found)


def predicted_primary(model, frame: pd.DataFrame, classes: np.ndarray) -> np.ndarray:
    """The ``primary`` column ``rolcov classify`` would write: the model's own, or its most probable assigned label."""
    if hasattr(model, "primary"):
        return np.asarray(model.primary(frame))
    probabilities, decisions = model.predict(frame)
    return label_columns(probabilities, decisions, classes)["primary"].to_numpy()


def devset_scores(devset: pd.DataFrame, primary: np.ndarray, classes) -> dict:
    """Top-1 and macro-F1 against ``content_primary``; heading agreement; the heading ≠ content subset."""
    predicted = np.where(primary == "", NONE_LABEL, primary)
    content = devset["content_primary"].to_numpy()
    heading = devset["heading_label"].to_numpy()
    scores = primary_scores(content, predicted, classes)
    named = heading != NONE_LABEL
    differ = heading != content
    return {
        **scores,
        "heading_agreement": float(np.mean(predicted[named] == heading[named])),
        "differ_rows": int(differ.sum()),
        "differ_follows_content": int(np.sum(predicted[differ] == content[differ])),
        "differ_follows_heading": int(np.sum(predicted[differ] == heading[differ])),
    }


def peer_models(taxonomy) -> list[tuple[str, object]]:
    """The shipped model, the two earlier rolcov configurations and the three peers, unfitted."""
    return [
        ("rolcov shipped model", RolcovModel(ParagraphClassifier(SETTINGS["shipped"], taxonomy))),
        ("rolcov text-only configuration", RolcovModel(ParagraphClassifier(SETTINGS["text_only"], taxonomy))),
        ("rolcov `--headings` configuration", RolcovModel(ParagraphClassifier(SETTINGS["with_headings"], taxonomy))),
        ("keyword cues of the taxonomy", KeywordModel(taxonomy)),
        ("char 1-3-grams + logistic regression", CharLogisticModel()),
        ("spaCy textcat_multilabel, TextCatBOW.v3", SpacyTextcatModel("bow", taxonomy.ids)),
    ]


def run(devset_dir: Path) -> tuple[list[dict], dict]:
    """Train every model on the seeds and score it on the devset as tables and as files."""
    taxonomy = load_taxonomy()
    classes = np.asarray(taxonomy.ids)
    seeds = training_table([ROOT / "corpus" / "annotations.csv"], taxonomy=taxonomy)
    Y = label_matrix(seeds, taxonomy.ids)
    devset = read_devset(devset_dir)
    table = pd.DataFrame({"report_id": devset["report"], "text": devset["text"]})
    segmented, failures = segment_files([devset_dir / "reports"])
    matched = match_file_rows(devset, segmented)
    seeds, table, segmented = (with_normalized_columns(frame) for frame in (seeds, table, segmented))  # pkuseg once
    rows = []
    for name, model in peer_models(taxonomy):
        start = time.perf_counter()
        model.fit(seeds, Y)
        as_table = devset_scores(devset, predicted_primary(model, table, classes), classes)
        in_files = predicted_primary(model, segmented, classes)
        as_files = devset_scores(devset, np.where(matched >= 0, in_files[matched], ""), classes)
        rows.append({"model": name, "table": as_table, "files": as_files, "seconds": time.perf_counter() - start})
        print(
            f"{name:42s} table top-1 {as_table['top1']:.3f} macro {as_table['macro_f1']:.3f} | files top-1 "
            f"{as_files['top1']:.3f} macro {as_files['macro_f1']:.3f}",
            flush=True,
        )
    context = {
        "paragraphs": len(devset),
        "reports": devset["report"].nunique(),
        "unmatched": int((matched < 0).sum()),
        "file_failures": failures,
        "seed_rows": len(seeds),
        "differ": rows[0]["table"]["differ_rows"],
    }
    return rows, context


def markdown(rows: list[dict], context: dict) -> str:
    """The results table and how it was made."""
    lines = [
        "# Classifiers on real reports outside the corpus (devset)",
        "",
        f"{context['paragraphs']} paragraphs of {context['reports']} real reports; every model trained on the "
        f"{context['seed_rows']} gold rows of the five seed reports only. Label of record: `content_primary`. "
        f"Tables: text only. Files: `reports/*.txt` segmented as `rolcov classify` does "
        f"({context['unmatched']} paragraphs not found in the output, counted wrong). Heading agreement: "
        f"share of paragraphs under a theme-naming heading whose prediction is that heading's theme. "
        f"Heading ≠ content: the {context['differ']} paragraphs whose heading and content readings differ, "
        "how many predictions follow the content / the heading.",
        "",
        "| model | tables top-1 | tables macro-F1 | files top-1 | files macro-F1 | heading agreement (files) "
        "| heading ≠ content: follows content / heading (files) | (tables) |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for row in rows:
        t, f = row["table"], row["files"]
        lines.append(
            f"| {row['model']} | {t['top1']:.3f} | {t['macro_f1']:.3f} | {f['top1']:.3f} | "
            f"{f['macro_f1']:.3f} | {f['heading_agreement']:.3f} | "
            f"{f['differ_follows_content']} / {f['differ_follows_heading']} | "
            f"{t['differ_follows_content']} / {t['differ_follows_heading']} |"
        )
    lines += [
        "",
        "Per-label F1 of the shipped model (files / tables):",
        "",
        "| label | " + " | ".join(rows[0]["files"]["per_label_f1"]) + " |",
        "|---" * (len(rows[0]["files"]["per_label_f1"]) + 1) + "|",
        "| F1 | "
        + " | ".join(
            f"{rows[0]['files']['per_label_f1'][k]:.2f} / {rows[0]['table']['per_label_f1'][k]:.2f}"
            for k in rows[0]["files"]["per_label_f1"]
        )
        + " |",
    ]
    if context["file_failures"]:
        lines += ["", "Files that could not be read: " + "; ".join(context["file_failures"])]
    lines += ["", "Generated by `bench/external.py` (one run; deterministic).", ""]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("devset", nargs="?", type=Path, default=DEFAULT_DEVSET, help="devset directory")
    parser.add_argument("-o", "--output", type=Path, default=RESULTS, help="Markdown file to write")
    args = parser.parse_args(argv)
    if not (args.devset / "paragraphs.jsonl").is_file():
        print(
            f"no devset at {args.devset} (paragraphs.jsonl missing): nothing to score. Give its directory, "
            "e.g. bench/external.py /path/to/devset"
        )
        return 0
    rows, context = run(args.devset)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(markdown(rows, context), encoding="utf-8")
    print(f"wrote {args.output}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
