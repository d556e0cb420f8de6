"""`rolcov evaluate --model`: a trained model (conftest's, trained on 000-003) scored on a labelled sample it has
not seen, given as a table or as the report files it was annotated on."""

from __future__ import annotations

import json

import pandas as pd
import pytest
from conftest import HELD_OUT, RAW, SEEDS

from pipeline.cli.common import EXIT_FAILED, EXIT_OK
from pipeline.cli.main import main
from pipeline.io.tables import read_table, write_table
from pipeline.taxonomy import load_taxonomy


@pytest.fixture(scope="module")
def held_out_annotations(tmp_path_factory):
    """The gold rows (paragraphs and items) of report 004, in the annotation format."""
    gold = read_table(RAW.parent / "annotations.csv")
    path = tmp_path_factory.mktemp("gold") / "gold_004.csv"
    write_table(gold[gold.report_id.str.startswith(HELD_OUT)], path)
    return path


def _scores(directory):
    return json.loads((directory / "evaluation.json").read_text(encoding="utf-8"))["scores"]


def test_model_scored_on_a_labelled_table(saved_model_dir, held_out_annotations, tmp_path):
    bare = tmp_path / "text_and_labels.csv"
    write_table(read_table(held_out_annotations)[["text", "labels"]], bare)  # any table with text and labels
    assert main(["evaluate", "--model", str(saved_model_dir), str(bare), "-o", str(tmp_path / "out")]) == EXIT_OK
    scores = _scores(tmp_path / "out")
    assert scores["rows"] == len(read_table(held_out_annotations))
    assert scores["macro_f1"] >= 0.7 and scores["top1_accuracy"] >= 0.8
    assert set(scores["per_label"]) == set(load_taxonomy().ids)
    brier = scores["calibration"]["brier"]
    assert set(brier) == set(load_taxonomy().ids) and all(0 <= value < 0.25 for value in brier.values())
    reliability = scores["calibration"]["reliability"]
    assert sum(row["n"] for row in reliability) == scores["rows"] * len(brier)
    assert scores["worst"] and "primary" in scores
    text = (tmp_path / "out" / "evaluation.md").read_text(encoding="utf-8")
    assert "Brier" in text and "furthest from gold" in text


def test_report_files_with_their_annotations_score_like_the_annotation_table(
    saved_model_dir, held_out_annotations, tmp_path
):
    """The annotation file holds the text and heading path of the segmented reports, so scoring the files
    (segmented as `rolcov classify` does) and the table gives the same figures."""
    assert (
        main(["evaluate", "--model", str(saved_model_dir), str(held_out_annotations), "-o", str(tmp_path / "table")])
        == EXIT_OK
    )
    assert (
        main(
            [
                "evaluate",
                "--model",
                str(saved_model_dir),
                str(SEEDS[HELD_OUT]),
                str(held_out_annotations),
                "-o",
                str(tmp_path / "files"),
            ]
        )
        == EXIT_OK
    )
    from_table, from_files = _scores(tmp_path / "table"), _scores(tmp_path / "files")
    assert from_files["rows"] == from_table["rows"] == len(read_table(held_out_annotations))
    for key in ("macro_f1", "micro_f1", "top1_accuracy", "per_label", "confusion"):
        assert from_files[key] == from_table[key]


def test_rows_missing_from_the_reports_are_reported(saved_model_dir, held_out_annotations, tmp_path, capsys):
    """Annotations of a report that was not given are named; the others are scored (exit 1)."""
    gold = read_table(RAW.parent / "annotations.csv")
    two_reports = write_table(gold[gold.report_id.str[:3].isin([HELD_OUT, "000"])], tmp_path / "two.csv")
    code = main(["evaluate", "--model", str(saved_model_dir), str(SEEDS[HELD_OUT]), str(two_reports)])
    assert code == 1
    missing = (gold.report_id.str.startswith("000")).sum()
    assert f"{missing} labelled row(s) have no paragraph" in capsys.readouterr().err


def test_unknown_label_is_named_with_its_line(saved_model_dir, tmp_path, capsys):
    bad = tmp_path / "bad.csv"
    write_table(read_table(RAW.parent / "annotations.csv").head(3).assign(labels="budget", primary=""), bad)
    assert main(["evaluate", "--model", str(saved_model_dir), str(bad)]) == EXIT_FAILED
    assert "bad.csv:2: unknown label id 'budget'" in capsys.readouterr().err  # as `rolcov validate` says it
    plain = tmp_path / "plain.csv"
    write_table(
        pd.DataFrame({"text": ["严格规范公正文明执法。", "特此报告。"], "labels": ["enforcement", "budget"]}), plain
    )
    assert main(["evaluate", "--model", str(saved_model_dir), str(plain)]) == EXIT_FAILED
    assert "plain.csv:3: unknown label id 'budget'" in capsys.readouterr().err


def test_annotations_of_other_reports_leave_nothing_to_score(saved_model_dir, held_out_annotations, capsys):
    assert (
        main(["evaluate", "--model", str(saved_model_dir), str(SEEDS["000"]), str(held_out_annotations)]) == EXIT_FAILED
    )
    error = capsys.readouterr().err
    assert "no labelled paragraph to score" in error and "have no paragraph with their report_id" in error
