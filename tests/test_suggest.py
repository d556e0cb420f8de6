"""The annotation loop's promises: suggestions ask about paragraphs whose heading labels are wrong, are
distinct, spread over reports, skip what is annotated, and come back through correct → validate → train;
training refuses gold files that disagree."""

from __future__ import annotations

import difflib
import itertools
import json

import numpy as np
import pandas as pd
import pytest
from conftest import ANNOTATIONS, RAW

from pipeline.annotate.annotations import read_annotations
from pipeline.annotate.validate import validate_annotations
from pipeline.cli.common import EXIT_FAILED, EXIT_OK
from pipeline.cli.main import main
from pipeline.io.tables import read_table, write_table
from pipeline.model.store import load_model, read_card
from pipeline.model.suggest import SUGGESTION_COLUMNS, expected_corrections, suggest_paragraphs
from pipeline.schema import ANNOTATION_FILE_COLUMNS

HELD_BACK = ("003", "004")  # paragraphs of these reports play "not annotated yet"


@pytest.fixture(scope="module")
def seed_paragraphs(seed_tables) -> pd.DataFrame:
    return pd.concat(seed_tables.values(), ignore_index=True)


@pytest.fixture(scope="module")
def annotated_subset(tmp_path_factory):
    """Gold file without the paragraphs (items stay) of :data:`HELD_BACK`, so all five reports are trained on."""
    gold = read_table(ANNOTATIONS)
    held_back = gold.report_id.str[:3].isin(HELD_BACK) & ~gold.para_id.str.contains(".", regex=False)
    path = tmp_path_factory.mktemp("loop") / "annotated.csv"
    write_table(gold[~held_back], path)
    return path


def test_expected_corrections_count_the_labels_the_model_thinks_wrong():
    share, label = expected_corrections(
        np.array([[0.9, 0.2], [0.5, 0.5], [0.1, 0.7]]), np.array([[0, 0], [1, 0], [0, 1]])
    )
    assert share.tolist() == pytest.approx([0.55, 0.5, 0.2]) and label.tolist() == [0, 0, 1]


def _label_sets(labels: pd.Series) -> list[frozenset]:
    return [frozenset(filter(None, str(value).split(";"))) for value in labels.fillna("")]


def test_the_loop_asks_first_about_paragraphs_whose_headings_mislead(tmp_path):
    """bootstrap → train gold + silver → suggest, as the README's loop: two reports are new (no gold at all).

    A suggestion is worth a person's time when the labels the paragraph trains with (its heading's) are
    wrong, so the suggested paragraphs' silver labels must differ from gold far more often than the new
    reports' paragraphs do on average.
    """
    gold = read_table(ANNOTATIONS)
    new = gold.report_id.str[:3].isin(HELD_BACK)
    old_path, silver_path, model_dir, next_path = (
        tmp_path / name for name in ("old.csv", "silver.csv", "model", "next.csv")
    )
    write_table(gold[~new], old_path)
    new_reports = [str(path) for path in sorted(RAW.iterdir()) if path.name[:3] in HELD_BACK]
    assert main(["bootstrap", *new_reports, "-o", str(silver_path)]) == EXIT_OK
    assert (
        main(["train", str(old_path), "--silver", str(silver_path), "--no-evaluate", "-o", str(model_dir)]) == EXIT_OK
    )
    assert (
        main(
            [
                "suggest",
                *new_reports,
                "--model",
                str(model_dir),
                "-n",
                "8",
                "--exclude",
                str(old_path),
                "-o",
                str(next_path),
            ]
        )
        == EXIT_OK
    )

    truth = dict(zip(gold.para_id, _label_sets(gold["labels"])))
    silver, suggested = read_table(silver_path), read_table(next_path)
    wrong_overall = np.mean(
        [found != truth[para] for para, found in zip(silver.para_id, _label_sets(silver["labels"]))]
    )
    wrong_suggested = np.mean(
        [found != truth[para] for para, found in zip(suggested.para_id, _label_sets(suggested["silver_labels"]))]
    )
    assert len(suggested) == 8 and set(suggested.report_id.str[:3]) == set(HELD_BACK)
    assert wrong_suggested >= wrong_overall + 0.2, (wrong_suggested, wrong_overall)


@pytest.mark.parametrize("reference", ["silver", "model"])
def test_suggestions_are_distinct_and_spread_over_the_reports(saved_model_dir, seed_paragraphs, reference):
    suggestions = suggest_paragraphs(load_model(saved_model_dir), seed_paragraphs, 12, reference=reference)
    assert list(suggestions.columns) == list(SUGGESTION_COLUMNS) and len(suggestions) == 12
    assert suggestions.para_id.is_unique
    for first, second in itertools.combinations(suggestions.text, 2):
        assert difflib.SequenceMatcher(None, first, second).ratio() < 0.9, (first[:30], second[:30])
    assert suggestions.report_id.nunique() >= 3  # at least half of the five reports given
    assert suggestions.disputed_label.nunique() >= 5  # ⌈12/7⌉ = 2 questions per theme while others remain
    assert suggestions.disagreement.between(0.0, 1.0).all()


def test_already_annotated_paragraphs_are_never_suggested(saved_model_dir, seed_paragraphs, annotated_subset):
    done = read_annotations(annotated_subset)
    suggestions = suggest_paragraphs(load_model(saved_model_dir), seed_paragraphs, 10, exclude=done)
    assert not set(suggestions.para_id) & set(done.para_id)
    assert set(suggestions.report_id.str[:3]) == set(HELD_BACK)


def _annotate_like_gold(suggested: pd.DataFrame, annotator: str) -> pd.DataFrame:
    """What an annotator does with the file: correct labels/primary to the truth, claim the rows as gold."""
    gold = read_table(ANNOTATIONS).set_index("para_id")
    corrected = suggested.copy()
    corrected["labels"] = corrected.para_id.map(gold["labels"])
    corrected["primary"] = corrected.para_id.map(gold["primary"])
    corrected["source"], corrected["annotator"] = "gold", annotator
    return corrected


def test_suggested_rows_round_trip_through_correct_validate_train(saved_model_dir, annotated_subset, tmp_path):
    suggested_path = tmp_path / "next.csv"
    assert (
        main(
            [
                "suggest",
                str(RAW),
                "--model",
                str(saved_model_dir),
                "-n",
                "8",
                "--exclude",
                str(annotated_subset),
                "-o",
                str(suggested_path),
            ]
        )
        == EXIT_OK
    )
    suggested = read_table(suggested_path)
    assert set(suggested.source) == {"silver"} and suggested.annotator.str.startswith("model@").all()
    assert validate_annotations(suggested_path, raw_dir=RAW) == []  # usable as silver before correction

    corrected_path = tmp_path / "zhang.csv"
    write_table(_annotate_like_gold(suggested, "zhang"), corrected_path)
    assert validate_annotations(corrected_path, raw_dir=RAW) == []
    model_dir = tmp_path / "model"
    assert main(["train", str(annotated_subset), str(corrected_path), "--no-evaluate", "-o", str(model_dir)]) == EXIT_OK
    data = read_card(model_dir)["training_data"]
    assert data["rows"] == len(read_table(annotated_subset)) + 8
    assert [entry["path"] for entry in data["files"]] == [str(annotated_subset), str(corrected_path)]


def test_suggestions_for_label_studio_are_predictions_to_correct(saved_model_dir, tmp_path):
    tasks_path = tmp_path / "tasks.json"
    assert (
        main(
            [
                "suggest",
                str(RAW / "002_705c59168de025e6.txt"),
                "--model",
                str(saved_model_dir),
                "-n",
                "3",
                "-o",
                str(tasks_path),
            ]
        )
        == EXIT_OK
    )
    tasks = json.loads(tasks_path.read_text(encoding="utf-8"))
    assert len(tasks) == 3 and all(task["annotations"] == [] for task in tasks)
    assert all(task["predictions"][0]["model_version"].startswith("model@") for task in tasks)
    assert tasks_path.with_suffix(".config.xml").is_file()


def test_train_refuses_gold_files_that_disagree_and_lists_each_conflict(tmp_path, capsys):
    gold = read_annotations(ANNOTATIONS)
    disputed = gold[gold.labels != ("capacity",)].head(2)
    other_path = tmp_path / "li.csv"
    write_table(
        disputed.assign(labels="capacity", primary="capacity", annotator="li")[list(ANNOTATION_FILE_COLUMNS)],
        other_path,
    )
    assert main(["train", str(ANNOTATIONS), str(other_path), "-o", str(tmp_path / "model")]) == EXIT_FAILED
    error = capsys.readouterr().err
    assert "2 paragraph(s) have conflicting gold labels" in error
    for other_line, row in enumerate(disputed.itertuples(), start=2):
        assert (
            f"{other_path}:{other_line}: gold labels capacity of {row.para_id} conflict with {ANNOTATIONS}:{row.line}"
        ) in error
    assert not (tmp_path / "model").exists()
