"""Task-level coverage on the real seed reports: the plan's tasks as data, the tagger, the evidence rule, the gaps.

The seed table here is ``corpus/annotations.csv``'s gold paragraphs — a table labelled by hand, without
probabilities — so these tests also show that task coverage needs no model.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from opencc import OpenCC

from pipeline.coverage.profile import validate_table
from pipeline.coverage.run import TASK_OUTPUT_FILES, run_coverage
from pipeline.errors import AnnotationError, TaxonomyError
from pipeline.coverage.evidence import evidence_strength, tag_evidence
from pipeline.coverage.html_tasks import highlight
from pipeline.io.tables import read_table, write_table
from pipeline.coverage.task_coverage import most_missing_tasks, task_coverage, task_gaps
from pipeline.coverage.tasks import parse_cues, read_task_annotations, tag_tasks, task_ids
from pipeline.taxonomy import DEFAULT_TAXONOMY_PATH, load_taxonomy

ROOT = Path(__file__).resolve().parent.parent
ANNOTATIONS = ROOT / "corpus" / "annotations.csv"
TASK_GOLD = ROOT / "corpus" / "task_annotations.csv"
R004 = "004_46c69bc1076580ad"


@pytest.fixture(scope="module")
def hand_labelled() -> pd.DataFrame:
    """The 114 gold seed paragraphs as a hand-labelled coverage table (labels, no p_<label>)."""
    table = read_table(ANNOTATIONS)
    table = table[~table["para_id"].str.contains(".", regex=False)]
    return validate_table(table.assign(n_chars=table["text"].str.len()))


def para(table: pd.DataFrame, report: str, index: str) -> pd.DataFrame:
    return table[table["para_id"] == f"{report}:{index}"]


def test_shipped_taxonomy_lists_the_plan_tasks_under_the_seven_themes():
    taxonomy = load_taxonomy()
    assert len(taxonomy.tasks) >= 30
    assert {task.theme for task in taxonomy.tasks} == set(taxonomy.ids)
    names = {task.name_zh for task in taxonomy.tasks}
    assert {"行政执法三项制度", "行政复议", "法治督察", "政务公开"} <= names
    assert all(task.cues and task.definition and "\n" not in task.definition for task in taxonomy.tasks)


def test_framework_without_tasks_has_none_and_a_bad_task_is_refused(tmp_path):
    text = DEFAULT_TAXONOMY_PATH.read_text(encoding="utf-8")
    without = tmp_path / "no_tasks.yaml"
    without.write_text(text.split("\ntasks:\n")[0], encoding="utf-8")
    assert load_taxonomy(without).tasks == () and load_taxonomy(without).ids == load_taxonomy().ids
    bad = tmp_path / "bad_task.yaml"
    bad.write_text(text.replace("theme: oversight", "theme: transparency", 1), encoding="utf-8")
    with pytest.raises(TaxonomyError, match=r"bad_task\.yaml: task 'government_openness' has unknown theme"):
        load_taxonomy(bad)


def test_tagger_finds_staff_exams_and_court_appearance_in_004_with_their_cues(hand_labelled):
    tagged = tag_tasks(pd.concat([para(hand_labelled, R004, "0012"), para(hand_labelled, R004, "0014")]))
    exams, courts = tagged.iloc[0], tagged.iloc[1]
    assert task_ids(exams["tasks"]) == ["staff_law_training"]
    assert "资格考试" in parse_cues(exams["task_cues"])["staff_law_training"]
    assert {"administrative_reconsideration", "litigation_head_appearance"} == set(task_ids(courts["tasks"]))
    assert "出庭应诉" in parse_cues(courts["task_cues"])["litigation_head_appearance"]


def test_theme_gate_drops_cues_outside_the_paragraphs_theme(hand_labelled):
    # 000:0010 (三项制度 work plan, labelled enforcement) names 领导小组办公室 and 营商环境 in passing.
    row = para(hand_labelled, "000_751c6dcf84680b70", "0010")
    ungated = set(task_ids(tag_tasks(row, min_theme_prob=None)["tasks"].iloc[0]))
    gated = set(task_ids(tag_tasks(row)["tasks"].iloc[0]))
    assert gated == {"three_enforcement_systems"}
    assert {"party_leadership_planning", "business_environment"} <= ungated - gated


def test_traditional_copy_gets_the_same_tasks(hand_labelled):
    rows = hand_labelled[hand_labelled["report_id"] == R004]
    traditional = rows.assign(text=rows["text"].map(OpenCC("s2t").convert))
    assert (traditional["text"] != rows["text"]).sum() > 20
    assert tag_tasks(traditional)["tasks"].tolist() == tag_tasks(rows)["tasks"].tolist()


def test_evidence_rule_on_seed_paragraphs(hand_labelled):
    def judged(report: str, index: str) -> tuple[str, list[str]]:
        return evidence_strength(para(hand_labelled, report, index)["text"].iloc[0])

    value, reasons = judged(R004, "0014")  # 收到行政复议申请15件 … 出庭6件次
    assert value == "concrete" and "count: 15件" in reasons
    value, reasons = judged("000_751c6dcf84680b70", "0010")  # 印发《…》(清三项制度办〔2022〕1号)
    assert value == "concrete" and any(r.startswith("document: 印发《") for r in reasons)
    assert judged("000_751c6dcf84680b70", "0004") == ("general", [])  # cites 《政府信息公开条例》, no result
    assert judged(R004, "0017")[0] == "general"  # 认真落实《…实施方案》: a plan followed, not a result
    assert judged(R004, "0030")[0] == "general"


def test_gold_reading_covers_every_gold_paragraph_and_bad_lines_name_their_line(tmp_path, hand_labelled):
    gold = read_task_annotations(TASK_GOLD)
    assert set(gold["para_id"]) == set(hand_labelled["para_id"]) and set(gold["source"]) == {"gold"}
    broken = gold.copy()
    broken.loc[3, "tasks"] = "no_such_task"
    broken.loc[5, "evidence"] = "strong"
    path = write_table(broken, tmp_path / "broken.csv")
    with pytest.raises(AnnotationError) as error:
        read_task_annotations(path)
    assert "broken.csv:5: unknown task id(s) no_such_task" in str(error.value)
    assert "broken.csv:7: evidence 'strong'" in str(error.value)


def test_task_coverage_and_gaps_on_the_hand_labelled_seeds(hand_labelled):
    coverage = task_coverage(hand_labelled)
    tasks = coverage[coverage["level"] == "task"].set_index(["report_id", "task"])
    staff = tasks.loc[(R004, "staff_law_training")]
    assert staff["status"] == "concrete" and f"{R004}:0012" in staff["para_ids"].split(";")
    adjudication = coverage[(coverage["task"] == "administrative_adjudication")]
    assert len(adjudication) == 5 and set(adjudication["status"]) == {"absent"}
    # 002 names 三项制度 only in its plans for 2023.
    assert tasks.loc[("002_705c59168de025e6", "three_enforcement_systems"), "status"] == "plans_or_problems"
    gaps = task_gaps(coverage)
    own = gaps[gaps["report_id"] == "003_0298e319a692b31d"]
    assert {"absent", "general_only"} <= set(own["kind"])
    assert "行政裁决 (administrative_adjudication): no body paragraph mentions it." in set(own["detail"])
    missing = most_missing_tasks(coverage)
    assert missing.iloc[0]["n_absent"] == 5 and "administrative_adjudication" in set(missing.head(3)["task"])


def test_tasks_appearing_and_disappearing_for_one_issuer(hand_labelled):
    # 004:0013 is the report's only paragraph on 人大/政协 oversight and on 考评 of rule-of-law work.
    report = hand_labelled[hand_labelled["report_id"] == R004]
    without = report[report["para_id"] != f"{R004}:0013"]
    expected = {"congress_cppcc_oversight", "assessment_evaluation"}
    for first, second, kind in ((report, without, "disappeared"), (without, report, "appeared")):
        earlier = first.assign(report_id="liucheng-2018", para_id=first["para_id"] + "-a", year=2018, issuer="柳城县")
        later = second.assign(report_id="liucheng-2019", year=2019, issuer="柳城县")
        gaps = task_gaps(task_coverage(pd.concat([earlier, later], ignore_index=True)))
        changed = gaps[gaps["kind"].isin(["appeared", "disappeared"])]
        assert set(changed["task"]) == expected and set(changed["kind"]) == {kind}
        assert set(changed["report_id"]) == {"liucheng-2019"}


def test_coverage_run_writes_task_tables_only_when_the_taxonomy_has_tasks(tmp_path, hand_labelled, monkeypatch):
    table = write_table(hand_labelled, tmp_path / "labelled.csv")
    run_coverage([table], tmp_path / "out", html=tmp_path / "out" / "c.html")
    assert all((tmp_path / "out" / name).exists() for name in TASK_OUTPUT_FILES)
    written = read_table(tmp_path / "out" / "tasks.csv")
    assert {"concrete", "general", "absent", "plans_or_problems"} <= set(written["status"])
    assert 'id="tasks"' in (tmp_path / "out" / "c.html").read_text(encoding="utf-8")
    plain = tmp_path / "plain.yaml"
    plain.write_text(DEFAULT_TAXONOMY_PATH.read_text(encoding="utf-8").split("\ntasks:\n")[0], encoding="utf-8")
    monkeypatch.setenv("ROLCOV_TAXONOMY", str(plain))
    run_coverage([table], tmp_path / "plain", html=tmp_path / "plain" / "c.html")
    assert not any((tmp_path / "plain" / name).exists() for name in TASK_OUTPUT_FILES)
    assert 'id="tasks"' not in (tmp_path / "plain" / "c.html").read_text(encoding="utf-8")


def test_highlight_escapes_text_before_marking_cues():
    assert highlight("<b>行政复议</b>申请20件", ["行政复议"]) == "&lt;b&gt;<mark>行政复议</mark>&lt;/b&gt;申请20件"
    assert tag_evidence(pd.DataFrame({"text": ["申请20件"]}))["evidence_reason"].iloc[0] == "count: 20件"


def test_make_run_flow_writes_the_task_table_and_checklist(saved_model_dir, tmp_path):
    """Classified seeds → coverage run: 004's staff exams are concrete, 行政裁决 is absent in all five."""
    from conftest import RAW
    from pipeline.model.store import load_model
    from pipeline.model.inputs import read_paragraphs

    paragraphs, _ = read_paragraphs([RAW])
    classified = write_table(load_model(saved_model_dir).classify(paragraphs), tmp_path / "paragraphs.parquet")
    run_coverage([classified], tmp_path / "out", html=tmp_path / "coverage.html")
    tasks = read_table(tmp_path / "out" / "tasks.parquet")
    cell = tasks[(tasks["report_id"] == R004) & (tasks["task"] == "staff_law_training")].iloc[0]
    assert cell["status"] == "concrete" and "资格考试" in cell["cues"]
    assert set(tasks[tasks["task"] == "administrative_adjudication"]["status"]) == {"absent"}
    assert tasks["report_id"].nunique() == 5 and (tasks["level"] == "task").sum() == 5 * len(load_taxonomy().tasks)
    page = (tmp_path / "coverage.html").read_text(encoding="utf-8")
    assert 'id="tasks"' in page and "<mark>资格考试</mark>" in page and 'id="heatmap"' in page
    gaps = read_table(tmp_path / "out" / "task_gaps.csv")
    assert set(gaps["kind"]) <= {"absent", "general_only", "plans_or_problems_only", "appeared", "disappeared"}
