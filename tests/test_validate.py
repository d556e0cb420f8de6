"""Each way an annotation file breaks is named with file, line and the fix; the shipped file is clean."""

from __future__ import annotations

import shutil

import pytest

from pipeline.annotate.validate import validate_annotations
from pipeline.cli.common import EXIT_FAILED, EXIT_OK
from pipeline.cli.main import main
from tests.conftest import ROOT

HEADER = "report_id,para_id,text,labels,primary,part,annotator,source,heading_path"
GOOD = "r,r:0001,甲,enforcement;capacity,enforcement,achievements,zhang,gold,"
SEED_000 = "000_751c6dcf84680b70"


def _problems(tmp_path, *rows: str, header: str = HEADER, encoding: str = "utf-8-sig", raw_dir=None):
    path = tmp_path / "annotations.csv"
    path.write_bytes("\n".join([header, *rows, ""]).encode(encoding))
    return path, [str(problem) for problem in validate_annotations(path, raw_dir=raw_dir)]


def _only(problems: list[str]) -> str:
    assert len(problems) == 1, problems
    return problems[0]


def test_clean_fixture_has_no_problems(tmp_path):
    assert _problems(tmp_path, GOOD)[1] == []


def test_unknown_label_is_named_with_the_known_ids(tmp_path):
    path, problems = _problems(tmp_path, GOOD, "r,r:0002,乙,enforcment,enforcment,achievements,zhang,gold,")
    message = _only(problems)
    assert message.startswith(f"{path}:3: unknown label id 'enforcment'")
    assert "known ids are functions, decision_making, enforcement" in message


def test_empty_text(tmp_path):
    path, problems = _problems(tmp_path, GOOD, 'r,r:0002,"  ",capacity,capacity,achievements,zhang,gold,')
    assert _only(problems) == f"{path}:3: empty text; copy it from the `rolcov segment` output"


def test_duplicated_paragraph_and_annotator_points_to_the_first_row(tmp_path):
    path, problems = _problems(tmp_path, GOOD, "r,r:0002,乙,,,plans,zhang,gold,", GOOD)
    message = _only(problems)
    assert message.startswith(f"{path}:4: duplicate of line 2") and "delete one row" in message


def test_same_paragraph_from_two_annotators_is_fine(tmp_path):
    assert _problems(tmp_path, GOOD, GOOD.replace("zhang", "li"))[1] == []


def test_primary_not_among_labels(tmp_path):
    path, problems = _problems(tmp_path, "r,r:0001,甲,enforcement,capacity,achievements,zhang,gold,")
    assert _only(problems) == (
        f"{path}:2: primary 'capacity' is not among labels 'enforcement'; set primary to one of them"
    )


def test_primary_without_labels(tmp_path):
    path, problems = _problems(tmp_path, "r,r:0001,甲,,capacity,achievements,zhang,gold,")
    assert (
        _only(problems) == f"{path}:2: primary 'capacity' is set but labels is empty; add it to labels or clear primary"
    )


def test_unknown_source(tmp_path):
    path, problems = _problems(tmp_path, GOOD.replace(",gold,", ",bronze,"))
    assert _only(problems) == f"{path}:2: unknown source 'bronze'; use gold (by hand) or silver (heuristic)"


def test_missing_column_is_reported_on_the_header_line(tmp_path):
    path, problems = _problems(
        tmp_path,
        "r,r:0001,甲,enforcement,achievements,zhang,gold",
        header="report_id,para_id,text,labels,part,annotator,source",
    )
    message = _only(problems)
    assert message.startswith(f"{path}:1: missing column(s) primary;") and "the header must be" in message


@pytest.mark.parametrize("separator", [",", "，", "、", "|", "/"])
def test_wrong_label_separator_says_use_semicolon(tmp_path, separator):
    path, problems = _problems(
        tmp_path, GOOD, f'r,r:0002,乙,"enforcement{separator}capacity",capacity,plans,zhang,gold,'
    )
    message = _only(problems)
    assert message.startswith(f"{path}:3: labels 'enforcement{separator}capacity' separates ids with {separator}")
    assert message.endswith("use ; (e.g. enforcement;capacity)")


def test_file_saved_as_gbk_by_excel_says_save_as_csv_utf8(tmp_path):
    path, problems = _problems(
        tmp_path, GOOD, "r,r:0002,行政复议,dispute_resolution,dispute_resolution,plans,zhang,gold,", encoding="gbk"
    )
    message = _only(problems)
    assert message.startswith(f"{path}:2: not UTF-8 (looks like GBK/GB18030")
    assert "save it as 'CSV UTF-8'" in message


def test_doubled_bom_is_named(tmp_path):
    path, problems = _problems(tmp_path, GOOD, header="\ufeff" + HEADER)
    message = _only(problems)
    assert message.startswith(f"{path}:1: missing column(s) report_id;") and "two BOMs" in message


def test_line_numbers_count_quoted_line_breaks(tmp_path):
    path, problems = _problems(
        tmp_path,
        'r,r:0001,"甲\n乙",capacity,capacity,plans,zhang,gold,',
        "r,r:0002,丙,capacity,oversight,plans,zhang,gold,",
    )
    assert _only(problems).startswith(f"{path}:4: primary 'oversight'")


@pytest.fixture
def seed_000_row():
    """The gold row of seed 000's paragraph 0004 (政务公开) as CSV text, and the raw folder."""
    lines = (ROOT / "corpus" / "annotations.csv").read_text(encoding="utf-8-sig").splitlines()
    return next(line for line in lines if line.startswith(f"{SEED_000},{SEED_000}:0004,"))


def test_text_that_no_longer_matches_the_report_is_drift(tmp_path, seed_000_row):
    edited = seed_000_row.replace("我县坚决贯彻落实", "我县贯彻落实")
    path, problems = _problems(tmp_path, edited, raw_dir=ROOT / "corpus" / "raw")
    message = _only(problems)
    assert message.startswith(f"{path}:2: text of {SEED_000}:0004 no longer matches {SEED_000}.txt")
    assert message.endswith("re-check the text and its labels")


def test_moved_text_names_its_new_para_id(tmp_path, seed_000_row):
    moved = seed_000_row.replace(f"{SEED_000}:0004", f"{SEED_000}:0005", 1)
    _, problems = _problems(tmp_path, moved, raw_dir=ROOT / "corpus" / "raw")
    assert _only(problems).endswith(f"the text is now at {SEED_000}:0004; change para_id")


def test_unknown_para_id(tmp_path, seed_000_row):
    path, problems = _problems(
        tmp_path, seed_000_row.replace(f"{SEED_000}:0004", f"{SEED_000}:0099", 1), raw_dir=ROOT / "corpus" / "raw"
    )
    message = _only(problems)
    assert message.startswith(f"{path}:2: para_id '{SEED_000}:0099' is not in {SEED_000}.txt")
    assert "re-run `rolcov segment --items` and fix the para_id" in message


def test_raw_dir_defaults_to_corpus_raw_next_to_the_file(tmp_path, seed_000_row):
    corpus = tmp_path / "corpus"
    shutil.copytree(ROOT / "corpus" / "raw", corpus / "raw")
    path = corpus / "annotations.csv"
    path.write_text(f"{HEADER}\n{seed_000_row.replace('我县坚决', '我县')}\n", encoding="utf-8-sig")
    assert "no longer matches" in _only([str(p) for p in validate_annotations(path)])


def test_shipped_gold_is_clean_against_the_seed_reports(capsys):
    gold = ROOT / "corpus" / "annotations.csv"
    assert validate_annotations(gold, raw_dir=ROOT / "corpus" / "raw") == []
    assert main(["validate", str(gold)]) == EXIT_OK


def test_cli_prints_each_problem_and_exits_3(tmp_path, capsys):
    path, _ = _problems(
        tmp_path, GOOD.replace("capacity", "capcity"), GOOD.replace(",gold,", ",gld,").replace("r:0001", "r:0002")
    )
    assert main(["validate", str(path)]) == EXIT_FAILED
    out = capsys.readouterr().out.splitlines()
    assert [line.split(": ")[0] for line in out] == [f"{path}:2", f"{path}:3"]
