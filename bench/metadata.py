"""How well rolcov reads a report's work year, issuer and publication date, on real titled reports and the seeds.

Run from the worktree root:  PYTHONPATH=. .venv/bin/python bench/metadata.py   → bench/results/metadata.md

Devset (``../shared/devset``, or ``$ROLCOV_DEVSET``; read from there, never copied): every report file of
``reports/`` whose page showed a title (``title`` in ``paragraphs.jsonl``), each read whole as a user would
(``segment_file``). The devset gives each report's work year (``year``, null when unknown); the year is right
when it equals it, and a report with an unknown year is not scored. Issuers are checked by reading:
``bench/devset_issuer_reading.csv`` holds one verdict per report — report id, the first 12 hex digits of the
SHA-256 of the issuer that was read (so that no devset text is stored, and a changed output shows up as
"not read yet" instead of inheriting an old verdict) and the verdict:

* ``right``: the body the report names, as it names it;
* ``right_no_place``: what the title names, but the title (or the page it came from) leaves the place out
  (``县教育局``, ``区``): right as written, yet not enough to tell two such reports apart;
* ``wrong``: not the issuer;
* for reports where nothing was found: ``none_stated`` (the excerpt names no issuer anywhere) or ``missed``.

The devset's files are openings of pages (about 1,500 characters): they end before any signature or date,
so a publication date found there would be invented; the dates are measured on the seeds.
Seeds (``corpus/raw``): the metadata each states, read by hand, against what rolcov reads.
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
from collections import Counter
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from pipeline.text.segment import segment_file  # noqa: E402

DEVSET = Path(
    os.environ.get("ROLCOV_DEVSET")
    or next(
        (base / "shared" / "devset" for base in ROOT.parents if (base / "shared" / "devset").is_dir()),
        ROOT.parent / "shared" / "devset",
    )
)
READING = ROOT / "bench" / "devset_issuer_reading.csv"
RESULTS = ROOT / "bench" / "results" / "metadata.md"
#: The seeds' metadata as the texts state it (read by hand): year, issuer, and the date the report went
#: public — the page's own date line where the page has one (001 时间:2020-03-09, 002 发布日期:2023-01-30, 004
#: 发布日期:2020-01-22), else the signature's (000).
SEEDS = {
    "000": (2022, "清河县人民政府", "2023-02-15"),
    "001": (2019, "巩义市", "2020-03-09"),
    "002": (2022, "中共博山区委 博山区人民政府", "2023-01-30"),
    "003": (None, "", ""),
    "004": (2019, "柳城县人民政府", "2020-01-22"),
}
FOUND_VERDICTS = ("right", "right_no_place", "wrong")
#: The figures when the issue was filed (d03e409), measured the same way on the same 72 files.
BEFORE = {"year right": (64, 69), "issuer found": (59, 72)}


def issuer_key(issuer: str) -> str:
    """What the reading file stores of an issuer: a hash, never the name."""
    return hashlib.sha256(issuer.encode("utf-8")).hexdigest()[:12] if issuer else ""


def titled_reports() -> dict[str, int | None]:
    """Report id → work year of every devset report whose page showed a title."""
    years = {}
    with open(DEVSET / "paragraphs.jsonl", encoding="utf-8") as lines:
        for row in map(json.loads, lines):
            if row["title"]:
                years.setdefault(row["report"], row["year"])
    return years


def read_devset() -> pd.DataFrame:
    """One row per titled devset report: what rolcov reads and what it should be."""
    reading = pd.read_csv(READING, dtype=str, keep_default_na=False).set_index("report")
    rows = []
    for report, year in sorted(titled_reports().items()):
        first = segment_file(DEVSET / "reports" / f"{report}.txt").iloc[0]
        read = reading.loc[report] if report in reading.index else None
        judged = read is not None and read["issuer_sha"] == issuer_key(first.issuer)
        rows.append(
            {
                "report": report,
                "gold_year": year,
                "year": None if pd.isna(first.year) else int(first.year),
                "year_source": first.year_source,
                "issuer_found": bool(first.issuer),
                "issuer_source": first.issuer_source,
                "published": first.published,
                "verdict": read["verdict"] if judged else "not read yet",
            }
        )
    return pd.DataFrame(rows)


def devset_section(table: pd.DataFrame) -> list[str]:
    known = table[table.gold_year.notna()]
    right = int((known.year == known.gold_year).sum())
    wrong = known[known.year.notna() & (known.year != known.gold_year)]
    empty = known[known.year.isna()]
    found = table[table.issuer_found]
    verdicts = Counter(found.verdict)
    right_issuers = verdicts["right"] + verdicts["right_no_place"]
    lines = [
        f"## Devset: {len(table)} titled report files",
        "",
        "| measure | when filed (d03e409) | now |",
        "|---|---|---|",
        f"| year right, of {len(known)} with a known year | {_share(*BEFORE['year right'])} "
        f"| {_share(right, len(known))} |",
        f"| year wrong | | {len(wrong)} |",
        f"| year empty (left unread) | | {len(empty)} |",
        f"| issuer found | {_share(*BEFORE['issuer found'])} | {_share(len(found), len(table))} |",
        f"| issuer right where found (by reading) | | {_share(right_issuers, len(found))} |",
        f"| … of which the title leaves the place out | | {verdicts['right_no_place']} |",
        f"| issuer wrong / not read yet | | {verdicts['wrong']} / {verdicts['not read yet']} |",
        "| publication date found (none is stated: the files end before the signature) | "
        f"| {int((table.published != '').sum())} |",
        "",
        f"Year wrong: {_ids(wrong)}; year empty: {_ids(empty)}; issuer not found: "
        f"{_ids(table[~table.issuer_found])} ({_counts(table[~table.issuer_found].verdict)}).",
        "",
        f"Where the year came from: {_counts(table.year_source.replace('', '(none)'))}. "
        f"Where the issuer came from: {_counts(table.issuer_source.replace('', '(none)'))}.",
        "",
    ]
    return lines


def seeds_section() -> list[str]:
    lines = [
        "## Seeds (`corpus/raw`)",
        "",
        "| seed | year | source | issuer | source | published | source | as the text states it |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for path in sorted((ROOT / "corpus" / "raw").iterdir()):
        first = segment_file(path).iloc[0]
        year = None if pd.isna(first.year) else int(first.year)
        stated = SEEDS[path.name[:3]]
        agree = "yes" if (year, first.issuer, first.published) == stated else f"no: {stated}"
        lines.append(
            f"| {path.name[:3]} | {year or ''} | {first.year_source} | {first.issuer} | "
            f"{first.issuer_source} | {first.published} | {first.published_source} | {agree} |"
        )
    return [*lines, ""]


def _share(part: int, whole: int) -> str:
    return f"{part}/{whole} ({part / whole:.1%})" if whole else "—"


def _ids(rows: pd.DataFrame) -> str:
    return ", ".join(rows.report) or "none"


def _counts(values: pd.Series) -> str:
    return ", ".join(f"{value} {count}" for value, count in Counter(values).most_common()) or "none"


def main() -> None:
    lines = [
        "# Report metadata: work year, issuer and publication date",
        "",
        "`bench/metadata.py` (see its docstring for what is scored and how issuers were read).",
        "",
    ]
    if (DEVSET / "paragraphs.jsonl").is_file():
        lines += devset_section(read_devset())
    else:
        lines += [f"(devset not found at {DEVSET}: only the seeds are scored)", ""]
    lines += seeds_section()
    RESULTS.write_text("\n".join(lines), encoding="utf-8")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
