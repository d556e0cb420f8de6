"""The taxonomy file is the single definition of the themes; these tests hold it to its promises."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

import pipeline
from pipeline.errors import TaxonomyError
from pipeline.taxonomy import DEFAULT_TAXONOMY_PATH, Label, load_taxonomy

SEVEN_IDS = ["functions", "decision_making", "enforcement", "oversight", "dispute_resolution", "capacity", "leadership"]

TWO_LABELS = """\
name: toy
version: "0.1"
labels:
  - id: green
    name_zh: 绿色
    name_en: Green
    definition: Paragraphs about the environment.
    cues: [环境, 生态]
  - id: money
    name_zh: 财政
    name_en: Money
    definition: Paragraphs about budgets.
    cues: [预算, 财政]
heading_cues:
  green: ['生态|环境']
plan_areas:
  - {plan: toy_plan, area: 生态文明, label: green}
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "taxonomy.yaml"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def shipped():
    return load_taxonomy(DEFAULT_TAXONOMY_PATH)


def test_shipped_taxonomy_has_the_seven_ids_in_order(shipped):
    assert shipped.ids == SEVEN_IDS
    assert shipped.name and shipped.version
    assert re.fullmatch(r"[0-9a-f]{64}", shipped.sha256)


def test_every_shipped_label_is_fully_described(shipped):
    for label in shipped.labels:
        assert isinstance(label, Label)
        assert len(label.cues) >= 20, label.id
        assert len(set(label.cues)) == len(label.cues), f"{label.id} repeats a cue"
        assert label.name_zh and label.name_en and label.definition
        assert label.includes and label.excludes and label.heading_cues, label.id


def test_no_cue_is_claimed_by_two_labels(shipped):
    owner: dict[str, str] = {}
    for label in shipped.labels:
        for cue in label.cues:
            assert cue not in owner, f"{cue} in both {owner.get(cue)} and {label.id}"
            owner[cue] = label.id


@pytest.mark.parametrize("plan, count", [("2015_2020", 8), ("2021_2025", 10)])
def test_every_plan_area_maps_to_one_known_label(shipped, plan, count):
    areas = [area for area in shipped.plan_areas if area.plan == plan]
    assert len(areas) == count
    assert len({area.area for area in areas}) == count, "an area is mapped twice"
    assert all(area.label in shipped.ids for area in areas)
    # every theme is reachable from each plan, so profiles of old and new reports are comparable
    assert {area.label for area in areas} == set(shipped.ids)


def test_emergency_response_mapping_is_explained(shipped):
    emergency = next(area for area in shipped.plan_areas if "突发事件" in area.area)
    assert emergency.label == "functions" and emergency.note


@pytest.mark.parametrize(
    "heading, expected",
    [
        ("七、依法有效化解矛盾纠纷，全力维护社会和谐稳定", "dispute_resolution"),
        ("三、提升制度建设质量，完善依法行政制度体系", "decision_making"),
        ("一、牢固树立法治思想，加强法治建设组织领导", "leadership"),
        ("八、全面提高法治思维和依法行政能力", "capacity"),
        ("六、强化行政权力制约监督，促进行政权力规范透明运行", "oversight"),
    ],
)
def test_heading_cues_recognise_seed_headings(shipped, heading, expected):
    matched = {label.id for label in shipped.labels if any(re.search(p, heading) for p in label.heading_cues)}
    assert expected in matched


@pytest.mark.parametrize(
    "heading, not_expected",
    [
        ("(三)加强行政执法队伍建设", "capacity"),  # 000: enforcement staff, not training
        ("一、牢固树立法治思想,加强法治建设组织领导", "decision_making"),  # 树立法治 contains 立法
        ("(二)强化行政执法制度建设和创新", "decision_making"),  # 004: enforcement systems
        ("(二)抓好顶层设计,精心谋划部署", "decision_making"),  # 决策部署-like wording is leadership
    ],
)
def test_heading_cues_avoid_known_false_hits(shipped, heading, not_expected):
    assert not any(re.search(p, heading) for p in shipped.label(not_expected).heading_cues)


def test_unknown_label_lookup_lists_known_ids(shipped):
    with pytest.raises(TaxonomyError, match="known ids are functions, decision_making"):
        shipped.label("budget")
    assert shipped.name_zh("oversight") == "行政权力制约和监督"


def test_custom_two_label_taxonomy_loads(tmp_path):
    taxonomy = load_taxonomy(write(tmp_path, TWO_LABELS))
    assert taxonomy.ids == ["green", "money"]
    assert taxonomy.label("green").heading_cues == ("生态|环境",)
    assert taxonomy.label("money").heading_cues == ()
    assert taxonomy.plan_areas[0].label == "green"


def test_default_taxonomy_is_package_data_found_from_anywhere(tmp_path, monkeypatch):
    """Installed copies (wheel, Dask workers) have no source tree: the default ships inside ``pipeline``
    (declared as package data in pyproject.toml; `.ci/wheel_check.sh` proves an installed wheel finds it)."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("ROLCOV_TAXONOMY", raising=False)
    package = Path(pipeline.__file__).resolve().parent
    assert load_taxonomy().path == package / "data" / "taxonomy.yaml"
    assert load_taxonomy().ids == SEVEN_IDS


def test_environment_variable_points_at_another_taxonomy(tmp_path, monkeypatch):
    monkeypatch.setenv("ROLCOV_TAXONOMY", str(write(tmp_path, TWO_LABELS)))
    assert load_taxonomy().ids == ["green", "money"]


def test_edited_file_is_reloaded(tmp_path):
    path = write(tmp_path, TWO_LABELS)
    first = load_taxonomy(path)
    path.write_text(TWO_LABELS.replace("name: toy", "name: toy2"), encoding="utf-8")
    second = load_taxonomy(path)
    assert (first.name, second.name) == ("toy", "toy2")
    assert first.sha256 != second.sha256


BROKEN = {
    "duplicate id": (TWO_LABELS.replace("id: money", "id: green"), r"duplicated label id green"),
    "missing field": (TWO_LABELS.replace("    name_en: Money\n", ""), r"label 'money': field 'name_en' is missing"),
    "empty cues": (TWO_LABELS.replace("cues: [预算, 财政]", "cues: []"), r"label 'money': field 'cues' is empty"),
    "bad id": (TWO_LABELS.replace("id: money", "id: Money-2"), r"label id 'Money-2' must match"),
    "bad yaml": (TWO_LABELS.replace("cues: [环境, 生态]", "cues: [环境, 生态"), r"YAML syntax error at line \d+"),
    "unknown plan label": (
        TWO_LABELS.replace("label: green}", "label: blue}"),
        r"plan area '生态文明' \(toy_plan\) maps to unknown label 'blue'; use one of green, money",
    ),
    "bad regex": (
        TWO_LABELS.replace("'生态|环境'", "'生态(环境'"),
        r"heading cue '生态\(环境' of label 'green' is not a valid",
    ),
    "heading cue for unknown label": (
        TWO_LABELS.replace("  green: [", "  blue: ["),
        r"heading_cues names unknown label blue",
    ),
    "no labels": ("name: toy\nversion: '1'\nlabels: []\n", r"non-empty list 'labels'"),
    "missing version": (TWO_LABELS.replace('version: "0.1"\n', ""), r"missing top-level field 'version'"),
}


@pytest.mark.parametrize("case", sorted(BROKEN))
def test_malformed_taxonomy_raises_one_line_naming_file_and_problem(tmp_path, case):
    text, problem = BROKEN[case]
    path = write(tmp_path, text)
    with pytest.raises(TaxonomyError) as raised:
        load_taxonomy(path)
    message = str(raised.value)
    assert message.startswith(f"{path.resolve()}: ")
    assert re.search(problem, message), message
    assert "\n" not in message


def test_yaml_error_reports_the_right_line(tmp_path):
    path = write(tmp_path, "name: toy\nversion: '1'\nlabels:\n  - id: a\n    cues: [x\n")
    with pytest.raises(TaxonomyError, match=r"line [56]\b"):
        load_taxonomy(path)


def test_missing_file_is_named(tmp_path):
    missing = tmp_path / "nope.yaml"
    with pytest.raises(TaxonomyError, match=re.escape(f"{missing}: taxonomy file not found")):
        load_taxonomy(missing)
