"""Excel workbooks are first-class tables: the annotation loop runs through .xlsx edited as a person would in
Excel (cells changed in place), validation points at the sheet row, Chinese and formula-like text survive, and
`rolcov coverage` leaves a workbook beside its CSV/Parquet tables."""

from __future__ import annotations

import pandas as pd
import pytest
from conftest import ANNOTATIONS, RAW
from openpyxl import load_workbook

from pipeline.annotate.validate import validate_annotations
from pipeline.cli.common import EXIT_FAILED, EXIT_OK
from pipeline.cli.main import main
from pipeline.errors import InputError
from pipeline.io.tables import read_table, write_table
from pipeline.model.store import read_card

HELD_BACK = "003"  # paragraphs of this report play "not annotated yet"


@pytest.fixture(scope="module")
def annotated_without_003(tmp_path_factory):
    gold = read_table(ANNOTATIONS)
    held_back = gold.report_id.str.startswith(HELD_BACK) & ~gold.para_id.str.contains(".", regex=False)
    path = tmp_path_factory.mktemp("excel") / "annotated.xlsx"
    write_table(gold[~held_back], path)
    return path


def _edit_in_excel(path, gold: pd.DataFrame, typo_row: int | None = None) -> None:
    """Correct every suggested row in place, like an annotator: gold labels, source=gold, own name."""
    workbook = load_workbook(path)
    sheet = workbook.active
    column = {cell.value: cell.column for cell in sheet[1]}
    for row in range(2, sheet.max_row + 1):
        para_id = sheet.cell(row, column["para_id"]).value
        labels = "enforcment" if row == typo_row else gold.at[para_id, "labels"]
        sheet.cell(row, column["labels"]).value = labels
        sheet.cell(row, column["primary"]).value = gold.at[para_id, "primary"]
        sheet.cell(row, column["source"]).value = "gold"
        sheet.cell(row, column["annotator"]).value = "王老师"
    workbook.save(path)


def test_suggest_edit_validate_train_round_trip_in_xlsx(saved_model_dir, annotated_without_003, tmp_path):
    assert validate_annotations(annotated_without_003, raw_dir=RAW) == []
    suggested = tmp_path / "next.xlsx"
    assert (
        main(
            [
                "suggest",
                str(RAW),
                "--model",
                str(saved_model_dir),
                "-n",
                "6",
                "--exclude",
                str(annotated_without_003),
                "-o",
                str(suggested),
            ]
        )
        == EXIT_OK
    )
    rows = read_table(suggested)
    assert len(rows) == 6 and rows.report_id.str.startswith(HELD_BACK).all()
    seed_text = (RAW / f"{rows.report_id.iloc[0]}.txt").read_text(encoding="utf-8")
    assert all(text in seed_text for text in rows.text)  # Chinese intact, verbatim

    gold = read_table(ANNOTATIONS).set_index("para_id")
    _edit_in_excel(suggested, gold, typo_row=3)
    problems = validate_annotations(suggested, raw_dir=RAW)
    assert {str(p).split(": ")[0] for p in problems} == {f"{suggested}:3"}  # the row Excel shows
    assert any("enforcment" in str(p) for p in problems)
    assert main(["validate", str(suggested), "--raw", str(RAW)]) == EXIT_FAILED

    _edit_in_excel(suggested, gold)
    assert validate_annotations(suggested, raw_dir=RAW) == []
    model_dir = tmp_path / "model"
    assert main(["train", str(annotated_without_003), str(suggested), "--no-evaluate", "-o", str(model_dir)]) == EXIT_OK
    data = read_card(model_dir)["training_data"]
    assert data["rows"] == len(read_table(annotated_without_003)) + 6


def test_formula_like_and_control_characters_stay_text(tmp_path):
    table = pd.DataFrame({"report_id": ["007"], "text": ['=HYPERLINK("x")依法行政\x0b'], "n_chars": [12]})
    path = write_table(table, tmp_path / "t.xlsx")
    cell = load_workbook(path).active["B2"]
    assert cell.data_type == "s" and cell.value == '=HYPERLINK("x")依法行政'
    back = read_table(path)
    assert back.report_id.tolist() == ["007"] and back.n_chars.tolist() == [12]


def test_a_damaged_workbook_is_one_line_error(tmp_path):
    path = tmp_path / "cut.xlsx"
    write_table(read_table(ANNOTATIONS).head(5), path)
    path.write_bytes(path.read_bytes()[:300])
    with pytest.raises(InputError, match=r"cut\.xlsx: cannot read this \.xlsx table"):
        read_table(path)
    assert [p.line for p in validate_annotations(path)] == [1]


def test_coverage_writes_a_workbook_with_every_table(tmp_path):
    table = read_table(ANNOTATIONS)
    table = table[~table.para_id.str.contains(".", regex=False)].assign(n_chars=lambda t: t.text.str.len())
    classified = write_table(table, tmp_path / "labelled.xlsx")
    assert main(["coverage", str(classified), "-o", str(tmp_path / "out")]) == EXIT_OK
    sheets = pd.read_excel(tmp_path / "out" / "coverage.xlsx", sheet_name=None)
    assert list(sheets) == [
        "profile",
        "gaps",
        "required",
        "tasks",
        "task_gaps",
        "panel",
        "coverage_by_year_level",
        "coverage_by_province",
        "below_peers",
        "required_by_year_level",
        "task_prevalence_by_year",
        "task_prevalence_by_level",
    ]  # the default taxonomy lists tasks; a handful: long tables too
    profile = read_table(tmp_path / "out" / "profile.csv")
    assert len(sheets["profile"]) == len(profile) and set(sheets["profile"].report_id) == set(table.report_id)
