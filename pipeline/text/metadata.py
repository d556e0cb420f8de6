"""Title, issuing body, year reported on and publication date of a report, each with where it was read.

Every grouping a researcher makes (trends by year, comparisons by issuer, the publication deadline) starts
from these fields, so each is read from what the report or its page states and says where it came from
(:data:`SOURCES`); a field nothing states stays empty rather than guessed (template reports with "201x").

* The **year** is the year *reported on* (2019 for a report published in January 2020): the title first
  (``…2022年度法治政府建设情况报告``, ``…2024法治政府建设年度报告``, ``二〇二二年…报告``; of two years, the one
  reported on, not the one planned: ``2023年…工作总结及2024年工作思路`` is 2023), then the opening
  (``2022年，…``, ``现将2022年…报告如下``), then the date under the report or on its page (a report dated in
  the first half of a year covers the year before).
* The **issuer** is the body the title names (before the year or 关于, or between the year and the topic:
  ``2023年度某某局法治政府建设工作报告``), else the signature under the report, else the opening sentence.
* The **publication date** is the date under the report or on its page, as ``YYYY-MM-DD``.

A saved web page also states an issuer and a date (its 信息公开 block), taken over the text's, and a title
(``<title>``, ``ArticleTitle``), used when the text has none (see :class:`pipeline.io.webpage.PageInfo`).
Lines arrive normalized (:func:`pipeline.text.normalize.normalize_text`: traditional characters and full-width
digits are already simplified and half-width); years and dates in Chinese numerals are read through
:func:`pipeline.dates.arabic_dates`.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TypeVar

from pipeline.dates import arabic_dates, iso_date
from pipeline.io.webpage import PageInfo
from pipeline.patterns import BODY_NAME_END, PLACE_NAME_END, TITLE_HEADING_START
from pipeline.text.clean import is_chrome, is_signature_or_date
from pipeline.text.normalize import normalize_text

T = TypeVar("T")

#: Where a field was read: the report's title line, its opening sentences, the signature and date under it,
#: what its web page states (信息公开 block, ``<meta>`` tags, the page's title), or — for the year only —
#: inferred from the publication date.
SOURCES = ("title", "opening", "signature", "page", "published")

_TITLE_KIND = re.compile(r"报告|情况|总结|汇报|要点")
_TITLE_TOPIC = re.compile(r"法治|依法行政|法制|执法|法律服务|普法")
_TITLE_SEARCH_LINES = 12
_MAX_TITLE_CHARS = 80
# The second line of a title wrapped in two ("…法治政府建设" / "情况的报告") is a short tail.
_MAX_TITLE_TAIL_CHARS = 20
# A year: four digits not inside a number or a document number (〔2024〕3号).
_YEAR = re.compile(r"(?<![\d〔\[])((?:19|20)\d{2})(?![\d〕\]])(\s*年度?)?")
# …unless it opens a range (2015-2020年) or a count (2024件).
_NOT_A_YEAR_AFTER = re.compile(r"\s*年?\s*[-—–~至到]\s*\d|[万亿千百元件个人次项条号期届%]")
_RANGE_BEFORE = re.compile(r"\d\s*年?\s*[-—–~至到]\s*$")
_PLANNED = re.compile(r"要点|计划|思路|打算|安排|方案|展望")
_REPORTED = re.compile(r"报告|总结|情况|汇报|年报")
# Where the issuer's place in a title ends: the topic (法治政府…, 依法行政…) or the work it reports.
# (not inside a body's name: 法制办, 依法治县委员会办公室, 工作委员会).
_TOPIC_START = re.compile(
    r"(?<!依)法治|依法(?!治[省市县区州旗](?:委员会|办))|法制(?!办|局|处)|执法|普法|公共法律|推进|贯彻|落实|工作(?!委员会|部)"
)
_ISSUER_BREAK = re.compile(r"关于|近年来|近?[一二三四五六七八九十]+年(?:来|以来)?|上半年|下半年|全年|年度")
_ISSUER_NAME = re.compile(rf"^(?!我|本|全|各|在)[\u4e00-\u9fff ]{{0,40}}(?:{BODY_NAME_END}|{PLACE_NAME_END})$")
_OPENING_YEAR = re.compile(r"^(?:在|过去的?一年|回顾)?((?:19|20)\d{2})\s*年(?:度|以来|上半年|,|是|我|全)")
_REPORTED_YEAR = re.compile(r"现将[^。]{0,30}?((?:19|20)\d{2})\s*年")
_OPENING_LINES = 3
# "2022年,某某县司法局坚持…": a body's name, then what it did (or a comma).
_ISSUER_IN_OPENING = re.compile(
    rf"^(?:(?:19|20)\d{{2}}\s*年(?:度|以来)?,?\s*)?(?!我|本|全|各|在)([\u4e00-\u9fff]{{2,20}}?{BODY_NAME_END})"
    r"(?=坚持|始终|深入|认真|全面|紧紧|紧扣|围绕|聚焦|按照|贯彻|积极|持续|不断|扎实|高度|牢牢|大力|着力|以|在|把|,)"
)
_SIGNATURE_LINES = 8
# Annual reports are due in the first quarter of the following year: a date up to June is of the year after.
_LAST_MONTH_OF_REPORTING = 6


@dataclass(frozen=True)
class ReportInfo:
    """What a report says about itself, and where each field was read.

    Attributes
    ----------
    title : str
        The report's own title (its title line, or the two lines a title is written on), else the title its
        web page states; ``""`` if neither has one.
    issuer : str
        The issuing body (``柳城县人民政府``) as written; a title that leaves the place name out gives what it
        says (``县教育局``). ``""`` when nothing names one.
    year : int or None
        The year reported on.
    published : str
        The date under the report or on its page as ``YYYY-MM-DD``; ``""`` when no complete date survives.
    year_source, issuer_source, published_source : str
        Where each field was read, one of :data:`SOURCES`; ``""`` for an empty field.
    """

    title: str
    issuer: str
    year: int | None
    published: str
    year_source: str = ""
    issuer_source: str = ""
    published_source: str = ""


def find_title(lines: Sequence[str]) -> slice | None:
    """The lines of the report's title among the first lines, or None.

    A title names the report (报告, 情况, 总结, 汇报 or 要点, with a rule-of-law topic or a year), is short, is
    not a heading and not a sentence; it is looked for only near the top so that a body sentence mentioning
    报告 is not taken. Official documents also write it on two lines: the issuer above ``关于…的报告``, or a
    long title wrapped before its last words (``…法治政府建设`` / ``情况的报告``).
    """
    for index, line in enumerate(lines[:_TITLE_SEARCH_LINES]):
        if _is_title(line):
            issuer_above = index > 0 and line.startswith("关于") and _issuer_name(lines[index - 1])
            return slice(index - 1 if issuer_above else index, index + 1)
        tail = lines[index + 1] if index + 1 < len(lines) else ""
        if (
            tail
            and len(tail) <= _MAX_TITLE_TAIL_CHARS
            and _title_shaped(line)
            and _title_shaped(tail)
            and not _is_title(tail)
            and _is_title(line + tail)
        ):
            return slice(index, index + 2)
    return None


def _title_shaped(line: str) -> bool:
    return (
        0 < len(line) <= _MAX_TITLE_CHARS
        and not line.endswith(("。", ":", "："))
        and "," not in line
        and not TITLE_HEADING_START.match(line)
        and not is_chrome(line)
    )


def _is_title(line: str) -> bool:
    topical = _TITLE_TOPIC.search(line) or _YEAR.search(arabic_dates(line))
    return bool(_TITLE_KIND.search(line) and topical and _title_shaped(line))


def title_text(lines: Sequence[str], title: slice) -> str:
    """The title as one line: an issuer line above it joins with a space, a wrapped tail without one."""
    parts = list(lines[title])
    issuer_above = len(parts) == 2 and parts[1].startswith("关于")
    return " ".join(parts) if issuer_above else "".join(parts)


def describe_report(lines: Sequence[str], body: Sequence[str], page: PageInfo | None = None) -> ReportInfo:
    """Read title, issuer, year and date, each with its source.

    Parameters
    ----------
    lines : sequence of str
        All normalized lines of the report, chrome included (the date often sits in a "发布日期" line).
    body : sequence of str
        The content lines (chrome, title and furniture removed), used for the opening sentences.
    page : PageInfo, optional
        What the report's web page states. A title in the text names the report best (a page's ``<title>``
        may be a column name), so the page's title is used when the text has none. The 信息公开 block's
        issuer and date come before the text's; the ``ContentSource`` and ``PubDate`` tags after it, since
        they say who runs the site and when the page went online. The year is still the text's: title, then
        opening, then the date.
    """
    page = page or PageInfo()
    span = find_title(lines)
    title, title_source = (title_text(lines, span), "title") if span else (normalize_text(page.title), "page")
    published, published_source = _publication_date(lines, page)
    signed = _signature_issuer(lines)
    named = title_issuer(title)
    if named and signed.endswith(named) and signed != named:  # the title's 县教育局 is the signature's 某某县教育局
        named = ""
    issuer, issuer_source = _first_stated(
        (normalize_text(page.issuer), "page"),
        (named, title_source),
        (signed, "signature"),
        (_opening_issuer(body), "opening"),
        (normalize_text(page.source), "page"),
    )
    year, year_source = _first_stated(
        (work_year(title), title_source),
        (_opening_year(body), "opening"),
        (_year_of_date(published), "signature" if published_source == "signature" else "published"),
    )
    return ReportInfo(title, issuer or "", year, published, year_source, issuer_source, published_source)


def _first_stated(*candidates: tuple[T, str]) -> tuple[T | None, str]:
    """The first ``(value, source)`` whose value is stated, in the order given; ``(None, "")`` if none is."""
    return next(((value, source) for value, source in candidates if value), (None, ""))


def _title_years(title: str) -> list[re.Match[str]]:
    """The years a title names, leaving out those inside a document's name (《…(2015-2020年)》), ranges and counts."""
    years = []
    for match in _YEAR.finditer(title):
        before = title[: match.start()]
        after = title[match.end() :]
        if before.count("《") > before.count("》") or _RANGE_BEFORE.search(before):
            continue
        if _NOT_A_YEAR_AFTER.match(title, match.end(1)):
            continue
        # 2024法治… and (2024) are years, 2024.5 is not
        if match.group(2) or re.match(r"\s*(?:[\u4e00-\u9fff]|[)）]|$)", after):
            years.append(match)
    return years


def work_year(title: str) -> int | None:
    """The year a title reports on: the first year it names that is not only a plan's.

    ``2015年工作总结和2016年工作要点`` → 2015; ``2024年工作计划及2023年工作总结`` → 2023; a title that names only
    a plan's year gives that year.
    """
    title = arabic_dates(title)
    years = _title_years(title)
    for year, following in zip(years, [*years[1:], None]):
        words = title[year.end() : following.start() if following else len(title)]
        if not (_PLANNED.search(words) and not _REPORTED.search(words)):
            return int(year.group(1))
    return int(years[0].group(1)) if years else None


def title_issuer(title: str) -> str:
    """The body a title names before its topic: ``某某县人民政府关于…``, ``某某局2022年…``, ``2023年度某某局法治…``.

    The part before the topic (法治…, 依法行政…, 工作…) is cut at 关于, the years and the periods (近年来,
    五年, 上半年); the first piece that is a body's or a place's name is the issuer.
    """
    title = arabic_dates(title)
    topic = _TOPIC_START.search(title)
    head = title[: topic.start()] if topic else title
    cuts = sorted((cut.start(), cut.end()) for cut in [*_YEAR.finditer(head), *_ISSUER_BREAK.finditer(head)])
    pieces, start = [], 0
    for cut_start, cut_end in cuts:
        pieces.append(head[start:cut_start])
        start = max(start, cut_end)
    pieces.append(head[start:])
    return next((name for piece in pieces if (name := _issuer_name(piece))), "")


def _issuer_name(text: str) -> str:
    name = re.sub(r"\s+", " ", text).strip()
    return name if _ISSUER_NAME.match(name) else ""


def _opening_year(body: Sequence[str]) -> int | None:
    """The year the opening sentences (before the first heading) report on: ``2022年,…``, ``现将2022年…``."""
    for line in body[:_OPENING_LINES]:
        if TITLE_HEADING_START.match(line):
            break
        line = arabic_dates(line)
        if match := _OPENING_YEAR.match(line) or _REPORTED_YEAR.search(line):
            return int(match.group(1))
    return None


def _year_of_date(published: str) -> int | None:
    if not published:
        return None
    year, month = int(published[:4]), int(published[5:7])
    return year - 1 if month <= _LAST_MONTH_OF_REPORTING else year


def _publication_date(lines: Sequence[str], page: PageInfo) -> tuple[str, str]:
    """The date the report went public, with its source: the 信息公开 block's, else the page's own date line
    (发布日期 …), else the signature's date, else the page's ``<meta>`` date.

    The page's date comes before the signature's because timeliness is about publication: a report signed on
    19 January and posted on 30 January went public on the 30th.
    """
    if page.published:
        return page.published, "page"
    dated = [
        (is_chrome(line), found)
        for line in reversed(lines)
        if (is_chrome(line) or is_signature_or_date(line)) and (found := iso_date(line))
    ]
    for chrome, found in dated:
        if chrome:
            return found, "page"
    if dated:
        return dated[0][1], "signature"
    return (page.posted, "page") if page.posted else ("", "")


def _signature_issuer(lines: Sequence[str]) -> str:
    """The body signing under the report: a signature line's name (the date beside it left out)."""
    for line in lines[-_SIGNATURE_LINES:]:
        if is_signature_or_date(line) and not is_chrome(line):
            name = " ".join(part for part in line.split() if not re.search(r"\d", arabic_dates(part)))
            if name:
                return name
    return ""


def _opening_issuer(body: Sequence[str]) -> str:
    for line in body[:2]:
        if match := _ISSUER_IN_OPENING.match(arabic_dates(line)):
            return match.group(1)
    return ""
