"""Score task tagging, evidence strength and task-coverage status against the gold reading of the seeds.

Run:  PYTHONPATH=. .venv/bin/python bench/tasks.py   (or `make bench`); writes bench/results/tasks.md.

Gold: ``corpus/task_annotations.csv`` (every gold paragraph of ``corpus/annotations.csv``, items not included),
read by hand. The tagger is scored in several settings: no theme gate; gated by the gold theme labels (what a
hand-labelled table gives); gated by out-of-report classifier probabilities (leave-one-report-out: the
classifier of each fold never saw the report it labels, as in `rolcov evaluate`) at several floors; each with
and without the deepest heading. Scores are per task (precision, recall, F1, support = gold paragraphs),
micro over all (paragraph, task) pairs and macro over tasks with gold support.

Out of sample: the cue terms and the evidence rule were written after reading the seed paragraphs, so the
seed scores are in-sample. ``bench/devset_task_reading.csv`` holds a hand reading (tasks, evidence; ids only,
no text) of every 4th paragraph of the devset (``$ROLCOV_DEVSET``, default ``/work/shared/devset``), read
before looking at the tagger's output; the same scores are computed there when the devset is present, the
gate using the devset's own content labels or a classifier trained on all seed gold.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from pipeline.annotate.annotations import label_matrix  # noqa: E402
from pipeline.coverage.profile import PROB_PREFIX, validate_table  # noqa: E402
from pipeline.model.evaluate import loro_probabilities  # noqa: E402
from pipeline.coverage.evidence import EVIDENCE_VALUES, tag_evidence  # noqa: E402
from pipeline.io.tables import read_table  # noqa: E402
from pipeline.coverage.task_coverage import task_coverage  # noqa: E402
from pipeline.coverage.tasks import read_task_annotations, tag_tasks, task_ids  # noqa: E402
from pipeline.taxonomy import load_taxonomy  # noqa: E402
from pipeline.model.classifier import ParagraphClassifier  # noqa: E402
from pipeline.model.train import training_table  # noqa: E402

ANNOTATIONS = ROOT / "corpus" / "annotations.csv"
GOLD = ROOT / "corpus" / "task_annotations.csv"
RESULTS = ROOT / "bench" / "results" / "tasks.md"
DEV_READING = ROOT / "bench" / "devset_task_reading.csv"
DEVSET = Path(os.environ.get("ROLCOV_DEVSET", "/work/shared/devset"))
FLOORS = (0.2, 0.3, 0.5)
SHIPPED = "gate p ≥ 0.2 (classifier), text only"  # the TaskTagger defaults
WEAKEST_SHOWN = 8


def seed_table() -> pd.DataFrame:
    """Gold paragraphs with their gold themes, the gold task reading and out-of-report theme probabilities."""
    table = read_table(ANNOTATIONS)
    table = table[~table["para_id"].str.contains(".", regex=False)].reset_index(drop=True)
    gold = read_task_annotations(GOLD).rename(columns={"tasks": "gold_tasks", "evidence": "gold_evidence"})
    table = table.merge(gold[["para_id", "gold_tasks", "gold_evidence"]], on="para_id", how="inner")
    return table.assign(n_chars=table["text"].str.len())


def loro_theme_probabilities(paragraph_ids: pd.Series) -> pd.DataFrame:
    """``p_<theme>`` of each gold paragraph from a classifier trained on the other four reports."""
    taxonomy = load_taxonomy()
    train = training_table([ANNOTATIONS]).reset_index(drop=True)
    probabilities, _ = loro_probabilities(train, label_matrix(train, taxonomy.ids), ParagraphClassifier(),
                                          train["weight"].to_numpy())
    frame = pd.DataFrame(probabilities, columns=[f"{PROB_PREFIX}{t}" for t in taxonomy.ids])
    frame["para_id"] = train["para_id"].to_numpy()
    return frame[frame["para_id"].isin(set(paragraph_ids))]


def pair_scores(predicted: pd.Series, gold: pd.Series, tasks: list[str]) -> pd.DataFrame:
    """Per task: tp, fp, fn, precision, recall, F1 and gold support over paragraphs."""
    counts = {t: [0, 0, 0] for t in tasks}
    for pred_cell, gold_cell in zip(predicted, gold):
        pred, true = set(task_ids(pred_cell)), set(task_ids(gold_cell))
        for task in tasks:
            counts[task][0] += task in pred and task in true
            counts[task][1] += task in pred and task not in true
            counts[task][2] += task in true and task not in pred
    frame = pd.DataFrame(counts, index=["tp", "fp", "fn"]).T
    return _with_prf(frame).assign(support=frame["tp"] + frame["fn"])


def _with_prf(frame: pd.DataFrame) -> pd.DataFrame:
    precision = frame["tp"] / (frame["tp"] + frame["fp"]).where(lambda d: d > 0)
    recall = frame["tp"] / (frame["tp"] + frame["fn"]).where(lambda d: d > 0)
    f1 = 2 * precision * recall / (precision + recall).where(lambda d: d > 0)
    return frame.assign(precision=precision, recall=recall, f1=f1.fillna(0.0))


def summary(scores: pd.DataFrame) -> dict[str, float]:
    total = _with_prf(scores[["tp", "fp", "fn"]].sum().to_frame().T).iloc[0]
    supported = scores[scores["support"] > 0]
    return {"micro P": total["precision"], "micro R": total["recall"], "micro F1": total["f1"],
            "macro F1": supported["f1"].mean()}


def settings(table: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """Tagged tables per setting; the classifier settings read ``p_*``, the gold-label ones only ``labels``."""
    by_hand = table.drop(columns=[c for c in table.columns if c.startswith(PROB_PREFIX)])
    runs = {}
    for headings in (False, True):
        suffix = ", with deepest heading" if headings else ", text only"
        runs[f"no gate{suffix}"] = tag_tasks(by_hand, min_theme_prob=None, use_headings=headings)
        runs[f"gate by gold theme labels{suffix}"] = tag_tasks(by_hand, min_theme_prob=0.5, use_headings=headings)
        for floor in FLOORS:
            runs[f"gate p ≥ {floor} (classifier){suffix}"] = tag_tasks(table, min_theme_prob=floor, use_headings=headings)
    return runs


def status_agreement(table: pd.DataFrame, tagged: pd.DataFrame) -> tuple[int, int, pd.DataFrame]:
    """Report × task status from the gold reading vs from the shipped tagger and evidence rule."""
    base = validate_table(table.drop(columns=[c for c in table.columns if c.startswith(PROB_PREFIX)]))
    gold = task_coverage(base.assign(tasks=table["gold_tasks"].to_numpy(), task_cues="",
                                     evidence=table["gold_evidence"].to_numpy()))
    predicted = task_coverage(validate_table(tag_evidence(tagged)))
    pair = gold[gold["level"] == "task"].merge(predicted[predicted["level"] == "task"],
                                              on=["report_id", "task"], suffixes=("_gold", "_pred"))
    matrix = pd.crosstab(pair["status_gold"], pair["status_pred"])
    return int((pair["status_gold"] == pair["status_pred"]).sum()), len(pair), matrix


def evidence_scores(table: pd.DataFrame) -> pd.DataFrame:
    judged = tag_evidence(table)
    rows = {}
    for value in EVIDENCE_VALUES:
        pred, true = judged["evidence"] == value, judged["gold_evidence"] == value
        rows[value] = {"tp": int((pred & true).sum()), "fp": int((pred & ~true).sum()), "fn": int((~pred & true).sum())}
    frame = pd.DataFrame(rows).T
    return _with_prf(frame).assign(support=frame["tp"] + frame["fn"])


def markdown(runs: dict[str, pd.DataFrame], table: pd.DataFrame, tasks: list[str]) -> str:
    names = {t.id: t.name_zh for t in load_taxonomy().tasks}
    lines = ["# Task tagging and evidence strength on the gold seed paragraphs", "",
             f"`bench/tasks.py`; gold: `corpus/task_annotations.csv` ({len(table)} paragraphs, "
             f"{sum(len(task_ids(c)) for c in table['gold_tasks'])} paragraph–task pairs, {len(tasks)} tasks).", "",
             "## Tagger settings", "",
             "Status agreement: share of the report × task cells whose status (concrete / general / "
             "plans_or_problems / absent, with the evidence rule) equals the one from the gold reading.", "",
             "| setting | micro P | micro R | micro F1 | macro F1 | status agreement |", "|---|---|---|---|---|---|"]
    scored = {name: pair_scores(run["tasks"], table["gold_tasks"], tasks) for name, run in runs.items()}
    for name, scores in scored.items():
        s = summary(scores)
        agree, total, _ = status_agreement(table, runs[name])
        bold = "**" if name == SHIPPED else ""
        lines.append(f"| {bold}{name}{bold} | {s['micro P']:.3f} | {s['micro R']:.3f} | {s['micro F1']:.3f} | "
                     f"{s['macro F1']:.3f} | {agree / total:.1%} |")
    shipped = scored[SHIPPED]
    lines += ["", f"## Per task — shipped setting ({SHIPPED})", "",
              "| task | name | P | R | F1 | gold | tp | fp | fn |", "|---|---|---|---|---|---|---|---|---|"]
    for task, row in shipped.sort_values(["support", "f1"], ascending=[False, True]).iterrows():
        p = "–" if pd.isna(row["precision"]) else f"{row['precision']:.2f}"
        r = "–" if pd.isna(row["recall"]) else f"{row['recall']:.2f}"
        lines.append(f"| {task} | {names.get(task, task)} | {p} | {r} | {row['f1']:.2f} | {int(row['support'])} | "
                     f"{int(row['tp'])} | {int(row['fp'])} | {int(row['fn'])} |")
    weakest = shipped[(shipped["support"] > 0) | (shipped["fp"] > 0)].sort_values(["f1", "support"]).head(WEAKEST_SHOWN)
    lines += ["", "Weakest tasks (lowest F1; tasks with gold support or false hits): "
              + ", ".join(f"`{t}` ({row['f1']:.2f})" for t, row in weakest.iterrows()) + "."]
    ev = evidence_scores(table)
    lines += ["", "## Evidence strength", "", "| value | P | R | F1 | gold |", "|---|---|---|---|---|"]
    lines += [f"| {v} | {r['precision']:.3f} | {r['recall']:.3f} | {r['f1']:.3f} | {int(r['support'])} |" for v, r in ev.iterrows()]
    agree, total, matrix = status_agreement(table, runs[SHIPPED])
    lines += ["", "## Report × task status (shipped tagger + evidence rule vs the gold reading)", "",
              f"{agree} of {total} cells agree ({agree / total:.1%}). Rows: gold status; columns: predicted.", "",
              *_matrix_lines(matrix)]
    return "\n".join(lines) + "\n"


def devset_table() -> pd.DataFrame | None:
    """The read devset paragraphs with gold tasks/evidence, content labels and seed-trained ``p_*``; None if absent."""
    source = DEVSET / "paragraphs.jsonl"
    if not source.is_file():
        return None
    rows = [json.loads(line) for line in source.read_text(encoding="utf-8").splitlines() if line.strip()]
    dev = pd.DataFrame(rows)
    reading = pd.read_csv(DEV_READING, keep_default_na=False).rename(
        columns={"tasks": "gold_tasks", "evidence": "gold_evidence"})
    dev = dev.merge(reading, on="id")
    dev = dev.assign(labels=dev["content_labels"].map(lambda v: ";".join(v) if isinstance(v, list) else str(v or "")))
    taxonomy = load_taxonomy()
    train = training_table([ANNOTATIONS])
    model = ParagraphClassifier().fit(train, label_matrix(train, taxonomy.ids), groups=train["report_id"],
                                      sample_weight=train["weight"].to_numpy())
    probabilities = model.predict_proba(dev[["text"]].assign(report_id=dev["report"]))
    return dev.assign(**{f"{PROB_PREFIX}{t}": probabilities[:, i] for i, t in enumerate(taxonomy.ids)})


def devset_lines(dev: pd.DataFrame, tasks: list[str]) -> list[str]:
    by_labels = dev.drop(columns=[c for c in dev.columns if c.startswith(PROB_PREFIX)])
    runs = {"no gate": tag_tasks(by_labels, min_theme_prob=None),
            "gate by the devset's content labels": tag_tasks(by_labels),
            SHIPPED: tag_tasks(dev)}
    lines = ["", f"## Devset (out of sample): {len(dev)} paragraphs of {dev['report'].nunique()} reports, "
             f"{sum(len(task_ids(c)) for c in dev['gold_tasks'])} paragraph–task pairs", "",
             "| setting | micro P | micro R | micro F1 | macro F1 |", "|---|---|---|---|---|"]
    scored = {}
    for name, run in runs.items():
        scored[name] = pair_scores(run["tasks"], dev["gold_tasks"], tasks)
        s = summary(scored[name])
        lines.append(f"| {name} | {s['micro P']:.3f} | {s['micro R']:.3f} | {s['micro F1']:.3f} | {s['macro F1']:.3f} |")
    shipped = scored[SHIPPED]
    listed = shipped[(shipped["support"] > 0) | (shipped["fp"] > 0)].sort_values(["f1", "support"])
    lines += ["", "Per task, shipped setting, tasks with devset support or false hits (weakest first): "
              + ", ".join(f"`{t}` P {_fmt(r['precision'])} R {_fmt(r['recall'])} (n={int(r['support'])})"
                          for t, r in listed.iterrows()) + "."]
    ev = evidence_scores(dev)
    lines += ["", "Evidence strength on the devset:", "", "| value | P | R | F1 | gold |", "|---|---|---|---|---|"]
    lines += [f"| {v} | {r['precision']:.3f} | {r['recall']:.3f} | {r['f1']:.3f} | {int(r['support'])} |" for v, r in ev.iterrows()]
    return lines


def _fmt(value: float) -> str:
    return "–" if pd.isna(value) else f"{value:.2f}"


def _matrix_lines(matrix: pd.DataFrame) -> list[str]:
    head = ["| gold \\ predicted | " + " | ".join(matrix.columns) + " |", "|---" * (len(matrix.columns) + 1) + "|"]
    return head + [f"| {index} | " + " | ".join(str(v) for v in row) + " |" for index, row in matrix.iterrows()]


def main() -> None:
    table = seed_table()
    table = table.merge(loro_theme_probabilities(table["para_id"]), on="para_id", how="left")
    tasks = [t.id for t in load_taxonomy().tasks]
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    text = markdown(settings(table), table, tasks)
    dev = devset_table()
    if dev is not None:
        text += "\n".join(devset_lines(dev, tasks)) + "\n"
    RESULTS.write_text(text, encoding="utf-8")
    print(RESULTS.read_text(encoding="utf-8"))


if __name__ == "__main__":
    main()
