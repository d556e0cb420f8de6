"""Learning curve: does annotating the paragraphs `rolcov suggest` picks beat annotating random ones?

Run:  PYTHONPATH=. .venv/bin/python bench/learning_curve.py [--seeds 8] [--jobs 2] [--inner-folds 3]
Writes bench/results/learning_curve.{png,md,csv}.

Protocol (leave-one-report-out, as `rolcov evaluate`, on gold paragraphs)
-------------------------------------------------------------------------
The unit is the **paragraph** (``para_id`` without ``.``): enumeration items are pieces of their paragraph's
text, so counting them as extra rows would double-count content and let a selector pick near-copies.
For each held-out seed report the *pool* is the gold paragraphs of the other four. ``START`` random pool
paragraphs are "annotated" (gold labels revealed); then batches of ``BATCH`` are added until the pool is
used up. Four arms, each a way of choosing × a way of training:

* choosing ``suggest`` — :func:`pipeline.model.suggest.suggest_paragraphs` with the model retrained on what is
  annotated so far and those paragraphs as ``exclude`` (the loop an annotator runs; a batch the selection
  cannot fill because the rest are near-duplicates is topped up at random) — or ``random``, uniformly from
  the rest of the pool;
* training on the annotated paragraphs only (``gold``), or on them plus every other pool paragraph with its
  heading-derived silver labels at the default silver weight (``gold+silver``: docs/train.md "Annotation loop",
  ``rolcov bootstrap`` + ``train --silver``). ``suggest`` counts expected corrections against the silver
  labels when they train and against the model's own guess when they do not (``reference``).

At every size the model labels the held-out report's paragraphs; the five reports' predictions are pooled
and scored with :func:`pipeline.model.evaluate.score_rows` (macro-F1). All arms share each seed's start set; the
curve is the mean over seeds. At the last size every fold trains on its whole pool, all gold, so every arm
ends at the same model (fitted once); its score is the target. The classifier is the shipped default except
for the inner folds (``--inner-folds``, default 3 instead of 4, to fit the run in minutes; the same for
every arm and the end point); pkuseg words are cached per process.
"""

from __future__ import annotations

import argparse
import sys
import time
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd
from joblib import Parallel, delayed

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from pipeline.annotate.annotations import DEFAULT_WEIGHTS, label_matrix  # noqa: E402
from pipeline.annotate.silver import silver_labels  # noqa: E402
from pipeline.model.classifier import ParagraphClassifier  # noqa: E402
from pipeline.model.evaluate import score_rows  # noqa: E402
from pipeline.model.features import with_normalized_columns  # noqa: E402
from pipeline.model.settings import ModelSettings  # noqa: E402
from pipeline.model.suggest import suggest_paragraphs  # noqa: E402
from pipeline.model.train import training_table  # noqa: E402
from pipeline.schema import is_item  # noqa: E402
from pipeline.taxonomy import load_taxonomy  # noqa: E402

RESULTS = ROOT / "bench" / "results"
START, BATCH = 10, 10
# arm -> (how paragraphs are chosen, whether the unannotated rest of the pool trains with silver labels)
ARMS = {
    "random": ("random", False),
    "random_silver": ("random", True),
    "suggest_silver": ("suggest", True),
    "suggest": ("suggest", False),
}
ARM_NAMES = {
    "random": "random, gold only",
    "random_silver": "random, gold + silver",
    "suggest_silver": "suggest, gold + silver",
    "suggest": "suggest, gold only",
}


Prediction = tuple[np.ndarray, np.ndarray]  # held-out probabilities and 0/1 decisions


def run_fold(
    table: pd.DataFrame, Y: np.ndarray, silver: np.ndarray, report: str, arm: str, seed: int, inner_folds: int
) -> dict[int, Prediction]:
    """Held-out predictions for ``report`` at each training size below its full pool, one arm and seed."""
    strategy, with_silver = ARMS[arm]
    pool = _pool(table, report)
    held_out = table[table.report_id == report]
    rng = np.random.default_rng(seed)
    chosen = list(rng.choice(pool, START, replace=False))
    curve = {}
    while len(chosen) < len(pool):
        model = _fit(table, *_training_labels(Y, silver if with_silver else None, chosen, pool), inner_folds)
        curve[len(chosen)] = (model.predict_proba(held_out), model.predict(held_out))
        rest = np.setdiff1d(pool, chosen)
        chosen += _next_batch(model, table, chosen, rest, strategy, "silver" if with_silver else "model", rng, seed)
    return curve


def full_pool_prediction(table: pd.DataFrame, Y: np.ndarray, report: str, inner_folds: int) -> Prediction:
    """Held-out predictions when the fold trains on its whole pool: the end point of every arm."""
    pool = _pool(table, report)
    model = _fit(table, *_training_labels(Y, None, pool, pool), inner_folds)
    held_out = table[table.report_id == report]
    return model.predict_proba(held_out), model.predict(held_out)


def _pool(table: pd.DataFrame, report: str) -> np.ndarray:
    return np.flatnonzero((table.report_id != report).to_numpy())


def _training_labels(Y: np.ndarray, silver: np.ndarray | None, chosen, pool: np.ndarray):
    """Rows, labels and weights: gold for ``chosen``; with ``silver``, the rest of ``pool`` at the silver weight."""
    if silver is None:
        return np.asarray(chosen), Y, np.ones(len(Y))
    labels, weight = silver.copy(), np.full(len(Y), DEFAULT_WEIGHTS["silver"])
    labels[chosen], weight[chosen] = Y[chosen], DEFAULT_WEIGHTS["gold"]
    return pool, labels, weight


def _fit(table: pd.DataFrame, rows, Y: np.ndarray, weight: np.ndarray, inner_folds: int):
    rows = np.sort(np.asarray(rows))  # same rows, same model, whatever order they were chosen in
    model = ParagraphClassifier(replace(ModelSettings(), inner_folds=inner_folds))
    return model.fit(table.iloc[rows], Y[rows], groups=table["report_id"].iloc[rows], sample_weight=weight[rows])


def _next_batch(
    model,
    table: pd.DataFrame,
    chosen: list[int],
    rest: np.ndarray,
    strategy: str,
    reference: str,
    rng: np.random.Generator,
    seed: int,
) -> list[int]:
    size = min(BATCH, len(rest))
    if strategy == "random":
        return [int(row) for row in rng.choice(rest, size, replace=False)]
    candidates = table.iloc[rest].assign(row=rest)
    suggested = suggest_paragraphs(
        model, candidates, size, exclude=table.iloc[chosen], reference=reference, random_state=seed
    )
    picked = [int(row) for row in suggested.merge(candidates[["report_id", "para_id", "row"]])["row"]]
    left = np.setdiff1d(rest, picked)
    return picked + [int(row) for row in rng.choice(left, size - len(picked), replace=False)]


def curve_scores(
    table: pd.DataFrame, Y: np.ndarray, classes, folds: dict[str, dict[int, Prediction]], full: dict[str, Prediction]
) -> dict[int, float]:
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
    keep = ~is_item(table.para_id) & (table.source == "gold")
    return table[keep].reset_index(drop=True)


def rows_to_reach(curve: pd.Series, target: float) -> int | None:
    """Smallest training size whose mean macro-F1 reaches ``target`` (None if it never does)."""
    reached = curve[curve >= target - 1e-9]
    return int(reached.index[0]) if len(reached) else None


def run(seeds: int, jobs: int, inner_folds: int) -> pd.DataFrame:
    """One row per (arm, seed, training size): the pooled held-out paragraphs' macro-F1."""
    taxonomy = load_taxonomy()
    table = with_normalized_columns(gold_paragraphs(ROOT / "corpus" / "annotations.csv", taxonomy))  # pkuseg once
    Y, classes = label_matrix(table, taxonomy.ids), np.asarray(taxonomy.ids)
    silver = label_matrix(silver_labels(table, taxonomy), taxonomy.ids)
    reports = list(table.report_id.unique())
    runs = [(arm, seed, report) for arm in ARMS for seed in range(seeds) for report in reports]
    outputs = Parallel(n_jobs=jobs, verbose=5)(
        [delayed(run_fold)(table, Y, silver, report, arm, seed, inner_folds) for arm, seed, report in runs]
        + [delayed(full_pool_prediction)(table, Y, report, inner_folds) for report in reports]
    )
    full = dict(zip(reports, outputs[len(runs) :]))
    rows = []
    for arm in ARMS:
        for seed in range(seeds):
            folds = {report: outputs[runs.index((arm, seed, report))] for report in reports}
            for size, score in curve_scores(table, Y, classes, folds, full).items():
                rows.append({"arm": arm, "seed": seed, "rows": size, "macro_f1": score})
    return pd.DataFrame(rows)


def pool_sizes(table: pd.DataFrame) -> str:
    """``min–max`` pool paragraphs over the folds, for the write-up."""
    sizes = [len(_pool(table, report)) for report in table.report_id.unique()]
    return f"{min(sizes)}–{max(sizes)}"


def summary(results: pd.DataFrame) -> pd.DataFrame:
    """Mean and standard deviation over seeds per arm and size (columns ``<arm>``, ``<arm>_sd``)."""
    grouped = results.groupby(["rows", "arm"])["macro_f1"]
    return grouped.mean().unstack()[list(ARMS)].join(grouped.std().unstack().add_suffix("_sd"))


def plot(curves: pd.DataFrame, target: float, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, axes = plt.subplots(figsize=(7.5, 4.5))
    styles = {
        "random": ("#888888", "--"),
        "random_silver": ("#888888", "-"),
        "suggest_silver": ("#1f77b4", "-"),
        "suggest": ("#1f77b4", "--"),
    }
    for arm, (colour, line) in styles.items():
        mean, sd = curves[arm], curves[f"{arm}_sd"].fillna(0)
        axes.plot(curves.index, mean, marker="o", markersize=3, color=colour, linestyle=line, label=ARM_NAMES[arm])
        axes.fill_between(curves.index, mean - sd, mean + sd, color=colour, alpha=0.08)
    axes.axhline(target, color="#d62728", linestyle=":", linewidth=1, label=f"whole pool, all gold ({target:.3f})")
    axes.set_xlabel("annotated (gold) paragraphs per fold")
    axes.set_ylabel("macro-F1, held-out paragraphs (LORO)")
    axes.set_title("Learning curve: paragraphs chosen by `rolcov suggest` vs at random")
    axes.legend(loc="lower right", fontsize=8)
    axes.grid(alpha=0.3)
    figure.tight_layout()
    figure.savefig(path, dpi=120)


def markdown(curves: pd.DataFrame, results: pd.DataFrame, pools: str, inner_folds: int, minutes: float) -> str:
    target = float(curves["random"].iloc[-1])
    seeds = results.seed.nunique()
    wide = results.pivot_table(index=["rows", "seed"], columns="arm", values="macro_f1")
    ahead = {
        base: (wide["suggest_silver"] > wide[base] + 1e-9).groupby(level="rows").sum()
        for base in ("random_silver", "random")
    }
    lines = [
        "# Learning curve: suggest vs random (leave-one-report-out, gold paragraphs)",
        "",
        f"Mean over {seeds} seeds of the held-out paragraphs' macro-F1, pooled over the five folds (sd in "
        f"`learning_curve.csv`); pool = the other four reports' gold paragraphs ({pools} per fold), start "
        f"{START} random paragraphs, batches of {BATCH}, silver weight {DEFAULT_WEIGHTS['silver']}, "
        f"{inner_folds} inner folds; protocol in `bench/learning_curve.py`. Runtime {minutes:.1f} min.",
        "",
        "| annotated paragraphs per fold | "
        + " | ".join(ARM_NAMES[arm] for arm in ARMS)
        + " | seeds suggest+silver ahead of random+silver | … of random, gold only |",
        "|---" * (len(ARMS) + 3) + "|",
    ]
    for size, row in curves.iterrows():
        cells = [f"{row[arm]:.3f} ± {row[f'{arm}_sd']:.3f}" for arm in ARMS]
        lines.append(
            f"| {size} | "
            + " | ".join(cells)
            + f" | {ahead['random_silver'][size]}/{seeds} | {ahead['random'][size]}/{seeds} |"
        )
    lines += [
        "",
        f"Annotated paragraphs needed to reach the whole pool's macro-F1 ({target:.3f}, every arm's end "
        "point), and within 0.01 / 0.02 of it (first size whose mean over seeds reaches it):",
        "",
        "| arm | reach | within 0.01 | within 0.02 |",
        "|---|---|---|---|",
    ]
    for arm in ARMS:
        cells = [rows_to_reach(curves[arm], target - margin) for margin in (0.0, 0.01, 0.02)]
        lines.append(f"| {ARM_NAMES[arm]} | " + " | ".join("never" if c is None else str(c) for c in cells) + " |")
    per_seed = results.pivot_table(index="rows", columns=["arm", "seed"], values="macro_f1")
    lines += ["", "Per seed, paragraphs needed to reach the same target (seed 0, 1, …):", ""]
    for arm in ARMS:
        cells = [rows_to_reach(per_seed[(arm, seed)], target) for seed in sorted(results.seed.unique())]
        lines.append(f"- {ARM_NAMES[arm]}: " + ", ".join("never" if c is None else str(c) for c in cells))
    return "\n".join(lines + [""])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=8, help="random start sets / orders (default 8)")
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
