"""Model file format benchmark: the skops file rolcov writes vs the joblib pickle it used to write.

Run with `.venv/bin/python bench/model_format.py [MODEL_DIR]` (default models/default, made by `make run`).
Writes bench/results/model_format.md: file size and median load time over a few loads of the same fitted
classifier in both formats. The skops figure is the whole checked `load_model` (hash, taxonomy copy, type
audit, build); the joblib figure is a bare `joblib.load`. One noisy machine: compare ratios, not absolutes.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

import joblib

from pipeline.model.store import MODEL_FILE, load_model

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results" / "model_format.md"


def _median_seconds(load, runs: int) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        load()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("model_dir", nargs="?", type=Path, default=ROOT / "models" / "default")
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    classifier = load_model(args.model_dir)
    skops_bytes = (args.model_dir / MODEL_FILE).stat().st_size
    skops_seconds = _median_seconds(lambda: load_model(args.model_dir), args.runs)
    with tempfile.TemporaryDirectory() as folder:
        pickle_path = Path(folder) / "model.joblib"
        joblib.dump(classifier, pickle_path, compress=3)  # what rolcov 0.1 wrote
        joblib_bytes = pickle_path.stat().st_size
        joblib_seconds = _median_seconds(lambda: joblib.load(pickle_path), args.runs)
    lines = [
        "# Model file format",
        "",
        f"`bench/model_format.py`, model `{args.model_dir.name}`, median of {args.runs} loads.",
        "",
        "| format | file | size | load |",
        "|---|---|---|---|",
        f"| skops (zip of JSON + .npy, deflate), checked `load_model` | `{MODEL_FILE}` | {skops_bytes / 1024:,.0f} KB "
        f"| {skops_seconds:.2f} s |",
        f"| joblib pickle (compress=3), bare `joblib.load` | `model.joblib` | {joblib_bytes / 1024:,.0f} KB "
        f"| {joblib_seconds:.2f} s |",
        "",
    ]
    RESULTS.write_text("\n".join(lines), encoding="utf-8")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
