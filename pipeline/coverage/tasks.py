"""Tag each paragraph with the national plan's concrete tasks it mentions, keeping the matched cue terms.

The tasks are the taxonomy's second level (``tasks:`` in ``pipeline/data/taxonomy.yaml``, :class:`~pipeline.taxonomy.Task`).
A task is a narrow, named piece of work (行政执法三项制度, 负责人出庭应诉), and reports name it in the plan's own
words, so literal cue terms find it where a trained classifier, with five reports, could not learn 44 classes.
The cues that matched are kept as the reason (``task_cues``), so every tag can be checked by reading.

Matching runs on normalized text (:func:`pipeline.io.ingest.normalize_text`: NFKC, traditional → simplified) of
``text``, optionally with the deepest heading of ``heading_path``. The paragraph's theme can gate a task: a
cue counts only when the paragraph's probability of the task's theme (``p_<theme>``; the 0/1 ``labels`` of a
hand-labelled table) reaches ``min_theme_prob``. The gate trades recall for precision; ``bench/tasks.py``
measures both settings against ``corpus/task_annotations.csv``.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from pipeline.coverage.profile import label_indicators, label_probabilities
from pipeline.errors import AnnotationError
from pipeline.coverage.evidence import EVIDENCE_VALUES
from pipeline.io.ingest import normalize_text
from pipeline.io.tables import read_table
from pipeline.schema import split_labels
from pipeline.taxonomy import Task, load_taxonomy

TASKS_COLUMN = "tasks"
CUES_COLUMN = "task_cues"
#: In ``task_cues``: ``task=cue,cue;task=cue`` — the same ``;`` as the ``labels`` cell between tasks.
TASK_SEPARATOR, CUE_SEPARATOR, ASSIGN = ";", ",", "="
HEADING_SPLIT = re.compile(r"\s*(?:>|›)\s*")
DEFAULT_MIN_THEME_PROB = 0.2
ANNOTATION_COLUMNS = ("report_id", "para_id", "tasks", "evidence", "annotator", "source")


@dataclass(frozen=True)
class TaskTagger:
    """Find task cues in paragraphs.

    Parameters
    ----------
    tasks : sequence of Task
        The tasks to look for; by default the taxonomy's (``load_taxonomy().tasks``).
    min_theme_prob : float or None
        Gate: a task's cues count only in paragraphs whose probability (or 0/1 label) of the task's theme is
        at least this. ``None`` turns the gate off. Default :data:`DEFAULT_MIN_THEME_PROB` (0.2: on the seeds,
        out-of-report probabilities, micro-F1 0.817 against 0.809 ungated; docs/tasks.md).
    use_headings : bool
        Also search the deepest heading of ``heading_path`` (``（一）加强…`` above the paragraph). Default False.
    """

    tasks: Sequence[Task] | None = None
    min_theme_prob: float | None = DEFAULT_MIN_THEME_PROB
    use_headings: bool = False

    def task_list(self) -> tuple[Task, ...]:
        """The tasks searched: the given ones, else the current taxonomy's."""
        return tuple(self.tasks) if self.tasks is not None else load_taxonomy().tasks

    def tag(self, table: pd.DataFrame) -> pd.DataFrame:
        """Return a copy of ``table`` with ``tasks`` (ids joined by ``;``) and ``task_cues`` (the reasons).

        Parameters
        ----------
        table : pandas.DataFrame
            Needs ``text``; uses ``heading_path`` when ``use_headings``; the gate reads ``labels`` and
            ``p_<theme>`` when present (a table without ``labels`` is tagged ungated).
        """
        tasks = self.task_list()
        texts = [normalize_text(t) for t in self._searched_text(table)]
        allowed = self._gate(table, tasks)
        cells = [_found(text, tasks if allowed is None else [t for t in tasks if allowed[t.theme].iloc[row]])
                 for row, text in enumerate(texts)]
        out = table.copy()
        out[TASKS_COLUMN] = [TASK_SEPARATOR.join(found) for found in cells]
        out[CUES_COLUMN] = [format_cues(found) for found in cells]
        return out

    def _searched_text(self, table: pd.DataFrame) -> list[str]:
        texts = table["text"].fillna("").astype(str).tolist()
        if not self.use_headings or "heading_path" not in table.columns:
            return texts
        return [f"{deepest_heading(path)}\n{text}" for path, text in zip(table["heading_path"], texts)]

    def _gate(self, table: pd.DataFrame, tasks: Sequence[Task]) -> pd.DataFrame | None:
        if self.min_theme_prob is None or "labels" not in table.columns:
            return None  # a segmented table without labels has no themes to gate on
        themes = sorted({task.theme for task in tasks})
        table = table.reset_index(drop=True).assign(labels=table["labels"].fillna("").astype(str).to_numpy())
        probs = label_probabilities(table, label_indicators(table, _known_themes(table, themes)))
        return probs[themes] >= self.min_theme_prob


def _found(text: str, tasks: Sequence[Task]) -> dict[str, list[str]]:
    """Task id → its cues found in ``text``, for the tasks that have any."""
    found = {task.id: matched_cues(text, task) for task in tasks}
    return {task_id: cues for task_id, cues in found.items() if cues}


def tag_tasks(table: pd.DataFrame, min_theme_prob: float | None = DEFAULT_MIN_THEME_PROB, use_headings: bool = False,
              tasks: Sequence[Task] | None = None) -> pd.DataFrame:
    """Tag ``table`` with :class:`TaskTagger` (the one-call form); see there for the parameters."""
    return TaskTagger(tasks=tasks, min_theme_prob=min_theme_prob, use_headings=use_headings).tag(table)


def _known_themes(table: pd.DataFrame, themes: Sequence[str]) -> list[str]:
    """Themes to read from ``labels``: the tasks' themes plus any other id the table uses, so none is unknown."""
    used = {label for cell in table["labels"] for label in split_labels(cell)}
    return sorted(set(themes) | used)


@functools.lru_cache(maxsize=256)
def cue_pattern(task: Task) -> re.Pattern[str]:
    """The compiled alternation of a task's normalized cues, longest first (cached per task).

    Longest first, so 八五普法 is reported as itself and not as the 普法 inside it.
    """
    cues = sorted({normalize_text(c) for c in task.cues}, key=len, reverse=True)
    return re.compile("|".join(re.escape(c) for c in cues))


def matched_cues(text: str, task: Task) -> list[str]:
    """Distinct cues of ``task`` found in normalized ``text``, in order of first occurrence."""
    return list(dict.fromkeys(match.group(0) for match in cue_pattern(task).finditer(text)))


def deepest_heading(path: object) -> str:
    """The last heading of a ``heading_path`` cell (a ``" > "``-joined string, or a list from parquet/JSON)."""
    if isinstance(path, str):
        parts = HEADING_SPLIT.split(path)
    elif hasattr(path, "__iter__"):
        parts = [str(p) for p in path]
    else:
        return ""
    return parts[-1] if parts else ""


def format_cues(found: dict[str, list[str]]) -> str:
    """``{task: [cue, …]}`` → the ``task_cues`` cell."""
    return TASK_SEPARATOR.join(f"{task}{ASSIGN}{CUE_SEPARATOR.join(cues)}" for task, cues in found.items())


def parse_cues(cell: object) -> dict[str, list[str]]:
    """The ``task_cues`` cell → ``{task: [cue, …]}`` (empty for an empty or missing cell)."""
    if not isinstance(cell, str) or not cell.strip():
        return {}
    pairs = (item.split(ASSIGN, 1) for item in cell.split(TASK_SEPARATOR) if ASSIGN in item)
    return {task.strip(): [c for c in cues.split(CUE_SEPARATOR) if c] for task, cues in pairs}


def task_ids(cell: object) -> list[str]:
    """The ``tasks`` cell → list of task ids."""
    if not isinstance(cell, str):
        return []
    return [part.strip() for part in cell.split(TASK_SEPARATOR) if part.strip()]


def read_task_annotations(path: str | Path, tasks: Sequence[Task] | None = None) -> pd.DataFrame:
    """Read a task/evidence reading (``report_id,para_id,tasks,evidence,annotator,source``) and check it.

    Parameters
    ----------
    path : str or Path
        ``.csv``/``.jsonl``/``.parquet`` file, e.g. ``corpus/task_annotations.csv``.
    tasks : sequence of Task, optional
        The known tasks (default: the taxonomy's); every id in ``tasks`` cells must be one of them.

    Raises
    ------
    AnnotationError
        Listing every bad line as ``file:line: what; fix``.
    """
    table = read_table(path)
    missing = [c for c in ANNOTATION_COLUMNS if c not in table.columns]
    if missing:
        raise AnnotationError(f"{path}: missing column(s) {', '.join(missing)}; the header must be "
                              f"{','.join(ANNOTATION_COLUMNS)}")
    table = table.assign(tasks=table["tasks"].fillna("").astype(str), evidence=table["evidence"].fillna("").astype(str))
    known = {task.id for task in (tasks if tasks is not None else load_taxonomy().tasks)}
    problems = []
    for line, row in enumerate(table.itertuples(), start=2):
        unknown = [t for t in task_ids(row.tasks) if t not in known]
        if unknown:
            problems.append(f"{path}:{line}: unknown task id(s) {', '.join(unknown)}; use ids from the taxonomy's tasks")
        if row.evidence not in EVIDENCE_VALUES:
            problems.append(f"{path}:{line}: evidence {row.evidence!r}; use {' or '.join(EVIDENCE_VALUES)}")
    if table["para_id"].duplicated().any():
        problems.append(f"{path}: para_id {table['para_id'][table['para_id'].duplicated()].iloc[0]} appears twice; "
                        "keep one row per paragraph")
    if problems:
        raise AnnotationError("\n".join(problems))
    return table
