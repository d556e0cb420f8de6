"""``rolcov coverage``: classified tables in, profile, gaps, task tables and the HTML report out."""

from __future__ import annotations

import argparse
from dataclasses import replace
from pathlib import Path

from pipeline.cli.common import help_formatter
from pipeline.coverage.profile import CoverageThresholds
from pipeline.coverage.run import run_coverage


def add_coverage_command(commands: argparse._SubParsersAction) -> None:
    defaults = CoverageThresholds()
    parser = commands.add_parser(
        "coverage",
        help="coverage profiles and gaps of classified reports, as tables and an HTML page",
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
paragraphs and matched cue terms) and task_gaps.csv/.parquet; coverage.xlsx holds every one of these
tables as a sheet, for Excel/WPS.

examples:
  rolcov coverage out/paragraphs.csv -o out --html out/coverage.html
  rolcov coverage county_2022.parquet --reference province_profile.csv -o out/county""",
    )
    parser.add_argument("inputs", nargs="+", type=Path, metavar="CLASSIFIED", help="classified tables (.csv/.jsonl/.parquet/.xlsx)")
    parser.add_argument("-o", "--output", type=Path, required=True, metavar="OUT", help="directory for the profile and gap tables")
    parser.add_argument("--html", type=Path, metavar="FILE", help="also write a self-contained HTML report")
    parser.add_argument("--reference", type=Path, metavar="REF", help="profile or classified table to compare against")
    parser.add_argument("--min-paragraphs", type=int, default=defaults.min_paragraphs, help="fewer body paragraphs = thin")
    parser.add_argument("--min-share", type=float, default=defaults.min_char_share, help="smaller character share = thin")
    parser.set_defaults(handler=run_coverage_command)


def run_coverage_command(args: argparse.Namespace) -> int:
    thresholds = replace(CoverageThresholds(), min_paragraphs=args.min_paragraphs, min_char_share=args.min_share)
    code = run_coverage(args.inputs, args.output, html=args.html, reference=args.reference, thresholds=thresholds)
    print(f"wrote profile and gaps tables to {args.output}" + (f" and the report to {args.html}" if args.html else ""))
    return code
