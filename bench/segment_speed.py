"""Segmentation + tokenization benchmark: the five seed reports repeated ×20 (100 report files).

Run with `make bench` or `.venv/bin/python bench/segment_speed.py [--repeat N]`. Writes
bench/results/segment.md. Figures are from one run on a noisy machine: compare ratios, not absolutes.
"""

from __future__ import annotations

import argparse
import resource
import shutil
import tempfile
import time
from pathlib import Path

from pipeline.io.ingest import read_report
from pipeline.text.segment import segment_report
from pipeline.text.tokenize import load_tokenizer, tokenize_texts

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results" / "segment.md"


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=20)
    args = parser.parse_args()
    seeds = sorted((ROOT / "corpus" / "raw").glob("*.txt"))
    with tempfile.TemporaryDirectory() as folder:
        files = []
        for copy in range(args.repeat):
            for seed in seeds:
                files.append(Path(shutil.copy(seed, Path(folder) / f"{copy:03d}_{seed.name}")))
        start = time.perf_counter()
        paragraphs = [p for path in files for p in segment_report(read_report(path))]
        segment_seconds = time.perf_counter() - start
    peak_after_segment = _peak_mb()
    start = time.perf_counter()
    nlp = load_tokenizer()
    load_seconds = time.perf_counter() - start
    texts = [p.normalized_text for p in paragraphs]
    start = time.perf_counter()
    tokens = tokenize_texts(texts, nlp, batch_size=256)
    tokenize_seconds = time.perf_counter() - start
    chars = sum(len(text) for text in texts)
    rows = [
        ("reports", f"{len(files)}"),
        ("paragraphs", f"{len(paragraphs)}"),
        ("characters", f"{chars}"),
        ("tokens", f"{sum(map(len, tokens))}"),
        (
            "ingest + segment",
            f"{segment_seconds:.2f} s — {len(paragraphs) / segment_seconds:,.0f} paragraphs/s, "
            f"{chars / segment_seconds:,.0f} chars/s",
        ),
        ("pkuseg model load (once per process)", f"{load_seconds:.2f} s"),
        (
            "pkuseg tokenize (nlp.pipe)",
            f"{tokenize_seconds:.2f} s — {len(paragraphs) / tokenize_seconds:,.0f} paragraphs/s, "
            f"{chars / tokenize_seconds:,.0f} chars/s",
        ),
        (
            "end to end (without model load)",
            f"{len(paragraphs) / (segment_seconds + tokenize_seconds):,.0f} paragraphs/s, "
            f"{chars / (segment_seconds + tokenize_seconds):,.0f} chars/s",
        ),
        ("peak RSS after segmentation", f"{peak_after_segment:,.0f} MB"),
        ("peak RSS with pkuseg loaded", f"{_peak_mb():,.0f} MB"),
    ]
    table = "\n".join(f"| {name} | {value} |" for name, value in rows)
    report = (
        f"# Segmentation + tokenization benchmark\n\nSeed reports ×{args.repeat}, one process, "
        f"`{Path(__file__).relative_to(ROOT)}`.\n\n| measure | value |\n|---|---|\n{table}\n"
    )
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(report, encoding="utf-8")
    print(report)


if __name__ == "__main__":
    main()
