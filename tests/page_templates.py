"""Government-site page templates (``tests/pages/*.html``) wrapped around a seed report at test time.

The templates are written for rolcov: generic chrome in the styles gov.cn-type sites use (layout tables,
div layouts, the 信息公开 metadata table, footers printed twice for PC and mobile, link lists longer than
the body, share widgets), with made-up names (某某市, a placeholder ICP number). No real page is copied.
Each template has a body style, the markup its article text is written in (``<p>`` per paragraph, ``<br>``
between lines in one table cell, Word-export ``MsoNormal`` spans with their source wrapped every 38
characters, ``<h3>``/``<div>`` blocks).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from html import escape
from pathlib import Path

from pipeline.io.ingest import read_report
from pipeline.text.clean import is_chrome
from pipeline.text.metadata import find_title, title_text
from pipeline.text.normalize import normalize_text

PAGES = Path(__file__).resolve().parent / "pages"
#: template → body style
TEMPLATES = {"table_layout": "br", "div_layout": "p", "xxgk": "word", "xxgk_list": "p", "link_lists": "div"}
#: What the 信息公开 block and the dates of every template state (not taken from the seed).
STATED = {
    "issuer": "某某市司法局",
    "date": "2024-03-15",
    "pubdate": "2024-03-18",
    "index_no": "000000000/2024-00012",
    "doc_no": "某司发〔2024〕3号",
}
UNTITLED = "某某县法治政府建设年度报告"
_LINKS_PER_LIST = 60


@dataclass(frozen=True)
class SeedDocument:
    """A seed report as a page's article: its title (or :data:`UNTITLED`) and the lines below it."""

    title: str
    lines: list[str]


def seed_document(seed: Path) -> SeedDocument:
    """The seed's title and the lines after it, without the scrape's own chrome lines."""
    lines = list(read_report(seed).lines)
    span = find_title([normalize_text(line) for line in lines])
    title, after = (title_text(lines, span), lines[span.stop :]) if span is not None else (UNTITLED, lines)
    return SeedDocument(title, [line for line in after if not is_chrome(normalize_text(line))])


def _heading_rank(line: str) -> int:
    normalized = normalize_text(line)
    if re.match(r"^[一二三四五六七八九十]+、", normalized) and len(normalized) <= 40:
        return 3
    if re.match(r"^\([一二三四五六七八九十]+\)", normalized) and len(normalized) <= 40:
        return 4
    return 0


def _body(lines: list[str], style: str) -> str:
    if style == "br":
        return "".join(f"&nbsp;&nbsp;&nbsp;&nbsp;{escape(line)}<BR>" for line in lines)  # one source line
    if style == "p":
        return "\n".join(f'<p style="text-indent:2em;">{escape(line)}</p>' for line in lines)
    if style == "word":
        return "\n".join(
            f'<p class="MsoNormal"><b><span style="font-family:黑体">{escape(line)}</span></b></p>'
            if _heading_rank(line)
            else f'<p class="MsoNormal" style="text-indent:32pt"><span style="font-family:仿宋_GB2312">'
            f"{escape(line[:6])}</span><span>{_word_wrapped(line[6:])}</span><o:p></o:p></p>"
            for line in lines
        )
    return "\n".join(
        f"<h{rank}>{escape(line)}</h{rank}>"
        if (rank := _heading_rank(line))
        else f'<div class="para">{escape(line)}</div>'
        for line in lines
    )


def _word_wrapped(text: str, width: int = 38) -> str:
    """The source line breaks Word's "save as web page" puts into a long paragraph (not shown by browsers):
    about every ``width`` characters, between Chinese characters, never inside a number or a Latin word."""
    pieces, start = [], 0
    for cut in range(width, len(text)):
        if cut - start >= width and not (
            text[cut - 1].isascii() and text[cut - 1].isalnum() and text[cut].isascii() and text[cut].isalnum()
        ):
            pieces.append(text[start:cut])
            start = cut
    return "\r\n".join(escape(piece) for piece in [*pieces, text[start:]])


def _links(name: str) -> str:
    return "\n".join(
        f'<li><a href="#" title="{name}">{name}第{n}期：某某区召开专项工作推进会议</a>'
        f"<span>2023-{n % 12 + 1:02d}-{n % 28 + 1:02d}</span></li>"
        for n in range(1, _LINKS_PER_LIST + 1)
    )


def wrap_seed(seed: Path, template: str, path: Path) -> Path:
    """Write ``template`` wrapped around ``seed``'s document to ``path`` (UTF-8) and return the path."""
    document = seed_document(seed)
    page = (PAGES / f"{template}.html").read_text(encoding="utf-8")
    values = {**STATED, "title": escape(document.title), "body": _body(document.lines, TEMPLATES[template])}
    page = re.sub(r"\{\{links:(\w+)\}\}", lambda match: _links(match.group(1)), page)
    page = re.sub(r"\{\{(\w+)\}\}", lambda match: values[match.group(1)], page)
    path.write_text(page, encoding="utf-8")
    return path
