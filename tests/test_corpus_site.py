"""A corpus in tables and in the browser: the panel, grouped summaries, --metadata, the site and its exit codes.

The corpus is the five hand-labelled seed reports (``corpus/annotations.csv``) copied under real issuers of
several levels and years; one copy of a county report loses its enforcement labels, so it must stand out as
far below its peers. The browser tests drive the system's Chromium through Playwright (real clicks).
"""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from pipeline.cli.main import main
from pipeline.coverage.corpus import below_peers, corpus_panel, coverage_by
from pipeline.coverage.html_site import page_name
from pipeline.coverage.profile import coverage_profile, validate_table
from pipeline.coverage.run import CORPUS_OUTPUT_FILES, EXIT_FAILED, EXIT_OK, EXIT_PARTIAL, run_coverage
from pipeline.errors import MetadataError
from pipeline.io.tables import read_table, write_table
from pipeline.schema import renamed_para_ids

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = shutil.which("chromium")
browser = pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed (apt-get install chromium)")
#: Real issuers of three levels; each seed report is copied under each of them for 2020 and 2021.
ISSUERS = ["清河县人民政府", "巩义市人民政府", "柳城县人民政府", "淮安市人民政府", "西安市司法局", "长沙县司法局"]
LOW = "c2021_清河县人民政府_0"  # its enforcement labels are removed


def _corpus() -> pd.DataFrame:
    seeds = read_table(ROOT / "corpus" / "annotations.csv")
    seeds = seeds[~seeds["para_id"].str.contains(".", regex=False)].assign(n_chars=lambda t: t["text"].str.len())
    copies = []
    for year in (2020, 2021):
        for issuer in ISSUERS:
            for k, (source_id, rows) in enumerate(seeds.groupby("report_id", sort=True)):
                if k > 1:
                    break
                report_id = f"c{year}_{issuer}_{k}"
                labels = rows["labels"]
                if report_id == LOW:
                    labels = labels.str.replace("enforcement", "", regex=False).str.strip(";")
                copies.append(
                    rows.assign(
                        report_id=report_id,
                        labels=labels,
                        issuer=issuer,
                        year=year,
                        para_id=renamed_para_ids(rows["para_id"], source_id, report_id),
                        title=f"{issuer}关于{year}年度法治政府建设情况的报告",
                        source=f"{year}/{report_id}.txt",
                    )
                )
    return pd.concat(copies, ignore_index=True)


@pytest.fixture(scope="module")
def corpus_file(tmp_path_factory) -> Path:
    return write_table(_corpus(), tmp_path_factory.mktemp("corpus") / "labelled.parquet")


@pytest.fixture(scope="module")
def site_run(corpus_file, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("out")
    assert run_coverage([corpus_file], out, html=out / "site.html") == EXIT_OK
    return out


def test_panel_has_one_row_per_report_and_reads_back_in_parquet_and_stata(site_run):
    panel = pd.read_parquet(site_run / "panel.parquet")
    assert len(panel) == 24 and panel["report_id"].is_unique
    row = panel.set_index("report_id").loc["c2020_柳城县人民政府_0"]
    assert (row["province"], row["city"], row["level"], row["admin_code"]) == (
        "广西壮族自治区",
        "柳州市",
        "county",
        "450222",
    )
    assert (panel["level"] == "department").sum() == 8 and (panel["level"] == "prefecture").sum() == 4
    assert set(panel.filter(like="task_").stack()) <= {"concrete", "general", "plans_or_problems", "absent"}
    stata = pd.read_stata(site_run / "panel.dta")
    assert stata["province"].tolist() == panel["province"].tolist()  # Chinese intact
    assert stata["department_kind"].str.contains("司法局").sum() == 8
    assert np.allclose(stata["share_enforcement"], panel["share_enforcement"])
    assert all(len(name) <= 32 for name in stata.columns)
    assert (site_run / "panel.csv").read_bytes().startswith(b"\xef\xbb\xbf")
    assert all((site_run / name).exists() for name in CORPUS_OUTPUT_FILES)


def test_grouped_summaries_count_the_reports_behind_every_cell(corpus_file):
    table = validate_table(read_table(corpus_file))
    profile = coverage_profile(table)
    panel = corpus_panel(table, profile)
    by = coverage_by(panel, ["year", "level"])
    counts = by.drop_duplicates(["year", "level"]).set_index(["year", "level"])["n_reports"]
    assert counts.to_dict() == {
        (2020, "county"): 6,
        (2020, "department"): 4,
        (2020, "prefecture"): 2,
        (2021, "county"): 6,
        (2021, "department"): 4,
        (2021, "prefecture"): 2,
    }
    county = panel[(panel["level"] == "county") & (panel["year"] == 2020)]
    mean = by[(by["year"] == 2020) & (by["level"] == "county") & (by["theme"] == "enforcement")]["mean_share"].item()
    assert mean == pytest.approx(county["share_enforcement"].mean())
    below = below_peers(panel)
    assert below.iloc[0][["report_id", "theme", "n_peers"]].tolist() == [LOW, "enforcement", 5]
    assert below.iloc[0]["share"] == 0 and below.iloc[0]["peer_median"] > 0.1


def test_task_prevalence_shares_sum_to_one_per_task(site_run):
    by_level = pd.read_csv(site_run / "task_prevalence_by_level.csv", encoding="utf-8-sig")
    shares = by_level[["concrete", "general", "plans_or_problems", "absent"]].sum(axis=1)
    assert np.allclose(shares, 1.0) and set(by_level["level"]) == {"county", "prefecture", "department"}
    assert (by_level["n_reports"] > 0).all() and by_level["task"].nunique() == 44


def test_metadata_file_adds_variables_and_overrides_what_was_read(corpus_file, tmp_path):
    meta = tmp_path / "groups.csv"
    meta.write_text(
        "source,treatment,示范创建,level\n2020/c2020_淮安市人民政府_0.txt,1,是,county\n"
        "c2021_淮安市人民政府_1.txt,0,否,\n",
        encoding="utf-8-sig",
    )
    assert run_coverage([corpus_file], tmp_path / "out", metadata=meta) == EXIT_OK
    panel = pd.read_parquet(tmp_path / "out" / "panel.parquet").set_index("report_id")
    assert panel.loc["c2020_淮安市人民政府_0", ["treatment", "示范创建", "level", "place_source"]].tolist() == [
        1,
        "是",
        "county",
        "metadata",
    ]
    assert panel.loc["c2021_淮安市人民政府_1", ["treatment", "level"]].tolist() == [0, "prefecture"]
    assert pd.isna(panel.loc["c2020_清河县人民政府_0", "treatment"])
    assert pd.read_stata(tmp_path / "out" / "panel.dta")["示范创建"].tolist().count("是") == 1


def test_bad_metadata_gets_one_line_per_problem_and_nothing_is_written(corpus_file, tmp_path, capsys):
    meta = tmp_path / "bad.csv"
    meta.write_text(
        "report_id,share_enforcement,group\nc2020_清河县人民政府_0,0.5,a\nno_such_report,,b\n"
        "c2020_清河县人民政府_0,,c\n",
        encoding="utf-8",
    )
    with pytest.raises(MetadataError) as raised:
        run_coverage([corpus_file], tmp_path / "out", metadata=meta)
    problems = raised.value.problems
    assert [p.split(": ")[0] for p in problems] == [f"{meta}:1", f"{meta}:3", f"{meta}:4"]
    assert "share_enforcement" in problems[0] and "no_such_report" in problems[1] and "repeats line 2" in problems[2]
    assert not (tmp_path / "out").exists()
    code = main(["coverage", str(corpus_file), "-o", str(tmp_path / "cli"), "--metadata", str(meta)])
    err = capsys.readouterr().err.splitlines()
    assert code == 3 and err[:3] == [f"error: {p}" for p in problems] and not (tmp_path / "cli").exists()


def test_unreadable_input_is_named_and_the_others_are_written(corpus_file, tmp_path, capsys):
    broken = tmp_path / "broken.parquet"
    broken.write_bytes(b"not parquet")
    assert main(["coverage", str(broken), str(corpus_file), "-o", str(tmp_path / "out")]) == EXIT_PARTIAL
    assert "broken.parquet" in capsys.readouterr().err
    assert len(pd.read_parquet(tmp_path / "out" / "panel.parquet")) == 24
    assert main(["coverage", str(broken), "-o", str(tmp_path / "none")]) == EXIT_FAILED
    assert not (tmp_path / "none").exists()


def test_a_handful_of_reports_keeps_the_single_page(corpus_file, tmp_path):
    few = read_table(corpus_file)
    few = write_table(few[few["report_id"].str.startswith("c2020_清河")], tmp_path / "few.parquet")
    assert run_coverage([few], tmp_path / "out", html=tmp_path / "out" / "coverage.html") == EXIT_OK
    assert (tmp_path / "out" / "coverage.html").is_file() and not (tmp_path / "out" / "coverage").exists()
    run_coverage([few], tmp_path / "site", html=tmp_path / "site" / "coverage.html", pages="site")
    assert (tmp_path / "site" / "coverage" / "index.html").is_file()


def test_site_pages_are_offline_and_escape_report_text(site_run):
    index = (site_run / "site" / "index.html").read_text(encoding="utf-8")
    pages = list((site_run / "site" / "reports").glob("*.html"))
    assert len(pages) == 24
    for page in [index, *(p.read_text(encoding="utf-8") for p in pages[:3])]:
        outside = (
            page.replace('xmlns="http://www.w3.org/2000/svg"', "")
            .replace('xmlns:xlink="http://www.w3.org/1999/xlink"', "")
            .replace("http://www.w3.org/", "")
        )
        assert "http://" not in outside and "https://" not in outside and "<script src" not in page
    assert "柳城县人民政府 2020" in index and '"reports/' in index


@pytest.fixture(scope="module")
def chromium_page():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser_ = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"])
        page = browser_.new_page(viewport={"width": 1280, "height": 900})
        yield page
        browser_.close()


def _table_rows(page) -> list[list[str]]:
    return page.eval_on_selector_all(
        "table.reports tbody tr", "rows => rows.map(r => [...r.cells].map(c => c.textContent))"
    )


@browser
def test_index_filters_by_level_and_year_and_sorts_by_a_theme(site_run, chromium_page):
    page = chromium_page
    page.goto((site_run / "site" / "index.html").as_uri())
    page.wait_for_function("document.body.dataset.ready === 'true'")
    assert len(_table_rows(page)) == 24
    page.select_option('select[data-filter="level"]', "county")
    page.select_option('select[data-filter="year"]', "2021")
    rows = _table_rows(page)
    assert len(rows) == 6 and all(r[4] == "county" and r[1] == "2021" for r in rows)
    assert "level=county" in page.url and "year=2021" in page.url
    header = page.locator('table.reports th[data-key="share_enforcement"]')
    header.click()  # descending
    header.click()  # ascending: the report without enforcement comes first
    rows = _table_rows(page)
    shares = [int(r[8].rstrip("%")) for r in rows]
    assert shares == sorted(shares) and rows[0][0] == "清河县人民政府 2021" and shares[0] == 0


@browser
def test_a_click_leads_from_row_or_chart_point_to_the_report_and_its_paragraphs(site_run, chromium_page):
    page = chromium_page
    index = (site_run / "site" / "index.html").as_uri()
    page.goto(index)
    page.wait_for_function("document.body.dataset.ready === 'true'")
    with page.expect_navigation():  # the red dot of the report furthest below its peers
        page.locator(f'#peers svg a[*|href="reports/{page_name(LOW)}"]').last.click()
    assert page.url.endswith(f"/reports/{page_name(LOW)}")
    assert page.locator("h1").inner_text() == "清河县人民政府 2021"
    assert page.locator("#peers td.flag", has_text="far below").count() >= 1
    page.goto(index)
    page.wait_for_function("document.body.dataset.ready === 'true'")
    with page.expect_navigation():
        page.locator("table.reports tbody tr a", has_text="柳城县人民政府 2020").first.click()
    assert page.locator("h1").inner_text() == "柳城县人民政府 2020"
    assert page.locator("table.meta-table").inner_text().count("广西壮族自治区") == 1
    link = page.locator("#coverage table a").nth(2 * 5)  # enforcement, all parts
    target = link.get_attribute("href")[1:]
    link.click()
    details = page.locator(f"details#{target}")
    page.wait_for_function(f"document.getElementById('{target}').open", timeout=5000)  # opened on hashchange
    assert details.locator("li").count() >= 1
    assert details.locator("li p").first.inner_text().strip()


@browser
def test_site_renders_chinese_and_charts(site_run, chromium_page, tmp_path):
    from PIL import Image

    page = chromium_page
    page.goto((site_run / "site" / "index.html").as_uri())
    page.wait_for_function("document.body.dataset.ready === 'true'")
    shot = tmp_path / "index.png"
    page.screenshot(path=str(shot), full_page=True)
    pixels = np.asarray(Image.open(shot).convert("RGB")).astype(int)
    assert pixels.shape[0] > 2000 and (pixels.sum(axis=2) < 600).mean() > 0.01
    assert page.locator("#trends svg text", has_text="严格规范公正文明执法").count() == 1
    box = page.locator("#trends svg text", has_text="严格规范公正文明执法").bounding_box()
    assert box and box["width"] > 80  # drawn by a font, not collapsed


def test_markup_in_issuers_and_ids_stays_text_in_the_site(tmp_path):
    import json
    import re

    hostile = """<script>alert(1)</script>"q" 'a' & </script>"""
    table = _corpus()
    mine = table["report_id"] == LOW
    table.loc[mine, "issuer"] = hostile
    table.loc[mine, "para_id"] = table.loc[mine, "para_id"].str.replace(LOW, LOW + hostile, regex=False)
    table.loc[mine, "report_id"] = LOW + hostile
    run_coverage([write_table(table, tmp_path / "t.parquet")], tmp_path / "out", html=tmp_path / "out" / "s.html")
    index = (tmp_path / "out" / "s" / "index.html").read_text(encoding="utf-8")
    assert index.count("<script") == 2 and "alert(1)</script>" not in index  # the data block and the site's script
    data = json.loads(re.search(r'<script type="application/json" id="report-data">(.*?)</script>', index, re.S)[1])
    row = next(r for r in data["rows"] if r[0].startswith(hostile))
    assert row[-1] == f"reports/{page_name(LOW + hostile)}" and page_name(LOW + hostile).startswith("r-")
    page = (tmp_path / "out" / "s" / row[-1]).read_text(encoding="utf-8")
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page and "<script>alert" not in page
