"""Task-level coverage on the real seed reports: the plan's tasks as data, the tagger, the evidence rule, the gaps.

The seed table here is ``corpus/annotations.csv``'s gold paragraphs — a table labelled by hand, without
probabilities — so these tests also show that task coverage needs no model.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from opencc import OpenCC

from pipeline.coverage.cues import found_cues
from pipeline.coverage.evidence import evidence_strength, tag_evidence
from pipeline.coverage.html_tasks import highlight
from pipeline.coverage.profile import validate_table
from pipeline.coverage.run import TASK_OUTPUT_FILES, run_coverage
from pipeline.coverage.task_coverage import most_missing_tasks, task_coverage, task_gaps
from pipeline.coverage.tasks import parse_cues, read_task_annotations, tag_tasks, task_ids
from pipeline.errors import AnnotationError, TaxonomyError
from pipeline.io.tables import read_table, write_table
from pipeline.taxonomy import DEFAULT_TAXONOMY_PATH, Task, load_taxonomy

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
    cues = parse_cues(courts["task_cues"])
    assert set(cues) == {"administrative_reconsideration", "litigation_head_appearance", "leaders_law_study"}
    assert "出庭应诉" in cues["litigation_head_appearance"]
    assert cues["leaders_law_study"] == ["旁听庭审"]  # heads attending trials: a form of leaders' law study


def test_passing_mentions_are_not_tags_and_the_theme_gate_is_an_option(hand_labelled):
    # 000:0010 (三项制度 work plan) names a 三项制度工作领导小组办公室 (an office) and 营商环境 (a slogan) in passing.
    row = para(hand_labelled, "000_751c6dcf84680b70", "0010")
    assert parse_cues(tag_tasks(row)["task_cues"].iloc[0]) == {"three_enforcement_systems": ["三项制度"]}
    # 004:0017 follows the plans it cites (认真落实《…法治政府建设实施方案》): those are no planning of its own; its
    # own planning is the conference that 安排部署全县当年法治政府建设各项工作.
    [hit] = parse_cues(tag_tasks(para(hand_labelled, R004, "0017"))["task_cues"].iloc[0])["party_leadership_planning"]
    assert hit.startswith("安排部署") and "实施方案" not in hit
    # 004:0013 lists what the assessment covers (将行政复议和行政诉讼、…重大行政决策、…等纳入考评范围): areas, not work.
    listed = tag_tasks(para(hand_labelled, R004, "0013"))
    assert set(task_ids(listed["tasks"].iloc[0])) == {"congress_cppcc_oversight", "assessment_evaluation"}
    # The gate drops a task whose theme the paragraph does not carry (here: labels without enforcement).
    assert tag_tasks(row.assign(labels="functions"), min_theme_prob=0.5)["tasks"].iloc[0] == ""


def test_a_leading_group_set_up_is_found_across_its_long_description_and_marked_whole(hand_labelled):
    # 004:0027: 调整了以县政府主要领导任组长、相关部门主要负责人为成员的县依法行政工作领导小组 (调整……依法……领导小组)
    row = para(hand_labelled, R004, "0027")
    [hit] = parse_cues(tag_tasks(row)["task_cues"].iloc[0])["party_leadership_planning"]
    assert hit.startswith("调整了以县政府主要领导任组长") and hit.endswith("县依法行政工作领导小组")
    assert f"<mark>{hit}</mark>" in highlight(row["text"].iloc[0], [hit])


def test_study_of_law_in_the_theory_group_is_found_across_commas(hand_labelled):
    # 002:0001: 将习近平法治思想纳入区委常委会、区政府常务会、各级党委(党组)理论学习中心组重点学习内容 — the plan's
    # own wording, with the meetings listed between the two words.
    hits = parse_cues(tag_tasks(para(hand_labelled, "002_705c59168de025e6", "0001"))["task_cues"].iloc[0])
    assert any(h.startswith("法治思想纳入") and h.endswith("中心组") for h in hits["leaders_law_study"])


def test_a_cue_inside_a_longer_item_of_a_list_of_areas_is_listed_too(hand_labelled):
    # 004:0013's assessment covers 行政复议和行政诉讼、按照法定程序进行重大行政决策、执行行政执法制度等: make the
    # middle item name legal advisers inside it; it is still one item of the list, not work on the adviser system.
    row = para(hand_labelled, R004, "0013")
    item = row.assign(text=row["text"].str.replace("按照法定程序进行重大行政决策", "重大决策听取法律顾问意见"))
    assert "legal_advisers" not in task_ids(tag_tasks(item)["tasks"].iloc[0])
    # Out of the list (its own sentence), the same words are work on the adviser system.
    alone = item.assign(text=item["text"].str.replace("、重大决策听取法律顾问意见、", "。重大决策听取法律顾问意见。"))
    assert "legal_advisers" in task_ids(tag_tasks(alone)["tasks"].iloc[0])


def test_a_body_named_as_who_leads_is_not_reported_on(hand_labelled):
    """在…领导下 names who leads the reporting body: a cue inside that frame is not the body's own work."""
    # 003:0000 opens 在市法治政府建设领导小组的正确领导下; a task whose cue is that group's name is not found there.
    opening = para(hand_labelled, "003_0298e319a692b31d", "0000")["text"].iloc[0]
    body = Task(id="leading_group", theme="leadership", name_zh="小组", name_en="", definition="d", cues=("领导小组",))
    assert "市法治政府建设领导小组" in opening and found_cues(opening, [body]) == {}
    assert found_cues(opening.replace("在市", "成立市").replace("的正确领导下", ""), [body]) == {
        "leading_group": ["领导小组"]
    }


def test_every_tag_on_the_seeds_has_its_words_in_the_paragraph(hand_labelled):
    """The checklist shows each mark's reason by marking its words: they must be words of the text."""
    tagged = tag_tasks(hand_labelled)
    assert tagged["tasks"].ne("").sum() > 80
    for text, tasks, cell in zip(tagged["text"], tagged["tasks"], tagged["task_cues"]):
        cues = parse_cues(cell)
        assert list(cues) == task_ids(tasks) and all(cues.values())
        assert all(cue in text for words in cues.values() for cue in words)


def test_traditional_and_pinyin_glossed_copies_get_the_same_tasks_and_evidence(hand_labelled):
    rows = hand_labelled[hand_labelled["report_id"] == R004]
    traditional = rows.assign(text=rows["text"].map(OpenCC("s2t").convert))
    glossed = rows.assign(text=rows["text"].str.replace("领导", "领(lǐng)导").str.replace("法治", "法(fǎ)治"))
    for copy in (traditional, glossed):
        assert (copy["text"] != rows["text"]).sum() > 10
        assert tag_tasks(copy)["tasks"].tolist() == tag_tasks(rows)["tasks"].tolist()
        assert tag_evidence(copy)["evidence"].tolist() == tag_evidence(rows)["evidence"].tolist()


def test_evidence_rule_on_seed_paragraphs(hand_labelled):
    def judged(report: str, index: str) -> tuple[str, list[str]]:
        return evidence_strength(para(hand_labelled, report, index)["text"].iloc[0])

    value, reasons = judged(R004, "0014")  # 收到行政复议申请15件 … 出庭6件次
    assert value == "concrete" and "count: 15件" in reasons
    value, reasons = judged("000_751c6dcf84680b70", "0010")  # 印发《…》(清三项制度办〔2022〕1号)
    assert value == "concrete" and any(r.startswith("document: 印发《") for r in reasons)
    issued = para(hand_labelled, "000_751c6dcf84680b70", "0010")["text"].iloc[0]
    assert evidence_strength(issued.replace("印发《", "学习《")) == ("general", [])  # studied: title and 文号 cited
    adopted = evidence_strength(issued.replace("印发《", "审议并通过了《"))  # a body that adopts a document issues it
    assert any(r.startswith("document: 审议并通过了《") for r in adopted[1])
    assert judged("000_751c6dcf84680b70", "0004") == ("general", [])  # cites 《政府信息公开条例》, no result
    assert judged(R004, "0017")[0] == "general"  # 认真落实《…实施方案》: a plan followed, not a result
    assert judged(R004, "0030")[0] == "general"
    value, reasons = judged(R004, "0016")  # a named body set up is something a person could check
    assert value == "concrete" and "body: 成立了全面依法治县委员会" in reasons


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

    from pipeline.model.inputs import read_paragraphs
    from pipeline.model.store import load_model

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


def test_coverage_of_a_report_that_is_only_an_opening_still_writes_the_task_tables(tmp_path, hand_labelled):
    """A saved page that holds only a report's opening has no body paragraph: every task is absent there."""
    opening = hand_labelled[hand_labelled["report_id"] == R004].head(3)
    opening = opening.assign(report_id="opening-only", para_id=opening["para_id"] + "-o", part="preamble")
    table = write_table(pd.concat([hand_labelled, opening], ignore_index=True), tmp_path / "labelled.csv")
    run_coverage([table], tmp_path / "out")
    tasks = read_table(tmp_path / "out" / "tasks.csv")
    own = tasks[(tasks["report_id"] == "opening-only") & (tasks["level"] == "task")]
    assert len(own) == len(load_taxonomy().tasks) and set(own["status"]) == {"absent"}


def test_task_changes_compare_with_the_issuers_earlier_year_as_theme_gaps_do(hand_labelled):
    """Two reports of one year are both compared with the year before, never with each other."""
    report = hand_labelled[hand_labelled["report_id"] == R004]
    without = report[report["para_id"] != f"{R004}:0013"]
    reports = [("lc-2018", 2018, report), ("lc-2019-a", 2019, without), ("lc-2019-b", 2019, report)]
    table = pd.concat(
        [
            rows.assign(report_id=rid, para_id=rows["para_id"] + rid, year=year, issuer="柳城县")
            for rid, year, rows in reports
        ],
        ignore_index=True,
    )
    changes = task_gaps(task_coverage(table))
    changes = changes[changes["kind"].isin(["appeared", "disappeared"])]
    assert set(changes["report_id"]) == {"lc-2019-a"} and set(changes["kind"]) == {"disappeared"}
    assert all("2018 report lc-2018" in detail for detail in changes["detail"])


def test_task_cues_are_the_same_in_every_process():
    """The hit text must not depend on Python's string-hash seed (a set's order), or two runs of one report differ."""
    import os
    import subprocess
    import sys

    script = (
        "from conftest import RAW; from pipeline.text.segment import segment_files; "
        "from pipeline.coverage.tasks import tag_tasks; "
        "table, _ = segment_files([RAW]); print(tag_tasks(table)['task_cues'].tolist())"
    )
    outputs = {
        subprocess.run(
            [sys.executable, "-c", script],
            capture_output=True,
            text=True,
            check=True,
            cwd=Path(__file__).parent,
            env={**os.environ, "PYTHONHASHSEED": str(seed), "PYTHONPATH": str(ROOT)},
        ).stdout
        for seed in range(6)
    }
    assert len(outputs) == 1
