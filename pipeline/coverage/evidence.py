"""Evidence strength of a paragraph: ``concrete`` (something a person could check) or ``general``.

An evaluator reading a report asks whether a task was *done*, not only named: "共受理行政复议申请20件" can be
checked, "依法开展行政复议工作" cannot. The definition is the one the readers of ``corpus/task_annotations.csv``
and of the devset used (``corpus/codebook.md`` §10). A paragraph is ``concrete`` when its normalized text has at
least one of

- a **count** of work done, in any unit (``20件``, ``86场次``, ``5个``, ``96%``, ``5.22万元``), also written in
  Chinese numerals with a unit of events (``两次``, ``十余场``) or masked as reports publish them (``X件``,
  ``*次``); not a year (``2019年``), an ordinal (``第14次``) or a range in a routine (``每次学习2-3部``);
- a **named document issued or revised** by the reporting body: ``《…》`` after an issuing verb (印发, 出台, 制定,
  修订 …), a plan, list or set of rules named after such a verb (``修订了…工作规则``), or a document number
  (``〔2022〕6号``) of a document it issued. A document merely cited, studied or implemented (按照《…》,
  学习《…》（…〔2024〕N号）) is not evidence;
- a **date** of an event (``2019年8月23日``, ``于8月份``), but not a reference date (``截至2020年12月31日``);
- a **named body set up** (成立/组建/设立/调整 … 领导小组, 委员会, 专班, 工作站 …);
- a **named recognition** (被命名为, 被评为, 入选, 创建为, 获 … 表彰).

otherwise ``general`` (commitments, methods, slogans). The matched snippets are kept as the reason
(``evidence_reason``). Measured against the seed gold and the devset reading (``bench/tasks.py``,
docs/tasks.md).
"""

from __future__ import annotations

import re

import pandas as pd

from pipeline.text.normalize import normalize_text

EVIDENCE_COLUMN, REASON_COLUMN = "evidence", "evidence_reason"
CONCRETE, GENERAL = "concrete", "general"
EVIDENCE_VALUES = (CONCRETE, GENERAL)

_UNITS = (
    "人次|场次|件次|家次|个工作日|工作日|万元|亿元|元|平方米|公里|件|次|场|项|名|人|个|家|份|期|条|户|台|起|类|天|"
    "支|批|所|篇|册|部|宗|对|套|张|本|轮|座|处|单|杆|块|辆|吨|亩|间|栋|幅|盏|株|棵|封|卷|组|位|小时"
)
#: Units that only count events, safe after a Chinese numeral (三项制度, 一次办 and 两个维护 are names, not counts).
_EVENT_UNITS = "场次|人次|次|场|期|批|轮|件"
_NUMBER = r"(?<![\d.第\-~～])\d+(?:\.\d+)?(?:余|多)?"
_MASKED = r"(?<![A-Za-z])(?:[*＊×]+|[Xx]{1,3})(?:余|多)?"
_CHINESE_NUMBER = r"(?<![第前后一二三四五六七八九十两百千万])[两二三四五六七八九十百千]+(?:余|多)?"
#: Verbs by which a body issues or revises a document itself (shared with the task tagger's cited-title rule).
ISSUING_VERBS = "印发|出台|制定|制订|制发|下发|编撰|编制|编印|发布|修订|修改|签订|起草|出版|审议通过|审议并通过"
_ISSUED_BEFORE = re.compile(rf"(?:{ISSUING_VERBS})(?:了|实施|并印发|完善|下发)?[^。;《》]{{0,12}}$")
_TITLE = re.compile(r"《[^《》]{1,80}》")
_TITLE_JOINERS = re.compile(r"[、和及与,]?")
_DOCUMENT_NUMBER = re.compile(r"〔\d{4}〕\d+号")
RULES: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("count", re.compile(rf"(?:{_NUMBER}|{_MASKED})(?:%|{_UNITS})")),
    ("count", re.compile(rf"{_CHINESE_NUMBER}(?:{_EVENT_UNITS})")),
    (
        "document",
        re.compile(
            rf"(?:{ISSUING_VERBS})(?:了|并印发|完善|下发)?[^。;,《]{{0,20}}?"
            r"(?:实施方案|工作方案|工作要点|工作计划|办法|规则|指南|清单|细则|规定|目录|手册|汇编)"
        ),
    ),
    ("date", re.compile(r"(?:\d{4}年)?\d{1,2}月(?:\d{1,2}日|份|上旬|中旬|下旬|初|底)?")),
    (
        "body",
        re.compile(
            r"(?:成立|组建|设立|新设|挂牌)(?:了)?[^。;]{0,60}?"
            r"(?:领导小组|委员会|工作站|联系点|受理点|服务站|调解室)"
        ),
    ),
    ("recognition", re.compile(r"被(?:命名|评|授予|确定)为|入选|成功创建|创建为|获得?[^。;]{0,20}(?:表彰|称号)")),
)
#: Not a result: a document still to be drawn up (要/将/负责制定…), a date that only marks a point in time (截至…).
_NOT_A_RESULT = {
    "document": re.compile(r"(?:要|将|拟|计划|负责|争取|力争|督促|指导)[^,;。]{0,6}$"),
    "date": re.compile(r"(?:截至|截止|截止到)$"),
}
MAX_REASONS = 4


def cited_title_spans(text: str) -> list[tuple[int, int]]:
    """Spans of the ``《…》`` titles in normalized ``text`` that the reporting body did not issue itself.

    A title counts as issued when an issuing verb (:data:`ISSUING_VERBS`) stands at most 12 characters before
    it in the same clause, or before the list of titles it belongs to (``制定《甲》《乙》``); any other title is
    a law or document cited, studied or implemented (按照《…》, 学习《…》) — evidence of nothing done, and (in
    :mod:`pipeline.coverage.cues`) no mention of the task its name contains.
    """
    return [(start, end) for start, end, issued_from in _titles(text) if issued_from is None]


def _titles(text: str) -> list[tuple[int, int, int | None]]:
    """Every ``《…》`` title as ``(start, end, issued_from)``: where its issuing verb starts, or None if cited."""
    titles, issued_from, last_end = [], None, None
    for match in _TITLE.finditer(text):
        if last_end is None or not _TITLE_JOINERS.fullmatch(text[last_end : match.start()]):
            window = max(0, match.start() - 24)
            verb = _ISSUED_BEFORE.search(text, window, match.start())
            issued_from = verb.start() if verb else None
        titles.append((match.start(), match.end(), issued_from))
        last_end = match.end()
    return titles


def evidence_strength(text: str) -> tuple[str, list[str]]:
    """Return ``("concrete" | "general", reasons)`` for one paragraph text.

    Parameters
    ----------
    text : str
        The paragraph; normalized here (full-width digits and ``％`` become ASCII, traditional → simplified).

    Returns
    -------
    tuple of str and list of str
        The evidence value and up to :data:`MAX_REASONS` matched snippets, each prefixed by its kind
        (``count: 20件``, ``body: 成立…领导小组``).
    """
    normalized = normalize_text(text)
    reasons = [f"{kind}: {snippet}" for kind, snippet in _evidence_matches(normalized)]
    reasons = list(dict.fromkeys(reasons))[:MAX_REASONS]
    return (CONCRETE if reasons else GENERAL), reasons


def _evidence_matches(text: str) -> list[tuple[str, str]]:
    """``(kind, snippet)`` of every piece of evidence in normalized ``text``, rule by rule."""
    cited = cited_title_spans(text)
    found = []
    for kind, pattern in RULES:
        for match in pattern.finditer(text):
            excluded = _NOT_A_RESULT.get(kind)
            if excluded is not None and excluded.search(text[max(0, match.start() - 12) : match.start()]):
                continue
            if not any(start <= match.start() < end for start, end in cited):  # inside a cited title
                found.append((kind, match.group(0)))
    found += [("document", text[issued_from:end]) for _, end, issued_from in _titles(text) if issued_from is not None]
    found += [
        ("document", match.group(0))
        for match in _DOCUMENT_NUMBER.finditer(text)
        if not _follows_cited_title(text, match.start(), cited)
    ]
    return found


def _follows_cited_title(text: str, start: int, cited: list[tuple[int, int]]) -> bool:
    """Whether the document number at ``start`` belongs to a cited title just before it (``《…》（…号）``)."""
    return any(0 <= start - end <= 12 and "《" not in text[end:start] for _, end in cited)


def tag_evidence(table: pd.DataFrame) -> pd.DataFrame:
    """Return a copy of ``table`` with ``evidence`` and ``evidence_reason`` (reasons joined by ``"; "``)."""
    judged = [evidence_strength(text) for text in table["text"].fillna("").astype(str)]
    out = table.copy()
    out[EVIDENCE_COLUMN] = [value for value, _ in judged]
    out[REASON_COLUMN] = ["; ".join(reasons) for _, reasons in judged]
    return out
