"""Coverage profiles and gaps of hand-labelled tables equal the numbers worked out on paper."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from coverage_tables import LABELS, paragraph_table

from pipeline.coverage.gaps import GAP_COLUMNS, coverage_gaps
from pipeline.coverage.profile import PROFILE_COLUMNS, CoverageThresholds, coverage_profile
from pipeline.coverage.run import OUTPUT_FILES, run_coverage
from pipeline.errors import InputError
from pipeline.io.tables import read_table, write_table


def _row(profile: pd.DataFrame, report: str, theme: str, part: str = "all") -> pd.Series:
    rows = profile[(profile["report_id"] == report) & (profile["theme"] == theme) & (profile["part"] == part)]
    assert len(rows) == 1
    return rows.iloc[0]


def _kinds(gaps: pd.DataFrame, report: str) -> list[tuple[str, str]]:
    return list(gaps.loc[gaps["report_id"] == report, ["theme", "kind"]].itertuples(index=False, name=None))


def test_profile_shares_are_over_body_characters_and_paragraphs(report_a):
    profile = coverage_profile(report_a, labels=LABELS)
    assert list(profile.columns) == list(PROFILE_COLUMNS)
    assert len(profile) == 1 * 7 * 5
    expected = {  # theme: (n_paragraphs, char_share, para_share, status)
        "functions": (2, 0.4, 2 / 6, "covered"),
        "decision_making": (0, 0.0, 0.0, "missing"),
        "enforcement": (2, 0.4, 2 / 6, "covered"),
        "oversight": (1, 0.3, 1 / 6, "thin"),
        "dispute_resolution": (2, 0.3, 2 / 6, "covered"),
        "capacity": (0, 0.0, 0.0, "missing"),
        "leadership": (1, 0.1, 1 / 6, "thin"),
    }
    for theme, (n, char_share, para_share, status) in expected.items():
        row = _row(profile, "A", theme)
        assert (row["n_paragraphs"], row["status"]) == (n, status), theme
        assert row["char_share"] == pytest.approx(char_share) and row["para_share"] == pytest.approx(para_share)
        assert (row["part_paragraphs"], row["part_chars"]) == (6, 1000)
    assert (_row(profile, "A", "functions")["year"], _row(profile, "A", "functions")["issuer"]) == (
        2022,
        "甲县人民政府",
    )


def test_probability_share_is_character_weighted_mean_probability(report_a):
    profile = coverage_profile(report_a, labels=LABELS)
    # (0.5·200 + 0.9·300 + 0.8·100) / 1000; the preamble's 0.9 is not body.
    assert _row(profile, "A", "enforcement")["prob_share"] == pytest.approx(0.45)
    assert _row(profile, "A", "enforcement", "achievements")["prob_share"] == pytest.approx(450 / 600)
    assert _row(profile, "A", "functions")["prob_share"] == pytest.approx(0.4)


def test_part_rows_use_the_part_as_denominator(report_a):
    profile = coverage_profile(report_a, labels=LABELS)
    achievements = _row(profile, "A", "enforcement", "achievements")
    assert (achievements["n_paragraphs"], achievements["part_chars"]) == (2, 600)
    assert achievements["char_share"] == pytest.approx(400 / 600)
    plans = _row(profile, "A", "dispute_resolution", "plans")
    assert (plans["n_paragraphs"], plans["char_share"], plans["status"]) == (1, 1.0, "thin")


def test_labels_default_to_probability_columns_in_order(report_a):
    profile = coverage_profile(report_a)
    assert list(dict.fromkeys(profile["theme"])) == LABELS


def test_hand_labelled_table_without_probabilities_uses_labels(report_a):
    hand = report_a.drop(columns=[f"p_{t}" for t in LABELS])
    profile = coverage_profile(hand, labels=LABELS)
    assert _row(profile, "A", "enforcement")["prob_share"] == pytest.approx(0.4)


def test_removing_every_enforcement_paragraph_makes_enforcement_missing(report_a):
    has_enforcement = report_a["labels"].str.contains("enforcement")
    profile = coverage_profile(report_a[~has_enforcement], labels=LABELS)
    row = _row(profile, "A", "enforcement")
    assert (row["status"], row["n_paragraphs"], row["char_share"]) == ("missing", 0, 0.0)
    assert ("enforcement", "missing") in _kinds(coverage_gaps(profile), "A")


def test_thresholds_are_configurable(report_a):
    lenient = CoverageThresholds(min_paragraphs=1, min_char_share=0.05)
    assert _row(coverage_profile(report_a, LABELS, lenient), "A", "oversight")["status"] == "covered"
    strict = CoverageThresholds(min_paragraphs=2, min_char_share=0.35)
    assert _row(coverage_profile(report_a, LABELS, strict), "A", "dispute_resolution")["status"] == "thin"


def test_gaps_of_one_report_match_hand_count(report_a, names):
    gaps = coverage_gaps(coverage_profile(report_a, labels=LABELS), names=names)
    assert list(gaps.columns) == list(GAP_COLUMNS)
    assert _kinds(gaps, "A") == [
        ("decision_making", "missing"),
        ("oversight", "thin"),
        ("dispute_resolution", "only_in_plans_or_problems"),
        ("capacity", "missing"),
        ("leadership", "thin"),
    ]
    details = dict(zip(gaps["theme"], gaps["detail"]))
    assert details["oversight"] == "行政权力制约和监督 (oversight): only 1 body paragraph(s), 30.0% of body characters."
    assert details["dispute_resolution"] == (
        "依法有效化解社会矛盾纠纷 (dispute_resolution): 1 paragraph(s) in plans "
        "and 1 in problems, none in achievements or responsibility."
    )
    assert details["capacity"] == "法治思维和依法行政能力 (capacity): no body paragraph carries this theme."


def test_theme_only_in_plans_is_reported_as_such():
    rows = [("achievements", 300, "functions"), ("achievements", 300, "functions"), ("plans", 200, "capacity")]
    gaps = coverage_gaps(coverage_profile(paragraph_table("P", rows), labels=LABELS))
    assert ("capacity", "only_in_plans_or_problems") in _kinds(gaps, "P")
    assert ("functions", "only_in_plans_or_problems") not in _kinds(gaps, "P")


def test_same_issuer_year_over_year_reports_appeared_and_disappeared(report_a):
    earlier = paragraph_table(
        "B", [("achievements", 100, "capacity"), ("achievements", 100, "functions;oversight")], year=2021
    )
    other_issuer = paragraph_table("C", [("achievements", 100, "leadership")], year=2021, issuer="乙市人民政府")
    profile = coverage_profile(pd.concat([earlier, report_a, other_issuer]), labels=LABELS)
    gaps = coverage_gaps(profile)
    changes = gaps[gaps["kind"].isin(["appeared", "disappeared"])]
    assert list(changes[["report_id", "theme", "kind"]].itertuples(index=False, name=None)) == [
        ("A", "enforcement", "appeared"),
        ("A", "dispute_resolution", "appeared"),
        ("A", "capacity", "disappeared"),
        ("A", "leadership", "appeared"),
    ]
    assert "the same issuer's 2021 report B" in changes.iloc[2]["detail"]


def _peer_reports(enforcement_counts: list[int]) -> pd.DataFrame:
    """Reports of ten 100-character paragraphs each, ``k`` labelled enforcement and the rest functions."""
    tables = [
        paragraph_table(
            f"R{i}",
            [("achievements", 100, "enforcement" if j < k else "functions") for j in range(10)],
            issuer=f"第{i}县",
        )
        for i, k in enumerate(enforcement_counts)
    ]
    return pd.concat(tables, ignore_index=True)


def test_leave_one_out_reference_flags_a_clearly_low_theme():
    profile = coverage_profile(_peer_reports([4, 4, 4, 1]), labels=LABELS)
    below = coverage_gaps(profile).query("kind == 'below_reference'")
    assert list(below[["report_id", "theme"]].itertuples(index=False, name=None)) == [("R3", "enforcement")]
    # reference R0–R2: median 40%, MAD 0, so the limit is min(40% − 2·0, 0.5·40%) = 20%.
    assert below.iloc[0]["detail"].endswith(
        "10.0% of body characters vs reference median 40.0% over 3 reports (scaled MAD 0.0%); "
        "far below means under 20.0%."
    )


def test_user_reference_profile_flags_share_below_median_minus_k_mad(report_a):
    reference = pd.DataFrame(
        {
            "report_id": ["X", "Y", "Z"],
            "theme": "functions",
            "part": "all",
            "n_paragraphs": 5,
            "char_share": [0.8, 0.9, 1.0],
            "status": "covered",
        }
    )
    gaps = coverage_gaps(coverage_profile(report_a, labels=LABELS), reference=reference)
    below = gaps.query("kind == 'below_reference'")
    # median 90%, MAD 10% · 1.4826 = 14.8%; limit min(90% − 29.7%, 45%) = 45% > A's 40%.
    assert below["theme"].tolist() == ["functions"]
    assert (
        "reference median 90.0% over 3 reports (scaled MAD 14.8%); far below means under 45.0%"
        in below.iloc[0]["detail"]
    )


def test_too_few_reference_reports_flag_nothing():
    profile = coverage_profile(_peer_reports([4, 4, 1]), labels=LABELS)
    assert coverage_gaps(profile).query("kind == 'below_reference'").empty


def test_missing_column_is_an_input_error_naming_it(report_a):
    with pytest.raises(InputError, match="n_chars"):
        coverage_profile(report_a.drop(columns="n_chars"))


def test_unknown_label_and_part_are_input_errors(report_a):
    bad_label = report_a.assign(labels=report_a["labels"].where(report_a.index != 2, "enforcment"))
    with pytest.raises(InputError, match="row 3 .*enforcment"):
        coverage_profile(bad_label)
    with pytest.raises(InputError, match="part 'body'"):
        coverage_profile(report_a.assign(part="body"))


def test_tables_round_trip_through_csv_and_parquet(report_a, tmp_path):
    profile = coverage_profile(report_a, labels=LABELS)
    for suffix in (".csv", ".parquet"):
        back = read_table(write_table(profile, tmp_path / f"profile{suffix}"))
        assert back["report_id"].tolist() == profile["report_id"].tolist()
        assert np.allclose(back["char_share"], profile["char_share"], equal_nan=True)
    assert (tmp_path / "profile.csv").read_bytes().startswith(b"\xef\xbb\xbf")
    with pytest.raises(InputError, match="profile.xlsx"):
        read_table(tmp_path / "profile.xlsx")


def test_run_coverage_writes_tables_and_html(report_a, tmp_path, caplog):
    report_a.to_json(tmp_path / "a.jsonl", orient="records", lines=True, force_ascii=False)
    status = run_coverage(
        [tmp_path / "a.jsonl"], tmp_path / "out", html=tmp_path / "out" / "coverage.html", reference=None
    )
    assert status == 0
    assert all((tmp_path / "out" / name).exists() for name in OUTPUT_FILES)
    gaps = read_table(tmp_path / "out" / "gaps.csv")
    assert ("capacity", "missing") in _kinds(gaps, "A")
    with caplog.at_level("ERROR", logger="rolcov"):  # the second copy is left out, the first one written
        assert run_coverage([tmp_path / "a.jsonl", tmp_path / "a.jsonl"], tmp_path / "out2") == 1
    assert "also in" in caplog.text and (tmp_path / "out2" / "profile.csv").exists()


@pytest.mark.filterwarnings("error:Glyph:UserWarning")  # a Chinese character drawn as an empty box fails
def test_plot_heatmap_draws_chinese_themes_and_issuer_year_rows(report_a, names, tmp_path):
    import matplotlib

    matplotlib.use("Agg")
    from pipeline.coverage.plots import cjk_font_family, plot_heatmap

    assert cjk_font_family(), "no CJK font installed: apt-get install fonts-noto-cjk"
    unnamed = report_a.assign(report_id="B", issuer="", year=None)
    ax = plot_heatmap(coverage_profile(pd.concat([report_a, unnamed]), labels=LABELS), names=names)
    assert [t.get_text() for t in ax.get_xticklabels()][2] == "严格规范公正文明执法\nenforcement"
    assert [t.get_text() for t in ax.get_yticklabels()] == ["甲县人民政府 2022", "B"]
    ax.figure.savefig(tmp_path / "heatmap.png")  # glyphs are looked up when drawn


def test_missing_cjk_font_is_said_once_with_the_package_to_install(monkeypatch, caplog):
    from matplotlib import font_manager

    from pipeline.coverage import plots

    monkeypatch.setattr(font_manager, "findSystemFonts", lambda *args, **kwargs: [])
    plots.cjk_font_family.cache_clear()
    try:
        assert plots.font_families() == plots.font_families() == ["DejaVu Sans"]
    finally:
        plots.cjk_font_family.cache_clear()
    assert len(caplog.records) == 1 and "fonts-noto-cjk" in caplog.text


def test_table_without_metadata_columns_is_profiled(report_a):
    bare = report_a.drop(columns=["year", "issuer", "title", "source", "heading_path", "primary"])
    profile = coverage_profile(bare, labels=LABELS)
    row = _row(profile, "A", "functions")
    assert pd.isna(row["year"]) and row["issuer"] == "" and row["char_share"] == pytest.approx(0.4)
    assert not (coverage_gaps(profile)["kind"].isin(["appeared", "disappeared"])).any()


def test_run_coverage_takes_an_earlier_profile_or_a_classified_table_as_reference(report_a, tmp_path):
    write_table(_peer_reports([9, 9, 9]), tmp_path / "peers.parquet")
    run_coverage([tmp_path / "peers.parquet"], tmp_path / "peers")
    write_table(report_a, tmp_path / "a.csv")
    run_coverage([tmp_path / "a.csv"], tmp_path / "out", reference=tmp_path / "peers" / "profile.csv")
    from_profile = read_table(tmp_path / "out" / "gaps.parquet")
    below = from_profile.query("kind == 'below_reference'")
    # peers: enforcement 90% each, so MAD 0 and limit min(90%, 45%) = 45% > A's 40%; functions 10% each.
    assert below["theme"].tolist() == ["enforcement"]
    assert "reference median 90.0% over 3 reports" in below.iloc[0]["detail"]
    run_coverage([tmp_path / "a.csv"], tmp_path / "out", reference=tmp_path / "peers.parquet")
    pd.testing.assert_frame_equal(read_table(tmp_path / "out" / "gaps.parquet"), from_profile)


def test_unreadable_table_is_an_input_error_naming_the_file(tmp_path):
    broken = tmp_path / "broken.parquet"
    broken.write_bytes(b"not parquet")
    with pytest.raises(InputError, match="broken.parquet"):
        read_table(broken)
