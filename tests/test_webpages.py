"""A report saved as a government web page reads as the document: its paragraphs, none of the page.

Every page is one of the templates in ``tests/pages/`` wrapped around a seed report at test time (see
:mod:`page_templates`); the expected paragraphs are those of the seed's own .txt file.
"""

from __future__ import annotations

import logging
import re
from pathlib import Path

import pytest
from page_templates import STATED, TEMPLATES, UNTITLED, seed_document, wrap_seed

from pipeline.io.ingest import read_report
from pipeline.text.segment import paragraphs_to_frame, segment_report

COMPARED = ["part", "heading_path", "text"]


def _frame(path):
    return paragraphs_to_frame(segment_report(read_report(path)))


def _page_only_lines(page: Path, seed: Path) -> set[str]:
    """Text of the page that is not the seed's (menus, link titles, footer, widgets; 政务公开 may be in both)."""
    text = re.sub(r"<(script|style)[^>]*>.*?</\1>|<[^>]+>|&\w+;", "\n", page.read_text(encoding="utf-8"), flags=re.S)
    seed_text = read_report(seed).text
    return {line for line in map(str.strip, text.splitlines()) if len(line) >= 4 and line not in seed_text}


@pytest.mark.parametrize("template", TEMPLATES)
@pytest.mark.parametrize("seed", ["000", "001", "002", "003", "004"])
def test_page_gives_the_seed_paragraphs_and_nothing_of_the_wrapper(seed_paths, seed_tables, tmp_path, template, seed):
    page = wrap_seed(seed_paths[seed], template, tmp_path / f"{template}.html")
    got = _frame(page)
    chrome = _page_only_lines(page, seed_paths[seed]) - {seed_document(seed_paths[seed]).title}
    assert len(chrome) > 20
    leaked = [row for row in got.text if any(line in row for line in chrome)]
    assert not leaked, leaked
    assert got[COMPARED].to_dict("records") == seed_tables[seed][COMPARED].to_dict("records")


@pytest.mark.parametrize("template", ["xxgk", "xxgk_list"])  # the block as a table / as a list of spans
def test_disclosure_block_gives_issuer_title_and_date_but_the_text_gives_the_year(seed_paths, tmp_path, template):
    page = wrap_seed(seed_paths["001"], template, tmp_path / "page.html")
    report = read_report(page)
    assert (report.page.index_number, report.page.document_number) == (STATED["index_no"], STATED["doc_no"])
    paragraphs = segment_report(report)
    frame = paragraphs_to_frame(paragraphs)
    assert set(frame.issuer) == {STATED["issuer"]}  # the text alone says 巩义市
    assert set(frame.title) == {seed_document(seed_paths["001"]).title}
    assert set(frame.year) == {2019}  # the report's own title, not the block's 2024
    assert paragraphs[0].info.published == STATED["date"]


def test_block_date_gives_the_year_when_the_text_states_none(seed_paths, seed_tables, tmp_path):
    assert seed_tables["003"].year.isna().all()
    frame = _frame(wrap_seed(seed_paths["003"], "xxgk", tmp_path / "xxgk.html"))
    assert set(frame.year) == {int(STATED["date"][:4]) - 1}  # a report published in March covers the year before


def test_title_tag_is_metadata_not_a_paragraph(seed_paths, tmp_path):
    frame = _frame(wrap_seed(seed_paths["000"], "div_layout", tmp_path / "page.html"))
    assert set(frame.title) == {UNTITLED}
    assert not frame.text.str.contains(UNTITLED).any()


def test_stray_closing_html_tag_does_not_cut_the_page_short(seed_paths, seed_tables, tmp_path):
    # server-side includes often close the header's own <html> before the article
    page = wrap_seed(seed_paths["002"], "div_layout", tmp_path / "page.html")
    markup = page.read_text(encoding="utf-8").replace(
        '<div class="main w1200">', '</body></html>\n<div class="main w1200">'
    )
    page.write_text(markup, encoding="utf-8")
    assert _frame(page)[COMPARED].to_dict("records") == seed_tables["002"][COMPARED].to_dict("records")


def test_data_table_in_the_body_stays_out_of_the_paragraphs(seed_paths, seed_tables, tmp_path):
    page = wrap_seed(seed_paths["004"], "div_layout", tmp_path / "page.html")
    table = (
        "<table><tr><th>项目</th><th>件数</th></tr>"
        + "".join(f"<tr><td>行政复议第{n}类</td><td>{n * 7}</td></tr>" for n in range(1, 6))
        + "</table>"
    )
    markup = page.read_text(encoding="utf-8")
    cut = markup.index("</p>", markup.index('id="zoom"')) + len("</p>")
    page.write_text(markup[:cut] + table + markup[cut:], encoding="utf-8")
    got = _frame(page)
    assert not got.text.str.contains("行政复议第").any()
    assert got[COMPARED].to_dict("records") == seed_tables["004"][COMPARED].to_dict("records")


def test_page_without_main_content_falls_back_to_every_block_with_one_warning(seed_paths, tmp_path, caplog):
    headings = [line for line in seed_document(seed_paths["004"]).lines if re.match(r"^[一二三四五六七八九]、", line)]
    items = "".join(f"<li><a href='#'>{heading[:15]}</a></li>" for heading in headings)
    page = tmp_path / "menu.html"
    page.write_text(f"<html><head><title>目录</title></head><body><ul>{items}</ul></body></html>", encoding="utf-8")
    with caplog.at_level(logging.WARNING, logger="rolcov"):
        report = read_report(page)
    assert [record.getMessage().split(":")[0] for record in caplog.records] == [str(page)]
    assert "no main content" in caplog.text
    assert list(report.lines) == [heading[:15] for heading in headings]
