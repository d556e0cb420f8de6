"""Files as people have them: cut-off downloads, pages without line breaks, messy folders, repeated names."""

from __future__ import annotations

import logging
import os
import shutil

import pytest
from conftest import SEEDS

from pipeline.cli.common import EXIT_PARTIAL
from pipeline.cli.main import main
from pipeline.io.ingest import find_report_files, read_report
from pipeline.io.linebreaks import is_lineless
from pipeline.io.tables import read_table
from pipeline.model.batch import FAILURES_FILE, TABLE_FILE
from pipeline.schema import is_item, report_ids
from pipeline.text.segment import annotation_units, paragraphs_to_frame, segment_report

# Tolerance for a report whose line breaks were lost (docs/formats.md "What bad input gets"): at least this share of
# the original paragraphs come back identical (same text, same heading path), and the set of top-level
# headings is the same.
LINELESS_MIN_RECOVERED = 0.8


def _paragraphs(path):
    """(body, heading path) per paragraph. The body is the text after its lead: a file without line breaks
    cannot show whether a heading stood on its own line or led its paragraph's first line, and the heading
    path carries it either way."""
    return [(p.text[len(p.lead) :], p.heading_path) for p in segment_report(read_report(path))]


@pytest.mark.parametrize("encoding", ["utf-8", "gb18030"])
@pytest.mark.parametrize("seed", sorted(SEEDS))
def test_cut_off_last_character_loses_only_the_cut_paragraph(seed_paths, tmp_path, caplog, seed, encoding):
    original = _paragraphs(seed_paths[seed])
    cut = tmp_path / f"{seed}.txt"
    cut.write_bytes(seed_paths[seed].read_text(encoding="utf-8").rstrip().encode(encoding)[:-1])
    with caplog.at_level(logging.WARNING, logger="rolcov"):
        paragraphs = _paragraphs(cut)
    assert paragraphs[: len(original) - 1] == original[:-1]
    # the last paragraph (or the date line under it, then no longer a date) lost its last character
    assert len(paragraphs) - len(original) in (0, 1)
    assert "".join(text for text, _ in paragraphs).startswith("".join(text for text, _ in original)[:-1])
    warnings = [record.getMessage() for record in caplog.records]
    assert len(warnings) == 1 and str(cut) in warnings[0] and "incomplete character" in warnings[0]


@pytest.mark.parametrize("separator", ["", " "], ids=["breaks_removed", "breaks_as_spaces"])
@pytest.mark.parametrize("seed", sorted(SEEDS))
def test_report_without_line_breaks_keeps_its_sections(seed_paths, tmp_path, seed, separator):
    original = _paragraphs(seed_paths[seed])
    flat = tmp_path / f"{seed}.txt"
    flat.write_text(
        seed_paths[seed].read_text(encoding="utf-8").replace("\r", "").replace("\n", separator), encoding="utf-8"
    )
    restored = _paragraphs(flat)
    recovered = sum(paragraph in set(restored) for paragraph in original)
    assert recovered >= LINELESS_MIN_RECOVERED * len(original), (recovered, len(original))
    assert {path[0] for _, path in restored if path} == {path[0] for _, path in original if path}


def test_seed_reports_are_not_taken_as_lineless(seed_paths):
    for path in seed_paths.values():
        assert not is_lineless(list(path.read_text(encoding="utf-8").splitlines()))


def test_same_named_files_get_distinct_stable_ids_and_unique_names_keep_the_stem(seed_paths, tmp_path, monkeypatch):
    for folder, seed in (("2019", "000"), ("2020", "003")):
        (tmp_path / "reports" / folder).mkdir(parents=True)
        shutil.copy(seed_paths[seed], tmp_path / "reports" / folder / "report.txt")
    shutil.copy(seed_paths["004"], tmp_path / "reports")
    out = tmp_path / "paragraphs.csv"
    assert main(["segment", str(tmp_path / "reports"), "-o", str(out)]) == 0
    ids = read_table(out).drop_duplicates("report_id").set_index("source").report_id
    first, second = ids[str(tmp_path / "reports/2019/report.txt")], ids[str(tmp_path / "reports/2020/report.txt")]
    assert first != second and first.startswith("report~") and second.startswith("report~")
    assert ids[str(tmp_path / "reports" / seed_paths["004"].name)] == seed_paths["004"].stem
    # the same ids however the folder is reached or where it lies
    moved = shutil.move(tmp_path / "reports", tmp_path / "elsewhere")
    monkeypatch.chdir(moved)
    again = report_ids(find_report_files(["."])[0])
    assert {again[path] for path in again if path.name == "report.txt"} == {first, second}
    # the seeds' ids, which the gold annotations use, are their file names
    files, skipped = find_report_files([SEEDS["000"].parent])
    assert list(report_ids(files).values()) == [path.stem for path in SEEDS.values()] and not skipped


def test_dots_in_file_names_do_not_make_paragraphs_items(seed_paths, tmp_path):
    dotted = tmp_path / "report.v2.final.txt"
    shutil.copy(seed_paths["001"], dotted)
    paragraphs = paragraphs_to_frame(segment_report(read_report(dotted)))
    units = paragraphs_to_frame(annotation_units(read_report(dotted)))  # paragraphs and their items
    assert paragraphs.report_id.iloc[0] == "report.v2.final"
    assert not is_item(paragraphs.para_id).any()
    assert units.para_id[~is_item(units.para_id)].tolist() == paragraphs.para_id.tolist()
    items = units.para_id[is_item(units.para_id)]
    assert len(items) > 0 and items.str.rpartition(".")[0].isin(paragraphs.para_id).all()


def _messy_folder(seed_paths, folder):
    folder.mkdir()
    shutil.copy(seed_paths["000"], folder)
    (folder / "a").mkdir()
    (folder / "b").mkdir()
    shutil.copy(seed_paths["003"], folder / "a" / "report.txt")
    shutil.copy(seed_paths["002"], folder / "b" / "report.txt")
    (folder / "budget.xlsx").write_bytes(b"PK\x03\x04 not a report")
    (folder / "slides.pptx").write_bytes(b"PK\x03\x04 a presentation")
    (folder / "gone.txt").symlink_to(folder / "deleted.txt")
    (folder / ".hidden.txt").write_text("editor backup", encoding="utf-8")
    return {
        "budget.xlsx": ".xlsx is not a report type",
        "slides.pptx": ".pptx is not a report type",
        "gone.txt": "a link to a file that does not exist",
    }


def test_unsupported_files_and_broken_links_are_listed_as_skipped(seed_paths, tmp_path, capsys):
    expected = _messy_folder(seed_paths, tmp_path / "reports")
    code = main(["segment", str(tmp_path / "reports"), "-o", str(tmp_path / "p.csv")])
    errors = [line for line in capsys.readouterr().err.splitlines() if line.startswith("error:")]
    assert code == EXIT_PARTIAL
    assert len(errors) == len(expected)
    for name, reason in expected.items():
        assert sum(name in line and "skipped" in line and reason in line for line in errors) == 1, errors
    assert read_table(tmp_path / "p.csv").report_id.nunique() == 3


def test_batch_lists_skipped_files_in_failures_and_keeps_same_named_reports_apart(
    seed_paths, saved_model_dir, tmp_path, capsys
):
    expected = _messy_folder(seed_paths, tmp_path / "reports")
    out = tmp_path / "out"
    code = main(["classify", str(tmp_path / "reports"), "--model", str(saved_model_dir), "-o", str(out)])
    assert code == EXIT_PARTIAL
    failures = read_table(out / FAILURES_FILE)
    assert sorted(os.path.basename(path) for path in failures.path) == sorted(expected)
    for path, reason in zip(failures.path, failures.reason):
        assert path in reason and expected[os.path.basename(path)] in reason
    table = read_table(out / TABLE_FILE)
    ids = table.drop_duplicates("source").set_index("source").report_id
    same_named = [ids[str(tmp_path / "reports" / folder / "report.txt")] for folder in ("a", "b")]
    assert len(set(same_named)) == 2 and all(
        table.para_id[table.report_id == rid].str.startswith(f"{rid}:").all() for rid in same_named
    )
    # the single-table classify names them the same way
    single = tmp_path / "single.csv"
    main(["classify", str(tmp_path / "reports"), "--model", str(saved_model_dir), "-o", str(single)])
    assert set(read_table(single).report_id) == set(table.report_id)
