"""Bad files get a one-line error naming the file; in a batch the good files still produce rows."""

from __future__ import annotations

import shutil
import zipfile

import pytest

from pipeline.cli import EXIT_FAILED, EXIT_OK, EXIT_PARTIAL, main
from pipeline.errors import InputError
from pipeline.ingest import read_report
from pipeline.tables import read_table


def _bad_files(directory):
    (directory / "empty.txt").write_bytes(b"")
    (directory / "blank.txt").write_bytes(b"  \n\n ")
    (directory / "image.txt").write_bytes(bytes(range(256)) * 20)
    (directory / "old_word.doc").write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 600)
    (directory / "undecodable.txt").write_bytes(b"\x81\x30\x81" * 5 + bytes([0x80, 0xff, 0xfe]) * 300)
    with zipfile.ZipFile(directory / "archive.docx", "w") as archive:
        archive.writestr("readme.txt", "not a word document")
    (directory / "truncated.pdf").write_bytes(b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog")
    return sorted(path for path in directory.iterdir())


def test_each_bad_file_gets_a_clear_error_naming_it(tmp_path):
    for path in _bad_files(tmp_path):
        with pytest.raises(InputError) as raised:
            read_report(path)
        message = str(raised.value)
        assert str(path) in message and "\n" not in message, message


def test_directory_with_bad_files_still_segments_the_good_ones(seed_paths, tmp_path, capsys):
    folder = tmp_path / "reports"
    folder.mkdir()
    bad = _bad_files(folder)
    for key in ("000", "004"):
        shutil.copy(seed_paths[key], folder)
    out = tmp_path / "paragraphs.csv"
    code = main(["segment", str(folder), "-o", str(out)])
    assert code == EXIT_PARTIAL
    errors = capsys.readouterr().err.strip().splitlines()
    reported = {line for line in errors if line.startswith("error:")}
    # every bad file is named once, the old .doc included
    expected = bad
    for path in expected:
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
