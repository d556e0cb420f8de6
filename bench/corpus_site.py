"""How does ``rolcov coverage`` scale to a corpus? 500, 2,000 and 5,000 reports, tables and the site.

Input: the seed reports of ``corpus/raw`` and the devset's report files (``../shared/devset/reports``, read
from there, never copied) classified once by ``models/default`` (trained from the corpus first if missing),
then replicated: copy ``k`` of a report gets an issuer built from a real division of the gazetteer (a county
government, a prefecture's or county's department, a township, a province — so levels and provinces form
real groups), a work year 2019–2023, a title naming both, every paragraph's text tagged with ``k`` (no two
rows alike) and a random 0–30 % of its body paragraphs dropped (so shares vary within a group). The tables
live in a temporary directory, never in the repository.

Per size: wall time and peak memory (``/usr/bin/time``) of ``rolcov coverage TABLE -o OUT --html OUT/site.html``
in its own process; the size of ``index.html`` and of the largest page; the time until the index has drawn
its report table in headless Chromium (``performance.now()`` when the page's script marks it ready, driven
by Playwright with the system's ``chromium``), and the slowest of the largest report page and 20 others.

``--charts`` also compares chart libraries at the largest size: the index's four charts drawn by
matplotlib (inline SVG, what rolcov ships), by plotly (``plotly.min.js`` beside the page) and by Vega-Lite
through altair (the vega bundle of ``vl-convert-python`` beside the page): bytes and render time.

Run from the worktree root (about 15–60 minutes, by the machine's load; ``--charts`` needs
``pip install plotly altair vl-convert-python``, which rolcov itself does not use)::

    PYTHONPATH=$PWD python bench/corpus_site.py [--sizes 500 2000 5000] [--charts]   # → bench/results/corpus_site.md
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "bench")]

from places import DEVSET, markdown_table  # noqa: E402

from pipeline.schema import BODY_PARTS, renamed_para_ids  # noqa: E402
from pipeline.text.places import default_gazetteer  # noqa: E402

MODEL = ROOT / "models" / "default"
ROLCOV = [sys.executable, "-m", "pipeline.cli"]
YEARS = range(2019, 2024)
DEPARTMENTS = ("司法局", "公安局", "信访局", "生态环境局", "教育局", "市场监督管理局", "应急管理局")
OUT = ROOT / "bench" / "results" / "corpus_site.md"
LOAD_BEFORE = ""


def classified_base(work: Path) -> pd.DataFrame:
    """The seeds and the devset's report files, classified once."""
    if not (MODEL / "model.json").exists():
        subprocess.run([*ROLCOV, "train", str(ROOT / "corpus" / "annotations.csv"), "-o", str(MODEL)], check=True)
    folders = [ROOT / "corpus" / "raw", *([DEVSET / "reports"] if (DEVSET / "reports").is_dir() else [])]
    tables = []
    for i, folder in enumerate(folders):
        target = work / f"base{i}.parquet"
        subprocess.run(
            [*ROLCOV, "classify", str(folder), "--model", str(MODEL), "-o", str(target)],
            check=True,
            capture_output=True,
        )
        tables.append(pd.read_parquet(target))
    return pd.concat(tables, ignore_index=True)


def issuers(seed: int) -> list[tuple[str, str]]:
    """(issuer, level) pairs from real divisions: governments of every level and departments of some."""
    rng = random.Random(seed)
    places = [p for found in default_gazetteer().full.values() for p in found if len(found) == 1]
    by_level = {lv: [p for p in places if p.level == lv] for lv in ("province", "prefecture", "county", "township")}
    picks = []
    for _ in range(400):
        level = rng.choices(["province", "prefecture", "county", "township", "department"], [1, 3, 8, 4, 6])[0]
        if level == "department":
            place = rng.choice(by_level[rng.choice(["prefecture", "county"])])
            name = (place.county or place.city) + rng.choice(DEPARTMENTS)
        else:
            place = rng.choice(by_level[level])
            name = {
                "province": place.province,
                "prefecture": place.city,
                "county": place.county,
                "township": (place.county or place.city) + place.town,
            }[level]
            name += "" if level == "township" else "人民政府"
        picks.append((name, level))
    return picks


def replicate(base: pd.DataFrame, n_reports: int, seed: int = 0) -> pd.DataFrame:
    rng = random.Random(seed)
    names = issuers(seed)
    reports = list(dict.fromkeys(base["report_id"]))
    grouped = dict(tuple(base.groupby("report_id", sort=False)))
    copies = []
    for k in range(n_reports):
        source_id = reports[k % len(reports)]
        rows = grouped[source_id]
        body = rows["part"].isin(BODY_PARTS)
        dropped = rows[body].sample(frac=rng.uniform(0, 0.3), random_state=k).index
        rows = rows.drop(index=dropped)
        issuer, _ = names[rng.randrange(len(names))]
        year = rng.choice(YEARS)
        report_id = f"c{k:05d}_{source_id}"
        copies.append(
            rows.assign(
                report_id=report_id,
                para_id=renamed_para_ids(rows["para_id"], source_id, report_id),
                text=rows["text"] + f"(第{k}份)",
                n_chars=rows["n_chars"] + len(f"(第{k}份)"),
                issuer=issuer,
                year=year,
                title=f"{issuer}关于{year}年度法治政府建设情况的报告",
                source=f"{report_id}.txt",
            )
        )
    return pd.concat(copies, ignore_index=True)


def run_coverage(table: Path, out: Path) -> dict[str, float]:
    start = time.perf_counter()
    result = subprocess.run(
        [
            "/usr/bin/time",
            "-f",
            "%M %U %S",
            *ROLCOV,
            "coverage",
            str(table),
            "-o",
            str(out),
            "--html",
            str(out / "site.html"),
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    seconds = time.perf_counter() - start
    peak_kb, user, system = result.stderr.strip().splitlines()[-1].split()
    return {"seconds": seconds, "peak_mb": int(peak_kb) / 1024, "cpu": float(user) + float(system)}


def render_times(pages: list[Path], ready: bool = True) -> list[float]:
    """Seconds from navigation until each page has drawn (the index: its table is built; others: load)."""
    from playwright.sync_api import sync_playwright

    times = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path="/usr/bin/chromium", args=["--no-sandbox", "--disable-gpu"]
        )
        for page_path in pages:
            page = browser.new_page()
            page.goto(page_path.resolve().as_uri(), wait_until="load", timeout=120_000)
            if ready and page_path.name == "index.html":
                page.wait_for_function("document.body.dataset.ready === 'true'", timeout=120_000)
                times.append(page.evaluate("performance.now()") / 1000)
            else:
                times.append(page.evaluate("performance.getEntriesByType('navigation')[0].loadEventEnd") / 1000)
            page.close()
        browser.close()
    return times


def measure(base: pd.DataFrame, n_reports: int, work: Path) -> dict[str, object]:
    table = work / f"corpus_{n_reports}.parquet"
    replicate(base, n_reports).to_parquet(table, index=False)
    out = work / f"out_{n_reports}"
    timing = run_coverage(table, out)
    site = out / "site"
    pages = sorted((site / "reports").glob("*.html"))
    largest = max(pages, key=lambda p: p.stat().st_size)
    sample = random.Random(n_reports).sample(pages, min(20, len(pages)))
    index_s, *others = render_times([site / "index.html", largest, *sample])
    return {
        "reports": n_reports,
        "paragraphs": len(pd.read_parquet(table, columns=["report_id"])),
        "coverage s": f"{timing['seconds']:.0f}",
        "CPU s": f"{timing['cpu']:.0f}",
        "peak memory MB": f"{timing['peak_mb']:.0f}",
        "index MB": f"{(site / 'index.html').stat().st_size / 2**20:.2f}",
        "largest report page MB": f"{largest.stat().st_size / 2**20:.2f}",
        "index rendered s": f"{index_s:.2f}",
        "slowest report page s": f"{max(others):.2f}",
        "_seconds": timing["seconds"],
        "_cpu": timing["cpu"],
        "_out": out,
    }


def chart_pages(out: Path, work: Path) -> list[dict[str, object]]:
    """The index's four charts by each library, on one page each; bytes with the script, and render time."""
    import matplotlib

    matplotlib.use("Agg")
    from pipeline.coverage import plots
    from pipeline.coverage.corpus import below_peers, coverage_by, task_prevalence
    from pipeline.coverage.html_site import _svg, report_labels

    panel = pd.read_parquet(out / "panel.parquet")
    trends, prevalence, below = coverage_by(panel, ["year", "level"]), task_prevalence(panel), below_peers(panel)
    svgs = [
        _svg(plots.plot_trends(trends)),
        _svg(plots.plot_theme_distribution(panel)),
        _svg(plots.plot_below_peers(below, report_labels(panel))),
        _svg(plots.plot_task_prevalence(prevalence)),
    ]
    pages = {"matplotlib (inline SVG)": (_page("".join(svgs)), None)}
    pages["plotly (plotly.min.js beside)"] = _plotly_page(panel, trends, prevalence, below)
    pages["Vega-Lite via altair (vega bundle beside)"] = _altair_page(panel, trends, prevalence, below)
    rows = []
    for name, (html, script) in pages.items():
        folder = work / f"charts_{len(rows)}"
        folder.mkdir()
        (folder / "index.html").write_text(html, encoding="utf-8")
        size = len(html.encode())
        if script is not None:
            (folder / script[0]).write_text(script[1], encoding="utf-8")
            size += len(script[1].encode())
        seconds = render_times([folder / "index.html"], ready=False)[0]
        rows.append(
            {
                "charts by": name,
                "page KB": f"{len(html.encode()) / 1024:.0f}",
                "page + script KB": f"{size / 1024:.0f}",
                "rendered s": f"{seconds:.2f}",
            }
        )
    return rows


def _page(body: str, head: str = "") -> str:
    return f'<!DOCTYPE html><html><head><meta charset="utf-8">{head}</head><body>{body}</body></html>'


def _plotly_page(panel, trends, prevalence, below) -> tuple[str, tuple[str, str]]:
    import plotly
    import plotly.express as px

    from pipeline.coverage.corpus import SHARE_PREFIX, panel_themes

    long = panel.melt(id_vars=["report_id"], value_vars=[SHARE_PREFIX + t for t in panel_themes(panel)])
    stacked = prevalence.melt(id_vars=["task"], value_vars=["concrete", "general", "plans_or_problems", "absent"])
    figures = [
        px.line(trends, x="year", y="mean_share", color="level", facet_col="theme", facet_col_wrap=4),
        px.box(long, x="value", y="variable"),
        px.scatter(below.head(30), x="share", y="report_id"),
        px.bar(stacked, x="value", y="task", color="variable", orientation="h"),
    ]
    body = "".join(f.to_html(full_html=False, include_plotlyjs=False) for f in figures)
    script = (Path(plotly.__file__).parent / "package_data" / "plotly.min.js").read_text(encoding="utf-8")
    return _page(body, '<script src="plotly.min.js"></script>'), ("plotly.min.js", script)


def _altair_page(panel, trends, prevalence, below) -> tuple[str, tuple[str, str]]:
    import altair as alt
    import vl_convert

    from pipeline.coverage.corpus import SHARE_PREFIX, panel_themes

    alt.data_transformers.disable_max_rows()  # the same rows as the other libraries get, inlined in the spec

    long = panel.melt(id_vars=["report_id"], value_vars=[SHARE_PREFIX + t for t in panel_themes(panel)])
    stacked = prevalence.melt(id_vars=["task"], value_vars=["concrete", "general", "plans_or_problems", "absent"])
    trends = trends.assign(year=trends["year"].astype(float))
    charts = [
        alt.Chart(trends)
        .mark_line(point=True)
        .encode(x="year:O", y="mean_share", color="level")
        .facet("theme", columns=4),
        alt.Chart(long).mark_boxplot().encode(x="value", y="variable"),
        alt.Chart(below.head(30)).mark_point().encode(x="share", y="report_id"),
        alt.Chart(stacked).mark_bar().encode(x="value", y="task", color="variable"),
    ]
    divs = "".join(f'<div id="c{i}"></div>' for i in range(len(charts)))
    specs = "".join(
        f"vegaEmbed('#c{i}', {json.dumps(c.to_dict(), ensure_ascii=False, default=str)});" for i, c in enumerate(charts)
    )
    bundle = vl_convert.javascript_bundle()  # vega, vega-lite and vega-embed; sets window.vegaEmbed
    return (_page(divs + f"<script>{specs}</script>", '<script src="vega.js"></script>'), ("vega.js", bundle))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[500, 2000, 5000])
    parser.add_argument("--charts", action="store_true", help="also compare chart libraries at the largest size")
    parser.add_argument("--out", type=Path, default=OUT, help=f"results file (default {OUT.relative_to(ROOT)})")
    args = parser.parse_args()
    global LOAD_BEFORE
    LOAD_BEFORE = f"{os.getloadavg()[0]:.1f}"
    with tempfile.TemporaryDirectory(prefix="rolcov-corpus-site-") as tmp:
        work = Path(tmp)
        base = classified_base(work)
        rows = []
        for n in args.sizes:
            rows.append(measure(base, n, work))
            print(rows[-1], flush=True)
        charts = chart_pages(rows[-1]["_out"], work) if args.charts else []
    ratio = rows[-1]["_seconds"] / rows[0]["_seconds"] if len(rows) > 1 else 1.0
    cpu_ratio = rows[-1]["_cpu"] / rows[0]["_cpu"] if len(rows) > 1 else 1.0
    shown = [{k: v for k, v in row.items() if not k.startswith("_")} for row in rows]
    lines = [
        "# Coverage of a corpus: tables and the site",
        "",
        f"`PYTHONPATH=$PWD python bench/corpus_site.py {' '.join(sys.argv[1:])}` — one run on this 2-core machine "
        f"(shared; see the script's docstring). Base: {base['report_id'].nunique()} classified reports.",
        "",
        markdown_table(shown),
        "",
        f"{rows[-1]['reports']:,} reports took {ratio:.1f}× the wall time and {cpu_ratio:.1f}× the CPU time of "
        f"{rows[0]['reports']:,} ({rows[-1]['reports'] / rows[0]['reports']:.0f}× the reports); load average "
        f"before the run {LOAD_BEFORE}.",
        "",
    ]
    if charts:
        lines += [
            f"## Chart libraries ({rows[-1]['reports']:,} reports; the index's four charts alone)",
            "",
            markdown_table(charts),
            "",
        ]
    args.out.write_text("\n".join(lines), encoding="utf-8")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
