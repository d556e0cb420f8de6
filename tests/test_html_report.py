"""The HTML coverage report escapes every value it prints, and renders offline in a real browser.

The escaping tests parse the HTML and need no browser. The rendering tests need ``chromium`` and
``fonts-noto-cjk`` (``apt-get install -y chromium fonts-noto-cjk``); on a developer's machine without chromium they
are skipped, but under CI (``CI`` set, as CI services and ``.ci/run`` do) they fail, because there a
missing browser means the set-up is broken. The Chinese check fails, rather than skips, when the CJK fonts are
missing.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections import Counter
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from coverage_tables import NAMES, paragraph_table
from PIL import Image

from pipeline.coverage.charts import FONT, PART_COLOURS
from pipeline.coverage.gaps import coverage_gaps
from pipeline.coverage.html import SCRIPT, render_coverage_html
from pipeline.coverage.profile import coverage_profile

CHROMIUM = shutil.which("chromium")
browser = pytest.mark.skipif(
    CHROMIUM is None and not os.environ.get("CI"), reason="chromium is not installed (apt-get install chromium)"
)
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--force-device-scale-factor=1",
    "--hide-scrollbars",
]
#: Distinct characters from the theme names; drawn with real glyphs they differ, as missing-glyph boxes they don't.
PROBE_CHARS = "依法职能执行监督纠纷"


def _chromium(tmp_path: Path, page: Path, *args: str) -> subprocess.CompletedProcess:
    if CHROMIUM is None:
        pytest.fail(
            "chromium is not installed, and CI is set: install it (apt-get install -y chromium), as .ci/run does"
        )
    command = [CHROMIUM, *FLAGS, f"--user-data-dir={tmp_path / 'profile'}", *args, page.resolve().as_uri()]
    return subprocess.run(command, capture_output=True, text=True, timeout=120, check=True)


def _screenshot(tmp_path: Path, page: Path, size: str = "1280,2000") -> np.ndarray:
    png = tmp_path / f"{page.stem}.png"
    _chromium(tmp_path, page, f"--screenshot={png}", f"--window-size={size}")
    return np.asarray(Image.open(png).convert("RGB")).astype(int)


@pytest.fixture
def rendered(tmp_path: Path) -> Path:
    texts = [
        "按照要求，现将一年来法治政府建设情况报告如下：",
        "深化“放管服”改革，政务服务事项全流程网办。",
        "持续推进乡镇综合执法改革，落实行政执法三项制度。",
        "开展执法人员培训<b>不是标签</b>。",
        "党政主要负责人履行推进法治建设第一责任人职责。",
        "矛盾纠纷化解机制仍需完善。",
        "下一步，健全多元化纠纷解决机制。",
        "特此报告。",
    ]
    rows = [
        ("preamble", 100, "functions"),
        ("achievements", 200, "functions"),
        ("achievements", 300, "enforcement;oversight"),
        ("achievements", 100, "enforcement"),
        ("responsibility", 100, "leadership"),
        ("problems", 100, "dispute_resolution"),
        ("plans", 200, "dispute_resolution;functions"),
        ("closing", 50, ""),
    ]
    table = paragraph_table("清河-2022", rows, title="清河县2022年法治政府建设情况报告", texts=texts)
    profile = coverage_profile(table)
    return render_coverage_html(
        table, profile, coverage_gaps(profile, names=NAMES), tmp_path / "report.html", names=NAMES
    )


def test_report_is_self_contained_and_escapes_text(rendered):
    html = rendered.read_text(encoding="utf-8")
    assert "http://" not in html.replace('xmlns="http://www.w3.org/2000/svg"', "") and "https://" not in html
    assert "&lt;b&gt;不是标签&lt;/b&gt;" in html and "<b>不是标签</b>" not in html
    assert 'href="#r0-t2"' in html and 'id="r0-t2"' in html  # heatmap number → enforcement paragraphs


@browser
def test_report_screenshot_shows_chart_and_chinese(rendered, tmp_path):
    pixels = _screenshot(tmp_path, rendered)
    assert (pixels.sum(axis=2) < 600).mean() > 0.02, "screenshot is (nearly) blank"
    achievements_blue = np.array([int(PART_COLOURS["achievements"][i : i + 2], 16) for i in (1, 3, 5)])
    assert (np.abs(pixels - achievements_blue).sum(axis=2) < 12).sum() > 2000, "bar chart not drawn"
    dom = _chromium(tmp_path, rendered, "--dump-dom").stdout
    assert all(name in dom for name in NAMES.values()) and "清河县2022年法治政府建设情况报告" in dom


@browser
def test_chinese_renders_as_distinct_glyphs_not_boxes(tmp_path):
    """Missing fonts draw every character as the same box; real glyphs differ from each other."""
    cells = "".join(
        f'<div style="position:absolute;left:{20 + 110 * i}px;top:20px;width:100px;height:100px;'
        f'font-size:80px;line-height:100px">{ch}</div>'
        for i, ch in enumerate(PROBE_CHARS)
    )
    page = tmp_path / "probe.html"
    page.write_text(
        f'<!DOCTYPE html><html lang="zh-CN"><meta charset="utf-8"><body style="margin:0;'
        f'font-family:{FONT}">{cells}</body></html>',
        encoding="utf-8",
    )
    pixels = _screenshot(tmp_path, page, "1200,200")
    ink = [(pixels[20:120, 20 + 110 * i : 120 + 110 * i].sum(axis=2) < 384) for i in range(len(PROBE_CHARS))]
    assert all(glyph.mean() > 0.03 for glyph in ink), "some characters drew no ink"
    distinct = {glyph.tobytes() for glyph in ink}
    assert len(distinct) == len(PROBE_CHARS), (
        f"only {len(distinct)} distinct glyphs for {len(PROBE_CHARS)} characters: Chinese renders as boxes; "
        "install fonts-noto-cjk"
    )


def _seed_table(hostile: str | None) -> pd.DataFrame:
    """The five hand-labelled seed reports, task-tagged; unless ``hostile`` is None, report 004 gets an issuer,
    a title and a year, and ``hostile`` is appended to every field of it the report shows."""
    from pipeline.coverage.profile import validate_table
    from pipeline.coverage.task_coverage import tag_paragraphs
    from pipeline.io.tables import read_table

    table = read_table(Path(__file__).resolve().parent.parent / "corpus" / "annotations.csv")
    table = table[~table["para_id"].str.contains(".", regex=False)].copy()
    if hostile is None:
        return tag_paragraphs(validate_table(table.assign(n_chars=table["text"].str.len())))
    mine = table["report_id"] == "004_46c69bc1076580ad"
    table.loc[mine, ["issuer", "title", "year"]] = [f"柳城县{hostile}", f"柳城县法治政府建设报告{hostile}", 2019]
    if hostile:
        table.loc[mine, ["text", "heading_path"]] = table.loc[mine, ["text", "heading_path"]] + hostile
        table.loc[mine, "para_id"] += hostile.replace(";", "")  # the task table joins paragraph ids with ";"
        table.loc[mine, ["report_id", "source"]] = ["004" + hostile, "004" + hostile + ".txt"]
    return tag_paragraphs(validate_table(table.assign(n_chars=table["text"].str.len())))


def _render_seeds(path: Path, hostile: str | None = None) -> tuple[pd.DataFrame, Path]:
    from pipeline.coverage.task_coverage import task_coverage

    table = _seed_table(hostile)
    profile = coverage_profile(table)
    tasks = task_coverage(table)
    tasks["name_zh"] = tasks["name_zh"] + (hostile or "")
    names = {theme: name + (hostile or "") for theme, name in NAMES.items()}
    return table, render_coverage_html(
        table, profile, coverage_gaps(profile, names=names), path, names=names, tasks=tasks
    )


@pytest.fixture
def task_report(tmp_path: Path) -> Path:
    """The coverage report of the five hand-labelled seed reports, with the task checklist."""
    return _render_seeds(tmp_path / "tasks.html")[1]


class _Elements(HTMLParser):
    """Every element of a page as (tag, attributes, its whole text with entities decoded), in closing order."""

    VOID = {"br", "meta", "link", "img", "hr", "input"}

    def __init__(self, page: str) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[tuple[str, dict, list[str]]] = []
        self.elements: list[tuple[str, dict, str]] = []
        self.feed(page)
        self.close()
        assert not self.stack, f"unclosed elements: {[tag for tag, _, _ in self.stack]}"

    def handle_starttag(self, tag, attrs):
        if tag in self.VOID:
            self.elements.append((tag, dict(attrs), ""))
        else:
            self.stack.append((tag, dict(attrs), []))

    def handle_startendtag(self, tag, attrs):
        self.elements.append((tag, dict(attrs), ""))

    def handle_endtag(self, tag):
        open_tag, attrs, text = self.stack.pop()
        assert open_tag == tag, f"</{tag}> closes <{open_tag}>"
        self.elements.append((tag, attrs, "".join(text)))
        if self.stack:
            self.stack[-1][2].append("".join(text))

    def handle_data(self, data):
        if self.stack:
            self.stack[-1][2].append(data)


HOSTILE = """<script>alert(1)</script>"q" 'a' & <b>b</b>&amp;"""


def test_hostile_text_titles_names_and_ids_come_out_escaped(tmp_path):
    """No browser needed: markup in any value the report prints stays text, and reads back exactly."""
    table, clean = _render_seeds(tmp_path / "clean.html", "")
    table, hostile = _render_seeds(tmp_path / "hostile.html", HOSTILE)
    page = _Elements(hostile.read_text(encoding="utf-8")).elements
    scripts = [text for tag, _, text in page if tag == "script"]
    assert scripts == [SCRIPT], "a <script> other than the report's own"
    # the same elements as the report of the same seeds without the markup: nothing was injected
    clean_tags = Counter(tag for tag, _, _ in _Elements(clean.read_text(encoding="utf-8")).elements)
    assert Counter(tag for tag, _, _ in page) == clean_tags
    texts = Counter((tag, text) for tag, _, text in page)
    mine = table[table["report_id"] == "004" + HOSTILE]
    body = mine[mine["part"].isin(["achievements", "responsibility", "problems", "plans"]) & (mine["labels"] != "")]
    assert len(body) > 5 and all(texts[("p", text)] >= 1 for text in body["text"]), "a paragraph reads back changed"
    assert texts[("h2", f"柳城县{HOSTILE} 2019")] == 1
    assert texts[("p", f"柳城县法治政府建设报告{HOSTILE}")] == 1
    assert any(tag == "p" and text.startswith(f"report_id 004{HOSTILE} · ") for tag, _, text in page)
    assert texts[("text", f"{NAMES['enforcement']}{HOSTILE} (enforcement)")] == 5  # one SVG chart per report
    assert any(
        tag == "li" and f"{body['para_id'].iloc[0]} · " in text and f"· {body['heading_path'].iloc[0]}" in text
        for tag, _, text in page
    ), "heading path or paragraph id does not read back"
    checklist = [text for tag, attrs, text in page if tag == "th" and attrs.get("class") == "task"]
    assert checklist and all(HOSTILE in text for text in checklist)
    assert texts[("th", f"柳城县{HOSTILE} 2019")] >= 2  # heatmap row and checklist column


@browser
def test_task_checklist_links_marks_to_paragraphs_with_highlighted_cues(task_report, tmp_path):
    dom = _chromium(tmp_path, task_report, "--dump-dom").stdout
    assert '<section id="tasks">' in dom and "行政执法三项制度" in dom
    # 004 (柳城县 2019; the annotation file names reports by id) reports its staff exams with figures.
    assert (
        "004_46c69bc1076580ad — 执法人员和工作人员法治培训考试 (staff_law_training): reported with concrete evidence"
        in dom
    )
    assert "<mark>资格考试</mark>" in dom and "count: 75人" in dom
    assert dom.count('class="mark s-absent"') >= 5  # 行政裁决: no seed mentions it


@browser
def test_checklist_marks_stay_distinct_in_greyscale(tmp_path):
    """Concrete / general / plans-only / absent differ in grey level and each carries its letter."""
    from pipeline.coverage.html_tasks import MARKS, TASK_CSS

    cells = "".join(
        f'<table class="checklist" style="position:absolute;left:{20 + 160 * i}px;top:20px">'
        f'<tr><td class="mark s-{status}" style="width:120px;height:120px;font-size:60px">'
        f"{letter}</td></tr></table>"
        for i, (status, letter) in enumerate(MARKS.items())
    )
    page = tmp_path / "marks.html"
    page.write_text(
        f'<!DOCTYPE html><html><meta charset="utf-8"><style>{TASK_CSS}</style>'
        f'<body style="margin:0;font-family:{FONT}">{cells}</body></html>',
        encoding="utf-8",
    )
    grey = _screenshot(tmp_path, page, "700,200").mean(axis=2)
    patches = [grey[30:130, 30 + 160 * i : 60 + 160 * i] for i in range(len(MARKS))]  # left strip: fill, no letter
    levels = [float(p.mean()) for p in patches]
    assert levels[0] < 100 and levels[3] > 240, levels  # concrete dark, absent white
    assert all(abs(a - b) > 12 for i, a in enumerate(levels) for b in levels[i + 1 :]), levels
    assert all(np.ptp(grey[30:130, 60 + 160 * i : 140 + 160 * i]) > 100 for i in range(len(MARKS))), (
        "a letter is missing"
    )
