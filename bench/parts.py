"""Report-part detection and required contents, measured on the seeds and on variants built from them.

Gold: ``bench/parts_gold.csv`` says, by hand, which line opens which part of each seed — a top-level heading
marker (``九、``) or the first words of a paragraph outside the numbered sections (the preamble, ``特此报告``,
003's closing summary). Every paragraph belongs to the part of the last opener at or before it; a paragraph is
matched to an opener by its text, else by the top-level heading of its heading path (the structure comes from
segmentation; what is measured here is the part).

Variants (``tests/report_variants.py``) of the seeds that have the rule's parts (001, 002, 004): each
problems, responsibility and plans section **renamed** with each heading synonym reports use (the gold is
unchanged), and each **removed** (the gold loses its paragraphs). For every variant the required content
must stay ``present`` (renamed) or stop being ``present`` (removed).

Run `.venv/bin/python bench/parts.py [--out FILE]`; writes bench/results/parts.md.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

import pandas as pd
from sklearn.metrics import precision_recall_fscore_support

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from report_variants import SYNONYMS, renamed_section, without_section  # noqa: E402

from pipeline.coverage.requirements import REQUIRED_CONTENTS, required_contents  # noqa: E402
from pipeline.schema import HEADING_SEPARATOR, PARTS  # noqa: E402
from pipeline.text.segment import segment_file  # noqa: E402

GOLD = ROOT / "bench" / "parts_gold.csv"
RESULTS = ROOT / "bench" / "results" / "parts.md"
SEEDS = {path.name[:3]: path for path in sorted((ROOT / "corpus" / "raw").glob("*.txt"))}
NEXT_YEAR = {"001": 2020, "002": 2023, "004": 2020}


def gold_parts(table: pd.DataFrame, openers: pd.DataFrame) -> list[str]:
    """The hand part of every paragraph of one report: that of the last opener at or before it."""
    markers = openers[openers.opener.str.endswith("、")]
    starts = openers[~openers.opener.str.endswith("、")]
    parts, current = [], "preamble"
    for text, path in zip(table.text.str.strip(), table.heading_path):
        top = path.split(HEADING_SEPARATOR)[0].strip()
        by_text = starts[[text.startswith(opener) for opener in starts.opener]]
        by_heading = markers[[top.startswith(opener) for opener in markers.opener]]
        for found in (by_text, by_heading):
            if not found.empty:
                current = found.part.iloc[0]
                break
        parts.append(current)
    return parts


def variants(gold: pd.DataFrame) -> list[tuple[str, str, str, str, Callable[[list[str]], list[str]]]]:
    """(kind, seed, part, title, change) for every renamed and every removed section of a seed."""
    found = []
    for row in gold[gold.part.isin(SYNONYMS) & gold.opener.str.endswith("、")].itertuples():
        for title in SYNONYMS[row.part]:
            title = title.format(next_year=NEXT_YEAR[row.report])
            found.append(
                (
                    "renamed",
                    row.report,
                    row.part,
                    title,
                    lambda lines, h=row.opener, t=title: renamed_section(lines, h, t),
                )
            )
        found.append(("removed", row.report, row.part, "", lambda lines, h=row.opener: without_section(lines, h)))
    return found


def segment_changed(key: str, change: Callable[[list[str]], list[str]], scratch: Path) -> pd.DataFrame:
    path = scratch / SEEDS[key].name
    path.write_text("\n".join(change(SEEDS[key].read_text(encoding="utf-8").splitlines())), encoding="utf-8")
    return segment_file(path)


def scores(gold: list[str], found: list[str]) -> list[str]:
    """One markdown row per part: paragraphs in gold, found, precision, recall."""
    precision, recall, _, support = precision_recall_fscore_support(gold, found, labels=list(PARTS), zero_division=0)
    n_found = [sum(part == f for f in found) for part in PARTS]
    return [
        f"| {part} | {n} | {k} | {p:.2f} | {r:.2f} |" if n or k else f"| {part} | 0 | 0 | – | – |"
        for part, n, k, p, r in zip(PARTS, support, n_found, precision, recall)
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args()
    gold = pd.read_csv(GOLD, dtype=str)
    header = ["| part | paragraphs (gold) | found | precision | recall |", "|---|---|---|---|---|"]
    lines = ["# Report parts and required contents", ""]
    seeds = {key: segment_file(path) for key, path in SEEDS.items()}
    truth = [p for key, table in seeds.items() for p in gold_parts(table, gold[gold.report == key])]
    found = [p for table in seeds.values() for p in table.part]
    lines += [f"Seeds, every paragraph ({len(truth)}), parts as read by hand:", "", *header, *scores(truth, found), ""]
    statuses = required_contents(pd.concat(seeds.values(), ignore_index=True))
    lines += [
        "Required contents found on the seeds:",
        "",
        "| report | " + " | ".join(REQUIRED_CONTENTS) + " | complete | causes | problems |",
        "|---|" + "---|" * (len(REQUIRED_CONTENTS) + 3),
    ]
    lines += [
        f"| {row.report_id[:3]} | "
        + " | ".join(getattr(row, part) for part in REQUIRED_CONTENTS)
        + f" | {'yes' if row.complete else 'no'} | {row.causes or '–'} | {row.problems_specificity or '–'} |"
        for row in statuses.itertuples()
    ]
    with tempfile.TemporaryDirectory() as scratch:
        runs = [
            (kind, key, part, title, segment_changed(key, change, Path(scratch)))
            for kind, key, part, title, change in variants(gold)
        ]
    for kind in ("renamed", "removed"):
        chosen = [run for run in runs if run[0] == kind]
        truth = [p for _, key, _, _, table in chosen for p in gold_parts(table, gold[gold.report == key])]
        found = [p for *_, table in chosen for p in table.part]
        expected = "present" if kind == "renamed" else "not present"
        right = [
            (required_contents(table).iloc[0][part] == "present") == (kind == "renamed")
            for _, _, part, _, table in chosen
        ]
        lines += [
            "",
            f"Variants with one section {kind} ({len(chosen)} variants of 001, 002, 004; {len(truth)} paragraphs):",
            "",
            *header,
            *scores(truth, found),
            "",
            f"Required content {expected} as expected: {sum(right)} of {len(right)}.",
        ]
        missed = [f"{key} {part} {title}".strip() for (_, key, part, title, _), ok in zip(chosen, right) if not ok]
        lines += [f"Not as expected: {', '.join(missed)}."] if missed else []
    args.out.write_text("\n".join(lines) + "\n", encoding="utf-8")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
