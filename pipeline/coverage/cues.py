"""How a task is found in a paragraph: the cue syntax, and the rules by which a careful reader discounts a hit.

A task's ``cues`` (``tasks:`` in ``pipeline/data/taxonomy.yaml``) are the plan's own wording and the common
administrative terms for it. A cue is literal text, or parts joined by gaps:

- ``中心组…学法`` — the parts in order, at most 20 characters apart in the same clause (no ``。;,!?`` between);
- ``成立……法治……领导小组`` — at most 60 characters apart in the same sentence (commas allowed), for the
  long descriptions reports give of a body set up.

A cue found in a paragraph is a *hit*. Readers do not tag every hit (corpus/codebook.md §10: a task named
only in passing is not tagged), and four rules, written from that reading rule and none for one task only,
discount the hits a reader would not count:

1. **Cited, not done**: a hit inside the title of a document the body only cites or studies (学习《信访工作条例》;
   :func:`~pipeline.coverage.evidence.cited_title_spans`), or in the few characters a citing verb governs
   (按照…方案, 对照…规定: :data:`CITING`).
2. **A body's name**: a hit that is the start of an office's name (信访局, 普法办, 法律顾问室:
   :data:`BODY_NAME_AFTER`) names who acts, not the task; so does a hit in the frame that names who leads or
   guides the reporting body (在县委依法治县委员会的指导下: :data:`GUIDED_BY`).
3. **A list of areas**: a hit inside one short item (…、X、…等, at most :data:`LIST_ITEM_MAX` characters, so
   法律顾问 in …、重大决策听取法律顾问意见、…) of a clause listing cues of three or more tasks (a seed report's
   将行政复议和行政诉讼、…重大行政决策、…等纳入法治建设考评范围) — such a list names the areas an assessment or a
   set of rules covers; none of them is reported on.
4. **The task's own boundary**: a hit whose clause has one of the task's ``unless`` terms — the codebook's
   boundaries between neighbouring tasks (普法 aimed at 领导干部 is their law study, not law popularization;
   接受社会监督 is a formula, not supervision work).

A task is found when any hit is left; the hits left are its reason (``task_cues``).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Sequence

from pipeline.coverage.evidence import cited_title_spans
from pipeline.taxonomy import Task
from pipeline.text.normalize import normalize_text

#: The two gaps of the cue syntax and what they stand for (on normalized text, so punctuation is ASCII).
CUE_GAPS = {"……": r"[^。;!?]{0,60}?", "…": r"[^。;,!?]{0,20}?"}
_GAP_SPLIT = re.compile("(……|…)")
#: A clause: the text between two punctuation marks.
CLAUSE = re.compile(r"[^。;,!?:]+")
#: A citing verb and the few characters it governs: what it names is followed, not done.
CITING = re.compile(r"(?:按照|对照|根据|依据|依照|遵照|参照|对标)[^。;,!?:]{0,16}")
#: The frame that names who leads or guides the reporting body (在县委依法治县委员会的指导下): that body acts; the
#: paragraph does not report its work.
GUIDED_BY = re.compile(r"在[^。;,!?:]{0,40}?(?:领导|指导|支持|帮助|关心|督促)下")
#: Right after a hit, the end of an office's name: the hit names the office (信访局, 普法办, 法律顾问室).
BODY_NAME_AFTER = re.compile(r"管理委员会|委员会|局|厅|部(?![署门分])|办公室|办(?![理事结法件])|室|科(?!学)")
#: A clause listing cues of this many different tasks is a list of areas.
LIST_MIN_TASKS = 3
#: The longest list item a hit may sit in (法律顾问 in 重大决策听取法律顾问意见): longer, it is a clause of its own.
LIST_ITEM_MAX = 16


def cue_pattern(task: Task) -> re.Pattern[str]:
    """The compiled alternation of a task's cues (see :func:`term_pattern`)."""
    return term_pattern(task.cues)


@functools.lru_cache(maxsize=512)
def term_pattern(terms: tuple[str, ...]) -> re.Pattern[str]:
    """Terms in the cue syntax (a task's ``cues`` or ``unless``) as one alternation, longest first (cached).

    Longest words first, so 八五普法 is reported as itself and not as the 普法 inside it; of two terms with the
    same words, the one with the narrower gap first (中心组…学法 before 中心组……法治), so a hit is the shortest
    reading that carries it; otherwise in the order the taxonomy lists them (not a set's order, which changes
    from run to run and with it the hit text).
    """
    return re.compile("|".join(_term_regex(term) for term in sorted(dict.fromkeys(terms), key=_term_order)))


def _term_order(term: str) -> tuple[int, int]:
    """Sort key: more literal characters first, then fewer gap characters (``…`` before ``……``)."""
    gaps = term.count("…")
    return (-(len(term) - gaps), gaps)


def _term_regex(term: str) -> str:
    # Split before normalizing each part: NFKC turns … into ...
    return "".join(
        CUE_GAPS[piece] if piece in CUE_GAPS else re.escape(normalize_text(piece))
        for piece in _GAP_SPLIT.split(term)
        if piece
    )


def found_cues(text: str, tasks: Sequence[Task]) -> dict[str, list[str]]:
    """Task id → the hits that carry it in ``text``, for the tasks with any hit left after the four rules.

    Parameters
    ----------
    text : str
        A paragraph in normalized form (:func:`~pipeline.text.normalize.normalize_text`).
    tasks : sequence of Task
        The tasks to look for; the list rule counts hits of all of them, so pass every task even when only
        some will be kept.

    Returns
    -------
    dict of str to list of str
        Per task, the distinct hits that carried it, in order of first occurrence: the words of the text a
        cue matched (all of it for a gapped cue, ``成立了…法治政府建设工作领导小组``; a hit across a comma in
        pieces, since ``,`` separates cues in the ``task_cues`` cell), so the HTML report can mark them.
    """
    not_own_work = (
        cited_title_spans(text)
        + [m.span() for m in CITING.finditer(text)]
        + [m.span() for m in GUIDED_BY.finditer(text)]
    )
    clauses = [m.span() for m in CLAUSE.finditer(text)]
    hits = {
        task.id: [
            m
            for m in cue_pattern(task).finditer(text)
            if not _inside(m.span(), not_own_work)
            and not BODY_NAME_AFTER.match(text, m.end())
            and not _excepted(text, m, task, clauses)
        ]
        for task in tasks
    }
    listed = _list_items(text, hits)
    found = {
        task: [piece for m in matches if m.span() not in listed for piece in m.group(0).split(",") if piece]
        for task, matches in hits.items()
    }
    return {task: list(dict.fromkeys(pieces)) for task, pieces in found.items() if pieces}


def _inside(span: tuple[int, int], spans: Sequence[tuple[int, int]]) -> bool:
    return any(start <= span[0] and span[1] <= end for start, end in spans)


def _excepted(text: str, hit: re.Match[str], task: Task, clauses: Sequence[tuple[int, int]]) -> bool:
    """Whether the clause around ``hit`` has one of the task's ``unless`` terms."""
    if not task.unless:
        return False
    start, end = next((span for span in clauses if span[0] <= hit.start() < span[1]), hit.span())
    return term_pattern(task.unless).search(text, start, end) is not None


def _list_items(text: str, hits: dict[str, list[re.Match[str]]]) -> set[tuple[int, int]]:
    """Spans of the hits that are items of a list (…、X、…等) in a clause with cues of three or more tasks."""
    crowded = [
        (start, end)
        for start, end in (m.span() for m in CLAUSE.finditer(text) if "、" in m.group(0))
        if sum(any(start <= m.start() < end for m in matches) for matches in hits.values()) >= LIST_MIN_TASKS
    ]
    return {
        m.span()
        for matches in hits.values()
        for m in matches
        if any(start <= m.start() < end and _is_item(text, m, start, end) for start, end in crowded)
    }


def _is_item(text: str, hit: re.Match[str], start: int, end: int) -> bool:
    """Whether ``hit`` lies in one short item of the clause's 、-list (重大决策听取法律顾问意见、…、…制度等)."""
    before = text.rfind("、", start, hit.start())
    after = min((i for i in (text.find("、", hit.end(), end), text.find("等", hit.end(), end)) if i >= 0), default=-1)
    if before < 0 and after < 0:
        return False
    item = (before + 1 if before >= 0 else start, after if after >= 0 else end)
    return item[1] - item[0] <= LIST_ITEM_MAX
