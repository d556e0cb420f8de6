"""A report's province, prefecture, county, 行政区划代码 and level come from its issuer's name — or stay empty."""

from __future__ import annotations

import pandas as pd
import pytest

from pipeline.text.places import PLACE_COLUMNS, place_summary, report_places, resolve_report


def test_seed_reports_get_their_province_prefecture_and_level(seed_tables):
    places = report_places(pd.concat(seed_tables.values(), ignore_index=True)).set_index("report_id")
    got = {
        rid[:3]: (row["province"], row["city"], row["county"], row["admin_code"], row["level"])
        for rid, row in places.iterrows()
    }
    assert got == {
        "000": ("河北省", "邢台市", "清河县", "130534", "county"),  # named only in the opening sentence
        "001": ("河南省", "郑州市", "巩义市", "410181", "county"),  # a county-level city
        "002": ("山东省", "淄博市", "博山区", "370304", "county"),  # a district, signed with the party committee
        "003": ("", "", "", "", ""),  # 我县: names no place
        "004": ("广西壮族自治区", "柳州市", "柳城县", "450222", "county"),
    }
    assert places.loc[places.index.str.startswith("000"), "place_source"].item() in ("issuer", "opening")
    assert place_summary(places.reset_index()).startswith("places: province for 4 of 5 reports, level for 4")


@pytest.mark.parametrize("issuer", ["鼓楼区司法局", "朝阳区人民政府", "城关镇人民政府"])
def test_a_name_several_places_share_stays_empty_and_says_so(issuer):
    place = resolve_report(issuer=issuer)
    assert (place.province, place.city, place.county, place.admin_code) == ("", "", "", "")
    assert place.place_problem.startswith("ambiguous: ") and place.level  # the level is the same for all of them


def test_a_parent_name_picks_the_one_place():
    place = resolve_report(issuer="福州市鼓楼区司法局")
    assert (place.province, place.city, place.county, place.admin_code) == ("福建省", "福州市", "鼓楼区", "350102")
    assert (place.level, place.place_level, place.department_kind) == ("department", "county", "司法局")


@pytest.mark.parametrize(
    "issuer, expected",
    [
        ("中共西安市临潼区信访局党组", ("陕西省", "department", "county", "信访局")),
        ("广州市公安局增城区分局", ("广东省", "department", "county", "公安局")),
        ("湖北省人民政府", ("湖北省", "province", "province", "")),
        ("淮安市人民政府", ("江苏省", "prefecture", "prefecture", "")),
        ("上海市嘉定区人民政府", ("上海市", "county", "county", "")),
        ("丰都县栗子乡人民政府", ("重庆市", "township", "township", "")),
        ("城口县人民政府办公室", ("重庆市", "department", "county", "人民政府办公室")),
        ("江干区人民政府", ("浙江省", "county", "county", "")),  # merged into 上城区 in 2021: today's division
    ],
)
def test_level_and_kind_of_body_come_from_the_name(issuer, expected):
    place = resolve_report(issuer=issuer)
    assert (place.province, place.level, place.place_level, place.department_kind) == expected


def test_a_body_without_a_place_keeps_its_level_and_no_place():
    ministry, county_bureau = resolve_report(issuer="司法部"), resolve_report(issuer="县教育局")
    assert (ministry.level, ministry.province, ministry.place_problem) == ("department", "", "no place: 司法部")
    assert (county_bureau.level, county_bureau.place_level, county_bureau.department_kind) == (
        "department",
        "county",
        "教育局",
    )


def test_title_and_opening_are_read_when_the_issuer_is_empty():
    from_title = resolve_report(title="巩义市2019年度法治政府建设工作情况的报告")
    assert (from_title.province, from_title.place_source) == ("河南省", "title")
    from_opening = resolve_report(opening="2022年,清河县人民政府坚持以习近平新时代中国特色社会主义思想为指导")
    assert (from_opening.county, from_opening.place_source) == ("清河县", "opening")
    # the superior government named in the opening is not the issuer
    assert resolve_report(opening="今年以来,在市法治政府建设领导小组的正确领导下,我县").province == ""


def test_traditional_script_and_pinyin_glosses_resolve_like_simplified():
    place = resolve_report(issuer="汕頭市龍湖區(qū)教育局")
    assert (place.province, place.county, place.department_kind) == ("广东省", "龙湖区", "教育局")


def test_report_places_has_one_row_per_report_with_every_column(seed_tables):
    table = pd.concat(seed_tables.values(), ignore_index=True)
    places = report_places(table)
    assert list(places.columns) == ["report_id", *PLACE_COLUMNS]
    assert places["report_id"].tolist() == list(dict.fromkeys(table["report_id"]))
