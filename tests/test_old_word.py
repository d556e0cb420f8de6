"""Old Word, WPS and RTF documents read like the .docx they were saved from.

Each document is made here: a .docx of a seed's lines (python-docx), saved as Word 97 .doc or RTF by
LibreOffice — the same converter rolcov reads them with, started the way a user's Word would not be, so
the test checks the round trip through the binary format, not a copy of the text.
"""

from __future__ import annotations

import shutil

import pytest
from report_files import write_docx
from scanned_files import write_doc

from pipeline.errors import InputError
from pipeline.io.convert import ConvertOptions
from pipeline.io.ingest import read_report
from pipeline.text.segment import segment_file

pytestmark = pytest.mark.skipif(
    shutil.which("soffice") is None, reason="LibreOffice (Debian: libreoffice-writer-nogui) converts the test files"
)

COMPARED = ["part", "heading_path", "text", "year", "issuer", "title"]


def _rows(path) -> list[dict]:
    return segment_file(path)[COMPARED].to_dict("records")


@pytest.mark.parametrize("seed", ["000", "001", "002", "003", "004"])
def test_doc_segments_like_its_docx(seed_paths, tmp_path, seed):
    lines = list(read_report(seed_paths[seed]).lines)
    docx = write_docx(lines, tmp_path / "report.docx")
    doc = write_doc(lines, tmp_path / "report.doc")
    assert read_report(doc).file_type == "doc"
    assert _rows(doc) == _rows(docx)


def test_wps_and_rtf_segment_like_the_docx(seed_paths, tmp_path):
    lines = list(read_report(seed_paths["004"]).lines)
    expected = _rows(write_docx(lines, tmp_path / "report.docx"))
    wps = write_doc(lines, tmp_path / "report.doc").rename(tmp_path / "report.wps")  # Kingsoft's .wps is Word's format
    rtf = write_doc(lines, tmp_path / "report.rtf", target="rtf")
    assert read_report(rtf).file_type == "rtf"
    assert _rows(wps) == expected
    assert _rows(rtf) == expected


def _one_line_error(path, **options) -> str:
    with pytest.raises(InputError) as raised:
        read_report(path, convert=ConvertOptions(**options))
    message = str(raised.value)
    assert message.startswith(f"{path}: ") and "\n" not in message, message
    return message


def test_missing_libreoffice_is_named_with_the_package_to_install(seed_paths, tmp_path, monkeypatch):
    doc = write_doc(list(read_report(seed_paths["003"]).lines), tmp_path / "report.doc")
    monkeypatch.setenv("PATH", str(tmp_path))  # no soffice on it
    message = _one_line_error(doc)
    assert "needs LibreOffice" in message and "libreoffice-writer-nogui" in message


def test_converter_that_runs_too_long_is_stopped(seed_paths, tmp_path):
    doc = write_doc(list(read_report(seed_paths["003"]).lines), tmp_path / "report.doc")
    assert "did not finish converting it within 0.05 s" in _one_line_error(doc, timeout=0.05)


def test_password_protected_document_is_refused_before_conversion(seed_paths, tmp_path):
    from msoffcrypto.format.ooxml import OOXMLFile

    docx = write_docx(list(read_report(seed_paths["003"]).lines), tmp_path / "plain.docx")
    locked = tmp_path / "locked.docx"
    with docx.open("rb") as plain, locked.open("wb") as target:
        OOXMLFile(plain).encrypt("secret", target)
    assert "password-protected" in _one_line_error(locked)


def test_text_saved_under_a_word_name_is_read_as_text(seed_paths, tmp_path):
    page = tmp_path / "report.doc"  # sites often serve a web page or plain text as .doc
    shutil.copy(seed_paths["003"], page)
    report = read_report(page)
    assert report.file_type == "txt" and report.lines == read_report(seed_paths["003"]).lines
