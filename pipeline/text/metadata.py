"""Title, issuing body and year of a report, read from what the text itself states and what its web page says.

The year that matters is the year *reported on* (2019 for a report published in January 2020), so the
title and the opening sentence are trusted before the publication date. Where the text does not say
(template reports with "201x"), the field stays empty rather than guessed. A saved web page also states
the issuer and the date (its 信息公开 block), taken over guesses from the text, and a title (``<title>``,
``ArticleTitle``), used when the text has no title line (see :class:`pipeline.io.webpage.PageInfo`).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from pipeline.text.clean import is_chrome, is_signature_or_date
from pipeline.io.ingest import normalize_text
from pipeline.io.webpage import PageInfo
from pipeline.patterns import TITLE_HEADING_START

_TITLE_WORDS = re.compile(r"报告|情况")
_TITLE_TOPIC = re.compile(r"法治|依法行政|法制")
_YEAR_IN_TITLE = re.compile(r"((?:19|20)\d{2})\s*年度?")
_YEAR_OPENING = re.compile(r"^((?:19|20)\d{2})\s*年(?:度|以来|,|，|是|我|全)")
_PUBLISHED = re.compile(r"((?:19|20)\d{2})\s*(?:年|-|/|\.)\s*(\d{1,2})\s*(?:月|-|/|\.)\s*(\d{1,2})")
_ISSUER_BEFORE_YEAR = re.compile(r"^(.*?)\s*(?:关于|(?:19|20)\d{2}\s*年|20[\dxX]{2}\s*年)")
_ISSUER_IN_OPENING = re.compile(r"^(?:(?:19|20)\d{2}\s*年(?:度|以来)?[,，]?\s*)?((?:中共)?[\u4e00-\u9fff]{2,10}?(?:人民政府|县委|市委|区委))")
_TITLE_SEARCH_LINES = 12


@dataclass(frozen=True)
class ReportInfo:
    """What a report says about itself.

    Attributes
    ----------
    title : str
        The report's own title line, ``""`` if it has none.
    issuer : str
        The issuing body (``柳城县人民政府``), ``""`` when the text does not name one.
    year : int or None
        The year reported on.
    published : str
        Publication or signature date as ``YYYY-MM-DD``, ``""`` when no complete date survives.
    """

    title: str
    issuer: str
    year: int | None
    published: str


def find_title_index(lines: Sequence[str]) -> int | None:
    """Index of the title line among the first lines, or None.

    A title names the report (报告/情况 with 法治/依法行政), is short, is not a heading and is not a
    sentence; it is looked for only near the top so that a body sentence mentioning 报告 is not taken.
    """
    for index, line in enumerate(lines[:_TITLE_SEARCH_LINES]):
        if (
            _TITLE_WORDS.search(line)
            and _TITLE_TOPIC.search(line)
            and len(line) <= 80
            and not line.endswith(("。", ":", "："))
            and not TITLE_HEADING_START.match(line)
            and not is_chrome(line)
            and "," not in line
        ):
            return index
    return None


def describe_report(lines: Sequence[str], body: Sequence[str], page: PageInfo | None = None) -> ReportInfo:
    """Read title, issuer, year and date.

    Parameters
    ----------
    lines : sequence of str
        All normalized lines of the report, chrome included (the date often sits in a "发布日期" line).
    body : sequence of str
        The content lines (chrome, title and furniture removed), used for the opening sentence.
    page : PageInfo, optional
        What the report's web page states. A title line in the text names the report best (a page's
        ``<title>`` may be a column name), so the page's title is used when the text has none. The
        信息公开 block's issuer and date come before the text's signature; the ``ContentSource`` and
        ``PubDate`` tags after it, since they say who runs the site and when the page went online. The
        year is still the text's: title, then opening, then the date.
    """
    page = page or PageInfo()
    title_index = find_title_index(lines)
    title = lines[title_index] if title_index is not None else normalize_text(page.title)
    published = page.published or _publication_date(lines) or page.posted
    issuer = normalize_text(page.issuer) or _issuer(title, lines, body) or normalize_text(page.source)
    return ReportInfo(title, issuer, _year(title, body, published), published)


def _year(title: str, body: Sequence[str], published: str) -> int | None:
    if match := _YEAR_IN_TITLE.search(title):
        return int(match.group(1))
    for line in body[:3]:
        if match := _YEAR_OPENING.match(line):
            return int(match.group(1))
    if published:
        year, month = int(published[:4]), int(published[5:7])
        # Annual reports are due in the first quarter of the following year.
        return year - 1 if month <= 6 else year
    return None


def _publication_date(lines: Sequence[str]) -> str:
    candidates = [line for line in lines if is_chrome(line) or is_signature_or_date(line)]
    for line in reversed(candidates):
        if match := _PUBLISHED.search(line):
            year, month, day = (int(group) for group in match.groups())
            if 1 <= month <= 12 and 1 <= day <= 31:
                return f"{year:04d}-{month:02d}-{day:02d}"
    return ""


def _issuer(title: str, lines: Sequence[str], body: Sequence[str]) -> str:
    if title and (match := _ISSUER_BEFORE_YEAR.match(title)):
        issuer = re.sub(r"\s+", " ", match.group(1)).strip()
        if issuer:
            return issuer
    signatures = [
        line for line in lines[-8:]
        if is_signature_or_date(line) and not re.search(r"\d", line) and not line.endswith("办公室")
    ]
    if signatures:
        return re.sub(r"\s+", " ", signatures[0]).strip()
    for line in body[:2]:
        if match := _ISSUER_IN_OPENING.match(line):
            return match.group(1)
    return ""
