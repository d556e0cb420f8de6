"""The label set as data: load and validate a taxonomy YAML file into frozen objects.

Themes live in ``pipeline/data/taxonomy.yaml``, not in code, so annotators, keyword baseline, silver labels and
model read one definition, model cards pin it by sha256, and another framework (``ROLCOV_TAXONOMY=x.yaml``, any
ids) loads without code changes. The default file is package data, read with :mod:`importlib.resources`, so an
installed copy of rolcov (a wheel, a Dask worker) finds it without the source tree."""

from __future__ import annotations

import functools
import hashlib
import os
import re
from collections.abc import Callable
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any, NoReturn

import yaml

from pipeline.errors import TaxonomyError

TAXONOMY_ENV_VAR = "ROLCOV_TAXONOMY"  # when set, load_taxonomy() reads this file instead of the default
DEFAULT_TAXONOMY_PATH = resources.files("pipeline").joinpath("data", "taxonomy.yaml")  # package data
LABEL_ID_PATTERN = re.compile(r"^[a-z][a-z0-9_]*$")
REQUIRED_LABEL_FIELDS = ("id", "name_zh", "name_en", "definition", "cues")
REQUIRED_TASK_FIELDS = ("id", "theme", "name_zh", "name_en", "definition", "cues")
_Fail = Callable[[str], NoReturn]


@dataclass(frozen=True)
class Label:
    """One theme a paragraph can be about.

    Attributes
    ----------
    id, name_zh, name_en, definition : str
        Stable id (annotation files, ``p_<id>`` columns), display names, what the theme covers.
    includes, excludes, cues : tuple of str
        Annotator guidance (what belongs here / what goes where instead); terms for a keyword dictionary.
    heading_cues : tuple of str
        Python regexes searched in report headings to derive silver labels.
    """

    id: str
    name_zh: str
    name_en: str
    definition: str
    includes: tuple[str, ...]
    excludes: tuple[str, ...]
    cues: tuple[str, ...]
    heading_cues: tuple[str, ...]


@dataclass(frozen=True)
class PlanArea:
    """One task area of a national plan and the single label it is counted under."""

    plan: str
    area: str
    label: str
    note: str = ""


@dataclass(frozen=True)
class Task:
    """One concrete task of a national plan, under one theme (the taxonomy's second level).

    Attributes
    ----------
    id, theme : str
        Stable task id (``tasks`` cells, task tables) and the label id it belongs to.
    name_zh, name_en, definition : str
        Display names and what the task covers, in one line.
    cues : tuple of str
        Literal terms searched in normalized paragraph text (see :mod:`pipeline.coverage.tasks`).
    plan_2021, plan_2015 : str
        Where the 2021—2025 plan states the task and which 2015—2020 item it continues (empty: none).
    unless : tuple of str
        Terms that, in the same clause as a cue, show the cue is about something else (普法 in a clause on
        领导干部 is their law study, not law popularization); written like cues.
    """

    id: str
    theme: str
    name_zh: str
    name_en: str
    definition: str
    cues: tuple[str, ...]
    plan_2021: str = ""
    plan_2015: str = ""
    unless: tuple[str, ...] = ()


@dataclass(frozen=True)
class Taxonomy:
    """A validated label set, in display order.

    Attributes
    ----------
    name, version, path, sha256 : str, str, Path, str
        Identify the framework; ``sha256`` of the file bytes lets a model refuse another taxonomy.
    labels, plan_areas : tuple of Label, tuple of PlanArea
        Labels in file order (the column order downstream); national-plan areas mapped onto them (may be empty).
    tasks : tuple of Task
        The plan's concrete tasks, each under one label, in file order; empty when the file has no ``tasks``.
    """

    name: str
    version: str
    labels: tuple[Label, ...]
    plan_areas: tuple[PlanArea, ...]
    path: Path
    sha256: str
    tasks: tuple[Task, ...] = ()

    @property
    def ids(self) -> list[str]:
        """Label ids in display order."""
        return [label.id for label in self.labels]

    def label(self, id: str) -> Label:
        """Return the label with this id; raise `TaxonomyError` listing the known ids otherwise."""
        for label in self.labels:
            if label.id == id:
                return label
        raise TaxonomyError(f"{self.path}: unknown label id {id!r}; known ids are {', '.join(self.ids)}")

    def name_zh(self, id: str) -> str:
        """Chinese display name of a label id."""
        return self.label(id).name_zh


def load_taxonomy(path: str | Path | None = None) -> Taxonomy:
    """Read and validate a taxonomy file.

    Parameters
    ----------
    path : str or Path, optional
        The YAML file. Defaults to ``$ROLCOV_TAXONOMY`` if set, else the package's `DEFAULT_TAXONOMY_PATH`.

    Returns
    -------
    Taxonomy
        Cached per (resolved path, modification time), so editing the file is picked up.

    Raises
    ------
    TaxonomyError
        One line naming the file and what to fix, for any problem the file's author can correct.
    """
    if path is None:
        path = os.environ.get(TAXONOMY_ENV_VAR) or None
    if path is None:
        return default_taxonomy()
    return _load_file(Path(path))


def default_taxonomy() -> Taxonomy:
    """The shipped taxonomy (package data), whatever ``$ROLCOV_TAXONOMY`` says.

    What an estimator without a ``taxonomy`` uses: fitting reads no environment variable, so the same call
    learns the same model everywhere; the CLI reads ``$ROLCOV_TAXONOMY`` (:func:`load_taxonomy`) and passes
    the taxonomy on.
    """
    # as_file gives a real file even if the package is imported from a zip archive
    with resources.as_file(DEFAULT_TAXONOMY_PATH) as default:
        return _load_file(default)


def _load_file(path: Path) -> Taxonomy:
    resolved = path.expanduser().resolve()
    if not resolved.is_file():
        _fail(resolved, f"taxonomy file not found; check the path or ${TAXONOMY_ENV_VAR}")
    return _load_cached(resolved, resolved.stat().st_mtime_ns)


@functools.lru_cache(maxsize=16)
def _load_cached(path: Path, mtime_ns: int) -> Taxonomy:
    raw = path.read_bytes()
    fail: _Fail = functools.partial(_fail, path)
    try:
        data = yaml.safe_load(raw.decode("utf-8"))
    except UnicodeDecodeError:
        fail("not UTF-8 text; save the taxonomy as UTF-8")
    except yaml.YAMLError as error:
        where = f" at line {error.problem_mark.line + 1}" if getattr(error, "problem_mark", None) else ""
        fail(f"YAML syntax error{where}: {getattr(error, 'problem', None) or error}; fix the YAML there")
    if not isinstance(data, dict) or not isinstance(data.get("labels"), list) or not data["labels"]:
        fail("the top level must be a mapping with name, version and a non-empty list 'labels'")
    missing = [field for field in ("name", "version") if data.get(field) in (None, "")]
    if missing:
        fail(f"missing top-level field {missing[0]!r}; add it")
    heading_cues = _heading_cues(data.get("heading_cues") or {}, fail)
    labels = tuple(_label(entry, i, heading_cues, fail) for i, entry in enumerate(data["labels"], start=1))
    ids = [label.id for label in labels]
    duplicated = sorted({i for i in ids if ids.count(i) > 1})
    if duplicated:
        fail(f"duplicated label id {', '.join(duplicated)}; every label id must be unique")
    unknown = sorted(set(heading_cues) - set(ids))
    if unknown:
        fail(f"heading_cues names unknown label {', '.join(unknown)}; use one of {', '.join(ids)}")
    plan_areas = tuple(_plan_area(entry, ids, fail) for entry in data.get("plan_areas") or [])
    return Taxonomy(
        name=str(data["name"]),
        version=str(data["version"]),
        labels=labels,
        plan_areas=plan_areas,
        path=path,
        sha256=hashlib.sha256(raw).hexdigest(),
        tasks=parse_tasks(data.get("tasks"), ids, fail),
    )


def _fail(path: Path, problem: str) -> NoReturn:
    raise TaxonomyError(f"{path}: {problem}") from None


def _texts(value: Any) -> tuple[str, ...]:
    # YAML reads an unquoted 12345 as an int; a cue is text whatever it looks like.
    items = [] if value is None else value if isinstance(value, list) else [value]
    return tuple(str(item).strip() for item in items if str(item).strip())


def _heading_cues(section: Any, fail: _Fail) -> dict[str, tuple[str, ...]]:
    if not isinstance(section, dict):
        fail("'heading_cues' must map label ids to lists of regular expressions")
    cues = {str(label_id): _texts(patterns) for label_id, patterns in section.items()}
    for label_id, pattern in ((label_id, p) for label_id, patterns in cues.items() for p in patterns):
        try:
            re.compile(pattern)
        except re.error as error:
            fail(f"heading cue {pattern!r} of label {label_id!r} is not a valid Python regex ({error}); fix it")
    return cues


def _label(entry: Any, position: int, heading_cues: dict[str, tuple[str, ...]], fail: _Fail) -> Label:
    if not isinstance(entry, dict):
        fail(f"label #{position} must be a mapping with {', '.join(REQUIRED_LABEL_FIELDS)}")
    for field in REQUIRED_LABEL_FIELDS:
        if not _texts(entry.get(field)):
            state = "empty" if field in entry else "missing"  # say which, so the fix is obvious
            fail(f"label {entry.get('id') or f'#{position}'!r}: field {field!r} is {state}; fill it in")
    label_id = str(entry["id"])
    if not LABEL_ID_PATTERN.match(label_id):
        fail(f"label id {label_id!r} must match ^[a-z][a-z0-9_]*$ (lower-case ASCII letters, digits, _)")
    return Label(
        id=label_id,
        name_zh=str(entry["name_zh"]),
        name_en=str(entry["name_en"]),
        definition=str(entry["definition"]).strip(),
        includes=_texts(entry.get("includes")),
        excludes=_texts(entry.get("excludes")),
        cues=_texts(entry["cues"]),
        heading_cues=heading_cues.get(label_id, ()),
    )


def _plan_area(entry: Any, ids: list[str], fail: _Fail) -> PlanArea:
    if not isinstance(entry, dict) or not all(entry.get(key) for key in ("plan", "area", "label")):
        fail(f"plan area {entry!r} needs plan, area and label")
    if str(entry["label"]) not in ids:
        fail(
            f"plan area {entry['area']!r} ({entry['plan']}) maps to unknown label {entry['label']!r}; "
            f"use one of {', '.join(ids)}"
        )
    return PlanArea(
        plan=str(entry["plan"]), area=str(entry["area"]), label=str(entry["label"]), note=str(entry.get("note") or "")
    )


def parse_tasks(section: Any, label_ids: list[str], fail: _Fail) -> tuple[Task, ...]:
    """Validate the optional ``tasks`` list: required fields, id pattern, unique ids, a known theme.

    Parameters
    ----------
    section : list of mapping or None
        The ``tasks`` value of the YAML file; ``None`` (no section) gives no tasks.
    label_ids : list of str
        The file's label ids, which every task's ``theme`` must name.
    fail : callable
        Raises the file's one-line `TaxonomyError`.
    """
    if section is None:
        return ()
    if not isinstance(section, list):
        fail("'tasks' must be a list of mappings with " + ", ".join(REQUIRED_TASK_FIELDS))
    tasks = tuple(_task(entry, i, label_ids, fail) for i, entry in enumerate(section, start=1))
    ids = [task.id for task in tasks]
    duplicated = sorted({i for i in ids if ids.count(i) > 1})
    if duplicated:
        fail(f"duplicated task id {', '.join(duplicated)}; every task id must be unique")
    return tasks


def _task(entry: Any, position: int, label_ids: list[str], fail: _Fail) -> Task:
    if not isinstance(entry, dict):
        fail(f"task #{position} must be a mapping with {', '.join(REQUIRED_TASK_FIELDS)}")
    name = entry.get("id") or f"#{position}"
    for field in REQUIRED_TASK_FIELDS:
        if not _texts(entry.get(field)):
            fail(f"task {name!r}: field {field!r} is {'empty' if field in entry else 'missing'}; fill it in")
    if not LABEL_ID_PATTERN.match(str(entry["id"])):
        fail(f"task id {entry['id']!r} must match ^[a-z][a-z0-9_]*$ (lower-case ASCII letters, digits, _)")
    if str(entry["theme"]) not in label_ids:
        fail(f"task {name!r} has unknown theme {entry['theme']!r}; use one of {', '.join(label_ids)}")
    return Task(
        id=str(entry["id"]),
        theme=str(entry["theme"]),
        name_zh=str(entry["name_zh"]),
        name_en=str(entry["name_en"]),
        definition=str(entry["definition"]).strip(),
        cues=_texts(entry["cues"]),
        plan_2021=str(entry.get("plan_2021") or ""),
        plan_2015=str(entry.get("plan_2015") or ""),
        unless=_texts(entry.get("unless")),
    )
