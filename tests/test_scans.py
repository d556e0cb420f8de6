"""A report published as a scan — a PDF of page images, or the page images themselves — reads like its text.

The scans are made here from seed 003's opening (two pages and a bit, to keep OCR within CI's time): 公文
layout at 200 dpi, turned by a fraction of a degree, noisy, with a running header, page numbers and a red
seal stamped over the last lines (tests/scanned_files.py).
"""

from __future__ import annotations

import logging
import shutil
import sys
import unicodedata

import pytest
from report_files import write_encoded_text
from scanned_files import write_doc, write_page_images, write_scanned_pdf

from pipeline.errors import InputError
from pipeline.io.convert import LOW_CONFIDENCE, ConvertOptions
from pipeline.io.ingest import find_report_files, read_report
from pipeline.model.batch import CONVERTED_DIR, classify_reports
from pipeline.text.normalize import normalize_text
from pipeline.text.segment import segment_file

pytest.importorskip("rapidocr", reason="the OCR engine is installed with rolcov[ocr]")

SEED, LINES = "003", 5  # the preamble, two sections and their paragraphs: 3 pages


def _flat(text: str) -> str:
    return "".join(normalize_text(text).split())


def _character_errors(got: str, expected: str) -> float:
    from rapidfuzz.distance import Levenshtein

    return Levenshtein.distance(_flat(got), _flat(expected)) / len(_flat(expected))


@pytest.fixture(scope="module")
def opening(seed_paths) -> list[str]:
    return list(read_report(seed_paths[SEED]).lines[:LINES])


@pytest.fixture(scope="module")
def text_table(opening, tmp_path_factory):
    return segment_file(write_encoded_text(opening, tmp_path_factory.mktemp("text") / "report.txt", "utf-8"))


@pytest.fixture(scope="module")
def scan_table(opening, tmp_path_factory):
    return segment_file(write_scanned_pdf(opening, tmp_path_factory.mktemp("scan") / "report.pdf"))


def test_scanned_pdf_gives_the_paragraphs_and_headings_of_its_text(text_table, scan_table):
    assert len(scan_table) == len(text_table)
    assert [_flat(path) for path in scan_table.heading_path] == [_flat(path) for path in text_table.heading_path]
    assert list(scan_table.part) == list(text_table.part)
    for got, expected in zip(scan_table.text, text_table.text):
        assert _character_errors(got, expected) <= 0.02, (got, expected)


def test_headers_page_numbers_and_seal_text_are_not_read_as_report_text(opening, scan_table):
    text = "".join(scan_table.text)
    header = _flat(opening[0][:16])
    assert _flat(text).count(header) == 1  # in the first paragraph, not again at the top of every page
    assert not any(unicodedata.category(char) == "Pd" for char in text)  # the "— 2 —" page numbers
    assert not set("专用章") & set(text) - set("".join(opening))  # the seal's own characters


def test_ocr_confidence_is_a_column_of_scanned_reports_only(text_table, scan_table):
    assert scan_table.ocr_confidence.nunique() == 1
    assert LOW_CONFIDENCE < scan_table.ocr_confidence.iloc[0] <= 1
    assert text_table.ocr_confidence.isna().all()


def test_page_images_of_one_report_are_read_as_one_report(opening, text_table, tmp_path):
    pages = write_page_images(opening, tmp_path / "images", "report")
    assert len(pages) >= 2
    files, skipped = find_report_files([tmp_path / "images"])
    assert (files, skipped) == ([pages[0]], [])
    table = segment_file(files[0])
    assert len(table) == len(text_table)
    assert _character_errors("".join(table.text), "".join(text_table.text)) <= 0.02


def test_faint_scan_gets_one_warning_line(opening, tmp_path, caplog):
    from PIL import Image, ImageFilter

    page = write_page_images(opening[:1], tmp_path, "faint")[0]
    with Image.open(page) as image:  # blurred, grey on grey, at 100 dpi
        faint = image.reduce(2).filter(ImageFilter.GaussianBlur(2.0)).point(lambda value: 255 - (255 - value) // 3)
    faint.save(page)
    with caplog.at_level(logging.WARNING):
        report = read_report(page)
    assert report.ocr_confidence < LOW_CONFIDENCE
    warnings = [record.getMessage() for record in caplog.records if "OCR confidence" in record.getMessage()]
    assert len(warnings) == 1 and warnings[0].startswith(f"{page}: ")


def test_missing_ocr_engine_names_the_install_command(opening, tmp_path, monkeypatch):
    page = write_page_images(opening[:1], tmp_path, "page")[0]
    monkeypatch.setitem(sys.modules, "rapidocr", None)  # as if rolcov[ocr] were not installed
    with pytest.raises(InputError) as raised:
        read_report(page)
    assert str(raised.value) == f"{page}: a scan, and reading scans needs the OCR engine; pip install 'rolcov[ocr]'"


def test_batch_converts_each_file_once_and_counts_ocr_pages(
    opening, seed_paths, saved_model_dir, tmp_path, monkeypatch, capsys
):
    reports = tmp_path / "reports"
    write_page_images(opening[:1], reports, "notice")
    write_encoded_text(list(read_report(seed_paths["000"]).lines), reports / "000.txt", "gb18030")
    converters = 1
    if shutil.which("soffice"):
        write_doc(list(read_report(seed_paths["002"]).lines), reports / "002.doc")
        converters += 1
    first = classify_reports([reports], saved_model_dir, tmp_path / "out", jobs=1)
    assert "OCR" in capsys.readouterr().err  # the bar of pages
    assert len(list((tmp_path / "out" / CONVERTED_DIR).rglob("*.json"))) == converters

    def not_again(*args, **kwargs):
        raise AssertionError("a cached file was converted again")

    monkeypatch.setattr("pipeline.io.ocr.recognise_page", not_again)
    monkeypatch.setattr("pipeline.io.office.office_lines", not_again)
    again = classify_reports([reports], saved_model_dir, tmp_path / "out", jobs=1, force=True, progress=False)
    assert (first.classified, again.classified, again.failures) == (1 + converters, 1 + converters, ())
    assert again.paragraphs == first.paragraphs
    shared = ConvertOptions(cache_dir=tmp_path / "out" / CONVERTED_DIR)
    assert read_report(next(reports.glob("*.png")), convert=shared).ocr_confidence > LOW_CONFIDENCE
