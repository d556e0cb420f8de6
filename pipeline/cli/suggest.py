"""The ``rolcov suggest`` subcommand: which paragraphs to annotate next, pre-filled with the model's guess.

Kept apart from :mod:`pipeline.cli.main` and :mod:`pipeline.cli.model` so the annotation loop can change without
touching the train/evaluate/classify commands.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from pipeline.cli.common import EXIT_FAILED, EXIT_OK, EXIT_PARTIAL, help_formatter, positive_int, print_failures

LABEL_STUDIO = "label-studio"


def add_suggest_command(commands: argparse._SubParsersAction) -> None:
    """Add ``suggest`` to the ``rolcov`` subcommands."""
    parser = commands.add_parser(
        "suggest",
        help="pick the paragraphs the model most needs annotated next, pre-filled with its guess",
        formatter_class=help_formatter,
        description="""\
Choose N paragraphs to annotate next: those whose labels an annotator would most likely change. In the
loop every new paragraph already trains the model with its heading-derived silver labels (`rolcov
bootstrap`, `train --silver`); the model's probabilities say which of those labels are probably wrong, and
the paragraphs with the most expected corrections are asked about first, unlike each other and unlike
what is annotated (in the model's feature space), spread over reports and themes (docs/train.md "Annotation
loop"). With --reference model (a loop trained on gold only) corrections are counted against the model's
own guess instead. Already annotated paragraphs (--exclude) are skipped. Report files and folders are
segmented; tables (.csv/.jsonl/.parquet/.xlsx) need report_id, para_id and text, and heading_path for silver
labels (e.g. from `rolcov segment -o`).

The output is an annotation file (codebook §9) pre-filled with the model's labels and primary, with
source=silver and annotator=model@<hash12>, plus silver_labels (from headings), model_labels,
disputed_label and disagreement. Correct labels/primary, set source=gold and annotator to your name,
then `rolcov validate` and `rolcov train OLD.csv NEW.csv --silver SILVER.csv`. With a .json output or
--format label-studio, Label Studio tasks with the guess as predictions are written instead (plus
tasks.config.xml).

examples:
  rolcov bootstrap new_reports/ -o new_silver.csv
  rolcov train corpus/annotations.csv --silver new_silver.csv -o models/loop
  rolcov suggest new_reports/ --model models/loop -n 30 --exclude corpus/annotations.csv -o next.csv
  rolcov suggest new_reports/ --model models/loop -n 30 -o tasks.json   for Label Studio""",
    )
    parser.add_argument("paths", nargs="+", metavar="UNLABELLED", help="report files/folders or paragraph tables")
    parser.add_argument(
        "--model", type=Path, default=Path("models/default"), help="model directory (default models/default)"
    )
    parser.add_argument(
        "-n", type=positive_int, default=30, metavar="K", help="how many paragraphs to suggest (default 30)"
    )
    parser.add_argument(
        "-o", "--output", type=Path, required=True, help="annotation file (.csv/.jsonl/.parquet/.xlsx) or tasks .json"
    )
    parser.add_argument(
        "--exclude",
        action="append",
        default=[],
        type=Path,
        metavar="ANNOTATIONS",
        help="annotation file whose paragraphs are already done (repeatable)",
    )
    parser.add_argument(
        "--reference",
        choices=["silver", "model"],
        default="silver",
        help="count expected corrections against the heading labels (default) or the model's guess",
    )
    parser.add_argument("--format", choices=["table", LABEL_STUDIO], help="default: label-studio for .json, else table")
    parser.add_argument("--seed", type=int, default=0, help="tie-breaking seed (default 0)")
    parser.set_defaults(handler=run_suggest)


def run_suggest(args: argparse.Namespace) -> int:
    import pandas as pd

    from pipeline.annotate.annotations import read_annotations
    from pipeline.model.inputs import read_paragraphs
    from pipeline.model.store import load_model
    from pipeline.model.suggest import model_annotator, suggest_paragraphs

    model = load_model(args.model)
    table, failures = read_paragraphs(args.paths)
    print_failures(failures)
    if table.empty:
        print("error: no paragraphs to choose from; check the inputs above", file=sys.stderr)
        return EXIT_FAILED
    has_headings = "heading_path" in table and table["heading_path"].fillna("").astype(str).str.strip().ne("").any()
    if args.reference == "silver" and not has_headings:
        print(
            "note: no paragraph given has a heading, so every silver label is empty and the choice counts "
            "expected corrections against 'no label'; train on gold only? use --reference model",
            file=sys.stderr,
        )
    done = [read_annotations(path) for path in args.exclude]
    suggestions = suggest_paragraphs(
        model,
        table,
        args.n,
        exclude=pd.concat(done) if done else None,
        reference=args.reference,
        random_state=args.seed,
        annotator=model_annotator(args.model),
    )
    if suggestions.empty:
        print("error: every paragraph given is already annotated; give new reports", file=sys.stderr)
        return EXIT_FAILED
    print(_write_suggestions(suggestions, args))
    return EXIT_PARTIAL if failures else EXIT_OK


def _write_suggestions(suggestions, args: argparse.Namespace) -> str:
    if (args.format or (LABEL_STUDIO if args.output.suffix.lower() == ".json" else "table")) == LABEL_STUDIO:
        from pipeline.annotate.labelstudio import annotations_to_tasks, labeling_config, write_tasks
        from pipeline.taxonomy import load_taxonomy

        tasks_path, config_path = write_tasks(
            annotations_to_tasks(suggestions), labeling_config(load_taxonomy()), args.output
        )
        return f"wrote {len(suggestions)} suggested tasks to {tasks_path} and the labeling config to {config_path}"
    from pipeline.io.tables import write_table

    write_table(suggestions, args.output)
    reports = suggestions["report_id"].nunique()
    return (
        f"wrote {len(suggestions)} suggested paragraphs from {reports} report(s) to {args.output}; correct "
        "labels/primary, set source=gold and annotator, then `rolcov validate` it"
    )
