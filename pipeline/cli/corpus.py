"""``rolcov segment``, ``validate``, ``bootstrap``, ``agreement``, ``export`` and ``import``: the commands
that read report files into paragraphs and move annotation files between formats and tools."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import pandas as pd

from pipeline.annotate.annotations import read_annotations, validate_annotations
from pipeline.annotate.labelstudio import (
    annotations_to_tasks, labeling_config, read_tasks, tasks_to_annotations, write_tasks,
)
from pipeline.cli.common import (
    EXIT_FAILED, EXIT_OK, EXIT_PARTIAL, dropped_note, help_formatter, positive_int, print_failures,
)
from pipeline.io.convert import ConvertOptions
from pipeline.io.tables import write_table
from pipeline.taxonomy import load_taxonomy
from pipeline.schema import BODY_PARTS, PARTS
from pipeline.text.segment import annotation_frame, map_reports, segment_files


def add_corpus_commands(commands: argparse._SubParsersAction) -> None:
    """Register the report- and annotation-file commands."""
    for add in (_add_segment, _add_validate, _add_bootstrap, _add_agreement, _add_export, _add_import):
        add(commands)


def _add_segment(commands: argparse._SubParsersAction) -> None:
    parser = commands.add_parser(
        "segment",
        help="split report files into paragraphs with heading paths and report parts",
        formatter_class=help_formatter,
        description="""\
Split reports (.txt in UTF-8/GBK/Big5, .html, .docx, .pdf; .doc/.wps/.rtf through LibreOffice; scanned PDFs
and page images .png/.jpg/.tif through OCR) into paragraphs.
Web-page chrome, the title, signature and date are removed; a report printed twice is kept once.
Each paragraph gets its heading path (一、… > （一）…) and report part (preamble, achievements,
responsibility, problems, plans, closing).

Output columns: report_id, para_id, part, heading_path, text, n_chars, source, year, issuer, title,
published (YYYY-MM-DD), year_source, issuer_source, published_source (title, opening, signature, page,
published: where each was read; empty when the report does not say); ocr_confidence (scans only).

examples:
  rolcov segment corpus/raw                     readable summary on stdout
  rolcov segment a.html b.docx -o paras.csv     CSV (UTF-8 with BOM, opens in Excel/WPS)
  rolcov segment corpus/raw --items -o p.jsonl  split 一是…二是… enumerations into items""",
    )
    parser.add_argument("paths", nargs="+", metavar="PATH", help="report files or folders (searched recursively)")
    parser.add_argument("-o", "--output", type=Path, help="write the table to .csv, .jsonl, .parquet or .xlsx")
    parser.add_argument("--items", action="store_true", help="split enumerations (一是…二是…, 1.…2.…) into items")
    parser.add_argument("--shared-lines", type=positive_int, metavar="N",
                        help="also drop lines found word for word in N or more of the given reports (site templates)")
    parser.add_argument("--cache", type=Path, metavar="DIR",
                        help="keep the text of converted and OCR'd files in DIR, so no file is converted twice")
    parser.set_defaults(handler=run_segment)


def _add_validate(commands: argparse._SubParsersAction) -> None:
    parser = commands.add_parser(
        "validate",
        help="check annotation files: label ids, primary, duplicates, separators, encoding, text drift",
        formatter_class=help_formatter,
        description="""\
Check annotation files (corpus/codebook.md §9) and print every problem as
file:line: what is wrong; what to do. Each paragraph's text is compared with its report as segmented
now (reports found as <raw>/<report_id>.*), so a segmentation change that moved text is caught.
Exit code 0: clean; 3: problems found (training would refuse the file with the same messages).

examples:
  rolcov validate corpus/annotations.csv               reports from corpus/raw next to it
  rolcov validate zhang.csv li.csv --raw reports/      reports from another folder""",
    )
    parser.add_argument("paths", nargs="+", metavar="ANNOTATIONS", help=".csv, .jsonl, .parquet or .xlsx annotation files")
    parser.add_argument("--raw", type=Path, help="folder with the reports (default: corpus/raw next to the file)")
    parser.set_defaults(handler=run_validate)


def _add_bootstrap(commands: argparse._SubParsersAction) -> None:
    parser = commands.add_parser(
        "bootstrap",
        help="silver labels for every paragraph from its headings (taxonomy heading_cues)",
        formatter_class=help_formatter,
        description="""\
Segment reports and label each paragraph with the themes its deepest heading names (the taxonomy's
heading_cues), written in the annotation format with source=silver, annotator=heading_cues@<version>.
Paragraphs without a matching heading get no label.

examples:
  rolcov bootstrap corpus/raw -o silver.csv           one row per paragraph
  rolcov bootstrap corpus/raw --items -o silver.csv   also one row per enumeration item""",
    )
    parser.add_argument("paths", nargs="+", metavar="PATH", help="report files or folders (searched recursively)")
    parser.add_argument("-o", "--output", type=Path, required=True, help="annotation file (.csv/.jsonl/.parquet/.xlsx)")
    parser.add_argument("--items", action="store_true", help="add enumeration items (para_id.n) after their paragraph")
    parser.set_defaults(handler=run_bootstrap)


def _add_agreement(commands: argparse._SubParsersAction) -> None:
    parser = commands.add_parser(
        "agreement",
        help="per-label agreement (precision, recall, Cohen's kappa) of silver labels with gold",
        formatter_class=help_formatter,
        description="""\
Compare two annotation files on the paragraphs both contain (same report_id and para_id): positives on
each side, precision and recall of SILVER against GOLD, percent agreement and Cohen's kappa per label,
plus an overall (micro) row.

examples:
  rolcov agreement corpus/annotations.csv silver.csv
  rolcov agreement corpus/annotations.csv silver.csv -o agreement.csv""",
    )
    parser.add_argument("gold", type=Path, metavar="GOLD", help="reference annotation file")
    parser.add_argument("silver", type=Path, metavar="SILVER", help="annotation file to measure")
    parser.add_argument("-o", "--output", type=Path, help="also write the table (.csv/.jsonl/.parquet/.xlsx)")
    parser.set_defaults(handler=run_agreement)


def _add_export(commands: argparse._SubParsersAction) -> None:
    parser = commands.add_parser(
        "export",
        help="write annotations as Label Studio tasks plus the project's labeling config",
        formatter_class=help_formatter,
        description="""\
Write one Label Studio task per paragraph: gold rows as annotations, silver/model rows as predictions
(pre-annotations). The labeling config for the project is written next to the tasks
(tasks.json -> tasks.config.xml): paste it under Settings > Labeling Interface > Code, then import the tasks.

example:
  rolcov export silver.csv --format label-studio -o tasks.json""",
    )
    parser.add_argument("path", type=Path, metavar="ANNOTATIONS", help="annotation file")
    parser.add_argument("--format", choices=["label-studio"], default="label-studio", help="task format")
    parser.add_argument("-o", "--output", type=Path, required=True, help="tasks JSON to write")
    parser.set_defaults(handler=run_export)


def _add_import(commands: argparse._SubParsersAction) -> None:
    parser = commands.add_parser(
        "import",
        help="turn a Label Studio JSON export into an annotation file",
        formatter_class=help_formatter,
        description="""\
Read a Label Studio JSON export and write the annotation format (source=gold). Per task the latest
annotation counts; skipped (cancelled) annotations and tasks with predictions only are left out. Primary
is the 'primary' choice, or the first 'labels' choice when the annotator left it empty.

example:
  rolcov import project-1-export.json -o zhang.csv --annotator zhang""",
    )
    parser.add_argument("path", type=Path, metavar="TASKS", help="Label Studio JSON export")
    parser.add_argument("-o", "--output", type=Path, required=True, help="annotation file to write")
    parser.add_argument("--annotator", help="annotator name to record (default: Label Studio's completed_by)")
    parser.set_defaults(handler=run_import)


def run_segment(args: argparse.Namespace) -> int:
    table, failures = segment_files(args.paths, split_items=args.items, shared_lines=args.shared_lines or 0,
                                    convert=ConvertOptions(cache_dir=args.cache))
    print_failures(failures)
    if table.empty:
        print("error: no paragraphs were produced; check the paths above", file=sys.stderr)
        return EXIT_FAILED
    if args.output:
        write_table(table, args.output)
        print(f"wrote {len(table)} paragraphs of {table.report_id.nunique()} reports to {args.output}{dropped_note()}")
    else:
        print(corpus_summary(table) + dropped_note())
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


def run_validate(args: argparse.Namespace) -> int:
    problems = [p for path in args.paths for p in validate_annotations(path, raw_dir=args.raw)]
    for problem in problems:
        print(problem)
    print(f"{len(problems)} problem(s) in {len(args.paths)} file(s)", file=sys.stderr)
    return EXIT_FAILED if problems else EXIT_OK


def run_bootstrap(args: argparse.Namespace) -> int:
    from pipeline.annotate.silver import silver_labels  # scikit-learn takes a second to import

    if args.items:
        frames, failures = map_reports(args.paths, annotation_frame)
        table = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()
    else:
        table, failures = segment_files(args.paths)
    print_failures(failures)
    if table.empty:
        print("error: no paragraphs were produced; check the paths above", file=sys.stderr)
        return EXIT_FAILED
    silver = silver_labels(table, load_taxonomy())
    write_table(silver, args.output)
    print(f"wrote {len(silver)} silver rows ({(silver.labels != '').sum()} labelled) to {args.output}")
    return EXIT_PARTIAL if failures else EXIT_OK


def run_agreement(args: argparse.Namespace) -> int:
    from pipeline.annotate.silver import agreement  # scikit-learn takes a second to import

    taxonomy = load_taxonomy()
    gold, silver = read_annotations(args.gold, taxonomy), read_annotations(args.silver, taxonomy)
    table = agreement(gold, silver, taxonomy.ids)
    print(table.to_string(index=False, float_format="{:.3f}".format, na_rep="-"))
    print(f"matched {table.n.iloc[-1]} of {len(gold)} rows of {args.gold} on (report_id, para_id)")
    if args.output:
        write_table(table, args.output)
    return EXIT_OK


def run_export(args: argparse.Namespace) -> int:
    taxonomy = load_taxonomy()
    tasks = annotations_to_tasks(read_annotations(args.path, taxonomy))
    tasks_path, config_path = write_tasks(tasks, labeling_config(taxonomy), args.output)
    print(f"wrote {len(tasks)} tasks to {tasks_path} and the labeling config to {config_path}")
    return EXIT_OK


def run_import(args: argparse.Namespace) -> int:
    frame = tasks_to_annotations(read_tasks(args.path), args.path, load_taxonomy(), args.annotator)
    if frame.empty:
        print(f"error: {args.path}: no task has a submitted annotation; label some tasks first", file=sys.stderr)
        return EXIT_FAILED
    write_table(frame, args.output)
    print(f"wrote {len(frame)} annotations to {args.output}")
    return EXIT_OK
