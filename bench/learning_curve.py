"""Learning curve: does annotating the paragraphs `rolcov suggest` picks beat annotating random ones?

Run:  PYTHONPATH=. .venv/bin/python bench/learning_curve.py [--seeds 5] [--jobs 2] [--inner-folds 3]
Writes bench/results/learning_curve.{png,md,csv}.

Protocol (leave-one-report-out, as `rolcov evaluate`, on gold paragraphs)
-------------------------------------------------------------------------
The unit is the **paragraph** (``para_id`` without ``.``): enumeration items are pieces of their paragraph's
text, so counting them as extra rows would double-count content and let a selector pick near-copies.
For each held-out seed report the *pool* is the gold paragraphs of the other four. ``START`` random pool
paragraphs are "annotated" (gold labels revealed); then batches of ``BATCH`` are added until the pool is
used up, chosen either

* ``suggest`` — by :func:`pipeline.suggest.suggest_paragraphs` with the classifier retrained on the
  paragraphs chosen so far and those paragraphs as ``exclude`` (the loop an annotator runs; a batch the
  selection cannot fill because the rest are near-duplicates is topped up at random), or
* ``random`` — uniformly from the rest of the pool.

At every size the model trained on the chosen paragraphs labels the held-out report's paragraphs; the five
reports' predictions are pooled and scored with :func:`pipeline.evaluate.score_rows` (macro-F1). Both
strategies share each seed's start set and classifier; the curve is the mean over seeds. At the last size
every fold trains on its whole pool, so both strategies end at the same model (fitted once). The classifier
is the shipped default except for the inner folds (``--inner-folds``, default 3 instead of 4, to fit the
run in minutes; the same for both strategies and the end point); pkuseg words are cached per process.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
from joblib import Parallel, delayed

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from pipeline.annotations import label_matrix  # noqa: E402
from pipeline.evaluate import score_rows  # noqa: E402
from pipeline.suggest import suggest_paragraphs  # noqa: E402
from pipeline.taxonomy import load_taxonomy  # noqa: E402
from pipeline.train import default_classifier, training_table  # noqa: E402

RESULTS = ROOT / "bench" / "results"
START, BATCH = 10, 10
STRATEGIES = ("random", "suggest")


Prediction = tuple[np.ndarray, np.ndarray]  # held-out probabilities and 0/1 decisions


def run_fold(table: pd.DataFrame, Y: np.ndarray, report: str, strategy: str, seed: int,
             inner_folds: int) -> dict[int, Prediction]:
    """Held-out predictions for ``report`` at each training size below its full pool, one strategy and seed."""
    pool = _pool(table, report)
    held_out = table[table.report_id == report]
    rng = np.random.default_rng(seed)
    chosen = list(rng.choice(pool, START, replace=False))
    curve = {}
    while len(chosen) < len(pool):
        model = _fit(table, Y, chosen, inner_folds)
        curve[len(chosen)] = (model.predict_proba(held_out), model.predict(held_out))
        rest = np.setdiff1d(pool, chosen)
        chosen += _next_batch(model, table, chosen, rest, strategy, rng, seed)
    return curve


def full_pool_prediction(table: pd.DataFrame, Y: np.ndarray, report: str, inner_folds: int) -> Prediction:
    """Held-out predictions when the fold trains on its whole pool: the end point of both strategies."""
    model = _fit(table, Y, _pool(table, report), inner_folds)
    held_out = table[table.report_id == report]
    return model.predict_proba(held_out), model.predict(held_out)


def _pool(table: pd.DataFrame, report: str) -> np.ndarray:
    return np.flatnonzero((table.report_id != report).to_numpy())


def _fit(table: pd.DataFrame, Y: np.ndarray, rows, inner_folds: int):
    rows = np.sort(np.asarray(rows))  # same rows, same model, whatever order they were chosen in
    return default_classifier().set_params(inner_folds=inner_folds).fit(table.iloc[rows], Y[rows])


def _next_batch(model, table: pd.DataFrame, chosen: list[int], rest: np.ndarray, strategy: str,
                rng: np.random.Generator, seed: int) -> list[int]:
    size = min(BATCH, len(rest))
    if strategy == "random":
        return [int(row) for row in rng.choice(rest, size, replace=False)]
    candidates = table.iloc[rest].assign(row=rest)
    suggested = suggest_paragraphs(model, candidates, size, exclude=table.iloc[chosen], random_state=seed)
    picked = [int(row) for row in suggested.merge(candidates[["report_id", "para_id", "row"]])["row"]]
    left = np.setdiff1d(rest, picked)
    return picked + [int(row) for row in rng.choice(left, size - len(picked), replace=False)]


def curve_scores(table: pd.DataFrame, Y: np.ndarray, classes, folds: dict[str, dict[int, Prediction]],
                 full: dict[str, Prediction]) -> dict[int, float]:
    """Macro-F1 of the five folds' pooled held-out predictions at each size (a fold stops at its pool)."""
    scores = {}
    for size in training_sizes(table):
        probabilities, decisions = np.zeros(Y.shape), np.zeros(Y.shape, dtype=int)
        for report, curve in folds.items():
            rows = (table.report_id == report).to_numpy()
            probabilities[rows], decisions[rows] = curve.get(size, full[report])
        scores[size] = score_rows(table, Y, probabilities, decisions, classes)["macro_f1"]
    return scores


def training_sizes(table: pd.DataFrame) -> list[int]:
    """START, +BATCH, … up to the largest pool (smaller pools are complete before that)."""
    largest = max(len(_pool(table, report)) for report in table.report_id.unique())
    return [*range(START, largest, BATCH), largest]


def gold_paragraphs(path: Path, taxonomy) -> pd.DataFrame:
    """The gold paragraphs (no enumeration items) of an annotation file: the pool and the scored rows."""
    table = training_table([path], taxonomy=taxonomy)
    keep = ~table.para_id.str.contains(".", regex=False) & (table.source == "gold")
    return table[keep].reset_index(drop=True)


def rows_to_reach(curve: pd.Series, target: float) -> int | None:
    """Smallest training size whose mean macro-F1 reaches ``target`` (None if it never does)."""
    reached = curve[curve >= target - 1e-9]
    return int(reached.index[0]) if len(reached) else None


def run(seeds: int, jobs: int, inner_folds: int) -> pd.DataFrame:
    """One row per (strategy, seed, training size): the pooled held-out paragraphs' macro-F1."""
    taxonomy = load_taxonomy()
    table = gold_paragraphs(ROOT / "corpus" / "annotations.csv", taxonomy)
    Y, classes = label_matrix(table, taxonomy.ids), np.asarray(taxonomy.ids)
    reports = list(table.report_id.unique())
    runs = [(strategy, seed, report) for strategy in STRATEGIES for seed in range(seeds) for report in reports]
    outputs = Parallel(n_jobs=jobs, verbose=5)(
        [delayed(run_fold)(table, Y, report, strategy, seed, inner_folds) for strategy, seed, report in runs]
        + [delayed(full_pool_prediction)(table, Y, report, inner_folds) for report in reports])
    full = dict(zip(reports, outputs[len(runs):]))
    rows = []
    for strategy in STRATEGIES:
        for seed in range(seeds):
            folds = {report: outputs[runs.index((strategy, seed, report))] for report in reports}
            for size, score in curve_scores(table, Y, classes, folds, full).items():
                rows.append({"strategy": strategy, "seed": seed, "rows": size, "macro_f1": score})
    return pd.DataFrame(rows)


def pool_sizes(table: pd.DataFrame) -> str:
    """``min–max`` pool paragraphs over the folds, for the write-up."""
    sizes = [len(_pool(table, report)) for report in table.report_id.unique()]
    return f"{min(sizes)}–{max(sizes)}"


def summary(results: pd.DataFrame) -> pd.DataFrame:
    """Mean and standard deviation over seeds per strategy and size (columns ``<strategy>``, ``<strategy>_sd``)."""
    grouped = results.groupby(["rows", "strategy"])["macro_f1"]
    table = grouped.mean().unstack()
    return table.join(grouped.std().unstack().add_suffix("_sd"))


def plot(curves: pd.DataFrame, target: float, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, axes = plt.subplots(figsize=(7, 4.2))
    for strategy, colour in zip(STRATEGIES, ("#888888", "#1f77b4")):
        mean, sd = curves[strategy], curves[f"{strategy}_sd"].fillna(0)
        axes.plot(curves.index, mean, marker="o", color=colour, label=strategy)
        axes.fill_between(curves.index, mean - sd, mean + sd, color=colour, alpha=0.15)
    axes.axhline(target, color="#d62728", linestyle="--", linewidth=1, label=f"random, whole pool ({target:.3f})")
    axes.set_xlabel("annotated paragraphs per fold")
    axes.set_ylabel("macro-F1, held-out paragraphs (LORO)")
    axes.set_title("Learning curve: paragraphs chosen by `rolcov suggest` vs at random")
    axes.legend(loc="lower right")
    axes.grid(alpha=0.3)
    figure.tight_layout()
    figure.savefig(path, dpi=120)


def markdown(curves: pd.DataFrame, results: pd.DataFrame, pools: str, inner_folds: int, minutes: float) -> str:
    target = float(curves["random"].iloc[-1])
    seeds = results.seed.nunique()
    lines = ["# Learning curve: suggest vs random (leave-one-report-out, gold paragraphs)", "",
             f"Mean (± sd) over {seeds} seeds of the held-out paragraphs' macro-F1, pooled over the five folds; "
             f"pool = the other four reports' gold paragraphs ({pools} per fold), start {START} random "
             f"paragraphs, batches of {BATCH}, {inner_folds} inner folds; protocol in `bench/learning_curve.py`. "
             f"Runtime {minutes:.1f} min.", "",
             "| annotated paragraphs per fold | random | suggest | suggest − random | seeds suggest ahead |",
             "|---|---|---|---|---|"]
    wide = results.pivot_table(index=["rows", "seed"], columns="strategy", values="macro_f1")
    ahead = (wide["suggest"] > wide["random"] + 1e-9).groupby(level="rows").sum()
    lines += [f"| {size} | {row.random:.3f} ± {row.random_sd:.3f} | {row.suggest:.3f} ± {row.suggest_sd:.3f} | "
              f"{row.suggest - row.random:+.3f} | {ahead[size]}/{seeds} |" for size, row in curves.iterrows()]
    lines += ["", f"Paragraphs needed to reach the random curve's final macro-F1 ({target:.3f}), and within 0.01 / "
              "0.02 of it (first size whose mean over seeds reaches it):", "",
              "| strategy | reach final | within 0.01 | within 0.02 |", "|---|---|---|---|"]
    for strategy in STRATEGIES:
        cells = [rows_to_reach(curves[strategy], target - margin) for margin in (0.0, 0.01, 0.02)]
        lines.append(f"| {strategy} | " + " | ".join("never" if c is None else str(c) for c in cells) + " |")
    per_seed = results.pivot_table(index="rows", columns=["strategy", "seed"], values="macro_f1")
    lines += ["", "Per seed, paragraphs needed to reach the same target (seed 0, 1, …):", ""]
    for strategy in STRATEGIES:
        cells = [rows_to_reach(per_seed[(strategy, seed)], target) for seed in sorted(results.seed.unique())]
        lines.append(f"- {strategy}: " + ", ".join("never" if c is None else str(c) for c in cells))
    return "\n".join(lines + [""])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=5, help="random start sets / orders (default 5)")
    parser.add_argument("--jobs", type=int, default=2, help="parallel processes (default 2)")
    parser.add_argument("--inner-folds", type=int, default=3, help="classifier inner folds (default 3)")
    args = parser.parse_args()
    start = time.perf_counter()
    results = run(args.seeds, args.jobs, args.inner_folds)
    curves = summary(results)
    RESULTS.mkdir(parents=True, exist_ok=True)
    results.to_csv(RESULTS / "learning_curve.csv", index=False)
    plot(curves, float(curves["random"].iloc[-1]), RESULTS / "learning_curve.png")
    pools = pool_sizes(gold_paragraphs(ROOT / "corpus" / "annotations.csv", load_taxonomy()))
    text = markdown(curves, results, pools, args.inner_folds, (time.perf_counter() - start) / 60)
    (RESULTS / "learning_curve.md").write_text(text, encoding="utf-8")
    print(text)


if __name__ == "__main__":
    main()
