"""Put back the line breaks of a report that arrives as one long line.

Many scraped pages lose their line breaks: the whole report is one line, and the segmenter, which reads a
report line by line, would see one paragraph with every theme. The structure is still in the text: headings
are numbered in a fixed order (``一、`` > ``（一）`` > ``1.`` > ``（1）``; ``一是…二是…`` for items), each
number follows the one before it, and a paragraph starts after a sentence end or right after a heading.
:func:`restore_line_breaks` breaks such a line there, so :mod:`pipeline.text.segment` needs no special case.

What cannot come back: two paragraphs with no number between them (``…决策。落实法律顾问制度。…``) stay one
paragraph, since nothing in the text says which sentence end was a paragraph end.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence

from pipeline.patterns import CHINESE_NUMERALS, INLINE_MARKER, MAX_HEADING_CHARS, MAX_LEAD_CHARS

# A report is taken as line-less when one line is this long and holds most of the text; a real paragraph
# of a report is under ~1,500 characters, and a normal file spreads its text over dozens of lines.
LINELESS_MIN_CHARS = 2000
LINELESS_SHARE = 0.5

_SENTENCE_END = "。！？；!?;"
_LINE_OPENERS = _SENTENCE_END + ":：\n"  # a list after "如下:" starts a line too, so does a layout gap
_CLOSERS = "”’」』)）】"
_GAP = re.compile(r"[ \t\u3000\u00a0\u2002\u2003]{2,}|\u3000")
# Nouns a section heading ends on (…组织领导, …制度体系, …社会公平正义): where a heading that runs straight
# into its first paragraph, without a full stop, is cut off.
_HEADING_END = re.compile(
    "((?:法治|规范|制度|信息|便利|科学|民主|标准|常态|现代|法制)化|"
    "体系|基础|能力|政府|正义|职能|领导|建设|机制|环境|水平|作用|工作|制度|监督|纠纷|保障|情况|问题|不足|原因|"
    "思路|安排|计划|打算|成效|举措|行政|执法|服务|决策|意识|队伍|格局|氛围|效能|实效|秩序|权益|职责|责任|"
    "改革|管理|公开|矛盾|风险|质量|法治|思想|引领|部署|落实|创新|治理|品质|保护|人员|权力|思维|目标|任务|"
    "精神|体制|程序|要求)"
)
_MIN_HEADING_CHARS = 4
# Words a report's paragraph opens with and a heading does not (after its first clause).
_PARAGRAPH_OPENER = re.compile(
    r"严格按照|按照|根据|紧紧围绕|围绕|为(?:进一步|确保|加强|推进|了)|坚持|严格|认真|通过|高度重视|始终|"
    r"今年以来|今年|经过|近年来|全年|目前|我(?:市|县|区|镇|州|省|局)|(?:19|20)\d{2}年"
)
# A title at the top of the page (…关于2019年度法治政府建设情况的报告), run into the text after it.
_TITLE = re.compile(r"^[^。,，:：\n]{4,60}?报告(?!\n)")
# Sentences that open a paragraph although no number marks it: plans (下一步，…), the closing formula, a
# framing sentence (…在市委的正确领导下), and a short lead sentence (``落实法律顾问制度。``) that names
# what the paragraph is about. A line starts before them when they follow a sentence end.
_UNNUMBERED_OPENING = re.compile(
    r"(?<=[。！？!?])\s?(?=下一步[,，]|今后[,，]|特此报告|以上报告|[^。,，]{0,12}在[^。,，]{2,30}(?:正确|坚强)领导下"
    r"|(?:坚持|落实|完善|强化|加强|健全|推进|深化|提升|规范|优化|创新|严格|抓好|做好|推动|注重|狠抓|着力|全面|持续)"
    r"[^。,，;；:：、\d]{2,14}。)"
)
# What makes a heading-final noun go on: another such noun, a suffix or particle, punctuation.
_CONTINUES = re.compile(rf"{_HEADING_END.pattern}|[化性的之和与及、,，。:：;；)）”]")


def is_lineless(lines: Sequence[str]) -> bool:
    """True when one line is at least :data:`LINELESS_MIN_CHARS` long and holds most of the report's text."""
    longest = max((len(line) for line in lines), default=0)
    return longest >= LINELESS_MIN_CHARS and longest >= LINELESS_SHARE * sum(map(len, lines))


def restore_line_breaks(lines: Sequence[str], min_chars: int = LINELESS_MIN_CHARS) -> list[str]:
    """The lines of a report with the breaks of its long lines put back (other lines unchanged).

    Parameters
    ----------
    lines : sequence of str
        A report's lines as read; :mod:`pipeline.io.ingest` calls this only when :func:`is_lineless` is true.
    min_chars : int
        Lines at least this long are split (default :data:`LINELESS_MIN_CHARS`; lower for excerpts).

    Returns
    -------
    list of str
        Lines split at layout gaps (runs of spaces, ideographic spaces), before heading numbers that follow
        a sentence end or a heading and continue their level's count, and after a heading that runs into
        its first paragraph.
    """
    restored: list[str] = []
    for line in lines:
        if len(line) < min_chars:
            restored.append(line)
        else:
            restored.extend(_split_at_headings(_mark_paragraph_starts(line)))
    return [clean for line in restored if (clean := line.strip())]


def _mark_paragraph_starts(line: str) -> str:
    """``line`` with a newline at layout gaps, after a title at its start and before unnumbered openings."""
    text = _GAP.sub("\n", line)
    text = _TITLE.sub(lambda title: title.group() + "\n", text, count=1)
    return _UNNUMBERED_OPENING.sub("\n", text)


def _split_at_headings(text: str) -> list[str]:
    """``text`` (layout gaps already turned into newlines) cut at heading starts and heading ends."""
    starts = _heading_starts(text)
    if not starts or starts[0][0] > 0:
        starts.insert(0, (0, 0))  # text before the first heading: level 0, never a heading
    ends = [start for start, _ in starts[1:]] + [len(text)]
    lines = []
    for (start, level), end in zip(starts, ends):
        first, *rest = text[start:end].split("\n")
        lines += [*_cut_heading(first, level), *rest]
    return lines


def _heading_starts(text: str) -> list[tuple[int, int]]:
    """(offset, level) of every heading number that starts a line.

    A number counts only if it continues its level's count (``三、`` after ``二、``; the lower levels start
    again at 1 under each new heading) and sits where a line can start (:func:`_may_start_line`).
    """
    expected = dict.fromkeys(range(1, 6), 1)
    starts: list[tuple[int, int]] = []
    for match in INLINE_MARKER.finditer(text):
        level = next(level for level in range(1, 6) if match.group(f"l{level}"))
        number = _number(match.group(f"n{level}") or match.group("m1"))
        # ``一、`` may start the count again (a page that prints the report twice), and a level's first
        # number may be any after a sentence end (an excerpt that starts at ``（二）``)
        restart = (level == 1 and number == 1 or expected[level] == 1) and _after_opener(text, match.start())
        if not (restart or number == expected[level]) or not _may_start_line(text, match.start(), level, starts):
            continue
        starts.append((match.start(), level))
        expected[level] = number + 1
        for lower in range(level + 1, 6):
            expected[lower] = 1
    return starts


def _may_start_line(text: str, offset: int, level: int, starts: list[tuple[int, int]]) -> bool:
    """Whether a heading number of ``level`` at ``offset`` can start a line.

    Section numbers (``三、``, ``（三）``) can follow anything but a number or 第 (scraped text often
    drops the full stop before them: ``…达100%六、…``); list numbers (``3.``, ``（3）``) need a sentence
    end, a colon or a layout gap before them, or a heading just before; ``三是`` needs a gap or a heading,
    because mid-paragraph enumerations (``…。一是…。二是…``) are far more common than one-item paragraphs.
    """
    if offset == 0:
        return True
    if level <= 2:
        return text[offset - 1] not in f"第{CHINESE_NUMERALS}、0123456789"
    if level < 5 and _after_opener(text, offset) or level == 5 and text[offset - 1] == "\n":
        return True
    if not starts or starts[-1][1] >= level:
        return False
    span = text[starts[-1][0] : offset]
    return len(span) <= MAX_HEADING_CHARS and not any(mark in span for mark in _LINE_OPENERS)


def _after_opener(text: str, offset: int) -> bool:
    """Whether ``offset`` follows a sentence end, colon or gap (closing quotes between them allowed)."""
    index = offset - 1
    while index >= 0 and text[index] in _CLOSERS:
        index -= 1
    return index < 0 or text[index] in _LINE_OPENERS


def _cut_heading(piece: str, level: int) -> list[str]:
    """A section heading (``一、`` / ``（一）``) that runs into its paragraph without a full stop, cut off.

    The cut goes before the first word that opens a paragraph (``按照``, ``为确保``, ``2019年``…) unless it
    follows a comma (then it is the heading's second clause), else after the first heading-final noun that
    does not continue into another noun, a suffix or punctuation (``依法行政|能力`` goes on,
    ``依法行政能力|高素质的…`` does not). A top-level heading is cut even before a full stop, since
    top-level headings rarely carry an inline lead; a second-level one, which often does, only at an opener.
    """
    lead_end = _lead_end(piece)
    if level not in (1, 2) or lead_end == len(piece) <= MAX_HEADING_CHARS:
        return [piece]
    marker = INLINE_MARKER.match(piece)
    start = (marker.end() if marker else 0) + _MIN_HEADING_CHARS
    stop = min(lead_end, MAX_HEADING_CHARS)
    openers = (
        match.start()
        for match in _PARAGRAPH_OPENER.finditer(piece, start, stop)
        if piece[match.start() - 1] not in ",，、"
    )
    nouns = (
        match.end() for match in _HEADING_END.finditer(piece, start, stop) if not _CONTINUES.match(piece, match.end())
    )
    cut = next(openers, None)
    if cut is None and (level == 1 or lead_end > MAX_LEAD_CHARS):
        cut = next(nouns, None)
    return [piece] if cut is None else [piece[:cut], piece[cut:]]


def _lead_end(text: str) -> int:
    """Offset of the first sentence end or colon (the end of a lead), or the length if there is none."""
    return next((index for index, char in enumerate(text) if char in _SENTENCE_END + ":："), len(text))


def _number(numeral: str) -> int:
    """``3`` → 3, ``十二`` → 12: the count of a heading number."""
    if numeral.isdigit():
        return int(numeral)
    values = [unicodedata.numeric(char) for char in numeral]
    if values[0] == 10:
        return int(10 + sum(values[1:]))
    return int(values[0] * 10 + sum(values[2:]) if len(values) > 1 else values[0])
