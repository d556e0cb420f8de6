"""Hostile inputs: time and peak memory of reading them, each in a fresh process, and how time grows with size.

One command: `.venv/bin/python bench/hostile.py` (about 10 minutes on 2 shared cores) writes
bench/results/hostile.md. It builds, from the seed reports (tests/hostile_files.py):

* saved web pages of 1k, 4k, 16k and 64k paragraph blocks (a government page template around them);
* .txt reports of 1k to 64k lines (the seeds' lines repeated, each copy numbered);
* a .docx whose ``word/document.xml`` unpacks to 2 GB (a zip bomb of a few MB);
* a PDF of 2,000 pages (the seed's pages repeated);

and reads each with `segment_file` (read + clean + segment, what every command does to a report) in a new
Python process, recording wall time, the process's peak resident memory and what came out. The growth
exponent is the slope of log(time) against log(size) over each series: 1 is linear, 2 quadratic.
"""

from __future__ import annotations

import argparse
import json
import math
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

from hostile_files import long_pdf, page_of_blocks, seed_lines, zip_bomb_docx  # noqa: E402

RESULTS = ROOT / "bench" / "results" / "hostile.md"
SEED = ROOT / "corpus" / "raw" / "004_46c69bc1076580ad.txt"
PDF_SEED = ROOT / "corpus" / "raw" / "003_0298e319a692b31d.txt"
SIZES = (1000, 4000, 16000, 64000)
MEMORY_BOUND_MB = 2048
# Run in the child: read one file, print seconds, peak RSS and the outcome as JSON.
_MEASURE = """
import json, resource, sys, time
from pipeline.errors import RolcovError
from pipeline.text.segment import segment_file
started = time.perf_counter()
try:
    outcome = f"{len(segment_file(sys.argv[1]))} paragraphs"
except RolcovError as error:
    outcome = "refused: " + str(error).split(": ", 1)[1][:90]
print(json.dumps({"seconds": time.perf_counter() - started, "outcome": outcome,
                  "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def measure(path: Path) -> dict:
    """Read ``path`` in a fresh process; its time, peak memory and outcome."""
    done = subprocess.run(
        [sys.executable, "-c", _MEASURE, str(path)], capture_output=True, text=True, cwd=ROOT, check=True
    )
    return {**json.loads(done.stdout.strip().splitlines()[-1]), "file_mb": path.stat().st_size / 2**20}


def growth_exponent(sizes: list[int], seconds: list[float]) -> float:
    """Least-squares slope of log(seconds) on log(size)."""
    xs, ys = [math.log(size) for size in sizes], [math.log(max(second, 1e-3)) for second in seconds]
    mean_x, mean_y = sum(xs) / len(xs), sum(ys) / len(ys)
    return sum((x - mean_x) * (y - mean_y) for x, y in zip(xs, ys)) / sum((x - mean_x) ** 2 for x in xs)


def build_inputs(directory: Path, sizes: tuple[int, ...]) -> dict[str, list[tuple[str, int, Path]]]:
    """Every input file, by series: (label, size, path)."""
    lines = seed_lines(SEED)
    series: dict[str, list[tuple[str, int, Path]]] = {"page": [], "txt": [], "single": []}
    for size in sizes:
        page = directory / f"page_{size}.html"
        page.write_text(page_of_blocks(lines, size), encoding="utf-8")
        series["page"].append((f"web page, {size:,} blocks", size, page))
        report = directory / f"report_{size}.txt"
        report.write_text("\n".join(f"{lines[n % len(lines)]}（第{n}段）" for n in range(size)), encoding="utf-8")
        series["txt"].append((f".txt report, {size:,} lines", size, report))
    bomb = zip_bomb_docx(lines, directory / "bomb.docx", unpacked_mb=2048)
    series["single"].append((".docx unpacking to 2 GB (zip bomb)", 0, bomb))
    pdf = long_pdf(seed_lines(PDF_SEED), directory / "long.pdf", pages=2000)
    series["single"].append(("PDF of 2,000 pages", 0, pdf))
    return series


def report(series: dict[str, list[tuple[str, int, Path]]]) -> str:
    rows, exponents = [], {}
    for name, cases in series.items():
        results = []
        for label, _, path in cases:
            result = measure(path)
            results.append(result)
            rows.append(
                f"| {label} | {result['file_mb']:.1f} | {result['seconds']:.2f} | {result['peak_mb']:.0f} | "
                f"{result['outcome']} |"
            )
            print(rows[-1], flush=True)
        if name != "single":
            exponents[name] = growth_exponent([size for _, size, _ in cases], [r["seconds"] for r in results])
    peaks = [float(row.split("|")[4]) for row in rows]
    return "\n".join(
        [
            "# Hostile inputs: time and peak memory",
            "",
            "`.venv/bin/python bench/hostile.py`: each file read by `segment_file` (read, clean, segment) in a fresh "
            "process; peak resident memory of that process (Python, pandas and the readers included). One run on a "
            "shared machine: compare ratios, not absolutes.",
            "",
            "| input | file MB | seconds | peak MB | outcome |",
            "|---|---|---|---|---|",
            *rows,
            "",
            "Growth of time with size (slope of log time on log size; 1 = linear, 2 = quadratic): "
            + ", ".join(f"{name} {exponent:.2f}" for name, exponent in exponents.items())
            + ".",
            "",
            f"Largest peak: {max(peaks):.0f} MB (bound: {MEMORY_BOUND_MB} MB).",
            "",
        ]
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--sizes",
        type=lambda text: tuple(int(size) for size in text.split(",")),
        default=SIZES,
        help="blocks/lines of the page and .txt series (default 1000,4000,16000,64000)",
    )
    parser.add_argument("--output", type=Path, default=RESULTS)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="rolcov-hostile-") as directory:
        text = report(build_inputs(Path(directory), args.sizes))
    args.output.write_text(text, encoding="utf-8")
    print(text)


if __name__ == "__main__":
    main()
