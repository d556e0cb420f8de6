"""The same report in other encodings and file types gives the same paragraphs and headings."""

from __future__ import annotations

import opencc
import pytest
from report_files import write_docx, write_encoded_text, write_html, write_pdf

from pipeline.io.ingest import read_report
from pipeline.text.normalize import normalize_text
from pipeline.text.segment import paragraphs_to_frame, segment_file, segment_report

COMPARED = ["para_id", "part", "heading_path", "text", "year", "issuer", "title"]


def _table(path):
    frame = paragraphs_to_frame(segment_report(read_report(path)))
    frame["para_id"] = frame.para_id.str.split(":").str[1]
    return frame[COMPARED]


@pytest.mark.parametrize(
    ("seed", "writer", "suffix"),
    [
        ("004", lambda lines, path: write_encoded_text(lines, path, "gb18030"), ".txt"),
        ("001", lambda lines, path: write_encoded_text(lines, path, "gbk"), ".txt"),
        ("002", lambda lines, path: write_html(lines, path), ".html"),
        ("004", lambda lines, path: write_html(lines, path, encoding="gb18030"), ".htm"),
        ("000", write_docx, ".docx"),
        ("001", write_docx, ".docx"),
        ("000", write_pdf, ".pdf"),
        ("004", write_pdf, ".pdf"),
    ],
)
def test_variant_gives_same_paragraphs_as_utf8_text(seed_paths, tmp_path, seed, writer, suffix):
    original = read_report(seed_paths[seed])
    variant = writer(list(original.lines), tmp_path / f"{seed_paths[seed].stem}{suffix}")
    expected, got = _table(seed_paths[seed]), _table(variant)
    assert got.to_dict("records") == expected.to_dict("records")


def test_type_is_decided_by_content_not_extension(seed_paths, tmp_path):
    original = read_report(seed_paths["000"])
    misnamed = write_docx(list(original.lines), tmp_path / "report.txt")
    assert read_report(misnamed).file_type == "docx"
    page = write_html(list(original.lines), tmp_path / "page.txt")
    assert read_report(page).file_type == "html"


def test_traditional_big5_copy_normalizes_like_the_simplified_original(seed_paths, tmp_path):
    original = read_report(seed_paths["002"])
    traditional = opencc.OpenCC("s2t").convert(original.text)
    assert traditional != original.text
    path = tmp_path / "traditional.txt"
    path.write_bytes(traditional.encode("big5", errors="replace"))
    copy = read_report(path)
    assert copy.encoding.replace("_", "").lower().startswith("big5")
    unencodable = {char for char in traditional if char.encode("big5", errors="replace") == b"?"}
    copy_text, original_text = normalize_text(copy.text), normalize_text(original.text)
    differing = [(a, b) for a, b in zip(copy_text, original_text) if a != b and a != "?"]
    assert len(copy_text) == len(original_text)
    assert len(differing) <= 3, differing  # OpenCC round trips are not perfect for a handful of characters
    assert len(unencodable) < 10


def test_full_width_forms_are_unified():
    assert normalize_text("（一）２０１９年，依法行政") == "(一)2019年,依法行政"


def test_pinyin_glosses_of_mirror_sites_are_dropped_in_the_one_normalized_form(seed_paths):
    original = read_report(seed_paths["002"]).lines[8]
    glossed = original.replace("法治", "法(fǎ)治", 1).replace("政府", "政（zhèng）府", 1)
    assert glossed != original and normalize_text(glossed) == normalize_text(original)


def test_a_docx_table_stays_where_it_stands_in_the_report(seed_paths, tmp_path):
    import docx

    lines = list(read_report(seed_paths["004"]).lines)
    first_section_ends = next(i for i, line in enumerate(lines) if line.strip().startswith("二、"))
    document = docx.Document()
    for line in lines[:first_section_ends]:
        document.add_paragraph(line)
    document.add_table(rows=1, cols=1).cell(0, 0).text = "全年办理行政复议案件12件，全部依法审结。"
    for line in lines[first_section_ends:]:
        document.add_paragraph(line)
    document.save(tmp_path / "with_table.docx")
    table = segment_file(tmp_path / "with_table.docx")
    row = table[table.text.str.contains("全年办理行政复议案件12件")].iloc[0]
    assert row.heading_path.startswith("一、") and row.part == "achievements"  # not after the last section
