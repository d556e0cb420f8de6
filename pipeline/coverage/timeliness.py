"""Was a report made public by the rule's deadline? On time, late, or unknown — never guessed.

The 法治政府建设与责任落实督察工作规定 (厅字〔2019〕28号), 第二十四条: "每年4月1日之前,地方各级政府和县级以上政府部门的
法治政府建设年度报告,除涉及党和国家秘密的,应当通过报刊、网站等新闻媒体向社会公开,接受人民群众监督。" So the
report on work year ``Y`` must be public before 1 April of ``Y + 1``: a publication date up to 31 March is on
time, 1 April or later is late ("之前" read as *before*). This is the one deadline a reader can check from the
outside — the page shows when it went public, not when the report reached the superior body — and it is the
same for every issuer, whatever its level (the reporting dates to superiors differ by who reports).

The publication date is read by segmentation (the page's 信息公开 block, ``<meta>`` tags, the signature) into
the paragraph table's ``published`` column (``YYYY-MM-DD``, empty when unknown). Without a date, without a
work year, or with a date before the work year began (one of the two is misread), the answer is ``unknown``.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd

ON_TIME, LATE, UNKNOWN = "on_time", "late", "unknown"
TIMELINESS_VALUES = (ON_TIME, LATE, UNKNOWN)
#: Month and day, in the year after the work year, from which publication is late (第二十四条: 每年4月1日之前).
DEADLINE_MONTH_DAY = (4, 1)


def publication_deadline(year: object) -> dt.date | None:
    """The first day on which the report on work year ``year`` is late; None for an unknown or unreadable year."""
    if year is None or pd.isna(year):
        return None
    try:
        work_year = int(float(str(year)))
    except ValueError:
        return None
    month, day = DEADLINE_MONTH_DAY
    return dt.date(work_year + 1, month, day)


def parse_published(value: object) -> dt.date | None:
    """A ``published`` cell (``YYYY-MM-DD``, possibly followed by a time) as a date; None when empty or unreadable."""
    if value is None or pd.isna(value):
        return None
    try:
        return dt.date.fromisoformat(str(value).strip()[:10])
    except ValueError:
        return None


def timeliness(published: object, year: object) -> str:
    """``on_time``, ``late`` or ``unknown`` for one report.

    Parameters
    ----------
    published : str or None
        The publication date, ``YYYY-MM-DD`` (the paragraph table's ``published`` column).
    year : int or None
        The work year the report is on (not the publication year).

    Returns
    -------
    str
        One of :data:`TIMELINESS_VALUES`. ``unknown`` when either value is missing or unreadable, or when the
        date falls before the work year began.
    """
    date, deadline = parse_published(published), publication_deadline(year)
    if date is None or deadline is None or date.year < deadline.year - 1:
        return UNKNOWN
    return ON_TIME if date < deadline else LATE
