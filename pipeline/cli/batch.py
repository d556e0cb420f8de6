"""The batch side of ``rolcov classify``: ``-o DIR`` runs :func:`pipeline.model.batch.classify_reports`.

``rolcov classify INPUT... -o FILE.csv`` writes one table (:mod:`pipeline.cli.model`); with an output
directory the same command runs in parallel, resumably, with the options added here. Kept in its own
module so the classifier commands stay short.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from pipeline.cli.common import (
    EXIT_FAILED,
    EXIT_OK,
    EXIT_PARTIAL,
    dropped_note,
    positive_int,
    print_failures,
    safe_text,
)

BATCH_EXAMPLES = """\
  rolcov classify reports/ --jobs 2 -o out/run1          parallel, resumable: out/run1/paragraphs.parquet,
                                                         failures.csv, parts/ (rerun to resume)
  rolcov classify reports/ --backend dask --scheduler tcp://10.0.0.5:8786 -o /shared/out/run1"""


def add_batch_options(parser: argparse.ArgumentParser) -> None:
    """Add ``--jobs``, ``--backend``, ``--scheduler``, ``--force`` and ``--csv`` to ``classify``."""
    group = parser.add_argument_group(
        "batch runs (-o DIRECTORY)",
        "report files and folders only; see docs/classify.md 'Batch runs' for the output layout and clusters",
    )
    group.add_argument(
        "-j", "--jobs", type=positive_int, default=1, help="worker processes, each holding pkuseg (~900 MB); default 1"
    )
    # pipeline.model.batch.BACKENDS, spelled out here so that `rolcov --help` does not import scikit-learn
    group.add_argument(
        "--backend",
        choices=("loky", "dask"),
        default="loky",
        help="loky: processes on this machine (default); dask: a Dask distributed cluster",
    )
    group.add_argument(
        "--scheduler",
        metavar="ADDRESS",
        help="running Dask scheduler, e.g. tcp://host:8786 (default: a local cluster of --jobs workers)",
    )
    group.add_argument("--force", action="store_true", help="classify reports again even if done with this model")
    group.add_argument("--csv", action="store_true", help="also write DIRECTORY/paragraphs.csv")
    group.add_argument(
        "--cache",
        type=Path,
        metavar="DIR",
        help="text of converted and OCR'd files, by content hash (default DIRECTORY/converted)",
    )


def is_batch_output(output: Path) -> bool:
    """An existing directory or a path without extension is a batch output directory, else a table file."""
    return output.is_dir() or not output.suffix


def batch_options_used(args: argparse.Namespace) -> list[str]:
    """The batch options given on the command line (they need ``-o DIRECTORY``)."""
    given = {
        "--jobs": args.jobs != 1,
        "--backend": args.backend != "loky",
        "--scheduler": bool(args.scheduler),
        "--force": args.force,
        "--csv": args.csv,
        "--cache": bool(args.cache),
    }
    return [option for option, used in given.items() if used]


def run_batch(args: argparse.Namespace) -> int:
    """Classify into ``args.output`` as a directory; print failures and a one-line summary."""
    from pipeline.model.batch import (
        FAILURES_FILE,
        TABLE_FILE,
        classify_reports,
    )  # scikit-learn takes a second to import

    result = classify_reports(
        args.paths,
        args.model,
        args.output,
        jobs=args.jobs,
        backend=args.backend,
        scheduler=args.scheduler,
        force=args.force,
        csv=args.csv,
        cache_dir=args.cache,
    )
    print_failures([reason for _, reason in result.failures])
    if not result.written:
        print(
            f"error: {safe_text(str(args.output))}: no report classified, so {TABLE_FILE} and "
            f"{FAILURES_FILE} of the earlier run are left as they were; check the inputs above",
            file=sys.stderr,
        )
        return EXIT_FAILED
    print(
        safe_text(
            f"{result.reports} reports: {result.classified} classified, {result.resumed} already done, "
            f"{len(result.failures)} failed (listed in {args.output / FAILURES_FILE}); wrote "
            f"{result.paragraphs} paragraphs to {result.table} in {result.seconds:.0f} s"
        )
        + dropped_note()
    )
    if not result.paragraphs:
        return EXIT_FAILED
    return EXIT_PARTIAL if result.failures else EXIT_OK
