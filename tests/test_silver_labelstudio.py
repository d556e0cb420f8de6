"""Silver labels follow the deepest heading, agree measurably with gold, and Label Studio round-trips gold."""

from __future__ import annotations

import json

import pytest

from pipeline.annotate.annotations import read_annotations
from pipeline.annotate.labelstudio import tasks_to_annotations
from pipeline.annotate.silver import silver_labels
from pipeline.cli.common import EXIT_OK
from pipeline.cli.main import main
from pipeline.taxonomy import load_taxonomy
from tests.conftest import ROOT

GOLD = ROOT / "corpus" / "annotations.csv"


def test_sub_heading_beats_its_parent_in_silver_labels(seed_tables):
    silver = silver_labels(seed_tables["000"], load_taxonomy()).set_index("para_id")
    row = silver.loc["000_751c6dcf84680b70:0004"]
    assert row.heading_path.endswith("(二)严格实行政府信息公开制度")  # parent: …依法履行政府职能 (functions)
    assert (row.labels, row.primary, row.source) == ("oversight", "oversight", "silver")
    assert row.annotator == f"heading_cues@{load_taxonomy().version}"
    assert silver.loc["000_751c6dcf84680b70:0000", "labels"] == ""  # preamble: no heading


def test_bootstrap_then_agreement_prints_a_kappa_for_every_label(tmp_path, capsys):
    silver = tmp_path / "silver.csv"
    assert main(["bootstrap", str(ROOT / "corpus" / "raw"), "--items", "-o", str(silver)]) == EXIT_OK
    assert main(["validate", str(silver), "--raw", str(ROOT / "corpus" / "raw")]) == EXIT_OK
    capsys.readouterr()
    assert main(["agreement", str(silver), "--gold", str(GOLD), "-o", str(tmp_path / "agreement.csv")]) == EXIT_OK
    out = capsys.readouterr().out
    assert out.splitlines()[0] == f"{silver} against {GOLD}"
    rows = {line.split()[0]: line.split() for line in out.splitlines()[2:10]}
    assert list(rows) == [*load_taxonomy().ids, "overall"]
    for label, cells in rows.items():
        assert -1 <= float(cells[-1]) <= 1, (label, cells)
    assert "matched 195 of 195 rows" in out


def _round_trip(tmp_path, annotations):
    tasks = tmp_path / "tasks.json"
    assert main(["export", str(annotations), "--format", "label-studio", "-o", str(tasks)]) == EXIT_OK
    back = tmp_path / "back.csv"
    assert main(["import", str(tasks), "-o", str(back), "--annotator", "zhang"]) == EXIT_OK
    return tasks, read_annotations(back)


def test_label_studio_round_trip_keeps_every_gold_label_and_primary(tmp_path):
    gold = read_annotations(GOLD)
    tasks, back = _round_trip(tmp_path, GOLD)
    key = ["report_id", "para_id"]
    merged = gold.merge(back, on=key, suffixes=("", "_back"), validate="one_to_one")
    assert len(merged) == len(gold) == len(back)
    assert (merged.labels == merged.labels_back).all() and (merged.primary == merged.primary_back).all()
    assert (merged.text == merged.text_back).all() and set(back.annotator) == {"zhang"}
    config = tasks.with_suffix(".config.xml").read_text(encoding="utf-8")
    assert '<Choices name="labels" toName="text" choice="multiple"' in config
    assert all(f'<Choice value="{label}"' in config for label in load_taxonomy().ids)


def test_silver_exports_as_predictions_and_is_not_imported_as_gold(tmp_path):
    silver = tmp_path / "silver.csv"
    assert main(["bootstrap", str(ROOT / "corpus" / "raw" / "000_751c6dcf84680b70.txt"), "-o", str(silver)]) == EXIT_OK
    tasks = tmp_path / "tasks.json"
    assert main(["export", str(silver), "-o", str(tasks)]) == EXIT_OK
    task = json.loads(tasks.read_text(encoding="utf-8"))[4]
    assert task["annotations"] == [] and task["predictions"][0]["model_version"].startswith("heading_cues@")
    assert task["predictions"][0]["result"][0]["value"]["choices"] == ["oversight"]


def _choices(control, *values):
    return {"from_name": control, "to_name": "text", "type": "choices", "value": {"choices": list(values)}}


def test_import_keeps_each_coders_latest_submitted_annotation_and_defaults_primary_to_first_choice():
    data = {"report_id": "r", "para_id": "r:0001", "text": "甲", "part": "achievements", "heading_path": ""}
    task = {
        "id": 7,
        "data": data,
        "annotations": [
            {"result": [_choices("labels", "capacity")], "updated_at": "2024-05-01T10:00:00Z", "completed_by": 3},
            {
                "result": [_choices("labels", "oversight", "enforcement")],
                "updated_at": "2024-05-02T10:00:00Z",
                "completed_by": {"email": "li@example.org"},
            },
            {"result": [_choices("labels", "leadership")], "updated_at": "2024-05-03T10:00:00Z", "was_cancelled": True},
            {"result": [], "updated_at": "2024-05-04T10:00:00Z"},
        ],
    }
    only_predictions = {
        "id": 8,
        "data": {**data, "para_id": "r:0002"},
        "predictions": [{"result": [_choices("labels", "capacity")]}],
    }
    task["annotations"].append(
        {"result": [_choices("labels", "functions")], "updated_at": "2024-04-01T10:00:00Z", "completed_by": 3}
    )  # user 3's earlier annotation
    rows = tasks_to_annotations([task, only_predictions], "export.json", load_taxonomy())
    assert rows[["para_id", "labels", "primary", "annotator"]].values.tolist() == [
        ["r:0001", "capacity", "capacity", "coder-3"],
        ["r:0001", "oversight;enforcement", "oversight", "coder-li@example.org"],
    ]


def test_import_refuses_a_choice_outside_the_taxonomy():
    from pipeline.errors import AnnotationError

    task = {
        "id": 3,
        "data": {"report_id": "r", "para_id": "r:0001"},
        "annotations": [{"result": [_choices("labels", "Positive")]}],
    }
    with pytest.raises(AnnotationError, match=r"export.json: task 3: unknown choice Positive"):
        tasks_to_annotations([task], "export.json", load_taxonomy())
