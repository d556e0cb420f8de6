"""Annotation files load into one checked table; gold outranks silver and conflicting gold is refused."""

from __future__ import annotations

import pytest

from pipeline.annotate.annotations import combine_annotations, label_matrix, read_annotations
from pipeline.errors import AnnotationError
from pipeline.taxonomy import load_taxonomy
from tests.conftest import ROOT

GOLD = ROOT / "corpus" / "annotations.csv"
HEADER = "report_id,para_id,text,labels,primary,part,annotator,source,heading_path\n"


def _write(path, *rows: str):
    path.write_text(HEADER + "".join(row + "\n" for row in rows), encoding="utf-8-sig")
    return path


def test_shipped_gold_loads_with_label_tuples_and_line_numbers():
    frame = read_annotations(GOLD)
    assert len(frame) == 195 and set(frame.source) == {"gold"}
    assert frame.line.tolist() == list(range(2, 197))
    assert all(isinstance(labels, tuple) for labels in frame.labels)
    labelled = frame[frame.labels.map(len) > 0]
    assert all(primary in labels for primary, labels in zip(labelled.primary, labelled.labels))


def test_label_matrix_follows_the_requested_label_order():
    frame = read_annotations(GOLD)
    ids = load_taxonomy().ids
    matrix = label_matrix(frame, ids[::-1])
    assert matrix.shape == (195, 7) and set(matrix.ravel()) <= {0, 1}
    row = frame.index[frame.para_id == "002_705c59168de025e6:0009"][0]
    assert [ids[::-1][k] for k in matrix[row].nonzero()[0]] == ["capacity", "enforcement"]


def test_gold_replaces_silver_of_the_same_paragraph_and_weights_follow_source(tmp_path):
    gold = _write(tmp_path / "gold.csv", "r,r:0001,甲,enforcement,enforcement,achievements,zhang,gold,")
    silver = _write(
        tmp_path / "silver.csv",
        "r,r:0001,甲,oversight,oversight,achievements,heading_cues@1.0.0,silver,",
        "r,r:0002,乙,capacity,capacity,achievements,heading_cues@1.0.0,silver,",
    )
    combined = combine_annotations([read_annotations(gold), read_annotations(silver)])
    assert combined[["para_id", "source", "weight"]].values.tolist() == [
        ["r:0001", "gold", 1.0],
        ["r:0002", "silver", 0.3],
    ]


def test_conflicting_gold_labels_are_refused_naming_both_rows(tmp_path):
    first = _write(tmp_path / "zhang.csv", "r,r:0001,甲,enforcement,enforcement,achievements,zhang,gold,")
    second = _write(
        tmp_path / "li.csv",
        "r,r:0002,乙,capacity,capacity,achievements,li,gold,",
        "r,r:0001,甲,enforcement;oversight,oversight,achievements,li,gold,",
    )
    with pytest.raises(AnnotationError) as raised:
        combine_annotations([read_annotations(first), read_annotations(second)])
    message = str(raised.value)
    assert f"{second}:3" in message and f"{first}:2" in message
    assert "enforcement;oversight" in message and "r:0001" in message and "r:0002" not in message


def test_agreeing_gold_from_two_annotators_is_kept_once(tmp_path):
    path = _write(
        tmp_path / "a.csv",
        "r,r:0001,甲,enforcement;capacity,enforcement,achievements,zhang,gold,",
        "r,r:0001,甲,capacity;enforcement,capacity,achievements,li,gold,",
    )
    assert len(combine_annotations([read_annotations(path)])) == 1


def test_invalid_file_is_refused_with_file_line_and_fix(tmp_path):
    path = _write(tmp_path / "bad.csv", "r,r:0001,甲,enforcment,,achievements,zhang,gold,")
    with pytest.raises(AnnotationError) as raised:
        read_annotations(path)
    assert f"{path}:2: unknown label id 'enforcment'; known ids are functions," in str(raised.value)


@pytest.mark.parametrize("suffix", [".jsonl", ".parquet"])
def test_jsonl_and_parquet_annotation_files_load_like_the_csv(tmp_path, suffix):
    from pipeline.io.tables import write_table

    gold = read_annotations(GOLD)
    again = read_annotations(write_table(gold, tmp_path / f"gold{suffix}"))
    assert again.labels.tolist() == gold.labels.tolist() and again.primary.tolist() == gold.primary.tolist()
