"""Promises of segmentation, checked on the five real seed reports."""

from __future__ import annotations

import pandas as pd
import pytest

from pipeline.io.ingest import read_report
from pipeline.schema import BODY_PARTS
from pipeline.text.segment import segment_report

# Lines of page chrome and document furniture that occur in the seed files and must never be text.
CHROME = [
    "首页",
    "通知公告",
    "打印此文",
    "关闭窗口",
    "打印本页",
    "来源:",
    "发布日期",
    "浏览次数",
    "Produced By",
    "抄送",
    "日印",
    "政府工作报告",
]


def test_report_printed_twice_yields_each_paragraph_once(seed_tables):
    table = seed_tables["004"]
    assert not table.text.duplicated().any()
    # the first copy is complete: its last section (十一、2020年工作思路) is there
    assert table[table.heading_path.str.startswith("十一、")].shape[0] == 3
    assert table.text.str.contains("2020也是我县第一个法治政府建设实施方案").sum() == 1


def test_no_navigation_or_boilerplate_line_becomes_a_paragraph(seed_tables):
    table = pd.concat(seed_tables.values())
    for marker in CHROME:
        short = table[table.text.str.contains(marker, regex=False) & (table.n_chars < 60)]
        assert short.empty, f"{marker!r} kept as paragraph: {short.text.tolist()}"
    assert not table.text.isin(["×", "中共博山区委 博山区人民政府"]).any()
    # the title is metadata, not a paragraph
    titles = table.title[table.title != ""].unique()
    assert len(titles) == 3 and not table.text.isin(titles).any()


def test_body_paragraphs_have_heading_paths(seed_tables):
    table = pd.concat(seed_tables.values())
    body = table[table.part.isin(BODY_PARTS)]
    share = (body.heading_path != "").mean()
    assert share >= 0.95, f"only {share:.0%} of body paragraphs have a heading path"


def test_report_parts_follow_the_report_sections(seed_tables):
    table = seed_tables["004"]
    by_section = table.groupby(table.heading_path.str.split("、").str[0]).part.agg(set)
    assert by_section["九"] == {"problems"}
    assert by_section["十"] == {"responsibility"}
    assert by_section["十一"] == {"plans"}
    assert by_section["一"] == {"achievements"}
    assert table.part.iloc[0] == "preamble"
    parts_002 = seed_tables["002"].groupby(seed_tables["002"].heading_path.str[:2]).part.agg(set)
    assert (
        parts_002["二、"] == {"responsibility"} and parts_002["三、"] == {"problems"} and parts_002["四、"] == {"plans"}
    )
    # 000 has no plans section; its closing "下一步…" paragraph is still recognised as plans
    last = seed_tables["000"].iloc[-1]
    assert last.text.startswith("下一步") and last.part == "plans"


def test_years_and_issuers_are_read_from_the_text(seed_tables):
    years = {key: table.year.iloc[0] for key, table in seed_tables.items()}
    assert years["000"] == 2022 and years["001"] == 2019 and years["002"] == 2022 and years["004"] == 2019
    assert pd.isna(years["003"]), "003 only has 201x placeholders; the year must stay unknown"
    issuers = {key: table.issuer.iloc[0] for key, table in seed_tables.items()}
    assert issuers["004"] == "柳城县人民政府"
    assert issuers["000"] == "清河县人民政府"
    assert issuers["002"] == "中共博山区委 博山区人民政府"


def test_inline_lead_heads_the_path_and_stays_in_the_text(seed_tables):
    row = seed_tables["000"].iloc[1]
    assert row.heading_path.endswith("(一)加强组织学习,坚持政治引领")
    assert row.text.startswith("(一)加强组织学习,坚持政治引领。县政府通过召开县政府常务会")
    # a long numbered sentence is not a heading, and closes the item it follows
    table = seed_tables["004"]
    row = table[table.text.str.startswith("4.支持本级人大")].iloc[0]
    assert row.heading_path.count(" > ") == 1 and "3.严格依法依规决策" not in row.heading_path


def test_paragraph_ids_are_stable_and_unique(seed_paths, seed_tables):
    again = segment_report(read_report(seed_paths["001"]))
    assert [p.para_id for p in again] == seed_tables["001"].para_id.tolist()
    assert seed_tables["001"].para_id.is_unique
    assert seed_tables["001"].para_id.iloc[3] == "001_5da72b00cb8e5f14:0003"


@pytest.mark.parametrize("key", ["001", "002", "003"])
def test_enumerations_split_into_items_that_rebuild_the_paragraph(seed_paths, key):
    paragraphs = segment_report(read_report(seed_paths[key]))
    items = segment_report(read_report(seed_paths[key]), split_items=True)
    assert len(items) > len(paragraphs)
    for paragraph in paragraphs:
        pieces = [item for item in items if item.para_id.split(".")[0] == paragraph.para_id]
        body = paragraph.text[len(paragraph.lead) :] if len(pieces) > 1 else paragraph.text
        assert "".join(p.text for p in pieces).replace(" ", "") == body.replace(" ", "")
        if len(pieces) > 1:
            assert all(p.heading_path == paragraph.heading_path and p.part == paragraph.part for p in pieces)
    assert any(item.text.startswith("二是") for item in items)


@pytest.mark.parametrize(
    ("heading", "part"),
    [
        ("一、2022年度推进法治政府建设的主要举措和成效", "achievements"),
        ("一、2022年法治政府建设重点工作完成情况", "achievements"),
        ("二、党政主要负责人履行推进法治建设第一责任人职责情况", "responsibility"),
        ("三、推进法治政府建设存在的不足和原因", "problems"),
        ("四、2023年推进法治政府建设的主要安排", "plans"),
        ("五、下一步工作打算", "plans"),
        ("二、完善依法行政制度体系", "achievements"),
    ],
)
def test_top_level_heading_decides_the_report_part(heading, part):
    from pipeline.text.segment import report_part_of_heading

    assert report_part_of_heading(heading) == part


def test_lines_shared_by_many_reports_can_be_dropped_as_boilerplate(seed_paths, tmp_path):
    """A site footer repeated under every report is text only when reports are read one by one."""
    from pipeline.text.segment import segment_files

    footer = "本站所有内容仅供参考,转载请注明出处并保留原文链接。"
    for key in ("000", "001", "004"):
        text = seed_paths[key].read_text(encoding="utf-8")
        (tmp_path / seed_paths[key].name).write_text(f"{text}\n{footer}\n", encoding="utf-8")
    kept, _ = segment_files([tmp_path])
    dropped, _ = segment_files([tmp_path], shared_lines=3)
    assert (kept.text == footer).sum() == 3
    assert not (dropped.text == footer).any()
    assert dropped.text.tolist() == kept.text[kept.text != footer].tolist()
