"""Reports without line breaks: how much of each report's structure comes back (pipeline.io.linebreaks).

Every report is flattened to one line (all line breaks removed, nothing else changed), read back through
the pipeline, and its paragraphs compared with those of the original file: a paragraph counts as recovered
when one with the same text and the same heading path comes back; the top-level sections are the set of
outermost headings. Run `.venv/bin/python bench/lineless.py [--devset ../shared/devset/reports]`; writes
bench/results/lineless.md. The devset files are page openings of ~1,500 characters, below the length at
which ingest takes a report as line-less, so their flattened line is restored directly (``min_chars=1``).
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
from dataclasses import replace
from pathlib import Path

from pipeline.io.ingest import read_report
from pipeline.io.linebreaks import restore_line_breaks
from pipeline.text.segment import segment_report

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results" / "lineless.md"


def compare(path: Path, scratch: Path, separator: str = "") -> dict:
    """Original vs flattened-and-restored paragraphs of one report file (line breaks → ``separator``)."""
    flat = scratch / path.name
    flat.write_text(path.read_text(encoding="utf-8").replace("\r", "").replace("\n", separator), encoding="utf-8")
    restored = read_report(flat)  # restored by ingest if long enough to be taken as line-less
    if len(restored.lines) == 1:
        restored = replace(restored, lines=tuple(restore_line_breaks(restored.lines, min_chars=1)))
    before = [(p.text[len(p.lead) :], p.heading_path) for p in segment_report(read_report(path))]  # body after its lead
    after = [(p.text[len(p.lead) :], p.heading_path) for p in segment_report(restored)]
    tops = [{path[0] for _, path in rows if path} for rows in (before, after)]
    return {
        "report": path.stem,
        "paragraphs": len(before),
        "restored": len(after),
        "recovered": sum(row in set(after) for row in before),
        "same_top_level": tops[0] == tops[1],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--devset", type=Path, default=ROOT.parent / "shared" / "devset" / "reports")
    args = parser.parse_args()
    scratch = Path(tempfile.mkdtemp())
    seeds = sorted((ROOT / "corpus" / "raw").glob("*.txt"))
    lines = ["# Reports without line breaks", ""]
    for separator, title in (("", "all line breaks removed"), (" ", "each line break replaced by a space")):
        lines += [
            f"Seed reports, {title}:",
            "",
            "| report | paragraphs | after restoring | recovered (same body after the lead, same heading path) | "
            "same top-level sections |",
            "|---|---|---|---|---|",
        ]
        lines += [
            f"| {row['report']} | {row['paragraphs']} | {row['restored']} | {row['recovered']} "
            f"({row['recovered'] / row['paragraphs']:.0%}) | {'yes' if row['same_top_level'] else 'no'} |"
            for row in (compare(path, scratch, separator) for path in seeds)
        ]
        lines.append("")
    devset = sorted(args.devset.glob("*.txt")) if args.devset.is_dir() else []
    if devset:
        rows = [row for row in (compare(path, scratch) for path in devset) if row["paragraphs"]]
        shares = [row["recovered"] / row["paragraphs"] for row in rows]
        where = f"{args.devset.parent.name}/{args.devset.name}"
        lines += [
            f"Development set (all line breaks removed; {len(rows)} page openings, {where}): mean recovered "
            f"{sum(shares) / len(shares):.0%}, {sum(share >= 0.8 for share in shares)} reports at 80 % "
            f"or more, same top-level sections in {sum(row['same_top_level'] for row in rows)}."
        ]
    shutil.rmtree(scratch)
    RESULTS.write_text("\n".join(lines) + "\n", encoding="utf-8")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
