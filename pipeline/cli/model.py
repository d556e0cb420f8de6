"""The classifier's subcommands of ``rolcov``: ``train``, ``evaluate`` and ``classify``.

Kept apart from :mod:`pipeline.cli.main` so each file stays readable; :func:`add_model_commands` registers them
on the same parser, with the same exit codes and error handling.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from pipeline.cli.batch import BATCH_EXAMPLES, add_batch_options, batch_options_used, is_batch_output, run_batch
from pipeline.cli.common import (
    EXIT_FAILED,
    EXIT_OK,
    EXIT_PARTIAL,
    EXIT_USAGE,
    dropped_note,
    help_formatter,
    print_failures,
)
from pipeline.model.settings import SETTINGS, SHIPPED  # plain data: `rolcov --help` loads no scikit-learn


def add_model_commands(commands: argparse._SubParsersAction) -> None:
    """Add ``train``, ``evaluate`` and ``classify`` to the ``rolcov`` subcommands."""
    _add_train(commands)
    _add_evaluate(commands)
    _add_classify(commands)


def _add_train(commands: argparse._SubParsersAction) -> None:
    parser = commands.add_parser(
        "train",
        help="train the paragraph classifier on annotation files and save it with a model card",
        formatter_class=help_formatter,
        description="""\
Train the theme classifier on gold annotation files (and optionally silver rows, down-weighted), evaluate
it leave-one-report-out, and write DIR/model.skops, DIR/taxonomy.yaml, DIR/model.json (model card) and
DIR/README.md. The model uses heading paths as evidence and learns every row also without them, so it
classifies report files (headings known) and bare paragraph tables (text only) alike. A few minutes on the
seed corpus; --no-evaluate skips the leave-one-report-out (one fit instead of one per report, e.g. for a
model of the annotation loop that only drives `rolcov suggest`).

examples:
  rolcov train corpus/annotations.csv -o models/default
  rolcov train corpus/annotations.csv --silver silver.csv --silver-weight 0.3 -o models/with-silver
  rolcov train corpus/annotations.csv --setting text_only -o models/text   an earlier configuration
  rolcov train corpus/annotations.csv --silver silver.csv --no-evaluate -o models/loop""",
    )
    parser.add_argument(
        "annotations", nargs="+", metavar="ANNOTATIONS", help="gold annotation files (.csv/.jsonl/.parquet/.xlsx)"
    )
    parser.add_argument("-o", "--output", type=Path, required=True, help="model directory to write")
    parser.add_argument(
        "--silver",
        action="append",
        default=[],
        metavar="FILE",
        help="silver annotation file, e.g. from `rolcov bootstrap` (repeatable)",
    )
    parser.add_argument("--silver-weight", type=float, default=0.3, help="sample weight of silver rows (default 0.3)")
    parser.add_argument(
        "--setting",
        choices=list(SETTINGS),
        default=SHIPPED,
        help="configuration: shipped (default), text_only, with_headings (headings, no text-only copies)",
    )
    parser.add_argument(
        "--headings",
        action="store_const",
        const="with_headings",
        dest="setting",
        help="same as --setting with_headings",
    )
    parser.add_argument(
        "--no-evaluate",
        dest="evaluate",
        action="store_false",
        help="skip the leave-one-report-out evaluation; the card then has no scores",
    )
    parser.set_defaults(handler=run_train)


def _add_evaluate(commands: argparse._SubParsersAction) -> None:
    parser = commands.add_parser(
        "evaluate",
        help="leave-one-report-out scores on annotation files, or a trained model's scores on a labelled sample",
        formatter_class=help_formatter,
        description="""\
Without --model: cross-validate the classifier one report at a time (train on all other reports, label the
held-out one). With --model DIR: score that trained model on labelled paragraphs it has not seen, e.g. 100
paragraphs of your own province, before trusting it. Either way it prints per-label precision/recall/F1,
micro/macro F1, top-1 accuracy of the primary label, a confusion table and the paragraphs it got most
wrong; --model adds the primary theme's single-label scores and calibration (Brier score per label,
reliability table). Paragraphs and enumeration items are scored separately in cross-validation.

LABELLED is an annotation file, or any table with 'text' and 'labels' (a;b) and/or 'primary'; add the
report files or folders it was annotated on to have them segmented as `rolcov classify` does (rows matched
on report_id + para_id), instead of scoring the table's text as given.

examples:
  rolcov evaluate corpus/annotations.csv                      shipped configuration, printed
  rolcov evaluate corpus/annotations.csv --headings -o out    shipped, text_only and with_headings, as
                                                              out/evaluation.json and out/evaluation.md
  rolcov evaluate --model models/default province.csv        a trained model on a labelled table
  rolcov evaluate --model models/default reports/ province.csv   ... on the report files it was read from""",
    )
    parser.add_argument(
        "annotations",
        nargs="+",
        metavar="LABELLED",
        help="annotation files (with --model: labelled tables, and report files/folders)",
    )
    parser.add_argument("--model", type=Path, help="score this trained model directory instead of cross-validating")
    parser.add_argument("-o", "--output", type=Path, help="directory for evaluation.json and evaluation.md")
    parser.add_argument(
        "--headings",
        action="store_true",
        help="also cross-validate the two earlier configurations (text_only, with_headings)",
    )
    parser.set_defaults(handler=run_evaluate)


def _add_classify(commands: argparse._SubParsersAction) -> None:
    parser = commands.add_parser(
        "classify",
        help="label paragraphs of reports (or of a paragraph table) with themes",
        formatter_class=help_formatter,
        description="""\
Label every paragraph with the taxonomy's themes. Report files and folders are segmented first; tables
(.csv/.jsonl/.parquet/.xlsx with a 'text' column) are classified row by row as given. The output has the input
columns plus labels (';'-separated, empty = none), primary and p_<label> for every label.
With an output directory instead of a table file, reports are classified in parallel and resumably.

examples:
  rolcov classify corpus/raw -o out/paragraphs.csv
  rolcov classify paragraphs.csv --model models/default -o labelled.parquet
"""
        + BATCH_EXAMPLES,
    )
    parser.add_argument("paths", nargs="+", metavar="INPUT", help="report files/folders or paragraph tables")
    parser.add_argument(
        "--model", type=Path, default=Path("models/default"), help="model directory (default models/default)"
    )
    parser.add_argument(
        "-o",
        "--output",
        type=Path,
        required=True,
        help="labelled table (.csv/.jsonl/.parquet/.xlsx), or a directory for a batch run",
    )
    add_batch_options(parser)
    parser.set_defaults(handler=run_classify)


def run_train(args: argparse.Namespace) -> int:
    from pipeline.model.store import read_card
    from pipeline.model.train import train_model
    from pipeline.taxonomy import load_taxonomy

    card_path = train_model(
        args.annotations,
        args.output,
        args.silver,
        args.silver_weight,
        args.setting,
        taxonomy=load_taxonomy(),
        evaluate=args.evaluate,
    )
    scores = read_card(card_path.parent)["evaluation"].get("paragraphs")
    summary = (
        f"leave-one-report-out on paragraphs: macro-F1 {scores['macro_f1']:.3f}, micro-F1 "
        f"{scores['micro_f1']:.3f}, top-1 {scores['top1_accuracy']:.3f}"
        if scores
        else "not evaluated"
    )
    print(f"wrote {card_path.parent}/ (model.skops, taxonomy.yaml, model.json, README.md); {summary}")
    return EXIT_OK


def run_evaluate(args: argparse.Namespace) -> int:
    from pipeline.model.evaluate import format_evaluation, write_evaluation
    from pipeline.model.train import evaluate_annotations, training_table
    from pipeline.taxonomy import load_taxonomy

    if args.model:
        return _evaluate_model(args)
    settings = list(SETTINGS) if args.headings else [SHIPPED]
    taxonomy = load_taxonomy()
    results = evaluate_annotations(training_table(args.annotations, taxonomy=taxonomy), taxonomy, settings)
    print(format_evaluation(results))
    if args.output:
        json_path, text_path = write_evaluation(results, args.output)
        print(f"wrote {json_path} and {text_path}")
    return EXIT_OK


def _evaluate_model(args: argparse.Namespace) -> int:
    from pipeline.annotate.annotations import label_matrix
    from pipeline.model.evaluate import format_model_scores, score_model, write_evaluation
    from pipeline.model.inputs import labelled_sample
    from pipeline.model.store import load_model

    model = load_model(args.model)
    sample, failures = labelled_sample(args.annotations, model.taxonomy)  # raises when nothing is left to score
    print_failures(failures)
    scores = score_model(model, sample, label_matrix(sample, model.classes_))
    text = format_model_scores(scores, f"{args.model} on {', '.join(map(str, args.annotations))}")
    print(text)
    if args.output:
        json_path, text_path = write_evaluation({"model": str(args.model), "scores": scores}, args.output, text)
        print(f"wrote {json_path} and {text_path}")
    return EXIT_PARTIAL if failures else EXIT_OK


def run_classify(args: argparse.Namespace) -> int:
    if is_batch_output(args.output):
        return run_batch(args)
    if batch_options_used(args):
        print(
            f"error: {', '.join(batch_options_used(args))} need an output directory (-o DIR), not a table file",
            file=sys.stderr,
        )
        return EXIT_USAGE
    from pipeline.io.tables import write_table
    from pipeline.model.inputs import classify_inputs
    from pipeline.model.store import load_model

    model = load_model(args.model)
    labelled, failures = classify_inputs(args.paths, model)
    print_failures(failures)
    if labelled.empty:
        print("error: no paragraphs to classify; check the inputs above", file=sys.stderr)
        return EXIT_FAILED
    write_table(labelled, args.output)
    print(_label_summary(labelled, model.classes_))
    print(f"wrote {len(labelled)} labelled paragraphs to {args.output}{dropped_note()}")
    return EXIT_PARTIAL if failures else EXIT_OK


def _label_summary(table, classes) -> str:
    """Per report (or overall): paragraphs and how many carry each label, and how many carry none."""
    import pandas as pd

    from pipeline.schema import split_labels

    key = table["report_id"] if "report_id" in table else pd.Series("all", index=table.index)
    labels = table["labels"].fillna("").map(split_labels)
    counts = pd.DataFrame({label: labels.map(lambda found, label=label: label in found) for label in classes})
    summary = counts.groupby(key.to_numpy()).sum()
    summary.insert(0, "paragraphs", key.value_counts().reindex(summary.index))
    summary["none"] = (table["labels"].fillna("") == "").groupby(key.to_numpy()).sum()
    return summary.to_string()
