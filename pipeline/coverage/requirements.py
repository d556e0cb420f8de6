"""What the rule requires a report to contain, checked per report: present, only in passing, or absent.

Since 2019 the annual report has required contents (法治政府建设与责任落实督察工作规定, 厅字〔2019〕28号; the text
and where it was read are quoted in docs/inspect.md): the year's main measures and results, the shortcomings
*and their causes*, how the principal party and government leaders fulfilled their duty as first responsible
persons, the main plans for the next year, and anything else to report. Evaluators check these first, so
every report gets one row saying, for each of the four substantive contents (the fifth, "其他需要报告的情况",
is open-ended and cannot be missing):

- ``present``: the report has a section of its own on it — a paragraph under a heading that names it (at any
  level: ``（三）坚决扛牢法治建设第一责任人职责`` counts), or a paragraph whose report part it is by its heading or
  opening (``下一步，我们将…``) and, without a heading, at least :data:`MIN_SENTENCES` sentences long;
- ``in_passing``: no such section, but a sentence of another body paragraph names it (``切实履行好第一责任人
  职责``, a one-sentence ``下一步，我们将…`` pledge) — the paragraphs are listed so a reader can judge;
- ``absent``: neither.

For a present shortcomings section two further questions, each answered from its text with the reason kept:
are **causes** given (a causal sentence — 原因, 究其原因, 由于, 导致, 主观/客观上 … — not just a heading that
promises them), and are the problems **specific** (a problem carries checkable evidence as
:mod:`pipeline.coverage.evidence` defines it, or names a body such as 市公安局) or **boilerplate** (法治意识有待
增强: every report can say it; naming a field alone is not enough, since every boilerplate problem names one).
The rule's publication deadline is checked by :mod:`pipeline.coverage.timeliness`.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import pandas as pd

from pipeline.coverage.evidence import CONCRETE, evidence_strength
from pipeline.coverage.profile import report_values
from pipeline.coverage.timeliness import ON_TIME, UNKNOWN, publication_deadline, timeliness
from pipeline.errors import InputError
from pipeline.patterns import PART_CUES
from pipeline.schema import BODY_PARTS, split_heading_path
from pipeline.text.normalize import normalize_text
from pipeline.text.segment import named_report_part, split_enumeration

#: The rule's four substantive contents in its order, as report parts, with the rule's words for them.
REQUIRED_CONTENTS = {
    "achievements": "主要举措和成效",
    "problems": "存在的不足和原因",
    "responsibility": "党政主要负责人履行推进法治建设第一责任人职责",
    "plans": "下一年度主要安排",
}
PRESENT, IN_PASSING, ABSENT = "present", "in_passing", "absent"
CAUSES_GIVEN, CAUSES_NOT_GIVEN = "given", "not_given"
SPECIFIC, PARTLY_SPECIFIC, BOILERPLATE = "specific", "partly_specific", "boilerplate"
#: Sentences a part needs, when no heading names it, to count as a section of its own rather than a pledge.
MIN_SENTENCES = 2
#: Columns a paragraph table must have; ``year``, ``issuer``, ``title`` and ``published`` are used when present.
INPUT_COLUMNS = ("report_id", "para_id", "part", "heading_path", "text")
METADATA = ("year", "issuer", "title", "published")
REQUIRED_COLUMNS = (
    "report_id",
    "year",
    "issuer",
    "title",
    *(column for part in REQUIRED_CONTENTS for column in (part, f"{part}_para_ids")),
    "complete",
    "missing",
    "causes",
    "causes_cues",
    "causes_para_ids",
    "problems_specificity",
    "n_problems",
    "n_specific_problems",
    "published",
    "deadline",
    "timeliness",
)

#: A sentence that names a content in passing. Body text needs narrower cues than headings: "针对…存在的问题，
#: 及时整改" reports work done, so a problem must be owned (但/仍/还 … 存在 … 问题); responsibility reuses the
#: heading cue, which is specific enough anywhere.
MENTION_CUES: dict[str, re.Pattern[str]] = {
    "achievements": re.compile(r"取得[^。;]{0,20}(成效|成绩|进展)|主要(举措|做法)"),
    "problems": re.compile(
        r"(但|仍|还|尚|依然|依旧)[^。;:]{0,15}(存在|有)[^。;]{0,25}(问题|不足|差距|短板|薄弱)|不足之处"
    ),
    "responsibility": dict(PART_CUES)["responsibility"],
    "plans": re.compile(r"下一?步|下一?阶段|今后|明年|来年|新的一年|\d{4}年,?(我们|我[县市区镇乡局委])?将"),
}
CAUSE_CUE = re.compile(r"原因|究其|根源|症结|归根|由于|因为|源于|缘于|导致|造成|致使|主观上|客观上|主观方面|客观方面")
#: A named body (市公安局, 县市场监管局, 某某镇): a problem located in one is specific.
NAMED_BODY = re.compile(r"(?:[省市县区]|镇|乡|街道)[^,。、;:]{0,8}?(?:局|委员会|办公室|人民法院|人民检察院|司法所)")
_SENTENCE = re.compile(r"[^。!?]+[。!?]?")


def required_contents(table: pd.DataFrame) -> pd.DataFrame:
    """One row per report: each required content's status and paragraphs, causes, specificity, timeliness.

    Parameters
    ----------
    table : pandas.DataFrame
        A paragraph table, segmented or classified (:data:`INPUT_COLUMNS`; ``year``, ``issuer``, ``title`` and
        ``published`` are carried over when present). Labels are not needed: this reads parts and text.

    Returns
    -------
    pandas.DataFrame
        :data:`REQUIRED_COLUMNS`, reports in table order. ``<part>`` is ``present``/``in_passing``/``absent``
        and ``<part>_para_ids`` the paragraphs behind it (``;``-joined); ``complete`` is True when all four are
        present and ``missing`` names those that are not; ``causes`` (``given``/``not_given``) and
        ``problems_specificity`` (``specific``/``partly_specific``/``boilerplate``) are empty without a
        shortcomings section; ``timeliness`` is ``on_time``/``late``/``unknown`` against ``deadline``.
    """
    missing = [column for column in INPUT_COLUMNS if column not in table.columns]
    if missing:
        raise InputError(
            f"the paragraph table has no {', '.join(missing)} column(s); pass a table written by "
            "`rolcov segment` or `rolcov classify`"
        )
    if table.empty:
        return pd.DataFrame(columns=list(REQUIRED_COLUMNS))
    table = table.assign(
        heading_path=table["heading_path"].fillna("").astype(str), text=table["text"].fillna("").astype(str)
    )
    rows = [_report_row(report_id, paragraphs) for report_id, paragraphs in table.groupby("report_id", sort=False)]
    frame = pd.DataFrame(rows).merge(report_values(table, METADATA), on="report_id", how="left")
    frame["deadline"] = [_iso(publication_deadline(year)) for year in frame["year"]]
    frame["timeliness"] = [timeliness(date, year) for date, year in zip(frame["published"], frame["year"])]
    return frame.reindex(columns=list(REQUIRED_COLUMNS))


def _report_row(report_id: str, paragraphs: pd.DataFrame) -> dict:
    row: dict[str, object] = {"report_id": report_id}
    sections = {}
    for part in REQUIRED_CONTENTS:
        status, found = content_status(paragraphs, part)
        row[part], row[f"{part}_para_ids"] = status, ";".join(found["para_id"].astype(str))
        sections[part] = found if status == PRESENT else found.iloc[:0]
    absent = [part for part in REQUIRED_CONTENTS if row[part] != PRESENT]
    row["complete"], row["missing"] = not absent, ";".join(absent)
    return {**row, **shortcomings_quality(sections["problems"])}


def content_status(paragraphs: pd.DataFrame, part: str) -> tuple[str, pd.DataFrame]:
    """The status of one required content in one report's paragraphs, and the paragraphs behind it."""
    in_section = [_in_section(row.part, row.heading_path, part) for row in paragraphs.itertuples()]
    section = paragraphs[in_section]
    if not section.empty:
        return PRESENT, section
    opened = paragraphs[paragraphs["part"] == part]  # by its opening words, without a heading
    if sum(len(sentences(text)) for text in opened["text"]) >= MIN_SENTENCES:
        return PRESENT, opened
    body = paragraphs[paragraphs["part"].isin(BODY_PARTS)]
    body = paragraphs if body.empty else body  # a report without headings is all preamble: read all of it
    mentions = body[[bool(mention_sentences(text, part)) for text in body["text"]]]
    return (IN_PASSING, mentions) if not mentions.empty else (ABSENT, mentions)


def _in_section(paragraph_part: str, heading_path: str, part: str) -> bool:
    headings = split_heading_path(heading_path)
    if paragraph_part == part and headings:
        return True
    return any(named_report_part(heading) == part for heading in headings)


def shortcomings_quality(section: pd.DataFrame) -> dict[str, object]:
    """Causes given or not, and how specific the problems are, for a report's shortcomings paragraphs.

    The problems are the enumeration items of the section's paragraphs (``一是…二是…``), or the paragraphs
    themselves, without their inline lead and without framing sentences that end in a colon (``主要表现在：``).

    Returns
    -------
    dict
        ``causes``, ``causes_cues`` (the cue words found), ``causes_para_ids``, ``problems_specificity``,
        ``n_problems`` and ``n_specific_problems``; empty values (and counts of 0) for an empty section.
    """
    if section.empty:
        return {
            "causes": "",
            "causes_cues": "",
            "causes_para_ids": "",
            "problems_specificity": "",
            "n_problems": 0,
            "n_specific_problems": 0,
        }
    units = [(row.para_id, unit) for row in section.itertuples() for unit in problem_units(row.text, row.heading_path)]
    cues = [(para_id, match.group()) for para_id, unit in units for match in CAUSE_CUE.finditer(normalize_text(unit))]
    n_specific = sum(is_specific(unit) for _, unit in units)
    specificity = BOILERPLATE if not n_specific else SPECIFIC if 2 * n_specific >= len(units) else PARTLY_SPECIFIC
    return {
        "causes": CAUSES_GIVEN if cues else CAUSES_NOT_GIVEN,
        "causes_cues": ",".join(dict.fromkeys(cue for _, cue in cues)),
        "causes_para_ids": ";".join(dict.fromkeys(para_id for para_id, _ in cues)),
        "problems_specificity": specificity,
        "n_problems": len(units),
        "n_specific_problems": n_specific,
    }


def problem_units(text: str, heading_path: str) -> list[str]:
    """The problems one shortcomings paragraph states: its items, its inline lead and framing sentences left out."""
    lead = (split_heading_path(heading_path) or [""])[-1]
    body = text[len(lead) :] if lead and text.startswith(lead) else text
    items = split_enumeration(body.strip())
    return [item for item in items if item.strip() and not normalize_text(item).rstrip().endswith(":")]


def is_specific(problem: str) -> bool:
    """A problem is specific when it carries checkable evidence or names the body where it lies."""
    return evidence_strength(problem)[0] == CONCRETE or bool(NAMED_BODY.search(normalize_text(problem)))


def sentences(text: str) -> list[str]:
    """The sentences of a paragraph (normalized), split after 。!?."""
    return [sentence for sentence in _SENTENCE.findall(normalize_text(text)) if sentence.strip()]


def mention_sentences(text: str, part: str) -> list[str]:
    """The sentences of ``text`` that name the required content ``part`` (:data:`MENTION_CUES`)."""
    return [sentence for sentence in sentences(text) if MENTION_CUES[part].search(sentence)]


def cause_sentences(text: str) -> list[str]:
    """The sentences of ``text`` that give a cause (:data:`CAUSE_CUE`)."""
    return [sentence for sentence in sentences(text) if CAUSE_CUE.search(sentence)]


def required_contents_summary(per_report: pd.DataFrame, by: Sequence[str] | None = None) -> pd.DataFrame:
    """Across a corpus: per group, how many reports are complete, give causes, were published on time.

    Parameters
    ----------
    per_report : pandas.DataFrame
        Output of :func:`required_contents`, possibly joined with other per-report columns (``level``).
    by : sequence of str, optional
        Grouping columns; default ``year`` and ``level``, those of them the table has. ``()`` gives one row.

    Returns
    -------
    pandas.DataFrame
        One row per group: ``n_reports``; ``n_complete``/``share_complete``; ``n_<part>`` (content present);
        ``n_with_causes``/``share_with_causes`` (of all reports: a report without a shortcomings section gives
        no causes); ``n_dated`` (timeliness known), ``n_on_time``, ``n_late`` and ``share_on_time`` (of the
        dated reports; empty when none is dated).
    """
    by = [column for column in ("year", "level") if column in per_report.columns] if by is None else list(by)
    unknown = [column for column in by if column not in per_report.columns]
    if unknown:
        raise InputError(
            f"cannot group by {', '.join(unknown)}: the per-report table has no such column; "
            "join the corpus panel (place, level) first"
        )
    groups = per_report.groupby(by, dropna=False, sort=True) if by else [((), per_report)]
    rows = [{**dict(zip(by, key if isinstance(key, tuple) else (key,))), **_shares(group)} for key, group in groups]
    return pd.DataFrame(rows)


def _shares(reports: pd.DataFrame) -> dict[str, object]:
    n, dated = len(reports), reports[reports["timeliness"] != UNKNOWN]
    n_complete, n_causes = int(reports["complete"].astype(bool).sum()), int((reports["causes"] == CAUSES_GIVEN).sum())
    n_on_time = int((dated["timeliness"] == ON_TIME).sum())
    return {
        "n_reports": n,
        "n_complete": n_complete,
        "share_complete": n_complete / n,
        **{f"n_{part}": int((reports[part] == PRESENT).sum()) for part in REQUIRED_CONTENTS},
        "n_with_causes": n_causes,
        "share_with_causes": n_causes / n,
        "n_dated": len(dated),
        "n_on_time": n_on_time,
        "n_late": len(dated) - n_on_time,
        "share_on_time": n_on_time / len(dated) if len(dated) else float("nan"),
    }


def _iso(date: object) -> str:
    return date.isoformat() if date is not None else ""
