"""A team's annotation loop: several coders per paragraph survive import, their reliability is measured, their
disagreements are adjudicated in a workbook, and the adjudicated gold trains a model. Built from the seed gold."""

from __future__ import annotations

import json
import re

import krippendorff
import pandas as pd
import pytest
from openpyxl import load_workbook

from pipeline.annotate.annotations import label_matrix, read_annotations
from pipeline.annotate.codings import stack_codings
from pipeline.annotate.reliability import reliability_table
from pipeline.cli.common import EXIT_FAILED, EXIT_OK, EXIT_PARTIAL, EXIT_USAGE
from pipeline.cli.main import main
from pipeline.io.excel import read_xlsx
from pipeline.taxonomy import load_taxonomy
from tests.conftest import ROOT

GOLD = ROOT / "corpus" / "annotations.csv"
IDS = load_taxonomy().ids


def _seed_paragraphs(n: int | None = None) -> pd.DataFrame:
    """Gold paragraphs of the seeds (no enumeration items), as the annotation file has them."""
    gold = pd.read_csv(GOLD, dtype=str, encoding="utf-8-sig").fillna("")
    paragraphs = gold[~gold.para_id.str.contains(r":\d+\.\d+$")].reset_index(drop=True)
    return paragraphs if n is None else paragraphs.head(n)


def _second_coder(paragraphs: pd.DataFrame) -> pd.DataFrame:
    """A second coding that drops the last label of every fourth labelled paragraph (primary kept)."""
    second = paragraphs.copy()
    for index in second.index[second.labels.str.contains(";")][::4]:
        kept = [label for label in second.at[index, "labels"].split(";") if label == second.at[index, "primary"]]
        second.at[index, "labels"] = ";".join(kept)
    return second


def _label_studio_export(tmp_path, first: pd.DataFrame, second: pd.DataFrame):
    """Tasks from `rolcov export`, then both coders' annotations on each task, as Label Studio exports them."""
    source = tmp_path / "first.csv"
    first.to_csv(source, index=False, encoding="utf-8-sig")
    tasks_path = tmp_path / "tasks.json"
    assert main(["export", str(source), "-o", str(tasks_path)]) == EXIT_OK
    tasks = json.loads(tasks_path.read_text(encoding="utf-8"))
    seconds = {row.para_id: row for row in second.itertuples()}
    for task in tasks:
        own = task["annotations"][0]
        other = seconds[task["data"]["para_id"]]
        result = [
            {
                "from_name": "labels",
                "to_name": "text",
                "type": "choices",
                "value": {"choices": other.labels.split(";") if other.labels else ["_none"]},
            }
        ]
        if other.primary:
            result.append(
                {"from_name": "primary", "to_name": "text", "type": "choices", "value": {"choices": [other.primary]}}
            )
        task["annotations"] = [
            {**own, "completed_by": 1, "updated_at": "2026-11-02T09:00:00Z"},
            {
                "result": result,
                "completed_by": {"id": 2, "email": "li@example.org"},
                "updated_at": "2026-11-03T09:00:00Z",
            },
        ]
    export = tmp_path / "export.json"
    export.write_text(json.dumps(tasks, ensure_ascii=False), encoding="utf-8")
    return export


def test_two_coder_label_studio_export_round_trips_into_gold_that_trains(tmp_path, capsys):
    from pipeline.model.classifier import ParagraphClassifier
    from pipeline.model.train import training_table

    first = _seed_paragraphs()
    second = _second_coder(first)
    export = _label_studio_export(tmp_path, first, second)
    both = tmp_path / "both.csv"
    assert (
        main(
            [
                "import",
                str(export),
                "-o",
                str(both),
                "--annotator",
                "1=coder-a",
                "--annotator",
                "li@example.org=coder-b",
            ]
        )
        == EXIT_OK
    )
    imported = read_annotations(both)
    coders = imported.groupby("para_id").annotator.apply(lambda ids: ",".join(sorted(ids)))
    assert set(coders) == {"coder-a,coder-b"}
    assert len(imported) == 2 * len(first)

    sheet_path = tmp_path / "adjudicate.xlsx"
    capsys.readouterr()
    assert (
        main(["agreement", str(both), "--disagreements", str(sheet_path), "-o", str(tmp_path / "rel.csv")]) == EXIT_OK
    )
    reliability = pd.read_csv(tmp_path / "rel.csv", encoding="utf-8-sig")
    pooled = reliability[(reliability.field == "labels") & (reliability.category == "(all)")].iloc[0]
    assert pooled.units == len(first) and 0.8 < pooled.alpha < 1 and pooled.alpha_low < pooled.alpha < pooled.alpha_high
    assert "pairwise Cohen's kappa" in capsys.readouterr().out

    sheet = read_xlsx(sheet_path, "disagreements")
    changed = set(first.para_id[first.labels != second.labels])
    assert set(sheet.para_id) == changed and set(sheet.field) == {"labels", "primary"}
    assert {"text", "heading_path", "coder-a", "coder-b", "adjudicated"} <= set(sheet.columns)
    assert sheet.loc[sheet.field == "labels", "adjudicated"].isna().all()
    _decide(sheet_path, lambda number, row: row["coder-a"])  # the first coder was right every time
    gold = tmp_path / "gold.csv"
    assert main(["adjudicate", str(sheet_path), "-o", str(gold), "--adjudicator", "adjudicator-1"]) == EXIT_OK
    adjudicated = read_annotations(gold).set_index("para_id")
    original = read_annotations(GOLD).set_index("para_id").loc[adjudicated.index]
    assert (adjudicated.labels == original.labels).all() and (adjudicated.primary == original.primary).all()
    assert set(adjudicated.annotator[list(changed)]) == {"adjudicator-1"}
    assert set(adjudicated.annotator.drop(list(changed))) == {"coder-a+coder-b"}

    table = training_table([gold])
    model = ParagraphClassifier().fit(table, label_matrix(table, IDS), groups=table["report_id"])
    guessed = model.classify(table.head(20).drop(columns=["labels", "primary"]))
    assert (guessed.primary == table.head(20).primary.to_numpy()).mean() > 0.7


def _decide(sheet_path, decision) -> None:
    """Fill the 'adjudicated' column of the workbook's first sheet, as a person would in Excel.

    ``decision(sheet_row_number, row_as_dict)`` gives each cell's new value."""
    workbook = load_workbook(sheet_path)
    sheet = workbook["disagreements"]
    header = [cell.value for cell in sheet[1]]
    for number, cells in enumerate(sheet.iter_rows(min_row=2), start=2):
        row = dict(zip(header, (cell.value for cell in cells)))
        cells[header.index("adjudicated")].value = decision(number, row)
    workbook.save(sheet_path)


def _two_coder_files(tmp_path, n: int | None = None):
    """The first n seed paragraphs as coded by coder-a (the gold) and coder-b (:func:`_second_coder`)."""
    first = _seed_paragraphs(n)
    a, b = tmp_path / "a.csv", tmp_path / "b.csv"
    first.assign(annotator="coder-a").to_csv(a, index=False, encoding="utf-8-sig")
    _second_coder(first).assign(annotator="coder-b").to_csv(b, index=False, encoding="utf-8-sig")
    return a, b


def _coder_file(path, paragraphs: pd.DataFrame, coder: str, capacity: list[int]):
    rows = paragraphs.assign(
        labels=["enforcement;capacity" if flag else "enforcement" for flag in capacity],
        primary="enforcement",
        annotator=coder,
    )
    rows.to_csv(path, index=False, encoding="utf-8-sig")
    return path


def test_alpha_and_kappa_match_a_hand_computed_two_coder_table(tmp_path, capsys):
    # Krippendorff (2011, "Computing Krippendorff's alpha-reliability", binary data example): ten units, two
    # coders. Coincidences: 5 units 0-0, 1 unit 1-1, 4 units 0/1 → o00 = 10, o11 = 2, o01 = o10 = 4;
    # n0 = 14, n1 = 6, n = 20. alpha = 1 - (n - 1) * o01 / (n0 * n1) = 1 - 19 * 4 / (14 * 6) = 0.0952.
    # Cohen's kappa: p_o = 6/10; coder A says 1 twice, B four times: p_e = .2 * .4 + .8 * .6 = .56;
    # kappa = (.6 - .56) / (1 - .56) = 0.0909.
    paragraphs = _seed_paragraphs(10)
    a = _coder_file(tmp_path / "a.csv", paragraphs, "coder-a", [0, 1, 0, 0, 0, 0, 0, 0, 1, 0])
    b = _coder_file(tmp_path / "b.csv", paragraphs, "coder-b", [1, 1, 1, 0, 0, 1, 0, 0, 0, 0])
    out, pairs = tmp_path / "rel.csv", tmp_path / "pairs.csv"
    assert main(["agreement", str(a), str(b), "-o", str(out), "--pairs", str(pairs)]) == EXIT_OK
    table = pd.read_csv(out, encoding="utf-8-sig").set_index(["field", "category"])
    capacity = table.loc[("labels", "capacity")]
    assert capacity.alpha == pytest.approx(1 - 19 * 4 / (14 * 6))
    assert capacity.agreement == pytest.approx(0.6) and capacity.units == 10 and capacity.coders == 2
    assert capacity.prevalence == pytest.approx(6 / 20)
    assert capacity.alpha_low < capacity.alpha < capacity.alpha_high
    kappa = pd.read_csv(pairs, encoding="utf-8-sig").set_index(["field", "category"]).loc[("labels", "capacity")]
    assert kappa.kappa == pytest.approx(0.04 / 0.44) and (kappa.coder_1, kappa.coder_2) == ("coder-a", "coder-b")
    assert table.loc[("primary", "(all)")].agreement == 1.0  # alpha undefined: one value throughout
    assert pd.isna(table.loc[("labels", "enforcement")].alpha)


def test_reliability_on_the_shipped_gold_against_heading_labels_matches_the_krippendorff_package(tmp_path):
    silver = tmp_path / "silver.csv"
    assert main(["bootstrap", str(ROOT / "corpus" / "raw"), "--items", "-o", str(silver)]) == EXIT_OK
    gold, heading = read_annotations(GOLD), read_annotations(silver)
    table = reliability_table(stack_codings([gold, heading]), load_taxonomy(), resamples=0)
    # the same figure straight from the package: one row per coding (first coding, headings), one column per unit
    first = label_matrix(gold, IDS)
    second = label_matrix(heading.set_index("para_id").loc[gold.para_id].reset_index(), IDS)
    for k, label in enumerate(IDS):
        expected = krippendorff.alpha(reliability_data=[first[:, k], second[:, k]], level_of_measurement="nominal")
        assert table.set_index("category").loc[label, "alpha"] == pytest.approx(expected), label


def test_a_coder_file_for_other_paragraphs_is_named_and_the_rest_still_measured(tmp_path, capsys):
    paragraphs = _seed_paragraphs()
    a = _coder_file(tmp_path / "a.csv", paragraphs.head(10), "coder-a", [0, 1] * 5)
    b = _coder_file(tmp_path / "b.csv", paragraphs.head(10), "coder-b", [1, 1] * 5)
    elsewhere = _coder_file(tmp_path / "c.csv", paragraphs.tail(10), "coder-c", [1, 0] * 5)
    capsys.readouterr()
    assert main(["agreement", str(a), str(elsewhere)]) == EXIT_FAILED
    errors = capsys.readouterr().err.strip().splitlines()
    assert errors[0] == (
        f"error: {a}: none of its 10 paragraphs is coded by a second coder; check that the coders "
        "worked on the same reports and segmentation (para_id as `rolcov segment --items` numbers them)"
    )
    assert errors[1].startswith(f"error: {elsewhere}: none of its 10 paragraphs") and len(errors) == 3
    assert "no paragraph is coded by two or more coders" in errors[2]
    assert main(["agreement", str(a), str(b), str(elsewhere)]) == EXIT_PARTIAL
    captured = capsys.readouterr()
    assert captured.err.count("\n") == 1 and str(elsewhere) in captured.err and "capacity" in captured.out


def test_unknown_coder_ids_are_refused_in_one_line(tmp_path, capsys):
    paragraphs = _seed_paragraphs(10)
    a = _coder_file(tmp_path / "a.csv", paragraphs, "coder-a", [0, 1] * 5)
    b = _coder_file(tmp_path / "b.csv", paragraphs, "coder-b", [1, 1] * 5)
    capsys.readouterr()
    assert main(["agreement", str(a), str(b), "--coders", "coder-a,coder-x"]) == EXIT_FAILED
    assert capsys.readouterr().err == (
        f"error: {a}, {b}: no coder coder-x in these files (their coders: coder-a, "
        "coder-b); use ids from the annotator column\n"
    )
    export = _label_studio_export(tmp_path, paragraphs, _second_coder(paragraphs))
    assert main(["import", str(export), "-o", str(tmp_path / "x.csv"), "--annotator", "1=coder-a"]) == EXIT_FAILED
    assert capsys.readouterr().err == (
        f"error: {export}: task 1: annotated by user li@example.org, who has no coder "
        "id (given: 1); add --annotator li@example.org=NAME\n"
    )
    assert main(["import", str(export), "-o", str(tmp_path / "x.csv"), "--annotator", "zhang"]) == EXIT_FAILED
    assert "annotations by 2 users (1, li@example.org) but one --annotator name" in capsys.readouterr().err
    assert (
        main(["import", str(export), "-o", str(tmp_path / "x.csv"), "--annotator", "a", "--annotator", "1=b"])
        == EXIT_USAGE
    )
    assert main(["agreement", str(a), "--gold", str(b), "--disagreements", str(tmp_path / "x.xlsx")]) == EXIT_USAGE
    assert not (tmp_path / "x.csv").exists()


def test_blind_tasks_show_coders_no_labels(tmp_path):
    source = tmp_path / "next.csv"
    _seed_paragraphs(5).to_csv(source, index=False, encoding="utf-8-sig")
    assert main(["export", str(source), "--blind", "-o", str(tmp_path / "tasks.json")]) == EXIT_OK
    tasks = json.loads((tmp_path / "tasks.json").read_text(encoding="utf-8"))
    assert len(tasks) == 5 and all(not task["annotations"] and not task["predictions"] for task in tasks)
    assert tasks[1]["data"]["text"] == _seed_paragraphs(5).text[1]


def test_import_without_names_keeps_each_users_latest_annotation_across_files(tmp_path):
    paragraphs = _seed_paragraphs(6)
    export = _label_studio_export(tmp_path, paragraphs, _second_coder(paragraphs))
    tasks = json.loads(export.read_text(encoding="utf-8"))
    later = [
        {
            **task,
            "annotations": [
                {
                    **task["annotations"][1],
                    "updated_at": "2026-11-20T09:00:00Z",
                    "result": [
                        {
                            "from_name": "labels",
                            "to_name": "text",
                            "type": "choices",
                            "value": {"choices": ["oversight"]},
                        }
                    ],
                }
            ],
        }
        for task in tasks[:2]
    ]
    second_file = tmp_path / "later.json"
    second_file.write_text(json.dumps(later, ensure_ascii=False), encoding="utf-8")
    out = tmp_path / "all.csv"
    assert main(["import", str(second_file), str(export), "-o", str(out)]) == EXIT_OK
    rows = read_annotations(out)
    assert len(rows) == 12 and set(rows.annotator) == {"coder-1", "coder-li@example.org"}
    by_li = rows[rows.annotator == "coder-li@example.org"].set_index("para_id").labels
    assert list(by_li.iloc[:2]) == [("oversight",), ("oversight",)]  # the later file's newer annotation wins


def test_an_adjudication_sheet_with_undecided_or_unknown_labels_is_refused_row_by_row(tmp_path, capsys):
    a, b = _two_coder_files(tmp_path, 114)
    sheet_path = tmp_path / "adjudicate.xlsx"
    assert main(["agreement", str(a), str(b), "--disagreements", str(sheet_path), "--resamples", "0"]) == EXIT_OK
    sheet = read_xlsx(sheet_path, "disagreements")
    primaries = sheet.adjudicated.shift(-1)  # a labels row is followed by its primary row, pre-filled
    labels_rows = sheet.index[(sheet.field == "labels") & (primaries != "capacity")]
    assert len(labels_rows) >= 3
    decisions = {
        int(sheet.line[labels_rows[0]]): None,
        int(sheet.line[labels_rows[1]]): "enforcment;capacity",
        int(sheet.line[labels_rows[2]]): "capacity",
    }  # undecided, a typo, a set without its primary
    _decide(sheet_path, lambda number, row: decisions.get(number, row["coder-a"]))
    gold = tmp_path / "gold.csv"
    capsys.readouterr()
    assert main(["adjudicate", str(sheet_path), "-o", str(gold)]) == EXIT_FAILED
    lines = capsys.readouterr().err.rstrip().splitlines()  # the problem list indented under its error line
    rows = sheet.set_index("line")
    undecided, typo, no_primary = sorted(decisions)
    primary = rows.loc[no_primary + 1, "adjudicated"]
    assert lines == [
        f"error: {sheet_path}: 3 problem(s) in the adjudication sheet; decide or fix each row below",
        f"  {sheet_path}:{undecided}: {rows.para_id[undecided]} labels: not decided (the adjudicated cell is empty); "
        "write the value, or _none for none",
        f"  {sheet_path}:{typo}: {rows.para_id[typo]} labels: unknown label id enforcment; use one of "
        f"{', '.join(sorted(IDS))}",
        f"  {sheet_path}:{no_primary + 1}: {rows.para_id[no_primary]}: primary {primary} is not among its labels "
        "capacity; make the primary one of the labels",
    ]
    assert not gold.exists()


def test_disagreements_carry_the_models_guess_as_a_hint(tmp_path, saved_model_dir):
    a, b = _two_coder_files(tmp_path, 30)
    sheet_path = tmp_path / "adjudicate.xlsx"
    assert (
        main(
            [
                "agreement",
                str(a),
                str(b),
                "--disagreements",
                str(sheet_path),
                "--model",
                str(saved_model_dir),
                "--resamples",
                "0",
            ]
        )
        == EXIT_OK
    )
    sheet = read_xlsx(sheet_path, "disagreements")
    hints = sheet.loc[sheet.field == "labels", "model"]
    assert hints.notna().all() and hints.map(lambda cell: set(cell.split(";")) <= {*IDS, "_none"}).all()


CODING = ROOT / "corpus" / "coding"


def _seed_codings():
    from pipeline.coverage.tasks import read_task_annotations

    themes = [read_annotations(CODING / name) for name in ("first-themes.csv", "second-themes.csv")]
    tasks = [read_task_annotations(CODING / name).assign(file=name) for name in ("first-tasks.csv", "second-tasks.csv")]
    return stack_codings(themes, tasks, load_taxonomy())


def test_shipped_gold_is_the_adjudicated_seed_double_coding():
    from pipeline.annotate.adjudication import adjudicate, read_adjudication_workbook
    from pipeline.coverage.evidence import EVIDENCE_VALUES
    from pipeline.io.tables import read_table

    sheet, codings = read_adjudication_workbook(CODING / "adjudication.xlsx")
    fields = ["report_id", "para_id", "annotator", "labels", "primary", "tasks", "evidence"]
    assert codings[fields].equals(_seed_codings()[fields])  # the workbook was written from the shipped codings
    themes, tasks = adjudicate(sheet, codings, load_taxonomy(), EVIDENCE_VALUES)
    gold = read_table(ROOT / "corpus" / "annotations.csv")
    assert themes.fillna("").astype(str).equals(gold[themes.columns].fillna("").astype(str))
    task_gold = read_table(ROOT / "corpus" / "task_annotations.csv")
    assert tasks.astype(str).equals(task_gold[tasks.columns].fillna("").astype(str))
    assert set(sheet.adjudicator) == {"adjudicator-1", "adjudicator-2"} and sheet.note.notna().all()


def test_seed_reliability_matches_the_krippendorff_package_and_the_codebook_table():
    table = reliability_table(_seed_codings(), load_taxonomy()).set_index(["field", "category"])
    first = read_annotations(CODING / "first-themes.csv").set_index("para_id")
    second = read_annotations(CODING / "second-themes.csv").set_index("para_id")
    first = first.loc[second.index].reset_index()
    for k, label in enumerate(IDS):
        data = [label_matrix(first, IDS)[:, k], label_matrix(second.reset_index(), IDS)[:, k]]
        assert table.loc[("labels", label), "alpha"] == pytest.approx(
            krippendorff.alpha(reliability_data=data, level_of_measurement="nominal")
        ), label
    codes = {label: code for code, label in enumerate(["", *IDS])}
    primary = [first.primary.map(codes), second.primary.map(codes)]
    assert table.loc[("primary", "(all)"), "alpha"] == pytest.approx(
        krippendorff.alpha(reliability_data=primary, level_of_measurement="nominal")
    )
    codebook = (ROOT / "corpus" / "codebook.md").read_text(encoding="utf-8")
    quoted = dict(re.findall(r"^\| `?([\w ]+?)`? \| (-?\d\.\d\d \[-?[\d.]+, [\d.]+\]) \|", codebook, re.M))
    for (field, category), row in table.iterrows():
        if category != "(all)" and field == "tasks":
            continue  # per-task figures are in corpus/coding/reliability.csv, the codebook quotes the pooled row
        name = category if category != "(all)" else {"labels": "all labels", "tasks": "all tasks"}.get(field, field)
        assert quoted[name] == f"{row.alpha:.2f} [{row.alpha_low:.2f}, {row.alpha_high:.2f}]", name
