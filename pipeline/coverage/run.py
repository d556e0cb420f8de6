"""Compose the coverage stages for the command line: read tables, profile, find gaps, write outputs.

``rolcov coverage CLASSIFIED... -o OUT [--html FILE] [--reference REF] [--metadata FILE]`` calls
:func:`run_coverage`; from Python each step is one call (docs/inspect.md).

Its return value is the process's exit status, as for every ``rolcov`` subcommand:

* 0 (:data:`EXIT_OK`) — every input was read and every table written;
* 1 (:data:`EXIT_PARTIAL`) — some inputs could not be used (each logged as an error line naming the file);
  the tables and pages of the others were written;
* 3 (:data:`EXIT_FAILED`) — nothing was written: no input could be used.

A ``--metadata`` file with problems raises :class:`~pipeline.errors.MetadataError` before anything is written
(the command prints each problem and exits 3). Failures and the run's summary (reports, places resolved or
left empty, where the pages are) go to the ``rolcov`` logger, which the command line prints.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path

import pandas as pd

from pipeline.coverage.corpus import (
    below_peers,
    corpus_panel,
    coverage_by,
    required_by,
    task_prevalence,
    with_required_contents,
)
from pipeline.coverage.gaps import coverage_gaps
from pipeline.coverage.html import render_coverage_html
from pipeline.coverage.html_site import HANDFUL, render_coverage_site
from pipeline.coverage.profile import CoverageThresholds, coverage_profile, label_indicators, theme_ids, validate_table
from pipeline.coverage.requirements import required_contents
from pipeline.coverage.task_coverage import tag_paragraphs, task_coverage, task_gaps
from pipeline.coverage.user_metadata import join_metadata, read_metadata
from pipeline.errors import InputError
from pipeline.io.tables import read_table, write_table, write_workbook
from pipeline.taxonomy import load_taxonomy
from pipeline.text.places import place_summary

EXIT_OK, EXIT_PARTIAL, EXIT_FAILED = 0, 1, 3
#: ``coverage.xlsx`` holds every table written as a sheet, for readers who work in Excel/WPS.
OUTPUT_FILES = (
    "profile.csv",
    "profile.parquet",
    "gaps.csv",
    "gaps.parquet",
    "required.csv",
    "required.parquet",
    "coverage.xlsx",
)
#: Written beside :data:`OUTPUT_FILES` when the taxonomy defines tasks (:mod:`pipeline.coverage.task_coverage`).
TASK_OUTPUT_FILES = ("tasks.csv", "tasks.parquet", "task_gaps.csv", "task_gaps.parquet")
#: The corpus tables (:mod:`pipeline.coverage.corpus`): the panel for R, Stata and Excel, and grouped summaries.
CORPUS_OUTPUT_FILES = (
    "panel.csv",
    "panel.parquet",
    "panel.dta",
    "coverage_by_year_level.csv",
    "coverage_by_province.csv",
    "below_peers.csv",
    "required_by_year_level.csv",
)
#: Written when the taxonomy defines tasks.
CORPUS_TASK_OUTPUT_FILES = ("task_prevalence_by_year.csv", "task_prevalence_by_level.csv")
#: How the HTML is laid out: ``auto`` = one page for up to ``handful`` reports, else the site.
PAGES = ("auto", "single", "site")
_LOG = logging.getLogger("rolcov")


def run_coverage(
    inputs: Sequence[Path],
    out: Path,
    html: Path | None = None,
    reference: Path | None = None,
    thresholds: CoverageThresholds = CoverageThresholds(),
    metadata: Path | None = None,
    pages: str = "auto",
    handful: int = HANDFUL,
    progress: bool = False,
) -> int:
    """Profile the classified tables ``inputs`` and write coverage tables (and pages) to the directory ``out``.

    Parameters
    ----------
    inputs : sequence of Path
        Classified paragraph tables (``.csv``/``.jsonl``/``.parquet``/``.xlsx``), read and checked one by one;
        one that cannot be used (unreadable, breaks the table contract, repeats a report of an earlier input)
        is logged and left out, the others make the run.
    out : Path
        Directory receiving :data:`OUTPUT_FILES`, :data:`CORPUS_OUTPUT_FILES` (and the task tables when the
        taxonomy has tasks); created if missing.
    html : Path, optional
        The coverage report: with up to ``handful`` reports (or ``pages="single"``) one self-contained page at
        ``html``; else (or ``pages="site"``) a folder — ``html`` without its ``.html`` suffix — holding
        ``index.html`` and ``reports/*.html``.
    reference : Path, optional
        A profile table written by an earlier run (``profile.csv``/``.parquet``) or a classified paragraph
        table, whose reports are the reference for ``below_reference`` gaps. Default: leave-one-out.
    thresholds : CoverageThresholds
        Coverage and reference limits.
    metadata : Path, optional
        The user's report variables (:mod:`pipeline.coverage.user_metadata`), joined to the panel.
    pages : {"auto", "single", "site"}
        See ``html``.
    handful : int
        The most reports drawn on one page when ``pages="auto"``.
    progress : bool
        Show a progress bar while the site's report pages are written.

    Returns
    -------
    int
        :data:`EXIT_OK`, :data:`EXIT_PARTIAL` or :data:`EXIT_FAILED` (see the module docstring).

    Raises
    ------
    MetadataError
        If ``metadata`` does not join (one problem per line); nothing is written.
    """
    table, failures = _combined_table(inputs)
    for failure in failures:
        _LOG.error("%s", failure)
    if table is None:
        return EXIT_FAILED
    profile = coverage_profile(table, thresholds=thresholds)
    ref = None if reference is None else _reference_profile(reference, thresholds)
    required = required_contents(table)
    tables = {
        "profile": profile,
        "gaps": coverage_gaps(profile, reference=ref, thresholds=thresholds),
        "required": required,
    }
    tasks = None
    if load_taxonomy().tasks:
        table = tag_paragraphs(table)
        tasks = task_coverage(table)
        tables.update(tasks=tasks, task_gaps=task_gaps(tasks))
    panel = with_required_contents(corpus_panel(table, profile, tasks), required)
    if metadata is not None:
        panel = join_metadata(panel, read_metadata(metadata), metadata)
    corpus = corpus_tables(panel, thresholds)
    _write_tables(Path(out), tables, panel, corpus, long_sheets=len(panel) <= handful)
    _LOG.info("%d reports; %s", len(panel), place_summary(panel))
    if html is not None:
        _write_pages(Path(html), table, tables, panel, tasks, thresholds, pages, handful, progress)
    return EXIT_PARTIAL if failures else EXIT_OK


def corpus_tables(
    panel: pd.DataFrame, thresholds: CoverageThresholds = CoverageThresholds()
) -> dict[str, pd.DataFrame]:
    """The grouped summaries of :data:`CORPUS_OUTPUT_FILES` (and the task ones), by file stem."""
    tables = {
        "coverage_by_year_level": coverage_by(panel, ["year", "level"]),
        "coverage_by_province": coverage_by(panel, ["province"]),
        "below_peers": below_peers(panel, thresholds=thresholds),
        "required_by_year_level": required_by(panel, ["year", "level"]),
    }
    if any(str(c).startswith("task_") for c in panel.columns):
        tables.update(
            task_prevalence_by_year=task_prevalence(panel, ["year"]),
            task_prevalence_by_level=task_prevalence(panel, ["level"]),
        )
    return tables


def _write_tables(
    out: Path, tables: dict[str, pd.DataFrame], panel: pd.DataFrame, corpus: dict[str, pd.DataFrame], long_sheets: bool
) -> None:
    """Every table as .csv and .parquet (the panel also .dta); ``coverage.xlsx`` holds the panel and summaries,
    and the long tables too for a handful of reports (for a corpus they are slow to write and may not fit a sheet)."""
    for name, frame in tables.items():
        write_table(frame, out / f"{name}.csv")
        write_table(frame, out / f"{name}.parquet")
    for suffix in (".csv", ".parquet", ".dta"):
        write_table(panel, out / f"panel{suffix}")
    for name, frame in corpus.items():
        write_table(frame, out / f"{name}.csv")
    write_workbook({**(tables if long_sheets else {}), "panel": panel, **corpus}, out / "coverage.xlsx")


def _write_pages(
    html: Path,
    table: pd.DataFrame,
    tables: dict[str, pd.DataFrame],
    panel: pd.DataFrame,
    tasks: pd.DataFrame | None,
    thresholds: CoverageThresholds,
    pages: str,
    handful: int,
    progress: bool,
) -> None:
    if pages not in PAGES:
        raise ValueError(f"pages must be one of {', '.join(PAGES)}, not {pages!r}")
    if pages == "single" or (pages == "auto" and len(panel) <= handful):
        render_coverage_html(table, tables["profile"], tables["gaps"], html, tasks=tasks, required=tables["required"])
        _LOG.info("the report: %s", html)
        return
    folder = html.with_suffix("") if html.suffix.lower() in (".html", ".htm") else html
    index = render_coverage_site(
        table,
        tables["profile"],
        tables["gaps"],
        panel,
        folder,
        tasks=tasks,
        required=tables["required"],
        thresholds=thresholds,
        progress=progress,
    )
    _LOG.info("the coverage site (%d report pages): %s", len(panel), index)


def _combined_table(inputs: Sequence[Path]) -> tuple[pd.DataFrame | None, list[str]]:
    """The inputs that can be used, as one table, and one line per input that cannot."""
    if not inputs:
        return None, ["no classified table given; pass one or more .csv/.jsonl/.parquet/.xlsx files."]
    tables, seen, failures = [], {}, []
    for path in inputs:
        try:
            table = validate_table(read_table(path), origin=str(path))
            label_indicators(table, theme_ids(table), origin=str(path))  # so an unknown label names its file and row
            repeated = next((r for r in table["report_id"].unique() if r in seen), None)
            if repeated is not None:
                raise InputError(
                    f"{path}: report {repeated!r} is also in {seen[repeated]}; "
                    "give each report's paragraphs in one file only."
                )
        except InputError as error:
            failures.append(str(error))
            continue
        seen.update({report_id: path for report_id in table["report_id"].unique()})
        tables.append(table)
    return (pd.concat(tables, ignore_index=True) if tables else None), failures


def _reference_profile(path: Path, thresholds: CoverageThresholds) -> pd.DataFrame:
    """Accept either a saved profile or a classified table as the reference, told apart by their columns."""
    table = read_table(path)
    if {"theme", "part", "char_share"}.issubset(table.columns):
        return table
    return coverage_profile(validate_table(table, origin=str(path)), thresholds=thresholds)
