"""Tell report text from page chrome, document furniture and repeated copies.

Scraped pages carry navigation, "打印本页/关闭窗口", "来源/发布日期/浏览次数" lines and CMS footers; official
documents carry an addressee, a signature, a date and a 抄送 line; some pages print the whole report twice.
None of that is a paragraph. Every rule here looks at one *normalized* line (see
:func:`pipeline.text.normalize.normalize_text`), so full-width and traditional variants are caught by the same rule.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Sequence

from pipeline.dates import arabic_dates
from pipeline.io.ingest import Report
from pipeline.text.normalize import normalize_text

# Lines that only a web page or a document's furniture produces. Each entry names what it catches.
CHROME_PATTERNS: tuple[re.Pattern[str], ...] = tuple(
    re.compile(pattern)
    for pattern in (
        r"^首页(\s|$)",  # navigation bar (breadcrumb trails: is_breadcrumb, only at the page's edges)
        r"打印本页|打印此文|关闭窗口|【打印】|【关闭】|收藏本页|分享到|扫一扫|上一篇|下一篇|返回顶部",
        r"^(信息)?来源\s*:|^(发布|更新|成文)(日期|时间)\s*:|^时间\s*:|^作者\s*:|浏览次数|访问量|点击数|阅读次数",
        r"^字体\s*:|\[\s*大\s*中\s*小\s*\]",
        r"^Produced By|^Copyright|版权所有|ICP备|技术支持\s*:|主办单位\s*:|网站地图|联系我们",
        r"^[×xX✕✖]$",  # lone close buttons
        r"^(责任)?编辑\s*:|^(相关|关联)(链接|文件|阅读|稿件|新闻|信息)\s*:?$|^附件\s*:?$",  # article furniture
        # 信息公开 fields
        r"^(索\s*引\s*号|发\s*布\s*机\s*构|发文机关|(生成|发文|成文)日期|文\s*号|发文字号|主题分类|公开方式)\s*:",
        r"^抄送\s*:",
        r"\d\s*日印(发)?$|^印发\s*:",  # 印发 line at the foot of an official document
        r"^[-—–]?\s*\d{1,3}\s*[-—–]?$|^第\s*\d+\s*页",  # page numbers
    )
)

_SENTENCE_PUNCT = re.compile(r"[。,，;；!?！？]")
_DATE_LINE = re.compile(
    r"^(\d{4}\s*年\s*\d{1,2}\s*月\s*\d{1,2}\s*日|\d{4}[-./]\d{1,2}[-./]\d{1,2}|\d{4}年?\d{0,4}日?)$"
)
# Narrower than patterns.BODY_NAME_END: a short unpunctuated line ending in 中心, 部 or 处 is more often a
# heading or a caption than a signature.
_ORG_LINE = re.compile(
    r"^(中共)?\S{2,25}(人民政府|委员会|区委|县委|市委|州委|办公室|办事处|党组|党委|司法局|局|厅|大队)$"
)
_ENCLOSED = re.compile(r"^\((.+)\)$")
# "（2007年6月29日第十届…会议通过）" under a title: the date the document was adopted or issued
_ADOPTED = re.compile(r"^\d{4}年\d{1,2}月\d{1,2}日\S*(通过|印发|发布|公布|批准)$")
_ADDRESSEE = re.compile(r"^[^,，。;；]{2,40}[:：]$")
_DUPLICATE_MIN_CHARS = 20
# A breadcrumb trail: a few short link texts joined by > » › (首页 > 政务公开 > 法治政府建设, 当前位置：首页>>…).
_CRUMB_SEPARATOR = re.compile(r"\s*[>»›]+\s*")
_MAX_CRUMB_CHARS, _MAX_TRAIL_CHARS = 16, 80


def is_breadcrumb(line: str) -> bool:
    """True for a navigation trail: short, no sentence punctuation, every step a short link text.

    The segmenter tests only lines at the edges of a page (:func:`pipeline.text.segment.segment_report`), and
    a paragraph with two ``>`` signs (满意度>95%,办结率>98%) or quoted markup (``x<b>y</b>``) is never one.
    """
    crumbs = _CRUMB_SEPARATOR.split(line.strip())
    return (
        len(crumbs) >= 2
        and len(line) <= _MAX_TRAIL_CHARS
        and not _SENTENCE_PUNCT.search(line)
        and all(len(crumb) <= _MAX_CRUMB_CHARS for crumb in crumbs)
        and any(crumbs)
    )


def reads_like_paragraph(line: str) -> bool:
    """True for a line that a reader would take for a paragraph: a sentence of some length.

    A cleaner that removes such a line may be removing report text; the segmenter counts and names them.
    """
    return len(line) >= _DUPLICATE_MIN_CHARS and bool(_SENTENCE_PUNCT.search(line))


def is_chrome(line: str, breadcrumbs: bool = True) -> bool:
    """True for a navigation, print/close, source/date, footer, 抄送 or page-number line.

    ``breadcrumbs=False`` leaves out the breadcrumb test (:func:`is_breadcrumb`), for a line inside the body.
    """
    return any(pattern.search(line) for pattern in CHROME_PATTERNS) or (breadcrumbs and is_breadcrumb(line))


def is_signature_or_date(line: str) -> bool:
    """True for the issuing body's signature or the date under a report (kept as metadata, not text).

    The date test also accepts digit runs such as ``2020121``: scraped pages lose the digits of dates
    ("2020年1月21日" → "2020121"), and what is left is still a date line, not content. Either may stand
    in brackets (``（某某县统计局）``, ``（2020年3月1日）``), and so may the adoption note under a title. Dates
    in Chinese numerals (``二〇二三年二月十五日``) count, and so does a signature with its date on one line.
    """
    compact = arabic_dates(re.sub(r"\s+", "", line))
    if enclosed := _ENCLOSED.match(compact):
        return bool(_ADOPTED.match(enclosed.group(1))) or is_signature_or_date(enclosed.group(1))
    if _SENTENCE_PUNCT.search(compact):
        return False
    if _DATE_LINE.match(compact):
        return True
    parts = [arabic_dates(part) for part in line.split()]
    return (
        bool(parts)
        and len(compact) <= 40
        and any(_ORG_LINE.match(part) for part in parts)
        and all(_ORG_LINE.match(part) or _DATE_LINE.match(part) for part in parts)
    )


def is_addressee(line: str) -> bool:
    """True for the salutation line of an official report (``中共郑州市委、郑州市人民政府:``)."""
    return bool(_ADDRESSEE.match(line)) and not line.startswith(("现将", "主要"))


def repeated_copy_indices(lines: Sequence[str]) -> set[int]:
    """Indices of lines that belong to a second printing of the report on the same page.

    The second copy starts at the first substantial line (≥ 20 characters) that was seen before, or at
    the short repeated lines right above it (its title, its addressee); from there on, every line that
    the first copy already had is dropped, short headings, signature and date included. Before that
    point short lines may repeat legitimately (two sections can share a sub-heading), so they are kept.
    """
    first_seen: dict[str, int] = {}  # line → where it first occurs (a dict, not a search: linear time)
    for start, line in enumerate(lines):
        if len(line) >= _DUPLICATE_MIN_CHARS and line in first_seen:
            # short lines just before it that the first copy had too (title, addressee) open the second copy
            while start > 0 and first_seen[lines[start - 1]] < start - 1:
                start -= 1
            first_copy = set(lines[:start])
            return {index for index in range(start, len(lines)) if lines[index] in first_copy}
        first_seen.setdefault(line, start)
    return set()


def find_boilerplate_lines(reports: Iterable[Report], min_reports: int = 3) -> frozenset[str]:
    """Lines (normalized) that occur in at least ``min_reports`` different reports.

    Text that many reports share word for word is a site template or a stock phrase, not something a
    report says about itself. Headings are left out: the national plan's area names recur in every report
    on purpose. Pass the result to :func:`pipeline.text.segment.segment_report` as ``boilerplate``.
    """
    counts: Counter[str] = Counter()
    for report in reports:
        lines = {normalize_text(line) for line in report.lines}
        counts.update(line for line in lines if len(line) < 60 and not _starts_like_heading(line))
    return frozenset(line for line, count in counts.items() if count >= min_reports)


def _starts_like_heading(line: str) -> bool:
    return bool(re.match(r"^([一二三四五六七八九十]+、|\([一二三四五六七八九十]+\)|\d+[.、]|\(\d+\))", line))
