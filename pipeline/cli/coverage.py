"""``rolcov coverage``: classified tables in; profile, gaps, task tables, the corpus panel and the HTML out."""

from __future__ import annotations

import argparse
import logging
import sys
from dataclasses import replace
from pathlib import Path

from pipeline.cli.common import EXIT_FAILED, help_formatter, positive_int, print_failures
from pipeline.coverage.html_site import HANDFUL
from pipeline.coverage.profile import CoverageThresholds
from pipeline.coverage.run import PAGES, run_coverage
from pipeline.errors import MetadataError


def add_coverage_command(commands: argparse._SubParsersAction) -> None:
    defaults = CoverageThresholds()
    parser = commands.add_parser(
        "coverage",
        help="coverage profiles and gaps of classified reports, as tables and HTML pages",
        formatter_class=help_formatter,
        description=f"""\
Aggregate classified paragraph tables (from `rolcov classify`, or labelled by hand: columns report_id,
para_id, part, text, n_chars, labels[, p_<label>...]) into a coverage profile per report and theme, and
list the gaps: themes missing or thin, themes only in plans/problems, themes far below the reference
(the other reports in the run, or --reference), themes that appeared/disappeared for one issuer.

A theme is `missing` with 0 body paragraphs, `thin` with fewer than --min-paragraphs
({defaults.min_paragraphs}) or a character share below --min-share ({defaults.min_char_share}), else `covered`.

OUT receives profile.csv/.parquet and gaps.csv/.parquet, and, when the taxonomy lists the plan's tasks,
tasks.csv/.parquet (per report and task: concrete / general / plans_or_problems / absent, with the
paragraphs and matched cue terms) and task_gaps.csv/.parquet. For the corpus: panel.csv/.parquet/.dta
(one row per report: issuer, year, province, city, county, admin_code, level, each theme's share and
status, each task's status — for R, Stata, Excel), coverage_by_year_level.csv, coverage_by_province.csv,
task_prevalence_by_year.csv, task_prevalence_by_level.csv and below_peers.csv (reports far below the
others of the same level and year). coverage.xlsx holds every table as a sheet.

Province, city, county, 行政区划代码 and level are read from each report's issuer, title and opening with a
gazetteer; a name several places share, or one it does not know, stays empty (counted in the summary).
--metadata FILE (.csv/.xlsx/.parquet, a report_id or source column) adds your own variables and
overrides what was read; a file with unknown ids, repeated keys or clashing columns is refused, one
line per problem, and nothing is written.

--html FILE: with up to --handful ({HANDFUL}) reports, one self-contained page; with more, a folder (FILE
without .html) holding index.html — the corpus by level, province and year, reports far below their
peers, task prevalence, a filterable table of all reports — and one page per report. Offline.

examples:
  rolcov coverage out/paragraphs.csv -o out --html out/coverage.html
  rolcov coverage run/paragraphs.parquet -o out --metadata groups.xlsx --html out/site
  rolcov coverage county_2022.parquet --reference province_profile.csv -o out/county""",
    )
    parser.add_argument(
        "inputs", nargs="+", type=Path, metavar="CLASSIFIED", help="classified tables (.csv/.jsonl/.parquet/.xlsx)"
    )
    parser.add_argument("-o", "--output", type=Path, required=True, metavar="OUT", help="directory for the tables")
    parser.add_argument(
        "--html", type=Path, metavar="FILE", help="also write the HTML report (a page, or a site for a corpus)"
    )
    parser.add_argument("--reference", type=Path, metavar="REF", help="profile or classified table to compare against")
    parser.add_argument(
        "--metadata", type=Path, metavar="FILE", help="your report variables, keyed by report_id or source"
    )
    parser.add_argument(
        "--pages", choices=PAGES, default="auto", help="auto: one page up to --handful reports, else a site"
    )
    parser.add_argument(
        "--handful", type=positive_int, default=HANDFUL, metavar="N", help="most reports on a single page"
    )
    parser.add_argument(
        "--min-paragraphs", type=int, default=defaults.min_paragraphs, help="fewer body paragraphs = thin"
    )
    parser.add_argument(
        "--min-share", type=float, default=defaults.min_char_share, help="smaller character share = thin"
    )
    parser.set_defaults(handler=run_coverage_command)


class _Lines(logging.Handler):
    """The run's log as the command's output: errors on stderr (``error: …``), the summary on stdout."""

    def emit(self, record: logging.LogRecord) -> None:
        if record.levelno >= logging.ERROR:
            print(f"error: {record.getMessage()}", file=sys.stderr)
        elif record.levelno >= logging.INFO:
            print(record.getMessage())


def run_coverage_command(args: argparse.Namespace) -> int:
    thresholds = replace(CoverageThresholds(), min_paragraphs=args.min_paragraphs, min_char_share=args.min_share)
    logger, handler = logging.getLogger("rolcov"), _Lines()
    level = logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    try:
        code = run_coverage(
            args.inputs,
            args.output,
            html=args.html,
            reference=args.reference,
            thresholds=thresholds,
            metadata=args.metadata,
            pages=args.pages,
            handful=args.handful,
            progress=True,
        )
    except MetadataError as error:
        print_failures(error.problems)
        print(f"nothing written: fix {args.metadata} and run again", file=sys.stderr)
        return EXIT_FAILED
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)
    if code != EXIT_FAILED:
        print(f"wrote the coverage tables to {args.output}")
    return code
