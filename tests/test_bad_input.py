"""Bad input gets a one-line error naming the file and what to do; in a batch the good files still produce rows.

The table "What bad input gets" in docs/formats.md lists these cases in this order, each with the test that backs it.
"""

from __future__ import annotations

import shutil
import zipfile
from pathlib import Path

import pytest
from conftest import ANNOTATIONS, SEEDS

from pipeline.cli.common import EXIT_FAILED, EXIT_OK, EXIT_PARTIAL
from pipeline.cli.main import main
from pipeline.errors import InputError
from pipeline.io.tables import read_table, write_table
from pipeline.text.segment import segment_file


def _scan_pdf(path: Path) -> None:
    from reportlab.pdfgen import canvas

    scan = canvas.Canvas(str(path))
    scan.rect(100, 100, 300, 400, fill=1)  # an image-only page: what a scanner produces
    scan.save()


def _blank_page(path: Path) -> None:
    from PIL import Image

    Image.new("L", (1654, 2339), 235).save(path)  # a scanned empty page


def _ofd(path: Path) -> None:
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("OFD.xml", '<ofd:OFD xmlns:ofd="http://www.ofdspec.org/2016" Version="1.0"/>')


def _oversized(path: Path) -> None:
    with path.open("wb") as stream:  # 60 MB, sparse: a text head, then a hole
        stream.write("法治政府建设情况报告\n".encode() * 1000)
        stream.truncate(60 * 2**20)


def _zip_not_docx(path: Path) -> None:
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("readme.txt", "not a word document")


# name: (file name, how to write it, what the one-line error must say)
BAD_FILES = {
    "missing": ("missing.txt", None, "no such file"),
    "empty": ("empty.txt", lambda path: path.write_bytes(b""), "the file is empty"),
    "blank": ("blank.txt", lambda path: path.write_bytes(b"  \n\n "), "the file is empty"),
    "binary": ("image.txt", lambda path: path.write_bytes(bytes(range(256)) * 20), "binary data"),
    "old_word": (
        "old_word.doc",
        lambda path: path.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 600),
        "LibreOffice could not convert it",
    ),
    "undecodable": (
        "undecodable.txt",
        lambda path: path.write_bytes(b"\x81\x30\x81" * 5 + bytes([0x80, 0xFF, 0xFE]) * 300),
        "cannot decode",
    ),
    "zip_not_docx": ("archive.docx", _zip_not_docx, "a zip archive that is not a .docx"),
    "text_named_pdf": (
        "report.pdf",
        lambda path: path.write_text("法治政府建设情况报告\n" * 20, encoding="utf-8"),
        "rename it to .txt",
    ),
    "damaged_pdf": (
        "truncated.pdf",
        lambda path: path.write_bytes(b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog"),
        "damaged or truncated PDF",
    ),
    "scanned_pdf": ("scan.pdf", _scan_pdf, "no text found in the 1 scanned page(s)"),
    "oversized": ("huge.txt", _oversized, "too large for a text report"),
    "blank_page_image": ("blank.png", _blank_page, "no text found in the 1 scanned page(s)"),
    "damaged_image": ("photo.jpg", lambda path: path.write_bytes(b"\xff\xd8\xff\xe0 cut off"), "a damaged image"),
    "ofd": ("report.ofd", _ofd, "an OFD document (GB/T 33190), which rolcov does not read"),
    "only_page_chrome": (
        "chrome.html",
        lambda path: path.write_text(
            "<html><body><p>首页 &gt; 政务公开</p><p>【打印本页】【关闭窗口】</p></body></html>", encoding="utf-8"
        ),
        "no paragraphs left",
    ),
}


def _write_bad_files(directory: Path) -> list[Path]:
    paths = []
    for name, write, _ in BAD_FILES.values():
        if write:
            write(directory / name)
            paths.append(directory / name)
    return sorted(paths)


@pytest.mark.parametrize("case", list(BAD_FILES))
def test_bad_report_file(tmp_path, case):
    name, write, reason = BAD_FILES[case]
    path = tmp_path / name
    if write:
        write(path)
    with pytest.raises(InputError) as raised:
        segment_file(path)
    message = str(raised.value)
    assert message.startswith(f"{path}: ") and reason in message and "\n" not in message, message


def test_directory_with_bad_files_still_segments_the_good_ones(seed_paths, tmp_path, capsys):
    folder = tmp_path / "reports"
    folder.mkdir()
    bad = _write_bad_files(folder)
    for key in ("000", "004"):
        shutil.copy(seed_paths[key], folder)
    out = tmp_path / "paragraphs.csv"
    code = main(["segment", str(folder), "-o", str(out)])
    assert code == EXIT_PARTIAL
    errors = capsys.readouterr().err.strip().splitlines()
    reported = {line for line in errors if line.startswith("error:")}
    for path in bad:  # every bad file is named once, the old .doc included
        assert sum(path.name in line for line in reported) == 1, (path, errors)
    table = read_table(out)
    assert set(table.report_id.str[:3]) == {"000", "004"}
    assert len(table) == 22 + 34


def test_exit_codes(seed_paths, tmp_path):
    assert main(["segment", str(seed_paths["003"])]) == EXIT_OK
    empty = tmp_path / "empty.txt"
    empty.write_bytes(b"")
    assert main(["segment", str(empty)]) == EXIT_FAILED
    with pytest.raises(SystemExit) as usage:
        main(["segment"])
    assert usage.value.code == 2


def test_annotation_file_with_an_unknown_label_is_refused(tmp_path, capsys):
    gold = read_table(ANNOTATIONS)
    gold.loc[3, "labels"] = "enforcment"
    path = write_table(gold, tmp_path / "typo.csv")
    assert main(["train", str(path), "-o", str(tmp_path / "model")]) == EXIT_FAILED
    error = capsys.readouterr().err
    assert f"{path}:5: unknown label id 'enforcment'" in error and not (tmp_path / "model").exists()


def test_training_on_silver_rows_only_says_it_needs_gold(tmp_path, capsys):
    silver = tmp_path / "silver.csv"
    assert main(["bootstrap", str(SEEDS["000"].parent), "-o", str(silver)]) == EXIT_OK
    capsys.readouterr()
    assert main(["train", str(silver), "-o", str(tmp_path / "model")]) == EXIT_FAILED
    error = capsys.readouterr().err.strip()
    assert len(error.splitlines()) == 1 and str(silver) in error and "no gold rows" in error, error


def test_missing_or_corrupt_model_stops_classify_in_one_line(saved_model_dir, tmp_path, capsys):
    broken = shutil.copytree(saved_model_dir, tmp_path / "broken")
    (broken / "model.json").write_text("{not json", encoding="utf-8")
    for model in (tmp_path / "nowhere", broken):
        code = main(["classify", str(SEEDS["003"]), "--model", str(model), "-o", str(tmp_path / "out.csv")])
        error = capsys.readouterr().err.strip()
        assert code == EXIT_FAILED and len(error.splitlines()) == 1 and str(model) in error, error
