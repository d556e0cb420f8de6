"""Variants of a seed report made from its own lines: a top-level section removed, or its heading renamed.

Reports name their required parts in many ways (存在的问题, 不足之处, 下一步工作打算 …) and some leave a part out;
these variants let the tests and ``bench/parts.py`` check both on real text. A seed printed twice on its page
(004) is changed in both copies, as a site would show it.
"""

from __future__ import annotations

from pipeline.patterns import HEADING_MARKERS
from pipeline.text.normalize import normalize_text

_TOP_LEVEL = HEADING_MARKERS[0][1]

#: Headings real reports give their required parts, beside the seeds' own (used with the section's numeral).
SYNONYMS = {
    "problems": ("存在的问题", "不足之处", "问题与差距", "存在的困难和问题", "差距和不足"),
    "plans": ("下一步工作打算", "{next_year}年工作思路", "下步工作安排", "下一阶段工作重点", "今后工作打算"),
    "responsibility": (
        "党政主要负责人履行推进法治建设第一责任人职责情况",
        "主要负责同志履职情况",
        "第一责任人职责履行情况",
    ),
}


def is_top_heading(line: str) -> bool:
    """True for a line opening a top-level section (``九、`` or ``第九部分``)."""
    return bool(_TOP_LEVEL.match(normalize_text(line.strip())))


def without_section(lines: list[str], heading: str) -> list[str]:
    """``lines`` without every top-level section whose heading line starts with ``heading`` (e.g. ``九、``)."""
    kept, dropping = [], False
    for line in lines:
        if is_top_heading(line):
            dropping = line.strip().startswith(heading)
        if not dropping:
            kept.append(line)
    return kept


def renamed_section(lines: list[str], heading: str, title: str) -> list[str]:
    """``lines`` with every top-level heading line starting with ``heading`` retitled ``title`` (marker kept)."""
    renamed = []
    for line in lines:
        stripped = line.strip()
        if is_top_heading(line) and stripped.startswith(heading):
            marker = _TOP_LEVEL.match(normalize_text(stripped)).end()
            line = line[: len(line) - len(stripped)] + stripped[:marker] + title
        renamed.append(line)
    return renamed


def without_heading_numbers(lines: list[str]) -> list[str]:
    """``lines`` with the number of every heading (``一、``, ``（一）``, ``1.``) taken off: running prose."""
    unnumbered = []
    for line in lines:
        stripped = line.strip()
        for _, marker in HEADING_MARKERS:
            found = marker.match(normalize_text(stripped))
            if found:
                line = stripped[found.end() :]
                break
        unnumbered.append(line)
    return unnumbered
