"""Tag each paragraph with the national plan's concrete tasks it reports on, keeping the cues that carried it.

The tasks are the taxonomy's second level (``tasks:`` in ``pipeline/data/taxonomy.yaml``,
:class:`~pipeline.taxonomy.Task`).
A task is a narrow, named piece of work (行政执法三项制度, 负责人出庭应诉), and reports name it in the plan's own
words, so cue terms find it where a classifier trained on five reports could not learn 44 classes. How a cue
is written and which hits a careful reader would not count (a law only cited, an office's name, a list of
areas) is :mod:`pipeline.coverage.cues`. The hits that carried a tag are kept as its reason (``task_cues``),
so every tag can be checked by reading.

Matching runs on the paragraph's ``text`` in normalized form (:func:`~pipeline.text.normalize.normalize_text`:
NFKC, traditional → simplified, pinyin glosses dropped). Two named alternatives are parameters, both off by
default because they lost on the seed gold and on the devset reading alike (docs/tasks.md): a theme gate (a
task counts only where the paragraph's probability of its theme reaches ``min_theme_prob``) and searching
the deepest heading too.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from pipeline.coverage.cues import found_cues
from pipeline.coverage.evidence import EVIDENCE_VALUES
from pipeline.coverage.profile import label_indicators, label_probabilities
from pipeline.errors import AnnotationError
from pipeline.io.tables import read_table
from pipeline.schema import split_heading_path, split_labels
from pipeline.taxonomy import Task, load_taxonomy
from pipeline.text.normalize import normalize_text

TASKS_COLUMN = "tasks"
CUES_COLUMN = "task_cues"
#: In ``task_cues``: ``task=cue,cue;task=cue`` — the same ``;`` as the ``labels`` cell between tasks.
TASK_SEPARATOR, CUE_SEPARATOR, ASSIGN = ";", ",", "="
ANNOTATION_COLUMNS = ("report_id", "para_id", "tasks", "evidence", "annotator", "source")


@dataclass(frozen=True)
class TaskTagger:
    """Find task cues in paragraphs.

    Parameters
    ----------
    tasks : sequence of Task
        The tasks to look for; by default the taxonomy's (``load_taxonomy().tasks``).
    min_theme_prob : float or None
        Theme gate: a task counts only in paragraphs whose probability (or 0/1 label) of the task's theme is at
        least this. Default ``None``, no gate: with the cues and rules of :mod:`pipeline.coverage.cues` a gate
        only loses recall (seeds: micro-F1 0.852 ungated, 0.834 gated at 0.2; docs/tasks.md).
    use_headings : bool
        Also search the deepest heading of ``heading_path`` (``（一）加强…`` above the paragraph). Default False:
        readers tag what a paragraph says, and a heading names its whole section.
    """

    tasks: Sequence[Task] | None = None
    min_theme_prob: float | None = None
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
        theme_of = {task.id: task.theme for task in tasks}
        cells = [
            {
                task: cues
                for task, cues in found_cues(text, tasks).items()
                if allowed is None or allowed.at[row, theme_of[task]]
            }
            for row, text in enumerate(texts)
        ]
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


def tag_tasks(
    table: pd.DataFrame,
    min_theme_prob: float | None = None,
    use_headings: bool = False,
    tasks: Sequence[Task] | None = None,
) -> pd.DataFrame:
    """Tag ``table`` with :class:`TaskTagger` (the one-call form); see there for the parameters."""
    return TaskTagger(tasks=tasks, min_theme_prob=min_theme_prob, use_headings=use_headings).tag(table)


def _known_themes(table: pd.DataFrame, themes: Sequence[str]) -> list[str]:
    """Themes to read from ``labels``: the tasks' themes plus any other id the table uses, so none is unknown."""
    used = {label for cell in table["labels"] for label in split_labels(cell)}
    return sorted(set(themes) | used)


def deepest_heading(path: object) -> str:
    """The last heading of a ``heading_path`` cell (:func:`pipeline.schema.split_heading_path`)."""
    return (split_heading_path(path) or [""])[-1]


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
        raise AnnotationError(
            f"{path}: missing column(s) {', '.join(missing)}; the header must be {','.join(ANNOTATION_COLUMNS)}"
        )
    table = table.assign(tasks=table["tasks"].fillna("").astype(str), evidence=table["evidence"].fillna("").astype(str))
    known = {task.id for task in (tasks if tasks is not None else load_taxonomy().tasks)}
    problems = []
    for line, row in enumerate(table.itertuples(), start=2):
        unknown = [t for t in task_ids(row.tasks) if t not in known]
        if unknown:
            problems.append(
                f"{path}:{line}: unknown task id(s) {', '.join(unknown)}; use ids from the taxonomy's tasks"
            )
        if row.evidence not in EVIDENCE_VALUES:
            problems.append(f"{path}:{line}: evidence {row.evidence!r}; use {' or '.join(EVIDENCE_VALUES)}")
    if table["para_id"].duplicated().any():
        problems.append(
            f"{path}: para_id {table['para_id'][table['para_id'].duplicated()].iloc[0]} appears twice; "
            "keep one row per paragraph"
        )
    if problems:
        raise AnnotationError("\n".join(problems))
    return table
