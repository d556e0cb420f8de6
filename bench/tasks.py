"""Score the task tagger, the evidence rule and report × task status against careful readings.

Run:  PYTHONPATH=. .venv/bin/python bench/tasks.py [DEVSET_DIR] [-o OUT.md]
      (default DEVSET_DIR ../shared/devset from the repository root; writes bench/results/tasks.md; ~3 min)

Three readings, each scored for the shipped tagger (``TaskTagger()``) beside its named alternatives:

* **devset, as a table** — the devset's 213 paragraphs, text only, against ``task_reading.jsonl`` (every
  paragraph read against the 44 tasks by a reader who saw no tagger output; see the devset README);
* **devset, as report files** — ``reports/*.txt`` segmented and classified as ``rolcov classify`` does (the
  classifier trained on the seed gold only), each devset paragraph matched to the row holding its last 20
  characters (as ``bench/external.py``); tags and evidence of that row are the paragraph's. Report × task
  status is compared on the matched rows: the status from the reading (its tasks and evidence on those
  rows) against the status from the tagger and the evidence rule;
* **seeds, in-sample** — ``corpus/task_annotations.csv`` (the 114 gold seed paragraphs); the cues and rules
  were written with the seeds at hand, so these figures are in-sample.

Scores: per task precision, recall, F1 and support (gold paragraphs); micro over all (paragraph, task) pairs;
macro over the tasks with support. Evidence: accuracy and ``concrete`` precision/recall. Nothing here trains on
the devset: the only fitted component (the classifier behind the theme-gate alternative and the files'
``labels``) is trained on the seed gold. Deterministic; one run.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from external import DEFAULT_DEVSET, match_file_rows, read_devset  # noqa: E402

from pipeline.annotate.annotations import label_matrix  # noqa: E402
from pipeline.coverage.evidence import CONCRETE, tag_evidence  # noqa: E402
from pipeline.coverage.profile import PROB_PREFIX, validate_table  # noqa: E402
from pipeline.coverage.task_coverage import task_coverage  # noqa: E402
from pipeline.coverage.tasks import TaskTagger, read_task_annotations, task_ids  # noqa: E402
from pipeline.io.tables import read_table  # noqa: E402
from pipeline.model.classifier import ParagraphClassifier  # noqa: E402
from pipeline.model.evaluate import loro_probabilities  # noqa: E402
from pipeline.model.train import training_table  # noqa: E402
from pipeline.taxonomy import load_taxonomy  # noqa: E402
from pipeline.text.segment import segment_files  # noqa: E402

ANNOTATIONS = ROOT / "corpus" / "annotations.csv"
GOLD = ROOT / "corpus" / "task_annotations.csv"
RESULTS = ROOT / "bench" / "results" / "tasks.md"
SHIPPED = "shipped: no gate, text only"
GATE_FLOOR = 0.2
WEAKEST_SHOWN = 8


def pair_scores(predicted: pd.Series, gold: pd.Series, tasks: list[str]) -> pd.DataFrame:
    """Per task: tp, fp, fn, precision, recall, F1 and gold support over paragraphs."""
    counts = {t: [0, 0, 0] for t in tasks}
    for pred_cell, gold_cell in zip(predicted, gold):
        pred, true = set(task_ids(pred_cell)), set(task_ids(gold_cell))
        for task in pred | true:
            counts[task][0 if task in pred and task in true else 1 if task in pred else 2] += 1
    frame = pd.DataFrame(counts, index=["tp", "fp", "fn"]).T
    return _with_prf(frame).assign(support=frame["tp"] + frame["fn"])


def _with_prf(frame: pd.DataFrame) -> pd.DataFrame:
    precision = frame["tp"] / (frame["tp"] + frame["fp"]).where(lambda d: d > 0)
    recall = frame["tp"] / (frame["tp"] + frame["fn"]).where(lambda d: d > 0)
    f1 = 2 * precision * recall / (precision + recall).where(lambda d: d > 0)
    return frame.assign(precision=precision, recall=recall, f1=f1.fillna(0.0))


def summary(scores: pd.DataFrame) -> dict[str, float]:
    """Micro precision/recall/F1 over all pairs and macro-F1 over the tasks with gold support."""
    total = _with_prf(scores[["tp", "fp", "fn"]].sum().to_frame().T).iloc[0]
    supported = scores[scores["support"] > 0]
    return {
        "P": total["precision"],
        "R": total["recall"],
        "F1": total["f1"],
        "macro": supported["f1"].mean(),
        "n_macro": len(supported),
    }


def evidence_scores(predicted: pd.Series, gold: pd.Series) -> dict[str, float]:
    """Accuracy, and precision/recall of ``concrete``."""
    pred, true = predicted.to_numpy() == CONCRETE, gold.to_numpy() == CONCRETE
    return {
        "accuracy": float(np.mean(pred == true)),
        "P": float((pred & true).sum() / max(pred.sum(), 1)),
        "R": float((pred & true).sum() / max(true.sum(), 1)),
        "n": len(gold),
        "n_concrete": int(true.sum()),
    }


def status_agreement(base: pd.DataFrame, gold_tasks, gold_evidence, tagged: pd.DataFrame) -> dict:
    """Report × task status from a reading vs from the tagger and evidence rule, on the same paragraphs."""
    base = validate_table(base.drop(columns=[c for c in base.columns if c.startswith(PROB_PREFIX)]))
    gold = task_coverage(base.assign(tasks=list(gold_tasks), task_cues="", evidence=list(gold_evidence)))
    predicted = task_coverage(validate_table(tag_evidence(tagged)))
    pair = gold[gold["level"] == "task"].merge(
        predicted[predicted["level"] == "task"], on=["report_id", "task"], suffixes=("_gold", "_pred")
    )
    same = pair["status_gold"] == pair["status_pred"]
    named = (pair["status_gold"] != "absent") | (pair["status_pred"] != "absent")
    return {
        "agree": int(same.sum()),
        "cells": len(pair),
        "named_agree": int((same & named).sum()),
        "named": int(named.sum()),
        "matrix": pd.crosstab(pair["status_gold"], pair["status_pred"]),
    }


def seed_table() -> pd.DataFrame:
    """Gold seed paragraphs with their gold reading and out-of-report theme probabilities."""
    taxonomy = load_taxonomy()
    train = training_table([ANNOTATIONS]).reset_index(drop=True)
    probabilities, _, _ = loro_probabilities(
        train, label_matrix(train, taxonomy.ids), ParagraphClassifier(), train["weight"].to_numpy()
    )
    probs = pd.DataFrame(probabilities, columns=[f"{PROB_PREFIX}{t}" for t in taxonomy.ids])
    gold = read_task_annotations(GOLD).rename(columns={"tasks": "gold_tasks", "evidence": "gold_evidence"})
    table = read_table(ANNOTATIONS).merge(gold[["para_id", "gold_tasks", "gold_evidence"]], on="para_id")
    table = table.merge(probs.assign(para_id=train["para_id"].to_numpy()), on="para_id", how="left")
    return table.assign(n_chars=table["text"].str.len())


def alternatives(table: pd.DataFrame, heading_column: str = "heading_path") -> dict[str, pd.DataFrame]:
    """The shipped tagger and its named alternatives, each tagging ``table``."""
    by_hand = table.drop(columns=[c for c in table.columns if c.startswith(PROB_PREFIX)])
    with_heading = by_hand.assign(heading_path=table[heading_column])
    return {
        SHIPPED: TaskTagger().tag(by_hand),
        f"theme gate p ≥ {GATE_FLOOR} (classifier trained on seeds)": TaskTagger(min_theme_prob=GATE_FLOOR).tag(table),
        "theme gate by hand-read theme labels": TaskTagger(min_theme_prob=0.5).tag(by_hand),
        "deepest heading searched too": TaskTagger(use_headings=True).tag(with_heading),
    }


def read_task_reading(devset_dir: Path) -> pd.DataFrame:
    """The devset paragraphs with the reader's tasks and evidence, content labels as ``labels``."""
    reading = pd.DataFrame(
        [
            json.loads(line)
            for line in (devset_dir / "task_reading.jsonl").read_text(encoding="utf-8").splitlines()
            if line.strip()
        ]
    )
    dev = read_devset(devset_dir).merge(reading[["id", "tasks", "evidence"]], on="id")
    dev = dev.rename(columns={"tasks": "gold_tasks", "evidence": "gold_evidence"})
    return dev.assign(
        gold_tasks=dev["gold_tasks"].map(";".join),
        report_id=dev["report"],
        para_id=dev["id"],
        labels=dev["content_labels"].map(lambda v: ";".join(v) if isinstance(v, list) else ""),
        heading_path=dev["heading"].where(dev["heading"] != "(preamble)", "").str.replace(" / ", " > "),
    )


def fitted_classifier():
    """The default classifier fitted on all seed gold (never on the devset)."""
    taxonomy = load_taxonomy()
    train = training_table([ANNOTATIONS])
    return ParagraphClassifier().fit(
        train, label_matrix(train, taxonomy.ids), groups=train["report_id"], sample_weight=train["weight"].to_numpy()
    )


def devset_files(devset_dir: Path, dev: pd.DataFrame, model) -> tuple[pd.DataFrame, pd.DataFrame, list[str]]:
    """The report files classified and tagged; the devset paragraphs with their rows' tags and evidence."""
    segmented, failures = segment_files([devset_dir / "reports"])
    tagged = tag_evidence(TaskTagger().tag(model.classify(segmented)))
    rows = match_file_rows(dev, segmented)
    found = rows >= 0
    lookup = tagged.iloc[rows[found]]
    per_paragraph = dev.assign(tasks="", evidence="general", row=rows)
    per_paragraph.loc[found, "tasks"] = lookup["tasks"].to_numpy()
    per_paragraph.loc[found, "evidence"] = lookup["evidence"].to_numpy()
    return tagged, per_paragraph, failures


def file_status(tagged: pd.DataFrame, per_paragraph: pd.DataFrame) -> dict:
    """Report × task status on the matched rows: from the reading (union over a row's paragraphs) vs tagger."""
    matched = per_paragraph[per_paragraph["row"] >= 0]
    gold = matched.groupby("row").agg(
        tasks=("gold_tasks", lambda cells: ";".join(dict.fromkeys(t for c in cells for t in task_ids(c)))),
        evidence=("gold_evidence", lambda values: CONCRETE if (values == CONCRETE).any() else "general"),
    )
    rows = tagged.iloc[gold.index.to_numpy()]
    return status_agreement(
        rows.drop(columns=["tasks", "task_cues", "evidence", "evidence_reason"]),
        gold["tasks"],
        gold["evidence"],
        rows.drop(columns=["evidence", "evidence_reason"]),
    )


def setting_lines(
    runs: dict[str, pd.DataFrame], gold: pd.Series, tasks: list[str], status: dict[str, dict] | None = None
) -> list[str]:
    """One table row per setting: micro P/R/F1, macro-F1 and, when given, the status agreement."""
    head = "| setting | micro P | micro R | micro F1 | macro F1 (tasks) |" + (" status agreement |" if status else "")
    lines = [head, "|---" * (head.count("|") - 1) + "|"]
    for name, run in runs.items():
        s = summary(pair_scores(run["tasks"], gold, tasks))
        cells = f"| {name} | {s['P']:.3f} | {s['R']:.3f} | {s['F1']:.3f} | {s['macro']:.3f} ({s['n_macro']}) |"
        lines.append(cells + (f" {_agreement(status[name])} |" if status else ""))
    return lines


def _agreement(result: dict) -> str:
    return (
        f"{result['agree'] / result['cells']:.1%} of {result['cells']}; "
        f"{result['named_agree'] / max(result['named'], 1):.1%} of the {result['named']} named"
    )


def per_task_lines(scores: pd.DataFrame) -> list[str]:
    """Per-task table (tasks with support or false tags), most support first, and the weakest named."""
    names = {t.id: t.name_zh for t in load_taxonomy().tasks}
    shown = scores[(scores["support"] > 0) | (scores["fp"] > 0)].sort_values(["support", "f1"], ascending=[False, True])
    lines = ["| task | name | P | R | F1 | gold | tp | fp | fn |", "|---|---|---|---|---|---|---|---|---|"]
    lines += [
        f"| {task} | {names.get(task, task)} | {_fmt(r['precision'])} | {_fmt(r['recall'])} | {r['f1']:.2f} | "
        f"{int(r['support'])} | {int(r['tp'])} | {int(r['fp'])} | {int(r['fn'])} |"
        for task, r in shown.iterrows()
    ]
    weakest = shown.sort_values(["f1", "support"], ascending=[True, False]).head(WEAKEST_SHOWN)
    return lines + [
        "",
        "Weakest tasks (lowest F1 among those with gold support or false tags): "
        + ", ".join(f"`{t}` {r['f1']:.2f}" for t, r in weakest.iterrows())
        + ".",
    ]


def evidence_line(name: str, scores: dict) -> str:
    return (
        f"| {name} | {scores['accuracy']:.3f} | {scores['P']:.3f} | {scores['R']:.3f} | "
        f"{scores['n']} ({scores['n_concrete']} concrete) |"
    )


def _fmt(value: float) -> str:
    return "–" if pd.isna(value) else f"{value:.2f}"


def _matrix_lines(matrix: pd.DataFrame) -> list[str]:
    head = ["| reading \\ tagger | " + " | ".join(matrix.columns) + " |", "|---" * (len(matrix.columns) + 1) + "|"]
    return head + [f"| {index} | " + " | ".join(str(v) for v in row) + " |" for index, row in matrix.iterrows()]


def devset_section(devset_dir: Path, tasks: list[str], model) -> list[str]:
    """Devset as a table and as report files: tags, evidence, status."""
    dev = read_task_reading(devset_dir)
    probabilities = model.predict_proba(dev[["text", "report_id"]].reset_index(drop=True))
    dev = dev.assign(**{f"{PROB_PREFIX}{t}": probabilities[:, i] for i, t in enumerate(load_taxonomy().ids)})
    runs = alternatives(dev)
    tagged, per_paragraph, failures = devset_files(devset_dir, dev, model)
    shipped = pair_scores(runs[SHIPPED]["tasks"], dev["gold_tasks"], tasks)
    files = summary(pair_scores(per_paragraph["tasks"], dev["gold_tasks"], tasks))
    status = file_status(tagged, per_paragraph)
    unmatched = int((per_paragraph["row"] < 0).sum())
    return [
        f"## Devset: {len(dev)} paragraphs of {dev['report_id'].nunique()} reports outside the corpus, "
        f"{sum(len(task_ids(c)) for c in dev['gold_tasks'])} paragraph–task pairs",
        "",
        "### As a table (text only)",
        "",
        *setting_lines(runs, dev["gold_tasks"], tasks),
        "",
        "### As report files (segmented and classified as `rolcov classify` does; shipped tagger)",
        "",
        f"{len(dev) - unmatched} of {len(dev)} paragraphs found in the output rows ({unmatched} not found count as "
        f"untagged){'; unreadable files: ' + '; '.join(failures) if failures else ''}.",
        "",
        "| view | micro P | micro R | micro F1 | macro F1 (tasks) |",
        "|---|---|---|---|---|",
        f"| report files | {files['P']:.3f} | {files['R']:.3f} | {files['F1']:.3f} | {files['macro']:.3f} "
        f"({files['n_macro']}) |",
        "",
        f"Report × task status on the matched rows (body parts only): {_agreement(status)} cells (a cell is "
        "named when the reading or the tagger gives the task any status but absent).",
        "",
        *_matrix_lines(status["matrix"]),
        "",
        "### Evidence",
        "",
        "| view | accuracy | concrete P | concrete R | paragraphs |",
        "|---|---|---|---|---|",
        evidence_line("table", evidence_scores(tag_evidence(dev)["evidence"], dev["gold_evidence"])),
        evidence_line("report files", evidence_scores(per_paragraph["evidence"], dev["gold_evidence"])),
        "",
        "### Per task, shipped tagger, as a table",
        "",
        *per_task_lines(shipped),
        "",
    ]


def read_further_readings(folder: Path) -> tuple[pd.DataFrame, dict[str, dict[str, list[str]]]]:
    """Paragraphs (``paragraphs_<part>.jsonl``) and blind readings (``reading_<reader>_<part>.jsonl``) of a folder."""
    paragraphs = pd.concat(
        [
            pd.read_json(path, lines=True).assign(batch=path.stem.split("_", 1)[1])
            for path in sorted(folder.glob("paragraphs_*.jsonl"))
        ],
        ignore_index=True,
    )
    readings: dict[str, dict[str, list[str]]] = {}
    for path in sorted(folder.glob("reading_*_*.jsonl")):
        reading = pd.read_json(path, lines=True)
        readings.setdefault(path.stem.split("_")[1], {}).update(zip(reading["id"], reading["tasks"]))
    return paragraphs, readings


def further_section(folder: Path, tasks: list[str]) -> list[str]:
    """Further real reports read blind by two readers: the shipped tagger against each reading, and reader vs reader."""
    paragraphs, readings = read_further_readings(folder)
    tagged = TaskTagger().tag(paragraphs)
    lines = [
        f"## Further real reports: {len(paragraphs)} paragraphs of {paragraphs['report'].nunique()} reports "
        f"(`{folder}`, not in the repository)",
        "",
        "| batch | reader | paragraphs | micro P | micro R | micro F1 |",
        "|---|---|---|---|---|---|",
    ]
    for batch in [*sorted(paragraphs["batch"].unique()), "all"]:
        rows = paragraphs["batch"].eq(batch) if batch != "all" else paragraphs["batch"].notna()
        for reader, reading in sorted(readings.items()):
            read = rows & paragraphs["id"].isin(reading.keys())
            if read.any():
                gold = paragraphs.loc[read, "id"].map(lambda i, r=reading: ";".join(r[i]))
                s = summary(pair_scores(tagged.loc[read, "tasks"], gold, tasks))
                lines.append(
                    f"| {batch} | {reader} | {int(read.sum())} | {s['P']:.3f} | {s['R']:.3f} | {s['F1']:.3f} |"
                )
    if len(readings) == 2:
        first, second = readings.values()
        both = [i for i in paragraphs["id"] if i in first and i in second]
        s = summary(
            pair_scores(
                pd.Series([";".join(second[i]) for i in both]), pd.Series([";".join(first[i]) for i in both]), tasks
            )
        )
        lines += [
            "",
            f"Reader against reader on the same {len(both)} paragraphs: "
            f"P {s['P']:.3f}, R {s['R']:.3f}, F1 {s['F1']:.3f}.",
        ]
    return lines + [""]


def seed_section(tasks: list[str]) -> list[str]:
    """Seeds (in-sample): settings with status agreement, per task, evidence, status matrix."""
    table = seed_table()
    runs = alternatives(table)
    status = {
        name: status_agreement(table, table["gold_tasks"], table["gold_evidence"], run) for name, run in runs.items()
    }
    shipped = pair_scores(runs[SHIPPED]["tasks"], table["gold_tasks"], tasks)
    return [
        f"## Seeds (in-sample): {len(table)} gold paragraphs of 5 reports, "
        f"{sum(len(task_ids(c)) for c in table['gold_tasks'])} paragraph–task pairs",
        "",
        "The gate's probabilities are out-of-report (leave-one-report-out), as `rolcov evaluate` computes them.",
        "",
        *setting_lines(runs, table["gold_tasks"], tasks, status=status),
        "",
        "| evidence | accuracy | concrete P | concrete R | paragraphs |",
        "|---|---|---|---|---|",
        evidence_line("seeds", evidence_scores(tag_evidence(table)["evidence"], table["gold_evidence"])),
        "",
        "Report × task status, shipped tagger + evidence rule (rows: the reading; columns: the tagger):",
        "",
        *_matrix_lines(status[SHIPPED]["matrix"]),
        "",
        "### Per task, shipped tagger",
        "",
        *per_task_lines(shipped),
        "",
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("devset", nargs="?", type=Path, default=DEFAULT_DEVSET, help="devset directory")
    parser.add_argument("-o", "--output", type=Path, default=RESULTS, help="Markdown file to write")
    parser.add_argument(
        "--further",
        type=Path,
        help="folder of further readings (paragraphs_<batch>.jsonl, reading_<reader>_<batch>.jsonl) to score too",
    )
    args = parser.parse_args(argv)
    tasks = [t.id for t in load_taxonomy().tasks]
    lines = [
        "# Task tags, evidence and report × task status",
        "",
        "`bench/tasks.py` (one run, deterministic). Shipped tagger: `TaskTagger()` — no theme gate, text only.",
        "",
    ]
    if (args.devset / "task_reading.jsonl").is_file():
        lines += devset_section(args.devset, tasks, fitted_classifier())
    else:
        print(f"no devset reading at {args.devset} (task_reading.jsonl missing): scoring the seeds only")
        lines += [f"No devset at `{args.devset}`: seeds only.", ""]
    if args.further is not None:
        lines += further_section(args.further, tasks)
    lines += seed_section(tasks)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text("\n".join(lines), encoding="utf-8")
    print(args.output.read_text(encoding="utf-8"))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
