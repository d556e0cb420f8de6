"""The main job of `make run`, end to end on the seed reports: classify → coverage tables → HTML."""

from __future__ import annotations

from conftest import RAW

from pipeline.cli.common import EXIT_OK
from pipeline.cli.main import main
from pipeline.io.tables import read_table


def test_seed_reports_classified_profiled_and_rendered(saved_model_dir, tmp_path):
    classified = tmp_path / "paragraphs.csv"
    assert main(["classify", str(RAW), "--model", str(saved_model_dir), "-o", str(classified)]) == EXIT_OK
    html = tmp_path / "coverage.html"
    assert main(["coverage", str(classified), "-o", str(tmp_path), "--html", str(html)]) == EXIT_OK
    profile = read_table(tmp_path / "profile.csv")
    whole = profile[profile.part == "all"]
    assert whole.groupby("report_id").theme.nunique().to_dict() == dict.fromkeys(whole.report_id.unique(), 7)
    assert len(whole.report_id.unique()) == 5
    # every classified paragraph of a report counts toward its profile: body paragraphs are all there
    table = read_table(classified)
    body = table[table.part.isin(["achievements", "responsibility", "problems", "plans"])]
    assert (whole.groupby("report_id").part_paragraphs.first() == body.groupby("report_id").size()).all()
    page = html.read_text(encoding="utf-8")
    for issuer in ("清河县人民政府", "巩义市", "柳城县人民政府"):
        assert issuer in page
    assert page.count("<svg") >= 5
    # self-contained: nothing is fetched (the SVG namespace URI is an identifier, not a download)
    assert "<script src" not in page and "<link" not in page and "url(http" not in page
    gaps = read_table(tmp_path / "gaps.csv")
    assert set(gaps.kind) <= {
        "missing",
        "thin",
        "only_in_plans_or_problems",
        "below_reference",
        "appeared",
        "disappeared",
    }
    # what the rules require of each report: in its own table, in the panel, and as a block on its page
    required = read_table(tmp_path / "required.csv").assign(seed=lambda t: t.report_id.str[:3]).set_index("seed")
    assert required.loc["000", "problems"] == "absent" and required.loc["000", "responsibility"] == "in_passing"
    assert required.loc["004", "complete"] in (True, "True") and required.loc["004", "timeliness"] == "on_time"
    panel = read_table(tmp_path / "panel.csv").assign(seed=lambda t: t.report_id.str[:3]).set_index("seed")
    assert panel.loc["001", "required_responsibility"] == "absent" and panel.loc["004", "published"] == "2020-01-22"
    assert page.count('class="required"') >= 2 * 5  # one block (section and table) per report
    by_group = read_table(tmp_path / "required_by_year_level.csv")
    assert by_group.n_reports.sum() == 5 and by_group.n_complete.sum() == int(
        (required.complete.astype(str) == "True").sum()
    )
