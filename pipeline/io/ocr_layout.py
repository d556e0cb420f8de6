"""Paragraphs from the text lines an OCR engine finds on scanned pages.

An engine returns boxes of text in no useful order, with the page furniture a printout has: a running
header, ``— 3 —`` under every page. A report's paragraphs are still visible in its layout, as a reader
sees them: a 公文 paragraph starts with a two-character indent, and its last line stops short of the right
margin; a heading is a short indented line. This module turns the boxes of every page into the report's
lines — one per paragraph or heading, in reading order, without headers and page numbers — the way
:func:`pipeline.io.ingest.reflow_lines` does for a PDF's text layer, on the boxes' geometry instead of
character counts (OCR text has no layout spaces). What the layout cannot show (a report printed without
indents) is left to :mod:`pipeline.io.linebreaks`, which :func:`pipeline.io.ingest.read_report` applies to
every report whose text arrives as one long line.
"""

from __future__ import annotations

import math
import re
import statistics
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from pipeline.patterns import CHINESE_NUMERALS

# ``— 3 —``, ``- 3 -``, ``第3页``, ``3/12``, ``第 3 页 共 12 页``: a page number alone on its line.
_PAGE_NUMBER = re.compile(
    rf"^[-—–－_~·.\s]*(第\s*)?[\d{CHINESE_NUMERALS}]{{1,4}}(\s*页)?(\s*[/／]\s*\d{{1,4}}|\s*共\s*\d{{1,4}}\s*页)?[-—–－_~·.\s]*$"
)
# Rows at the top and bottom of a page looked at for headers, footers and page numbers.
_EDGE_ROWS = 2
# A paragraph's first line starts this many characters right of the page's left margin, or more (公文: 2).
_INDENT_EMS = 1.0
# A line that ends this many characters short of the text width ends its paragraph.
_SHORT_EMS = 1.5
# Boxes whose vertical centres are this close (in line heights) are one printed line.
_SAME_ROW = 0.5
#: Boxes read with less confidence are left out of the text (RapidOCR's own default cut-off); they still count
#: in the report's confidence, so that a scan whose lines could not be read shows it.
MIN_BOX_CONFIDENCE = 0.5
_CJK = re.compile(r"(?<=[\u3000-\u9fff\uff00-\uffef])\s+(?=[\u3000-\u9fff\uff00-\uffef])")


@dataclass(frozen=True)
class TextBox:
    """A run of text the engine found: its page, its corners (clockwise from top left) and its confidence."""

    page: int
    corners: tuple[tuple[float, float], ...]
    text: str
    confidence: float

    @classmethod
    def from_corners(cls, page: int, corners: Sequence[Sequence[float]], text: str, confidence: float) -> TextBox:
        return cls(page, tuple((float(x), float(y)) for x, y in corners), text, confidence)

    @property
    def angle(self) -> float:
        """Slope of the top edge in radians (a scan turned by a fraction of a degree gives all boxes one)."""
        (left, top), (right, right_top) = self.corners[0], self.corners[1]
        return math.atan2(right_top - top, right - left)


@dataclass(frozen=True)
class _Row:
    """One printed line of a page, in page coordinates turned upright."""

    page: int
    left: float
    right: float
    middle: float
    height: float
    text: str
    confidence: float


@dataclass(frozen=True)
class ScanText:
    """What was read from a scan.

    Attributes
    ----------
    lines : list of str
        One line per paragraph or heading, in reading order, headers and page numbers dropped.
    confidence : float
        The engine's confidence averaged over every character it read, those of lines too uncertain to keep
        (:data:`MIN_BOX_CONFIDENCE`) included (0–1).
    pages : int
        Pages read.
    """

    lines: list[str]
    confidence: float
    pages: int


def read_layout(pages: Sequence[Sequence[TextBox]]) -> ScanText:
    """The report's lines from the text boxes of each of its pages, in page order.

    Parameters
    ----------
    pages : sequence of sequence of TextBox
        The boxes of every page; a page with none (blank, a photo) is kept for the page count.

    Returns
    -------
    ScanText
    """
    read = [box for boxes in pages for box in boxes if box.text.strip()]
    rows = _without_furniture(
        [_rows([box for box in boxes if box.confidence >= MIN_BOX_CONFIDENCE]) for boxes in pages]
    )
    if not any(rows):
        return ScanText([], 0.0, len(pages))
    confidence = sum(box.confidence * len(box.text) for box in read) / sum(len(box.text) for box in read)
    return ScanText(_paragraphs(rows), round(confidence, 4), len(pages))


def _rows(boxes: Sequence[TextBox]) -> list[_Row]:
    """The page's boxes turned upright (by their median slope) and merged into printed lines, top to bottom."""
    boxes = [box for box in boxes if box.text.strip()]
    if not boxes:
        return []
    turn = -statistics.median(box.angle for box in boxes)
    cos, sin = math.cos(turn), math.sin(turn)
    upright = []
    for box in boxes:
        xs = [x * cos - y * sin for x, y in box.corners]
        ys = [x * sin + y * cos for x, y in box.corners]
        upright.append(
            _Row(
                box.page, min(xs), max(xs), (min(ys) + max(ys)) / 2, max(ys) - min(ys), box.text.strip(), box.confidence
            )
        )
    upright.sort(key=lambda row: row.middle)
    merged: list[list[_Row]] = []
    for row in upright:
        if merged and abs(row.middle - merged[-1][0].middle) < _SAME_ROW * merged[-1][0].height:
            merged[-1].append(row)
        else:
            merged.append([row])
    return [_join(parts) for parts in merged]


def _join(parts: list[_Row]) -> _Row:
    """Boxes of one printed line as one row, left to right."""
    parts.sort(key=lambda row: row.left)
    text = _CJK.sub("", " ".join(part.text for part in parts))
    confidence = sum(part.confidence * len(part.text) for part in parts) / sum(len(part.text) for part in parts)
    first = parts[0]
    return _Row(
        first.page,
        first.left,
        max(part.right for part in parts),
        first.middle,
        max(part.height for part in parts),
        text,
        confidence,
    )


def _without_furniture(pages: list[list[_Row]]) -> list[list[_Row]]:
    """Pages without page numbers and without the header/footer lines that repeat at the page edges.

    Only the first and last :data:`_EDGE_ROWS` rows of a page are candidates; a line repeats when its text,
    digits left out, is at the edge of at least two pages and of half of them (a report's own text does not
    recur word for word at the top of every page).
    """

    def edges(page: list[_Row]) -> list[_Row]:
        return page[:_EDGE_ROWS] + page[-_EDGE_ROWS:]

    counts = Counter(key for page in pages for key in {_furniture_key(row.text) for row in edges(page)})
    needed = max(2, math.ceil(len(pages) / 2))
    repeated = {key for key, count in counts.items() if count >= needed}
    kept = []
    for page in pages:
        furniture = {
            id(row) for row in edges(page) if _PAGE_NUMBER.match(row.text) or _furniture_key(row.text) in repeated
        }
        kept.append([row for row in page if id(row) not in furniture])
    return kept


def _furniture_key(text: str) -> str:
    return re.sub(r"[\d\s]", "", text)


def _paragraphs(pages: list[list[_Row]]) -> list[str]:
    """Rows joined into paragraphs: a new one at an indented row or after a row that ends short.

    Margins are the page's own (scanners shift pages), the text width and the character size the report's.
    """
    em = statistics.median((row.right - row.left) / len(row.text) for page in pages for row in page)
    lefts = [min((row.left for row in page if len(row.text) >= 4), default=None) for page in pages]
    widths = [max(row.right for row in page) - left for page, left in zip(pages, lefts) if left is not None]
    width = statistics.median(widths)
    paragraphs: list[str] = []
    ends_short = True
    for page, left in zip(pages, lefts):
        for row in page:
            indented = row.left - left >= _INDENT_EMS * em
            if paragraphs and not indented and not ends_short:
                paragraphs[-1] += row.text
            else:
                paragraphs.append(row.text)
            ends_short = row.right < left + width - _SHORT_EMS * em
    return paragraphs
