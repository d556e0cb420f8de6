"""Evidence strength of a paragraph: ``concrete`` (checkable results) or ``general`` (commitments, slogans).

An evaluator reading a report asks whether a task was *done*, not only named: "共受理行政复议申请20件" can be
checked, "依法开展行政复议工作" cannot. A paragraph is ``concrete`` when its normalized text has at least one of

- a **count with a unit** of work done (``20件``, ``86场次``, ``1025台``, ``96%``, ``5.22万元``), not a year
  (``2019年``) or an ordinal (``第14次``);
- a **named document the government issued**: ``《…》`` right after an issuing verb (印发, 出台, 制定, 下发 …),
  or a document number (``〔2022〕6号``) — a law only cited (按照《…》) is not evidence;
- a **dated event** (``2019年8月23日``, ``11月14日``);
- a **named recognition** (被命名为, 被评为, 入选, 创建为, 获 … 表彰).

otherwise ``general``. The matched snippets are kept as the reason (``evidence_reason``). Measured against the
gold reading in ``corpus/task_annotations.csv`` (``bench/tasks.py``).
"""

from __future__ import annotations

import re

import pandas as pd

from pipeline.io.ingest import normalize_text

EVIDENCE_COLUMN, REASON_COLUMN = "evidence", "evidence_reason"
CONCRETE, GENERAL = "concrete", "general"
EVIDENCE_VALUES = (CONCRETE, GENERAL)

_UNITS = ("人次|场次|件次|家次|个工作日|工作日|万元|亿元|元|平方米|件|次|场|项|名|人|个|家|份|期|条|户|台|起|类|天|"
          "支|批|所|篇|册|部|宗")
_NUMBER = r"(?<![\d.第])\d+(?:\.\d+)?(?:余|多)?"
RULES: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("count", re.compile(rf"{_NUMBER}(?:%|{_UNITS})")),
    ("document", re.compile(r"(?:印发|出台|制定|制发|下发|编撰|编制|发布|修订|签订|起草)(?:了|实施|并印发)?[^。;《]{0,12}《[^》]{2,80}》")),
    ("document", re.compile(r"〔\d{4}〕\d+号")),
    ("date", re.compile(r"(?:\d{4}年)?\d{1,2}月\d{1,2}日")),
    ("recognition", re.compile(r"被(?:命名|评|授予|确定)为|入选|成功创建|创建为|获得?[^。;]{0,20}(?:表彰|称号)")),
)
MAX_REASONS = 4


def evidence_strength(text: str) -> tuple[str, list[str]]:
    """Return ``("concrete" | "general", reasons)`` for one paragraph text.

    Parameters
    ----------
    text : str
        The paragraph; normalized here (full-width digits and ``％`` become ASCII).

    Returns
    -------
    tuple of str and list of str
        The evidence value and up to :data:`MAX_REASONS` matched snippets, each prefixed by its kind
        (``count: 20件``).
    """
    normalized = normalize_text(text)
    reasons = [f"{kind}: {match.group(0)}" for kind, pattern in RULES for match in pattern.finditer(normalized)]
    reasons = list(dict.fromkeys(reasons))[:MAX_REASONS]
    return (CONCRETE if reasons else GENERAL), reasons


def tag_evidence(table: pd.DataFrame) -> pd.DataFrame:
    """Return a copy of ``table`` with ``evidence`` and ``evidence_reason`` (reasons joined by ``"; "``)."""
    judged = [evidence_strength(text) for text in table["text"].fillna("").astype(str)]
    out = table.copy()
    out[EVIDENCE_COLUMN] = [value for value, _ in judged]
    out[REASON_COLUMN] = ["; ".join(reasons) for _, reasons in judged]
    return out
