"""Dates and years as Chinese official documents write them, read in one place for every stage.

A report's date reaches rolcov as ``2023-02-15`` in a page's metadata, ``2023年2月15日`` in a 发布日期 line
and, in the signature under an official document, in Chinese numerals: ``二〇二三年二月十五日``; titles write
the year both ways too (``二〇二二年度…报告``). Chinese numerals are converted by ``cn2an`` (a maintained
converter), and only inside a span shaped like a year or a date, so that ``一是`` or ``十四五`` elsewhere in
a line stay as written. Everything else reads digits: :func:`arabic_dates` first, then a digit pattern.
"""

from __future__ import annotations

import re
from datetime import date

import cn2an

# The numerals a year is spelled with (零/〇, and the circles and letters typed for 〇), and those of a month
# or day; only to find the span, the converter reads it.
_YEAR_DIGIT = "〇零○OoО一二三四五六七八九"
_MONTH_DAY = "元一二三四五六七八九十"
_CHINESE_DATE = re.compile(
    rf"[{_YEAR_DIGIT}]{{4}}\s*年(?:\s*[{_MONTH_DAY}]{{1,3}}\s*月(?:\s*[{_MONTH_DAY[1:]}]{{1,3}}\s*[日号])?)?"
)
# Stand-ins for 〇 the converter does not know; 元月 is January.
_STAND_INS = (("○", "〇"), ("O", "〇"), ("o", "〇"), ("О", "〇"), ("元月", "一月"))
_DATE = re.compile(r"(?<!\d)((?:19|20)\d{2})\s*[-年/.]\s*(\d{1,2})\s*[-月/.]\s*(\d{1,2})(?!\d)")


def arabic_dates(text: str) -> str:
    """``text`` with every year and date written in Chinese numerals rewritten in digits.

    ``二〇二三年二月十五日`` → ``2023年2月15日``, ``二〇二二年度`` → ``2022年度``; numerals that are not part of a
    year (``一是``, ``十四五``) are left alone.
    """
    return _CHINESE_DATE.sub(_converted, text) if _CHINESE_DATE.search(text) else text


def _converted(match: re.Match[str]) -> str:
    span = match.group()
    for stand_in, numeral in _STAND_INS:
        span = span.replace(stand_in, numeral)
    return cn2an.transform(span, "cn2an")


def iso_date(text: str) -> str:
    """The first complete, valid date in ``text`` as ``YYYY-MM-DD``, or ``""``.

    Reads ``2021-04-09 10:21``, ``2021/4/9``, ``2024年3月15日`` and ``二〇二四年三月十五日``; ``2023年2月30日``
    is no date.
    """
    match = _DATE.search(arabic_dates(text))
    if not match:
        return ""
    year, month, day = (int(group) for group in match.groups())
    try:
        return date(year, month, day).isoformat()
    except ValueError:
        return ""
