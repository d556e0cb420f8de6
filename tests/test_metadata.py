"""A report's work year, issuer and publication date are read as official documents write them, and each
field says where it was read.

Every report here is seed report 003 (``corpus/raw``) given a title, an opening or a signature: 003 states
no year, issuer or date of its own, so whatever its table shows comes from the lines a test adds, and its
paragraphs must stay the seed's own (a title or a signature is metadata, not a paragraph). The title forms
are written for these tests in the forms reports use; the names in them are placeholders.
"""

from __future__ import annotations

import pandas as pd
import pytest
from page_templates import UNTITLED, wrap_seed

from pipeline.coverage.profile import validate_table
from pipeline.dates import iso_date
from pipeline.io.ingest import read_report
from pipeline.io.tables import read_table, write_table
from pipeline.text.segment import segment_file

#: (title line, year reported on, issuer): the forms the title of a report takes.
TITLE_FORMS = [
    ("某某县人民政府关于2022年度法治政府建设情况的报告", 2022, "某某县人民政府"),
    ("中共某某县委 某某县人民政府关于2022年度法治建设工作情况的报告", 2022, "中共某某县委 某某县人民政府"),
    ("塔庄镇2022年法治政府建设工作总结", 2022, "塔庄镇"),
    ("西青区市场监管管理局2019年行政执法工作报告", 2019, "西青区市场监管管理局"),
    ("某某镇人民政府2022年上半年法治政府建设工作汇报", 2022, "某某镇人民政府"),
    ("青山路街道2024法治政府建设年度报告", 2024, "青山路街道"),  # a year without 年
    ("法治政府建设情况报告(2021年度)", 2021, ""),
    ("2021年度县农业农村局法治政府建设工作报告", 2021, "县农业农村局"),  # the issuer after the year
    ("关于某某区2020年依法行政工作情况的报告", 2020, "某某区"),
    ("二〇二二年度城东区法治政府建设情况报告", 2022, "城东区"),  # Chinese numerals
    ("二○二三年某某街道办事处法治政府建设年度报告", 2023, "某某街道办事处"),  # ○ typed for 〇
    ("河西區人民政府關於2021年度法治政府建設工作情況的報告", 2021, "河西区人民政府"),  # traditional
    # two years: the one reported on, not the one planned
    ("2023年镇法治政府建设工作总结及2024年工作思路", 2023, "镇"),
    ("某某市司法局2024年工作计划及2023年法治政府建设工作总结", 2023, "某某市司法局"),
    # years inside a plan's name, a period and a document number are not the work year
    ("某某市司法局关于《法治政府建设实施纲要(2021-2025年)》2022年落实情况的报告", 2022, "某某市司法局"),
    ("某某县2016-2020年法治政府建设工作总结", None, "某某县"),
    ("某某区统计局近三年依法行政工作情况的报告", None, "某某区统计局"),
    ("我县2022年法治政府建设情况报告", 2022, ""),  # 我县 names no body
    (
        "中共某某县委全面依法治县委员会办公室关于2022年度法治政府建设情况的报告",
        2022,
        "中共某某县委全面依法治县委员会办公室",
    ),
    ("某某县依法治县工作报告(2022)", 2022, "某某县"),
]


def _report(seed_paths, tmp_path, head=(), tail=(), seed="003"):
    """Seed ``seed`` with ``head`` lines above it and ``tail`` lines below, segmented."""
    lines = list(read_report(seed_paths[seed]).lines)
    path = tmp_path / f"{seed}.txt"
    path.write_text("\n".join([*head, *lines, *tail]), encoding="utf-8")
    return segment_file(path)


def _metadata(table: pd.DataFrame) -> dict:
    first = table.iloc[0]
    return {
        "year": None if pd.isna(first.year) else int(first.year),
        "issuer": first.issuer,
        "published": first.published,
        "year_source": first.year_source,
        "issuer_source": first.issuer_source,
        "published_source": first.published_source,
    }


@pytest.mark.parametrize(("title", "year", "issuer"), TITLE_FORMS)
def test_every_title_form_gives_the_year_reported_on_and_the_issuer(
    seed_paths, seed_tables, tmp_path, title, year, issuer
):
    table = _report(seed_paths, tmp_path, head=[title])
    assert _metadata(table) == {
        "year": year,
        "issuer": issuer,
        "published": "",
        "year_source": "title" if year else "",
        "issuer_source": "title" if issuer else "",
        "published_source": "",
    }
    assert table.text.tolist() == seed_tables["003"].text.tolist()


def test_seeds_give_their_dates_and_say_where_each_field_came_from(seed_tables):
    got = {
        seed: (
            table.published.iloc[0],
            table.published_source.iloc[0],
            table.year_source.iloc[0],
            table.issuer_source.iloc[0],
        )
        for seed, table in seed_tables.items()
    }
    assert got == {
        "000": ("2023-02-15", "signature", "opening", "opening"),  # no title: 2022年,清河县人民政府…
        "001": ("2020-03-09", "page", "title", "title"),  # posted 2020-03-09 (时间: line), signed 2020-03-01
        "002": ("2023-01-30", "page", "title", "title"),  # posted 2023-01-30 (发布日期), signed 2023-01-19
        "003": ("", "", "", ""),  # states no year, issuer or date
        "004": ("2020-01-22", "page", "title", "title"),  # the signature's date lost its separators (2020121)
    }


def test_chinese_numeral_title_and_signature_give_year_and_publication_date(seed_paths, seed_tables, tmp_path):
    table = _report(
        seed_paths,
        tmp_path,
        head=["二〇二二年某某县法治政府建设情况报告"],
        tail=["某某县人民政府", "二〇二三年二月十五日"],
    )
    assert _metadata(table) == {
        "year": 2022,
        "issuer": "某某县",
        "published": "2023-02-15",
        "year_source": "title",
        "issuer_source": "title",
        "published_source": "signature",
    }
    assert table.text.tolist() == seed_tables["003"].text.tolist()  # the signature is no paragraph


@pytest.mark.parametrize(
    ("signature", "issuer"),
    [
        (["某某县人民政府", "二〇二三年二月十五日"], "某某县人民政府"),
        (["某某县人民政府  2023年2月15日"], "某某县人民政府"),  # name and date on one line
        (["某某街道办事处", "二〇二三年元月十五日"], "某某街道办事处"),
    ],
)
def test_signature_alone_gives_issuer_date_and_the_year_before(seed_paths, seed_tables, tmp_path, signature, issuer):
    table = _report(seed_paths, tmp_path, tail=signature)
    month = "01" if "元月" in signature[-1] else "02"
    assert _metadata(table) == {
        "year": 2022,
        "issuer": issuer,
        "published": f"2023-{month}-15",
        "year_source": "signature",
        "issuer_source": "signature",
        "published_source": "signature",
    }
    assert table.text.tolist() == seed_tables["003"].text.tolist()


def test_signature_completes_an_issuer_the_title_names_without_its_place(seed_paths, tmp_path):
    table = _report(
        seed_paths, tmp_path, head=["县教育局2022年法治政府建设年度报告"], tail=["某某县教育局", "2023年1月10日"]
    )
    metadata = _metadata(table)
    assert (metadata["issuer"], metadata["issuer_source"]) == ("某某县教育局", "signature")
    assert (metadata["year"], metadata["year_source"]) == (2022, "title")


@pytest.mark.parametrize(
    "head",
    [
        ["某某县人民政府", "关于2022年度法治政府建设情况的报告"],
        ["某某县人民政府关于2022年度法治政府建设", "工作情况的报告"],
    ],
)
def test_title_on_two_lines_is_read_whole_and_is_no_paragraph(seed_paths, seed_tables, tmp_path, head):
    table = _report(seed_paths, tmp_path, head=head)
    assert (_metadata(table)["year"], table.issuer.iloc[0]) == (2022, "某某县人民政府")
    assert table.title.iloc[0].replace(" ", "") == "".join(head)
    assert table.text.tolist() == seed_tables["003"].text.tolist()


def test_opening_in_chinese_numerals_gives_the_year(seed_paths, seed_tables, tmp_path):
    opening = read_report(seed_paths["000"]).lines[0]
    assert opening.startswith("2022年,")
    lines = ["二〇二二年" + opening[len("2022年") :], *read_report(seed_paths["000"]).lines[1:]]
    path = tmp_path / "000.txt"
    path.write_text("\n".join(lines), encoding="utf-8")
    metadata = _metadata(segment_file(path))
    assert (metadata["year"], metadata["year_source"]) == (2022, "opening")
    assert (metadata["issuer"], metadata["issuer_source"]) == ("清河县人民政府", "opening")


def test_opening_names_the_issuer_when_title_and_signature_do_not(seed_paths, tmp_path):
    lines = list(read_report(seed_paths["000"]).lines)
    lines[0] = lines[0].replace("清河县人民政府", "清河县司法局", 1)
    path = tmp_path / "000.txt"
    path.write_text("\n".join(lines), encoding="utf-8")
    metadata = _metadata(segment_file(path))
    assert (metadata["issuer"], metadata["issuer_source"]) == ("清河县司法局", "opening")


def test_a_section_opening_since_a_year_is_not_the_work_year(seed_paths, tmp_path):
    # "2018年以来" under a heading starts a multi-year account; only the report's own opening counts
    lines = list(read_report(seed_paths["003"]).lines)
    heading = next(index for index, line in enumerate(lines) if line.startswith("一、"))
    lines.insert(heading + 1, "2018年以来," + lines.pop(heading + 1))
    path = tmp_path / "003.txt"
    path.write_text("\n".join(lines[heading:]), encoding="utf-8")
    assert _metadata(segment_file(path))["year"] is None


def test_page_date_gives_the_year_as_published_when_the_text_states_none(seed_paths, tmp_path):
    page = wrap_seed(seed_paths["003"], "div_layout", tmp_path / "page.html")
    markup = page.read_text(encoding="utf-8")
    page.write_text(
        markup.replace('name="PubDate" content="2024-03-15', 'name="firstpublishedtime" content="2024-03-15'),
        encoding="utf-8",
    )
    assert read_report(page).page.posted == "2024-03-15"
    metadata = _metadata(segment_file(page))
    assert (metadata["year"], metadata["year_source"]) == (2023, "published")
    assert (metadata["published"], metadata["published_source"]) == ("2024-03-15", "page")


def test_page_title_gives_the_year_when_the_text_has_no_title(seed_paths, tmp_path):
    page = wrap_seed(seed_paths["003"], "div_layout", tmp_path / "page.html")
    page.write_text(
        page.read_text(encoding="utf-8").replace(UNTITLED, "某某县2021年法治政府建设年度报告"), encoding="utf-8"
    )
    metadata = _metadata(segment_file(page))
    assert (metadata["year"], metadata["year_source"], metadata["issuer"]) == (2021, "page", "某某县")


def test_new_columns_survive_a_table_file_and_coverage_reads_them(seed_paths, tmp_path):
    table = _report(seed_paths, tmp_path, head=["二〇二二年某某县法治政府建设情况报告"], tail=["二〇二三年二月十五日"])
    bare = _report(seed_paths, tmp_path)  # no title, no date: empty cells
    for suffix in (".csv", ".parquet", ".xlsx"):
        back = read_table(write_table(pd.concat([table, bare.assign(report_id="bare")]), tmp_path / f"t{suffix}"))
        assert back.groupby("report_id").published.first().to_dict() == {"003": "2023-02-15", "bare": ""}
        assert set(back.year_source) == {"title", ""}
        checked = validate_table(back.assign(labels="leadership"), origin=suffix)
        assert checked.published.iloc[0] == "2023-02-15"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2021-04-09 10:21", "2021-04-09"),
        ("发布日期:2024年3月15日", "2024-03-15"),
        ("二〇二三年十二月三十一日", "2023-12-31"),
        ("二零二四年三月五号", "2024-03-05"),
        ("2023年2月30日", ""),
        ("二〇二三年", ""),
        ("索引号:000000000/2024-00012", ""),
    ],
)
def test_dates_are_read_in_digits_or_chinese_numerals(text, expected):
    assert iso_date(text) == expected
