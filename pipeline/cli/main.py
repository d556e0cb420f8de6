"""The ``rolcov`` command: the top-level parser, ``fetch-model`` and the entry point.

Each group of subcommands lives in its own module (:mod:`pipeline.cli.corpus`, :mod:`pipeline.cli.coverage`,
:mod:`pipeline.cli.model`, :mod:`pipeline.cli.suggest`); what they share is :mod:`pipeline.cli.common`. The
CLI only parses arguments and composes stage functions; exit codes are listed in :mod:`pipeline.cli.common`.
"""

from __future__ import annotations

import argparse
import errno
import sys
import tempfile
import traceback
from collections.abc import Sequence
from pathlib import Path

from pipeline import __version__
from pipeline.cli.common import EXIT_FAILED, EXIT_OK, help_formatter, safe_text, show_warnings
from pipeline.cli.corpus import add_corpus_commands
from pipeline.cli.coverage import add_coverage_command
from pipeline.cli.model import add_model_commands
from pipeline.cli.suggest import add_suggest_command
from pipeline.errors import RolcovError

DESCRIPTION = """\
rolcov reads Chinese local-government rule-of-law reports (法治政府建设情况报告), splits them into
paragraphs, labels each paragraph with the themes of the rule-of-law framework and shows which themes a
report covers and where it has gaps.

the main job, step by step (make run does the same on the shipped corpus):
  rolcov fetch-model                                     pkuseg word-segmentation model, once
  rolcov segment corpus/raw                              paragraphs, headings, parts: a summary
  rolcov train corpus/annotations.csv -o models/default  classifier + model card
  rolcov classify reports/ --model models/default -o out/paragraphs.csv
  rolcov coverage out/paragraphs.csv -o out --html out/coverage.html

more: rolcov classify reports/ --jobs 2 -o out/run (parallel, resumable), rolcov suggest (what to
annotate next), rolcov validate / bootstrap / agreement / adjudicate / export / import (annotations).
Every command has --help with examples. Exit codes: 0 done, 1 some inputs failed (named on stderr),
2 bad command line, 3 nothing could be done. Inputs over a size limit are refused in one line that names
the environment variable raising it (ROLCOV_MAX_TEXT_MB, ROLCOV_MAX_PDF_PAGES …; docs/formats.md).
"""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="rolcov", description=DESCRIPTION, formatter_class=help_formatter)
    parser.add_argument("--version", action="version", version=f"rolcov {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    add_corpus_commands(commands)
    add_coverage_command(commands)
    _add_fetch_model(commands)
    add_model_commands(commands)
    add_suggest_command(commands)
    return parser


def _add_fetch_model(commands: argparse._SubParsersAction) -> None:
    parser = commands.add_parser(
        "fetch-model",
        help="download and verify the pkuseg word-segmentation model (once)",
        formatter_class=help_formatter,
        description="""\
Download the pkuseg "mixed" model (180 MB, inside the pkuseg==0.0.25 wheel on PyPI) into the cache
directory and verify its checksums. Set ROLCOV_PKUSEG_MODEL to use another directory or another pkuseg
model. The model's training data is licensed for research use.

example:
  rolcov fetch-model""",
    )
    parser.add_argument(
        "--dir", type=Path, help="target directory (default: $ROLCOV_PKUSEG_MODEL or ~/.cache/rolcov/pkuseg-mixed)"
    )
    parser.add_argument("--force", action="store_true", help="download again even if present")
    parser.set_defaults(handler=run_fetch_model)


def run_fetch_model(args: argparse.Namespace) -> int:
    from pipeline.text.tokenize import fetch_pkuseg_model

    directory = fetch_pkuseg_model(args.dir, force=args.force)
    print(f"pkuseg model ready in {directory}")
    return EXIT_OK


#: Where a bug is reported (printed with the traceback file when rolcov fails in a way it did not foresee).
BUG_REPORT_URL = "https://example.org/rolcov/issues"
# What to do about a fault of the machine, by errno; files written before it are whole (atomic writes).
_ENVIRONMENT_ADVICE = {
    errno.ENOSPC: "the disk is full; free some space or write to another disk, then run again",
    errno.EDQUOT: "the disk quota is used up; free some space or write elsewhere, then run again",
    errno.EACCES: "permission denied; check that you may read the inputs and write the output folder",
    errno.EPERM: "permission denied; check that you may read the inputs and write the output folder",
    errno.EROFS: "the file system is read-only; write the output elsewhere",
}


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``rolcov`` console script.

    No traceback reaches the user: an input error (:class:`RolcovError`) and a fault of the machine
    (:class:`OSError`: a full disk, a permission, a read-only folder) are one ``error:`` line each; anything
    else is a bug in rolcov, said in one line that points at :data:`BUG_REPORT_URL` and at a file holding the
    traceback. Files written before the fault are complete, since every write is atomic.
    """
    args = build_parser().parse_args(argv)
    show_warnings()
    try:
        return args.handler(args)
    except RolcovError as error:
        return _fail(str(error))
    except OSError as error:
        return _fail(environment_fault(error))
    except Exception as error:  # noqa: BLE001 — the last handler: a bug, reported as one
        return _fail(_bug_report(error))


def environment_fault(error: OSError) -> str:
    """One line for a fault of the machine: the file, the system's words for it, and what to do."""
    where = f"{error.filename}: " if error.filename else ""
    what = error.strerror or str(error) or type(error).__name__
    advice = _ENVIRONMENT_ADVICE.get(error.errno, "check the path, the disk and the permissions, then run again")
    return f"{where}{what}; {advice} (files written before this are complete)"


def _bug_report(error: Exception) -> str:
    summary = f"{type(error).__name__}: {str(error)[:200]}"
    try:
        with tempfile.NamedTemporaryFile("w", prefix="rolcov-bug-", suffix=".txt", delete=False) as stream:
            traceback.print_exception(error, file=stream)
        saved = f", attaching the traceback saved in {stream.name}"
    except OSError:
        saved = ""
    return (
        f"this is a bug in rolcov ({summary}), not a problem with your input; please report it at "
        f"{BUG_REPORT_URL} with the command you ran{saved}"
    )


def _fail(message: str) -> int:
    """Print an error: its first line after ``error:``, the lines of a problem list (``file:line: …``) indented
    under it, each with its control characters escaped — no text from a file name can start a line of its own."""
    first, *listed = message.split("\n")
    print(f"error: {safe_text(first)}", file=sys.stderr)
    for line in listed:
        print(f"  {safe_text(line)}", file=sys.stderr)
    return EXIT_FAILED


if __name__ == "__main__":
    sys.exit(main())
