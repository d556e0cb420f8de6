"""Compose the coverage stages for the command line: read tables, profile, find gaps, write outputs.

``rolcov coverage CLASSIFIED... -o OUT [--html FILE] [--reference REF]`` calls :func:`run_coverage`; the
same steps are four function calls from Python (see the STYLE guide).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pandas as pd

from pipeline.coverage.profile import CoverageThresholds, coverage_profile, label_indicators, theme_ids, validate_table
from pipeline.errors import InputError
from pipeline.coverage.gaps import coverage_gaps
from pipeline.coverage.html import render_coverage_html
from pipeline.io.tables import read_table, write_table, write_workbook
from pipeline.coverage.task_coverage import tag_paragraphs, task_coverage, task_gaps
from pipeline.taxonomy import load_taxonomy

#: ``coverage.xlsx`` holds every table written as a sheet, for readers who work in Excel/WPS.
OUTPUT_FILES = ("profile.csv", "profile.parquet", "gaps.csv", "gaps.parquet", "coverage.xlsx")
#: Written beside :data:`OUTPUT_FILES` when the taxonomy defines tasks (:mod:`pipeline.coverage.task_coverage`).
TASK_OUTPUT_FILES = ("tasks.csv", "tasks.parquet", "task_gaps.csv", "task_gaps.parquet")


def run_coverage(
    inputs: Sequence[Path],
    out: Path,
    html: Path | None = None,
    reference: Path | None = None,
    thresholds: CoverageThresholds = CoverageThresholds(),
) -> int:
    """Profile the classified tables ``inputs`` and write profile and gaps tables to the directory ``out``.

    Parameters
    ----------
    inputs : sequence of Path
        Classified paragraph tables (``.csv``/``.jsonl``/``.parquet``/``.xlsx``), read and checked one by one so an error
        names its file, then combined into one run (each report must come from a single file).
    out : Path
        Directory receiving :data:`OUTPUT_FILES` (and :data:`TASK_OUTPUT_FILES` when the taxonomy has
        tasks); created if missing.
    html : Path, optional
        Where to write the self-contained HTML report.
    reference : Path, optional
        A profile table written by an earlier run (``profile.csv``/``.parquet``) or a classified paragraph
        table, whose reports are the reference for ``below_reference`` gaps. Default: leave-one-out.
    thresholds : CoverageThresholds
        Coverage and reference limits.

    Returns
    -------
    int
        Process exit status: 0.

    Raises
    ------
    InputError
        If an input cannot be read, breaks the table contract, or repeats a report of another input.
    """
    table = _combined_table(inputs)
    profile = coverage_profile(table, thresholds=thresholds)
    ref = None if reference is None else _reference_profile(reference, thresholds)
    gaps = coverage_gaps(profile, reference=ref, thresholds=thresholds)
    tables, tasks = {"profile": profile, "gaps": gaps}, None
    if load_taxonomy().tasks:
        table = tag_paragraphs(table)
        tasks = task_coverage(table)
        tables.update(tasks=tasks, task_gaps=task_gaps(tasks))
    out = Path(out)
    for name, frame in tables.items():
        write_table(frame, out / f"{name}.csv")
        write_table(frame, out / f"{name}.parquet")
    write_workbook(tables, out / "coverage.xlsx")
    if html is not None:
        render_coverage_html(table, profile, gaps, html, tasks=tasks)
    return 0


def _combined_table(inputs: Sequence[Path]) -> pd.DataFrame:
    if not inputs:
        raise InputError("no classified table given; pass one or more .csv/.jsonl/.parquet/.xlsx files.")
    tables, seen = [], {}
    for path in inputs:
        table = validate_table(read_table(path), origin=str(path))
        label_indicators(table, theme_ids(table), origin=str(path))  # so an unknown label names its file and row
        for report_id in table["report_id"].unique():
            if report_id in seen:
                raise InputError(f"{path}: report {report_id!r} is also in {seen[report_id]}; "
                                 "give each report's paragraphs in one file only.")
            seen[report_id] = path
        tables.append(table)
    return pd.concat(tables, ignore_index=True)


def _reference_profile(path: Path, thresholds: CoverageThresholds) -> pd.DataFrame:
    """Accept either a saved profile or a classified table as the reference, told apart by their columns."""
    table = read_table(path)
    if {"theme", "part", "char_share"}.issubset(table.columns):
        return table
    return coverage_profile(validate_table(table, origin=str(path)), thresholds=thresholds)
