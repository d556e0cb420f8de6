"""The table schema, in one place: column names, report parts, the labels cell and the id rules.

Every stage reads and writes the same few tables; their column names, the parts a paragraph can belong to,
how a ``labels`` cell is spelled and how reports and paragraphs are named live here so that a change is made
once and every stage (all import this module, none defines its own) follows it.

Ids — annotation files, batch parts and every table join on these, so they must not depend on where a run
was started or on what else was in it, except when two inputs would otherwise get the same name:

* ``report_id`` is the file name without extension (``000_751c6dcf84680b70``). Files with the same name in
  one run (``2019/report.txt`` and ``2020/report.txt``, or ``report.txt`` beside ``report.docx``) get
  ``<name>~<8 hex digits>``, a hash of their path below the folder they share: distinct, and unchanged
  when that folder is moved or the run is started from elsewhere.
* ``para_id`` is ``<report_id>:<index>`` (``:0005``); an enumeration item appends ``.<number>``
  (``:0005.2``). Only the part after the last ``:`` says which is which, so a dot in a file name
  (``report.v2.txt`` → ``report.v2``) never makes a paragraph look like an item.
"""

from __future__ import annotations

import hashlib
import os
from collections import defaultdict
from collections.abc import Iterable, Sequence
from pathlib import Path

import numpy as np
import pandas as pd

#: Report parts in reading order; the body parts are those a coverage profile counts.
PARTS = ("preamble", "achievements", "responsibility", "problems", "plans", "closing")
BODY_PARTS = ("achievements", "responsibility", "problems", "plans")
#: Parts of a coverage profile: ``all`` (the whole body) and each body part.
PROFILE_PARTS = ("all", *BODY_PARTS)

#: The paragraph table segmentation writes and every later stage reads.
FRAME_COLUMNS = (
    "report_id",
    "para_id",
    "part",
    "heading_path",
    "lead",
    "text",
    "n_chars",
    "source",
    "year",
    "issuer",
    "title",
    "published",
    "year_source",
    "issuer_source",
    "published_source",
    "ocr_confidence",
)
#: Joins the headings of a paragraph's ``heading_path`` cell, outermost first.
HEADING_SEPARATOR = " > "

#: An annotation file: the required columns, and all of them as written (``heading_path`` is optional on read).
ANNOTATION_REQUIRED_COLUMNS = ("report_id", "para_id", "text", "labels", "primary", "part", "annotator", "source")
ANNOTATION_FILE_COLUMNS = (*ANNOTATION_REQUIRED_COLUMNS, "heading_path")

#: What coverage needs of a classified table (the paragraph table plus ``labels``, ``primary``, ``p_<label>``).
CLASSIFIED_REQUIRED_COLUMNS = ("report_id", "para_id", "part", "text", "n_chars", "labels")
#: Prefix of the per-label probability columns of a classified table (``p_enforcement``).
PROB_PREFIX = "p_"

#: Columns that are identifiers or free text, never numbers, in every rolcov table.
TEXT_COLUMNS = (
    "report_id",
    "para_id",
    "part",
    "heading_path",
    "lead",
    "text",
    "source",
    "issuer",
    "title",
    "labels",
    "primary",
    "theme",
    "kind",
    "detail",
    "status",
    "name_zh",
    "annotator",
    "published",
    "year_source",
    "issuer_source",
    "published_source",
)

#: Columns carried normalized (NFKC + simplified, pinyin glosses dropped) once a table reaches the model, so
#: that no feature block normalizes them again; the normalized copy of ``text`` is ``text_norm``.
NORMALIZED_COLUMNS = ("text", "heading_path")
NORMALIZED_SUFFIX = "_norm"

#: Separates label ids in a ``labels`` cell (``enforcement;oversight``).
LABEL_SEPARATOR = ";"

_DISAMBIGUATION = "~"


def split_labels(cell: object) -> list[str]:
    """Label ids of a ``labels`` cell: ``a;b`` text, or a list as JSON Lines and Parquet may hold it; blanks
    dropped, spaces around each id stripped, empty for a missing cell (``None``/NaN)."""
    if isinstance(cell, (list, tuple, np.ndarray)):
        return [str(label).strip() for label in cell if str(label).strip()]
    if not isinstance(cell, str):
        return []
    return [part.strip() for part in cell.split(LABEL_SEPARATOR) if part.strip()]


def split_heading_path(cell: object) -> list[str]:
    """The headings of a ``heading_path`` cell, outermost first: a ``" > "``-joined string, or a list as
    Parquet/JSON may hold it; blanks dropped, empty for a missing cell."""
    if isinstance(cell, str):
        return [heading.strip() for heading in cell.split(HEADING_SEPARATOR) if heading.strip()]
    if isinstance(cell, (list, tuple, np.ndarray)):
        return [str(heading).strip() for heading in cell if str(heading).strip()]
    return []


def join_labels(labels: Iterable[object]) -> str:
    """The ``labels`` cell for a sequence of ids (``a;b``, empty for none)."""
    return LABEL_SEPARATOR.join(str(label) for label in labels)


def report_ids(files: Sequence[Path]) -> dict[Path, str]:
    """The ``report_id`` of every file of a run: its stem, disambiguated where stems repeat.

    Parameters
    ----------
    files : sequence of Path
        The report files of one run (as found by :func:`pipeline.io.ingest.find_report_files`).

    Returns
    -------
    dict of Path to str
        One id per file; the same file given twice gets the same id.
    """
    by_stem: dict[str, list[Path]] = defaultdict(list)
    for path in dict.fromkeys(files):
        by_stem[path.stem].append(path)
    ids = {}
    for stem, paths in by_stem.items():
        if len(paths) == 1:
            ids[paths[0]] = stem
            continue
        absolute = [os.path.abspath(path) for path in paths]
        shared = os.path.commonpath([os.path.dirname(path) for path in absolute])
        for path, full in zip(paths, absolute):
            below = Path(os.path.relpath(full, shared)).as_posix()
            ids[path] = f"{stem}{_DISAMBIGUATION}{hashlib.sha256(below.encode()).hexdigest()[:8]}"
    return ids


def paragraph_id(report_id: str, index: int) -> str:
    """``<report_id>:<index>``, the index zero-padded so ids sort in reading order."""
    return f"{report_id}:{index:04d}"


def item_id(para_id: str, number: int) -> str:
    """The id of item ``number`` (from 1) of the enumerating paragraph ``para_id``."""
    return f"{para_id}.{number}"


def is_item(para_ids: pd.Series) -> pd.Series:
    """True where a ``para_id`` names an enumeration item: a ``.`` in the index after the last ``:``."""
    return para_ids.astype(str).str.rpartition(":")[2].str.contains(".", regex=False)


def renamed_para_ids(para_ids: pd.Series, old_report_id: str, new_report_id: str) -> pd.Series:
    """The same paragraphs under another report id (a part made from an identical file of another name)."""
    return new_report_id + para_ids.str[len(old_report_id) :]
