"""Turn a :class:`~pipeline.io.ingest.Report` into paragraphs with heading paths and report parts.

Chinese official reports number their headings in a fixed order — ``一、`` > ``（一）`` > ``1.`` > ``（1）``
— and often put a heading and its text on one line (``（一）加强组织学习，坚持政治引领。县政府通过…``).
The heading path is the evidence a reader uses to know what a paragraph is about; the report part
(achievements, problems, plans…) says in what spirit it is written. Both are recovered here.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from functools import partial
from pathlib import Path
from typing import TypeVar

import pandas as pd
from tqdm import tqdm

from pipeline.errors import InputError, RolcovError
from pipeline.io.convert import ConvertOptions
from pipeline.io.ingest import Report, find_report_files, read_report
from pipeline.patterns import (
    CLOSING_OPENING,
    ENUMERATION_START,
    HEADING_MARKERS,
    LEAD_END,
    MAX_HEADING_CHARS,
    MAX_LEAD_CHARS,
    PART_CUES,
    PLANS_OPENING,
)
from pipeline.schema import FRAME_COLUMNS, HEADING_SEPARATOR, item_id, paragraph_id, report_ids
from pipeline.text.clean import (
    find_boilerplate_lines,
    is_addressee,
    is_chrome,
    is_signature_or_date,
    reads_like_paragraph,
    repeated_copy_indices,
)
from pipeline.text.metadata import ReportInfo, describe_report, find_title
from pipeline.text.normalize import normalize_text

T = TypeVar("T")

_LOG = logging.getLogger("rolcov")
#: The ``extra`` field of the warning that names paragraph-like lines a cleaner removed (how many), so
#: that a run can add them up in its summary.
DROPPED_FIELD = "dropped_paragraphs"


@dataclass(frozen=True)
class Paragraph:
    """One unit of text with where it sits in the report.

    Attributes
    ----------
    report_id, para_id : str
        ``para_id`` is ``<report_id>:<index>`` (``:<index>.<item>`` for enumeration items), stable as
        long as the file does not change.
    part : str
        One of :data:`PARTS`.
    heading_path : tuple[str, ...]
        The headings above the paragraph, outermost first, markers included.
    text : str
        The original text as written (not normalized), including an inline lead it opens with.
    source : str
        The file it came from.
    lead : str
        The inline lead ``text`` opens with (``（一）深化行政审批制度改革。``), also the last heading of
        ``heading_path``; empty when the paragraph has none. It stays in ``text`` because it is the sentence
        where the author says what the paragraph is about, and the classifier must see it.
    ocr_confidence : float or None
        The report's OCR confidence when it was read from a scan (:attr:`pipeline.io.ingest.Report.ocr_confidence`).
    """

    report_id: str
    para_id: str
    part: str
    heading_path: tuple[str, ...]
    text: str
    source: str
    info: ReportInfo = field(compare=False)
    lead: str = ""
    ocr_confidence: float | None = field(default=None, compare=False)

    @property
    def n_chars(self) -> int:
        return len(self.text)

    @property
    def normalized_text(self) -> str:
        return normalize_text(self.text)


@dataclass(frozen=True)
class _Line:
    original: str
    normalized: str


def segment_report(
    report: Report, split_items: bool = False, boilerplate: frozenset[str] = frozenset()
) -> list[Paragraph]:
    """Split a report into paragraphs, each with its heading path and report part.

    Parameters
    ----------
    report : Report
        As returned by :func:`pipeline.io.ingest.read_report`.
    split_items : bool
        Also split enumerations (``一是…二是…``, ``1.…2.…``) inside a paragraph into items, since one
        paragraph often lists several themes.
    boilerplate : frozenset of str
        Normalized lines to drop, e.g. from :func:`pipeline.text.clean.find_boilerplate_lines`.
    """
    lines = [_Line(original, normalize_text(original)) for original in report.lines]
    normalized = [line.normalized for line in lines]
    body, dropped = _content_lines(lines, boilerplate)
    if dropped:
        _LOG.warning(
            "%s: removed %d line(s) that read like paragraphs as page chrome, a signature or a site's "
            "shared text (first: %r); check them in the file",
            report.path,
            len(dropped),
            dropped[0][:40],
            extra={DROPPED_FIELD: len(dropped)},
        )
    info = describe_report(normalized, [line.normalized for line in body], report.page)
    paragraphs = [
        Paragraph(
            report.report_id,
            paragraph_id(report.report_id, index),
            part,
            path,
            lead + text,
            report.path,
            info,
            lead,
            report.ocr_confidence,
        )
        for index, (path, part, lead, text) in enumerate(_walk_structure(body))
    ]
    if not split_items:
        return paragraphs
    return [unit for paragraph in paragraphs for unit in (enumeration_items(paragraph) or [paragraph])]


def enumeration_items(paragraph: Paragraph) -> list[Paragraph]:
    """The items (``<para_id>.1``, ``.2`` …) of an enumerating paragraph; empty if it lists nothing.

    The lead is left out of the items: it heads them all (it is in their ``heading_path``), and leaving it
    out keeps item ids where they were before the lead stayed in the paragraph's text.
    """
    items = split_enumeration(paragraph.text[len(paragraph.lead) :].strip())
    if len(items) < 2:
        return []
    return [
        replace(paragraph, para_id=item_id(paragraph.para_id, number), text=item)
        for number, item in enumerate(items, start=1)
    ]


def annotation_units(report: Report) -> list[Paragraph]:
    """Every paragraph and, after each enumerating one, its items: the units an annotation file may hold."""
    return [unit for paragraph in segment_report(report) for unit in (paragraph, *enumeration_items(paragraph))]


def _content_lines(lines: Sequence[_Line], boilerplate: frozenset[str]) -> tuple[list[_Line], list[str]]:
    """Drop chrome, the repeated copy, the title and document furniture; keep text and headings.

    Returns the kept lines and the removed ones that read like paragraphs (a second copy of the report
    excepted), which the caller reports: no text of the body is lost silently.
    """
    normalized = [line.normalized for line in lines]
    repeated = repeated_copy_indices(normalized)
    title = find_title(normalized)
    body_starts = [i for i, text in enumerate(normalized) if _is_body_start(text) and i not in repeated]
    first_body, last_body = (body_starts[0], body_starts[-1]) if body_starts else (len(lines), -1)
    kept, dropped = [], []
    for index, line in enumerate(lines):
        text = line.normalized
        if index in repeated or (title is not None and title.start <= index < title.stop):
            continue
        at_edge = index < first_body or index > last_body
        if (
            text in boilerplate
            or is_chrome(text, breadcrumbs=at_edge)
            or is_signature_or_date(text)
            or (index <= first_body and is_addressee(text))
            or (title is not None and index < title.start)
        ):
            if reads_like_paragraph(text):  # above the title: category labels and navigation, as a rule
                dropped.append(line.original)
            continue
        kept.append(line)
    return kept, dropped


def _is_body_start(text: str) -> bool:
    return len(text) >= 40 or bool(_heading_rank(text))


def _heading_rank(text: str) -> int:
    for rank, marker in HEADING_MARKERS:
        if marker.match(text):
            return rank
    return 0


def _walk_structure(lines: Iterable[_Line]) -> Iterable[tuple[tuple[str, ...], str, str, str]]:
    """Yield (heading path, part, lead, body) for every paragraph; an inline lead also becomes a heading."""
    stack: list[tuple[int, str]] = []
    seen_heading = False
    for line in lines:
        heading, body = split_heading(line)
        rank = _heading_rank(line.normalized)
        if rank:
            # A numbered line closes the sections of its rank and below, whether or not it is a heading.
            while stack and stack[-1][0] >= rank:
                stack.pop()
        if heading:
            stack.append((rank, heading))
            seen_heading = True
        if not body:
            continue
        if seen_heading and _closes_sections(normalize_text(body), stack):
            stack.clear()
        path = tuple(text for _, text in stack)
        yield path, _report_part(path, body, seen_heading), _inline_lead(line.original, heading, body), body


def _inline_lead(original: str, heading: str, body: str) -> str:
    """The part of a line before its body when the line opened with a heading (the lead as written)."""
    if not heading:
        return ""
    whole = original.strip()
    return whole[: len(whole) - len(body)]


def _closes_sections(text: str, stack: list[tuple[int, str]]) -> bool:
    """ "特此报告" ends the numbered sections; so does "下一步，我们将…" unless it sits in a plans section."""
    if CLOSING_OPENING.match(text):
        return True
    in_plans = bool(stack) and report_part_of_heading(stack[0][1]) == "plans"
    return bool(PLANS_OPENING.match(text)) and not in_plans


def split_heading(line: _Line) -> tuple[str, str]:
    """Return (heading, body) for a line; either may be empty.

    A numbered line that is short and not a sentence is a heading. A numbered line that opens with a
    short lead phrase ended by a full stop (``（一）加强组织学习，坚持政治引领。县政府通过…``) is a heading
    plus body. A numbered line whose first sentence is long is an enumerated paragraph, not a heading.
    """
    normalized, original = line.normalized, line.original
    if not _heading_rank(normalized):
        return "", original
    end = LEAD_END.search(normalized)
    if end is None or end.end() == len(normalized) and end.group() == "。":
        if len(normalized) <= MAX_HEADING_CHARS:
            return original.rstrip("。"), ""
        return "", original
    if end.start() <= MAX_LEAD_CHARS and end.group() != ":":
        cut = _matching_offset(original, normalized, end.end())
        return original[:cut].rstrip("。;；!！?？ "), original[cut:].strip()
    return "", original


def _matching_offset(original: str, normalized: str, offset: int) -> int:
    """Map an offset in the normalized line to the original (NFKC keeps length for CJK text)."""
    if len(original) == len(normalized):
        return offset
    prefix = normalized[:offset]
    for cut in range(len(original) + 1):
        if normalize_text(original[:cut]) == prefix:
            return cut
    return offset


def _report_part(path: tuple[str, ...], text: str, seen_heading: bool) -> str:
    if not seen_heading:
        return "preamble"
    normalized = normalize_text(text)
    if CLOSING_OPENING.match(normalized):
        return "closing"
    if PLANS_OPENING.match(normalized):
        return "plans"
    return report_part_of_heading(path[0]) if path else "achievements"


def report_part_of_heading(heading: str) -> str:
    """The report part a top-level heading announces; area sections are achievements."""
    return named_report_part(heading) or "achievements"


def named_report_part(heading: str) -> str | None:
    """The report part a heading of any level names in words (:data:`PART_CUES`), or None if it names none."""
    normalized = normalize_text(heading)
    return next((part for part, cue in PART_CUES if cue.search(normalized)), None)


def split_enumeration(text: str) -> list[str]:
    """Split ``一是…二是…三是…`` (or ``1.…2.…``) enumerations into items; one item if there are none.

    A split point must follow the start of the text or a sentence/clause end, so that numbers inside a
    sentence ("共3.5万件") do not split it. Text before the first enumerator (``主要表现在:``) becomes
    an item of its own, so every item keeps exactly the words it had in the paragraph.
    """
    starts = [match.start() for match in ENUMERATION_START.finditer(text)]
    if len(starts) < 2:
        return [text]
    bounds = [0, *(start for start in starts if start > 0), len(text)]
    items = [text[start:end].strip() for start, end in zip(bounds, bounds[1:])]
    return [item for item in items if item]


def paragraphs_to_frame(paragraphs: Sequence[Paragraph]) -> pd.DataFrame:
    """The one conversion from paragraphs to the table every later stage reads (:data:`FRAME_COLUMNS`)."""
    rows = [
        {
            "report_id": p.report_id,
            "para_id": p.para_id,
            "part": p.part,
            "heading_path": HEADING_SEPARATOR.join(p.heading_path),
            "lead": p.lead,
            "text": p.text,
            "n_chars": p.n_chars,
            "source": p.source,
            "year": p.info.year,
            "issuer": p.info.issuer,
            "title": p.info.title,
            "published": p.info.published,
            "year_source": p.info.year_source,
            "issuer_source": p.info.issuer_source,
            "published_source": p.info.published_source,
            "ocr_confidence": p.ocr_confidence,
        }
        for p in paragraphs
    ]
    frame = pd.DataFrame(rows, columns=list(FRAME_COLUMNS))
    return frame.astype({"year": "Int64", "n_chars": "int64", "ocr_confidence": "float64"})


def segment_file(
    path: str | Path,
    split_items: bool = False,
    boilerplate: frozenset[str] = frozenset(),
    report_id: str | None = None,
    convert: ConvertOptions | None = None,
) -> pd.DataFrame:
    """Read and segment one report file into its paragraph table (:data:`FRAME_COLUMNS`).

    ``convert`` sets the cache folder, timeout and OCR threads for files that need a converter
    (:class:`pipeline.io.convert.ConvertOptions`).

    Raises
    ------
    InputError
        If the file cannot be read, or nothing in it is a paragraph (only page chrome, a title, a date):
        every later stage needs at least one row.
    """
    report = read_report(path, report_id=report_id, convert=convert)
    paragraphs = segment_report(report, split_items=split_items, boilerplate=boilerplate)
    if not paragraphs:
        raise InputError(
            f"{path}: no paragraphs left after removing page chrome, title and signature; check that it holds a report"
        )
    return paragraphs_to_frame(paragraphs)


def annotation_frame(path: str | Path, report_id: str | None = None) -> pd.DataFrame:
    """Paragraph table of one report file with every paragraph and its enumeration items (see
    :func:`annotation_units`): what ``rolcov bootstrap --items`` labels."""
    return paragraphs_to_frame(annotation_units(read_report(path, report_id=report_id)))


def map_reports(
    paths: Sequence[str | Path], work: Callable[..., T], desc: str = "segment"
) -> tuple[list[T], list[str]]:
    """Apply ``work(path, report_id=…)`` to every report file under ``paths``; return results and failures.

    A bad file (empty, binary, undecodable) does not stop the others: its :class:`RolcovError` message is
    collected and the remaining files are processed; files skipped in the folders (unsupported types,
    broken links) are listed first. A progress bar appears from ten files on.
    """
    files, skipped = find_report_files(list(paths))
    frames, failures, ids = [], [reason for _, reason in skipped], report_ids(files)
    for path in tqdm(files, desc=desc, unit="report", disable=len(files) < 10, file=sys.stderr):
        try:
            frames.append(work(path, report_id=ids[path]))
        except RolcovError as error:
            failures.append(str(error))
    return frames, failures


def segment_files(
    paths: Sequence[str | Path], split_items: bool = False, shared_lines: int = 0, convert: ConvertOptions | None = None
) -> tuple[pd.DataFrame, list[str]]:
    """Segment every report under ``paths``; return the paragraph table and one error line per failed file.

    ``shared_lines`` > 0 also drops every line that occurs word for word in at least that many of the given
    reports (a site's template text; see :func:`pipeline.text.clean.find_boilerplate_lines`). It is off by
    default because it makes a report's paragraphs depend on which other files are in the run. ``convert``
    is passed to :func:`segment_file`.
    """
    boilerplate = frozenset()
    if shared_lines > 0:
        readable, _ = map_reports(
            paths, partial(read_report, convert=convert), desc="shared lines"
        )  # failures are reported below
        boilerplate = find_boilerplate_lines(readable, min_reports=shared_lines)
    work = partial(segment_file, split_items=split_items, boilerplate=boilerplate, convert=convert)
    frames, failures = map_reports(paths, work)
    table = pd.concat(frames, ignore_index=True) if frames else paragraphs_to_frame([])
    return table, failures
