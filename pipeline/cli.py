"""The ``rolcov`` command: argument parsing and composition of stage functions, nothing else.

Exit codes mean the same for every subcommand:

* 0 — everything succeeded;
* 1 — some inputs failed (each named on stderr) but the others were processed and written;
* 2 — the command line was wrong (argparse's convention);
* 3 — nothing could be done: no readable input, or a missing/corrupt model.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

import pandas as pd

from pipeline import __version__
from pipeline.coverage import CoverageThresholds
from pipeline.coverage_run import run_coverage
from pipeline.errors import RolcovError
from pipeline.segment import BODY_PARTS, PARTS, segment_files
from pipeline.tables import write_table

EXIT_OK, EXIT_PARTIAL, EXIT_USAGE, EXIT_FAILED = 0, 1, 2, 3

DESCRIPTION = """\
rolcov reads Chinese local-government rule-of-law reports (法治政府建设情况报告), splits them into
paragraphs, labels each paragraph with the themes of the rule-of-law framework and shows which themes a
report covers and where it has gaps.

examples:
  rolcov fetch-model                       download the pkuseg word-segmentation model once
  rolcov segment corpus/raw                summary of every report in a folder
  rolcov segment report.docx -o paras.csv  one row per paragraph, for Excel/WPS or pandas
"""


def _formatter(prog: str) -> argparse.HelpFormatter:
    return argparse.RawDescriptionHelpFormatter(prog, max_help_position=32)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="rolcov", description=DESCRIPTION, formatter_class=_formatter)
    parser.add_argument("--version", action="version", version=f"rolcov {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    _add_segment(commands)
    _add_coverage(commands)
    _add_fetch_model(commands)
    return parser


def _add_segment(commands: argparse._SubParsersAction) -> None:
    parser = commands.add_parser(
        "segment",
        help="split report files into paragraphs with heading paths and report parts",
        formatter_class=_formatter,
        description="""\
Split reports (.txt in UTF-8/GBK/Big5, .html, .docx, .pdf with a text layer) into paragraphs.
Web-page chrome, the title, signature and date are removed; a report printed twice is kept once.
Each paragraph gets its heading path (一、… > （一）…) and report part (preamble, achievements,
responsibility, problems, plans, closing).

Output columns: report_id, para_id, part, heading_path, text, n_chars, source, year, issuer, title.

examples:
  rolcov segment corpus/raw                     readable summary on stdout
  rolcov segment a.html b.docx -o paras.csv     CSV (UTF-8 with BOM, opens in Excel/WPS)
  rolcov segment corpus/raw --items -o p.jsonl  split 一是…二是… enumerations into items""",
    )
    parser.add_argument("paths", nargs="+", metavar="PATH", help="report files or folders (searched recursively)")
    parser.add_argument("-o", "--output", type=Path, help="write the table to .csv, .jsonl or .parquet")
    parser.add_argument("--items", action="store_true", help="split enumerations (一是…二是…, 1.…2.…) into items")
    parser.set_defaults(handler=run_segment)


def _add_coverage(commands: argparse._SubParsersAction) -> None:
    defaults = CoverageThresholds()
    parser = commands.add_parser(
        "coverage",
        help="coverage profiles and gaps of classified reports, as tables and an HTML page",
        formatter_class=_formatter,
        description=f"""\
Aggregate classified paragraph tables (from `rolcov classify`, or labelled by hand: columns report_id,
para_id, part, text, n_chars, labels[, p_<label>...]) into a coverage profile per report and theme, and
list the gaps: themes missing or thin, themes only in plans/problems, themes far below the reference
(the other reports in the run, or --reference), themes that appeared/disappeared for one issuer.

A theme is `missing` with 0 body paragraphs, `thin` with fewer than --min-paragraphs
({defaults.min_paragraphs}) or a character share below --min-share ({defaults.min_char_share}), else `covered`.

OUT receives profile.csv/.parquet and gaps.csv/.parquet.

examples:
  rolcov coverage out/paragraphs.csv -o out --html out/coverage.html
  rolcov coverage county_2022.parquet --reference province_profile.csv -o out/county""",
    )
    parser.add_argument("inputs", nargs="+", type=Path, metavar="CLASSIFIED", help="classified tables (.csv/.jsonl/.parquet)")
    parser.add_argument("-o", "--output", type=Path, required=True, metavar="OUT", help="directory for the profile and gap tables")
    parser.add_argument("--html", type=Path, metavar="FILE", help="also write a self-contained HTML report")
    parser.add_argument("--reference", type=Path, metavar="REF", help="profile or classified table to compare against")
    parser.add_argument("--min-paragraphs", type=int, default=defaults.min_paragraphs, help="fewer body paragraphs = thin")
    parser.add_argument("--min-share", type=float, default=defaults.min_char_share, help="smaller character share = thin")
    parser.set_defaults(handler=run_coverage_command)


def _add_fetch_model(commands: argparse._SubParsersAction) -> None:
    parser = commands.add_parser(
        "fetch-model",
        help="download and verify the pkuseg word-segmentation model (once)",
        formatter_class=_formatter,
        description="""\
Download the pkuseg "mixed" model (180 MB, inside the pkuseg==0.0.25 wheel on PyPI) into the cache
directory and verify its checksums. Set ROLCOV_PKUSEG_MODEL to use another directory or another pkuseg
model. The model's training data is licensed for research use.

example:
  rolcov fetch-model""",
    )
    parser.add_argument("--dir", type=Path, help="target directory (default: $ROLCOV_PKUSEG_MODEL or ~/.cache/rolcov/pkuseg-mixed)")
    parser.add_argument("--force", action="store_true", help="download again even if present")
    parser.set_defaults(handler=run_fetch_model)


def run_segment(args: argparse.Namespace) -> int:
    table, failures = segment_files(args.paths, split_items=args.items)
    for failure in failures:
        print(f"error: {failure}", file=sys.stderr)
    if table.empty:
        print("error: no paragraphs were produced; check the paths above", file=sys.stderr)
        return EXIT_FAILED
    if args.output:
        write_table(table, args.output)
        print(f"wrote {len(table)} paragraphs of {table.report_id.nunique()} reports to {args.output}")
    else:
        print(corpus_summary(table))
    return EXIT_PARTIAL if failures else EXIT_OK


def corpus_summary(table: pd.DataFrame) -> str:
    """One line per report: year, issuer, paragraph counts per part and share with a heading path."""
    counts = table.pivot_table(index="report_id", columns="part", values="para_id", aggfunc="count", fill_value=0)
    counts = counts.reindex(columns=list(PARTS), fill_value=0)
    meta = table.groupby("report_id").agg(year=("year", "first"), issuer=("issuer", "first"), chars=("n_chars", "sum"))
    body = table[table.part.isin(BODY_PARTS)]
    headed = body.heading_path.ne("").groupby(body.report_id).mean()
    summary = meta.join(counts).assign(paragraphs=counts.sum(axis=1), headed=headed.reindex(meta.index).fillna(0))
    summary["headed"] = (summary.headed * 100).round().astype(int).astype(str) + "%"
    summary["year"] = summary.year.astype("string").fillna("?")
    summary["issuer"] = summary.issuer.replace("", "?")
    columns = ["year", "issuer", "paragraphs", *PARTS, "chars", "headed"]
    total = f"{len(summary)} reports, {len(table)} paragraphs, {int(table.n_chars.sum())} characters"
    return summary[columns].to_string() + "\n" + total


def run_coverage_command(args: argparse.Namespace) -> int:
    thresholds = replace(CoverageThresholds(), min_paragraphs=args.min_paragraphs, min_char_share=args.min_share)
    code = run_coverage(args.inputs, args.output, html=args.html, reference=args.reference, thresholds=thresholds)
    print(f"wrote profile and gaps tables to {args.output}" + (f" and the report to {args.html}" if args.html else ""))
    return code


def run_fetch_model(args: argparse.Namespace) -> int:
    from pipeline.tokenize import fetch_pkuseg_model

    directory = fetch_pkuseg_model(args.dir, force=args.force)
    print(f"pkuseg model ready in {directory}")
    return EXIT_OK


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``rolcov`` console script."""
    args = build_parser().parse_args(argv)
    try:
        return args.handler(args)
    except RolcovError as error:
        print(f"error: {error}", file=sys.stderr)
        return EXIT_FAILED


if __name__ == "__main__":
    sys.exit(main())
