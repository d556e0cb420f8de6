"""``rolcov segment``, ``validate``, ``bootstrap``, ``agreement``, ``adjudicate``, ``export`` and ``import``: the
commands that read report files into paragraphs, move annotation files between formats and tools, and turn
several coders' work into one gold file."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import pandas as pd

from pipeline.annotate.adjudication import (
    adjudicate,
    disagreement_sheet,
    read_adjudication_workbook,
    write_adjudication_workbook,
)
from pipeline.annotate.annotations import read_annotations, validate_annotations
from pipeline.annotate.codings import (
    CODING_FIELDS,
    coded_units,
    coders_of,
    select_coders,
    stack_codings,
    text_mismatches,
    unpaired_files,
)
from pipeline.annotate.labelstudio import annotations_to_tasks, labeling_config, read_exports, write_tasks
from pipeline.cli.common import (
    EXIT_FAILED,
    EXIT_OK,
    EXIT_PARTIAL,
    EXIT_USAGE,
    dropped_note,
    help_formatter,
    positive_int,
    print_failures,
)
from pipeline.errors import AnnotationError
from pipeline.io.convert import ConvertOptions
from pipeline.io.tables import write_table
from pipeline.schema import BODY_PARTS, PARTS
from pipeline.taxonomy import load_taxonomy
from pipeline.text.segment import annotation_frame, map_reports, segment_files


def add_corpus_commands(commands: argparse._SubParsersAction) -> None:
    """Register the report- and annotation-file commands."""
    for add in (_add_segment, _add_validate, _add_bootstrap, _add_agreement, _add_adjudicate, _add_export, _add_import):
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
    parser.add_argument(
        "--shared-lines",
        type=positive_int,
        metavar="N",
        help="also drop lines found word for word in N or more of the given reports (site templates)",
    )
    parser.add_argument(
        "--cache",
        type=Path,
        metavar="DIR",
        help="keep the text of converted and OCR'd files in DIR, so no file is converted twice",
    )
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
    parser.add_argument(
        "paths", nargs="+", metavar="ANNOTATIONS", help=".csv, .jsonl, .parquet or .xlsx annotation files"
    )
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
        help="inter-coder reliability (Krippendorff's alpha, Cohen's kappa) and the disagreements to adjudicate",
        formatter_class=help_formatter,
        description="""\
How far coders agree on the paragraphs two or more of them coded (same report_id and para_id; the coder
is the annotator column, so one file may hold several coders and each coder may have a file). Per label
and for the primary theme, and per task and for evidence when task files are given: Krippendorff's alpha
(nominal; labels and tasks as binary variables, plus all of them pooled) with a bootstrap 95 % interval
(units resampled), percent agreement, the number of paragraphs coded by two or more coders, and Cohen's
kappa for every pair of coders. --disagreements writes the workbook to adjudicate (rolcov adjudicate).

With --gold, the earlier comparison instead: each FILE against a reference (positives, precision, recall,
percent agreement and Cohen's kappa per label, e.g. silver labels from headings against gold).

examples:
  rolcov agreement zhang.csv li.csv                     themes: alpha per label and primary, kappa per pair
  rolcov agreement both.csv --coders zhang,li           one file with an annotator column, two of its coders
  rolcov agreement zhang.csv li.csv --tasks zhang-tasks.csv li-tasks.csv -o reliability.csv
  rolcov agreement zhang.csv li.csv --disagreements adjudicate.xlsx --model models/default
  rolcov agreement silver.csv --gold corpus/annotations.csv     silver against gold""",
    )
    parser.add_argument(
        "paths", nargs="+", type=Path, metavar="FILE", help="annotation files (.csv/.jsonl/.parquet/.xlsx)"
    )
    parser.add_argument(
        "--tasks",
        nargs="+",
        type=Path,
        default=[],
        metavar="FILE",
        help="task readings (report_id,para_id,tasks,evidence,annotator,source), one coder per file",
    )
    parser.add_argument(
        "--coders",
        type=lambda text: [c.strip() for c in text.split(",") if c.strip()],
        metavar="ID,ID",
        help="only these coders (annotator ids)",
    )
    parser.add_argument("-o", "--output", type=Path, help="write the reliability table (.csv/.jsonl/.parquet/.xlsx)")
    parser.add_argument("--pairs", type=Path, metavar="FILE", help="write the pairwise kappa table")
    parser.add_argument(
        "--disagreements",
        type=Path,
        metavar="SHEET.xlsx",
        help="write the disagreements as a workbook to decide in, for rolcov adjudicate",
    )
    parser.add_argument(
        "--model", type=Path, metavar="DIR", help="with --disagreements: the model's guess as a hint column"
    )
    parser.add_argument(
        "--resamples",
        type=int,
        default=1000,
        metavar="N",
        help="bootstrap resamples for the alpha interval (default 1000; 0: none)",
    )
    parser.add_argument("--seed", type=int, default=0, help="seed of the bootstrap (default 0)")
    parser.add_argument(
        "--gold",
        type=Path,
        metavar="GOLD",
        help="compare each FILE with this reference instead (precision, recall, kappa per label)",
    )
    parser.set_defaults(handler=run_agreement)


def _add_adjudicate(commands: argparse._SubParsersAction) -> None:
    parser = commands.add_parser(
        "adjudicate",
        help="merge a decided disagreements workbook into one gold annotation file",
        formatter_class=help_formatter,
        description="""\
Read the workbook `rolcov agreement --disagreements` wrote, after someone filled its 'adjudicated' column
(label ids joined by ;, or _none for none), and write one gold file: the decided value where the coders
differed, their common value elsewhere, the only coder's value where one coded. Decided rows get the
adjudicator as annotator, agreed rows the coders joined by +. A row left undecided, an unknown label or
task id, or a primary outside its labels is refused, one line each (file:row); nothing is written then.

examples:
  rolcov adjudicate adjudicate.xlsx -o gold.csv --adjudicator wang
  rolcov adjudicate adjudicate.xlsx -o gold.csv --tasks-output task_gold.csv""",
    )
    parser.add_argument("sheet", type=Path, metavar="SHEET", help="the decided .xlsx workbook")
    parser.add_argument("-o", "--output", type=Path, required=True, help="gold annotation file to write")
    parser.add_argument(
        "--tasks-output", type=Path, metavar="FILE", help="gold task file to write (when tasks were coded)"
    )
    parser.add_argument(
        "--adjudicator",
        default="adjudicator",
        help="id recorded for decided rows whose adjudicator cell is empty (default: adjudicator)",
    )
    parser.set_defaults(handler=run_adjudicate)


def _add_export(commands: argparse._SubParsersAction) -> None:
    parser = commands.add_parser(
        "export",
        help="write annotations as Label Studio tasks plus the project's labeling config",
        formatter_class=help_formatter,
        description="""\
Write one Label Studio task per paragraph: gold rows as annotations, silver/model rows as predictions
(pre-annotations). The labeling config for the project is written next to the tasks
(tasks.json -> tasks.config.xml): paste it under Settings > Labeling Interface > Code, then import the tasks.

examples:
  rolcov export silver.csv --format label-studio -o tasks.json
  rolcov export next.csv --blind -o tasks.json      no labels shown: for coders whose agreement is measured""",
    )
    parser.add_argument("path", type=Path, metavar="ANNOTATIONS", help="annotation file")
    parser.add_argument("--format", choices=["label-studio"], default="label-studio", help="task format")
    parser.add_argument("-o", "--output", type=Path, required=True, help="tasks JSON to write")
    parser.add_argument(
        "--blind", action="store_true", help="leave the file's labels out (no annotations or predictions)"
    )
    parser.set_defaults(handler=run_export)


def _add_import(commands: argparse._SubParsersAction) -> None:
    parser = commands.add_parser(
        "import",
        help="turn a Label Studio JSON export into an annotation file",
        formatter_class=help_formatter,
        description="""\
Read Label Studio JSON exports and write the annotation format (source=gold), one row per paragraph and
coder: when several coders annotated a task, every one of them is kept (for `rolcov agreement`). Per coder
and task the latest annotation counts; skipped (cancelled) annotations and tasks with predictions only are
left out. Primary is the 'primary' choice, or the first 'labels' choice when the coder left it empty. The
coder is coder-<user> from Label Studio's completed_by, unless --annotator names it.

examples:
  rolcov import project-1-export.json -o zhang.csv --annotator zhang     one coder
  rolcov import export.json -o both.csv --annotator 1=zhang --annotator 2=li   two coders, by user id
  rolcov import batch-1.json batch-2.json -o all.csv""",
    )
    parser.add_argument("paths", nargs="+", type=Path, metavar="TASKS", help="Label Studio JSON exports")
    parser.add_argument("-o", "--output", type=Path, required=True, help="annotation file to write")
    parser.add_argument(
        "--annotator",
        action="append",
        metavar="NAME|USER=NAME",
        help="coder id for every annotation, or for one Label Studio user (id or email; repeatable)",
    )
    parser.set_defaults(handler=run_import)


def run_segment(args: argparse.Namespace) -> int:
    table, failures = segment_files(
        args.paths,
        split_items=args.items,
        shared_lines=args.shared_lines or 0,
        convert=ConvertOptions(cache_dir=args.cache),
    )
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
    taxonomy = load_taxonomy()
    if args.gold and (args.tasks or args.coders or args.pairs or args.disagreements):
        print(
            "error: --gold compares theme files with a reference; --tasks, --coders, --pairs and "
            "--disagreements are for coders' files — drop one or the other",
            file=sys.stderr,
        )
        return EXIT_USAGE
    if args.gold:
        return _gold_agreement(args, taxonomy)
    from pipeline.annotate.reliability import pairwise_table, reliability_table  # scikit-learn: a second to import

    codings = _read_codings(args, taxonomy)
    unpaired = unpaired_files(codings)
    print_failures([f"{file}: {why}" for file, why in unpaired.items()])
    codings = codings[~codings["file"].isin(list(unpaired))].reset_index(drop=True)
    mismatches = text_mismatches(codings)
    if mismatches:
        raise AnnotationError("\n".join(mismatches))
    table = reliability_table(codings, taxonomy, resamples=args.resamples, seed=args.seed)
    if table.empty:
        print(
            f"error: {', '.join(map(str, args.paths))}: no paragraph is coded by two or more coders (coders: "
            f"{', '.join(coders_of(codings)) or 'none'}); give every coder's file, or --gold FILE to compare "
            "with a reference",
            file=sys.stderr,
        )
        return EXIT_FAILED
    pairs = pairwise_table(codings, taxonomy)
    print(_format_table(table) + "\n\npairwise Cohen's kappa\n" + _format_table(pairs))
    for path, written in ((args.output, table), (args.pairs, pairs)):
        if path:
            write_table(written, path)
    if args.disagreements:
        _write_disagreements(codings, args)
    return EXIT_PARTIAL if unpaired else EXIT_OK


def _read_codings(args: argparse.Namespace, taxonomy) -> pd.DataFrame:
    from pipeline.coverage.tasks import read_task_annotations

    themes = [read_annotations(path, taxonomy) for path in args.paths]
    tasks = [
        read_task_annotations(path, taxonomy.tasks).assign(file=str(path), line=lambda t: range(2, len(t) + 2))
        for path in args.tasks
    ]
    codings = stack_codings(themes, tasks, taxonomy)
    return select_coders(codings, args.coders) if args.coders else codings


def _format_table(table: pd.DataFrame) -> str:
    return table.to_string(index=False, float_format="{:.3f}".format, na_rep="-")


def _write_disagreements(codings: pd.DataFrame, args: argparse.Namespace) -> None:
    hints = _model_hints(codings, args.model) if args.model else None
    sheet = disagreement_sheet(codings, hints)
    write_adjudication_workbook(sheet, codings, args.disagreements)
    print(
        f"wrote {len(sheet)} disagreements on {sheet[['report_id', 'para_id']].drop_duplicates().shape[0]} "
        f"paragraphs to {args.disagreements}; fill its 'adjudicated' column, then `rolcov adjudicate`"
    )


def _model_hints(codings: pd.DataFrame, model_dir: Path) -> pd.DataFrame:
    """The model's themes and the task and evidence taggers' reading of every coded unit, as hints."""
    from pipeline.coverage.evidence import tag_evidence
    from pipeline.coverage.tasks import tag_tasks
    from pipeline.model.store import load_model

    guessed = tag_evidence(tag_tasks(load_model(model_dir).classify(coded_units(codings))))
    return guessed.set_index(["report_id", "para_id"])[list(CODING_FIELDS)]


def _gold_agreement(args: argparse.Namespace, taxonomy) -> int:
    from pipeline.annotate.silver import agreement  # scikit-learn takes a second to import

    gold = read_annotations(args.gold, taxonomy)
    tables = []
    for path in args.paths:
        table = agreement(gold, read_annotations(path, taxonomy), taxonomy.ids)
        print(f"{path} against {args.gold}\n" + _format_table(table))
        print(f"matched {table.n.iloc[-1]} of {len(gold)} rows of {args.gold} on (report_id, para_id)")
        tables.append(table.assign(file=str(path)))
    if args.output:
        write_table(pd.concat(tables, ignore_index=True), args.output)
    return EXIT_OK


def run_adjudicate(args: argparse.Namespace) -> int:
    from pipeline.coverage.evidence import EVIDENCE_VALUES

    sheet, codings = read_adjudication_workbook(args.sheet)
    themes, tasks = adjudicate(sheet, codings, load_taxonomy(), EVIDENCE_VALUES, args.adjudicator, args.sheet)
    decided = sheet[["report_id", "para_id"]].drop_duplicates().shape[0]
    write_table(themes, args.output)
    print(f"wrote {len(themes)} gold rows to {args.output} ({decided} paragraphs decided in {args.sheet})")
    if len(tasks) and args.tasks_output:
        write_table(tasks, args.tasks_output)
        print(f"wrote {len(tasks)} gold task rows to {args.tasks_output}")
    elif len(tasks):
        print(f"note: the codings carry tasks for {len(tasks)} paragraphs; give --tasks-output FILE to write them")
    return EXIT_OK


def run_export(args: argparse.Namespace) -> int:
    taxonomy = load_taxonomy()
    tasks = annotations_to_tasks(read_annotations(args.path, taxonomy), blind=args.blind)
    tasks_path, config_path = write_tasks(tasks, labeling_config(taxonomy), args.output)
    print(f"wrote {len(tasks)} tasks to {tasks_path} and the labeling config to {config_path}")
    return EXIT_OK


def run_import(args: argparse.Namespace) -> int:
    annotator = _annotator_names(args.annotator or [])
    if annotator == "":
        print("error: give --annotator NAME once, or USER=NAME for each Label Studio user", file=sys.stderr)
        return EXIT_USAGE
    frame = read_exports(args.paths, load_taxonomy(), annotator)
    if frame.empty:
        print(
            f"error: {', '.join(map(str, args.paths))}: no task has a submitted annotation; label some tasks first",
            file=sys.stderr,
        )
        return EXIT_FAILED
    write_table(frame, args.output)
    print(
        f"wrote {len(frame)} annotations of {frame.para_id.nunique()} paragraphs by "
        f"{frame.annotator.nunique()} coder(s) ({', '.join(frame.annotator.unique())}) to {args.output}"
    )
    return EXIT_OK


def _annotator_names(values: list[str]) -> str | dict[str, str] | None:
    """``--annotator`` values: None (from Label Studio), one name, or user → name; "" when they mix both forms."""
    if not values:
        return None
    pairs = [value.split("=", 1) for value in values]
    if all(len(pair) == 2 for pair in pairs):
        return {user.strip(): name.strip() for user, name in pairs}
    return values[0] if len(values) == 1 else ""
