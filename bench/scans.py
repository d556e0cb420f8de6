"""Scans and old Word files: how well rolcov reads each seed report printed-and-scanned and saved as .doc.

One command: `.venv/bin/python bench/scans.py` (about 30 minutes on 2 shared cores) writes
bench/results/scans.md. For every seed report it

1. renders the report as a scanned-looking PDF (tests/scanned_files.py: 公文 layout, 200 dpi, a slight turn,
   noise, running header, page numbers, a red seal on the last page) and reads it with each OCR engine:
   RapidOCR (what rolcov uses: `read_report` itself) and Tesseract 5 with Debian's `chi_sim` (the same page
   images, seal ink removal and layout code, only the engine differs), both on one core;
2. scores the text against the seed's: character error rate (whitespace out, NFKC + simplified on both
   sides), paragraphs identical (same normalized text and heading path), paragraphs recovered (the same
   paragraph, up to 2 % of its characters misread), the same primary theme as the .txt version (a model
   trained on the other four seeds, so no report is scored by a model that saw it), seconds per page;
3. saves the seed as .doc through python-docx and LibreOffice and reads it with LibreOffice (rolcov),
   antiword and catdoc: paragraphs identical to the .docx's segmentation, seconds per file;
4. adds what each candidate installs (pip packages' files, Debian packages' Installed-Size).

`--seeds 003` or `--engines rapidocr` run a part. Timings are from one run on a shared machine: compare ratios.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from importlib import metadata
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

import pandas as pd  # noqa: E402
from rapidfuzz.distance import Levenshtein  # noqa: E402
from report_files import write_docx  # noqa: E402
from scanned_files import write_doc, write_scanned_pdf  # noqa: E402

from pipeline.io.convert import ConvertOptions  # noqa: E402
from pipeline.io.ingest import Report, read_report  # noqa: E402
from pipeline.io.ocr import pdf_pages, without_seal_ink  # noqa: E402
from pipeline.io.ocr_layout import TextBox, read_layout  # noqa: E402
from pipeline.text.normalize import normalize_text  # noqa: E402
from pipeline.text.segment import paragraphs_to_frame, segment_report  # noqa: E402

RESULTS = ROOT / "bench" / "results" / "scans.md"
SEEDS = sorted((ROOT / "corpus" / "raw").glob("*.txt"))
ENGINES = ("rapidocr", "tesseract")
RECOVERED_CER = 0.02
PIP_PACKAGES = {
    "rapidocr": [
        "rapidocr",
        "onnxruntime",
        "opencv-python-headless",
        "pypdfium2",
        "pyclipper",
        "shapely",
        "omegaconf",
        "colorlog",
    ]
}
DEBIAN_PACKAGES = {
    "tesseract": [
        "tesseract-ocr",
        "tesseract-ocr-chi-sim",
        "tesseract-ocr-eng",
        "tesseract-ocr-osd",
        "libtesseract5",
        "liblept5",
    ],
    "LibreOffice": [
        "libreoffice-writer-nogui",
        "libreoffice-core-nogui",
        "libreoffice-common",
        "ure",
        "libreoffice-style-colibre",
        "libreoffice-base-core",
    ],
    "antiword": ["antiword"],
    "catdoc": ["catdoc"],
}


def flat(text: str) -> str:
    return "".join(normalize_text(text).split())


def table_of(report: Report) -> pd.DataFrame:
    return paragraphs_to_frame(segment_report(report))


def tesseract_report(pdf: Path) -> Report:
    """The scan read by Tesseract (chi_sim, one thread), through rolcov's seal removal and layout code."""
    pages = []
    for number, image in enumerate(pdf_pages(pdf, pdf.read_bytes()), start=1):
        with tempfile.NamedTemporaryFile(suffix=".png") as page:
            without_seal_ink(image).save(page.name)
            tsv = subprocess.run(
                ["tesseract", page.name, "stdout", "-l", "chi_sim", "--psm", "6", "tsv"],
                capture_output=True,
                text=True,
                check=True,
                env={**os.environ, "OMP_THREAD_LIMIT": "1"},
            ).stdout
        pages.append(_tesseract_lines(tsv, number))
    scan = read_layout(pages)
    return Report(pdf.stem, str(pdf), "pdf", "", tuple(scan.lines), ocr_confidence=scan.confidence)


def _tesseract_lines(tsv: str, page: int) -> list[TextBox]:
    """Tesseract's words grouped into its lines, as text boxes with their mean confidence (0–1)."""
    rows = [line.split("\t") for line in tsv.splitlines()[1:]]
    words = pd.DataFrame(
        [row for row in rows if len(row) == 12 and row[11].strip()],
        columns=["level", "page", "block", "par", "line", "word", "left", "top", "width", "height", "conf", "text"],
    )
    boxes = []
    for _, line in words.groupby(["block", "par", "line"], sort=False):
        left, top = line.left.astype(int).min(), line.top.astype(int).min()
        right = (line.left.astype(int) + line.width.astype(int)).max()
        bottom = (line.top.astype(int) + line.height.astype(int)).max()
        boxes.append(
            TextBox.from_corners(
                page,
                [(left, top), (right, top), (right, bottom), (left, bottom)],
                "".join(line.text),
                line.conf.astype(float).mean() / 100,
            )
        )
    return boxes


def paragraph_scores(expected: pd.DataFrame, got: pd.DataFrame, model) -> dict[str, float]:
    """Identical and recovered paragraphs, and the share with the .txt's primary theme."""
    want = [(flat(text), flat(path)) for text, path in zip(expected.text, expected.heading_path)]
    have = [(flat(text), flat(path)) for text, path in zip(got.text, got.heading_path)]
    identical = sum(pair in set(have) for pair in want)
    match = [
        max(range(len(have)), key=lambda j: Levenshtein.normalized_similarity(text, have[j][0]), default=None)
        for text, _ in want
    ]
    recovered = sum(
        j is not None and Levenshtein.normalized_distance(text, have[j][0]) <= RECOVERED_CER
        for (text, _), j in zip(want, match)
    )
    primary_expected, primary_got = model.classify(expected)["primary"], model.classify(got)["primary"]
    same = sum(j is not None and primary_expected.iloc[i] == primary_got.iloc[j] for i, j in enumerate(match))
    return {"identical": identical, "recovered": recovered, "same_primary": same}


def seed_models(seeds: list[Path]) -> dict[str, object]:
    """For each seed, the default classifier trained on the gold of the other four."""
    from pipeline.annotate.annotations import label_matrix
    from pipeline.model.classifier import ParagraphClassifier
    from pipeline.model.train import training_table
    from pipeline.taxonomy import load_taxonomy

    gold, labels = training_table([ROOT / "corpus" / "annotations.csv"]), load_taxonomy().ids
    models = {}
    for seed in seeds:
        train = gold[gold.report_id != seed.stem]
        models[seed.stem] = ParagraphClassifier().fit(train, label_matrix(train, labels), groups=train["report_id"])
    return models


def ocr_rows(seeds: list[Path], engines: list[str], work: Path) -> list[dict]:
    models = seed_models(seeds)
    rows = []
    for seed in seeds:
        original = read_report(seed)
        expected = table_of(original)
        pdf = write_scanned_pdf(list(original.lines), work / f"{seed.stem}.pdf")
        for engine in engines:
            started = time.perf_counter()
            if engine == "rapidocr":
                report = read_report(pdf, convert=ConvertOptions(ocr_threads=1))
            else:
                report = tesseract_report(pdf)
            seconds = time.perf_counter() - started
            pages = len(list(pdf_pages(pdf, pdf.read_bytes())))
            errors = Levenshtein.distance(flat(report.text), flat(original.text))
            rows.append(
                {
                    "seed": seed.stem[:3],
                    "engine": engine,
                    "pages": pages,
                    "characters": len(flat(original.text)),
                    "errors": errors,
                    "paragraphs": len(expected),
                    "confidence": report.ocr_confidence,
                    "seconds": seconds,
                    **paragraph_scores(expected, table_of(report), models[seed.stem]),
                }
            )
            print(rows[-1], file=sys.stderr)
    return rows


def word_rows(seeds: list[Path], work: Path) -> list[dict]:
    readers = {
        "LibreOffice (rolcov)": None,
        "antiword": ["antiword", "-w", "0", "-m", "UTF-8.txt"],
        "catdoc": ["catdoc", "-d", "utf-8", "-w"],
    }
    rows = []
    for seed in seeds:
        lines = list(read_report(seed).lines)
        expected = table_of(read_report(write_docx(lines, work / f"{seed.stem}.docx")))
        doc = write_doc(lines, work / f"{seed.stem}.doc")
        for name, command in readers.items():
            started = time.perf_counter()
            if command is None:
                report = read_report(doc)
            else:
                text = subprocess.run([*command, str(doc)], capture_output=True, text=True, check=True).stdout
                report = Report(
                    seed.stem, str(doc), "doc", "", tuple(line.strip() for line in text.splitlines() if line.strip())
                )
            seconds = time.perf_counter() - started
            got = table_of(report)
            same = sum(
                a == b
                for a, b in zip(
                    expected[["text", "heading_path"]].itertuples(index=False),
                    got[["text", "heading_path"]].itertuples(index=False),
                )
            )
            rows.append(
                {
                    "seed": seed.stem[:3],
                    "reader": name,
                    "paragraphs": len(expected),
                    "identical": same,
                    "seconds": seconds,
                }
            )
    return rows


def pip_size(names: list[str]) -> float:
    """MB of the files the installed distributions put down."""
    total = 0
    for name in names:
        try:
            files = metadata.distribution(name).files or []
        except metadata.PackageNotFoundError:
            continue
        total += sum(file.locate().stat().st_size for file in files if file.locate().is_file())
    return total / 2**20


def debian_size(names: list[str]) -> float:
    sizes = subprocess.run(
        ["dpkg-query", "-W", "-f=${Installed-Size}\\n", *names], capture_output=True, text=True
    ).stdout.split()
    return sum(int(size) for size in sizes if size.isdigit()) / 1024


def report(ocr: pd.DataFrame, word: pd.DataFrame) -> str:
    lines = [
        "# Scans and old Word files",
        "",
        "`.venv/bin/python bench/scans.py`: every seed printed and scanned (200 dpi, turned, noisy, header, "
        "page numbers, red seal on the last page) and read by each OCR engine on one core; every seed saved "
        "as .doc and read by each converter. One run on a shared 2-core machine.",
        "",
    ]
    if not ocr.empty:
        lines += [
            "## OCR",
            "",
            "| seed | engine | pages | CER | paragraphs | identical | recovered (≤ 2 % CER) | "
            "same primary theme as .txt | confidence | s/page |",
            "|---|---|---|---|---|---|---|---|---|---|",
        ]
        for row in ocr.itertuples():
            lines.append(
                f"| {row.seed} | {row.engine} | {row.pages} | {row.errors / row.characters:.2%} | "
                f"{row.paragraphs} | {row.identical} | {row.recovered} | {row.same_primary} | "
                f"{row.confidence:.3f} | {row.seconds / row.pages:.1f} |"
            )
        for engine, rows in ocr.groupby("engine", sort=False):
            total = rows.paragraphs.sum()
            lines.append(
                f"| **all** | **{engine}** | {rows.pages.sum()} | "
                f"{rows.errors.sum() / rows.characters.sum():.2%} | {total} | "
                f"{rows.identical.sum() / total:.0%} | {rows.recovered.sum() / total:.0%} | "
                f"{rows.same_primary.sum() / total:.0%} | {rows.confidence.mean():.3f} | "
                f"{rows.seconds.sum() / rows.pages.sum():.1f} |"
            )
        lines.append("")
    if not word.empty:
        lines += [
            "## .doc converters",
            "",
            "| reader | paragraphs identical to the .docx's | s/file |",
            "|---|---|---|",
        ]
        for reader, rows in word.groupby("reader", sort=False):
            lines.append(f"| {reader} | {rows.identical.sum()} / {rows.paragraphs.sum()} | {rows.seconds.mean():.2f} |")
        lines += ["", "RTF: LibreOffice reads it (tests/test_old_word.py); antiword and catdoc do not read RTF.", ""]
    lines += [
        "## Install size",
        "",
        "| candidate | installs | MB |",
        "|---|---|---|",
        f"| RapidOCR (rolcov[ocr]) | pip: {', '.join(PIP_PACKAGES['rapidocr'])} | "
        f"{pip_size(PIP_PACKAGES['rapidocr']):.0f} |",
    ]
    for name, packages in DEBIAN_PACKAGES.items():
        lines.append(f"| {name} | Debian: {', '.join(packages)} | {debian_size(packages):.0f} |")
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", nargs="*", help="seed numbers (default all)")
    parser.add_argument("--engines", default=",".join(ENGINES))
    parser.add_argument("--skip-word", action="store_true")
    args = parser.parse_args()
    seeds = [seed for seed in SEEDS if not args.seeds or seed.name[:3] in args.seeds]
    engines = [engine for engine in args.engines.split(",") if engine != "tesseract" or shutil.which("tesseract")]
    with tempfile.TemporaryDirectory() as work:
        ocr = pd.DataFrame(ocr_rows(seeds, engines, Path(work)))
        word = pd.DataFrame() if args.skip_word else pd.DataFrame(word_rows(seeds, Path(work)))
    RESULTS.write_text(report(ocr, word), encoding="utf-8")
    print(RESULTS.read_text(encoding="utf-8"))


if __name__ == "__main__":
    main()
