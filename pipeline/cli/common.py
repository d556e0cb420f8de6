"""What every ``rolcov`` subcommand shares: exit codes, help layout, failure lines, count arguments.

Exit codes mean the same for every subcommand:

* 0 — everything succeeded;
* 1 — some inputs failed (each named on stderr) but the others were processed and written;
* 2 — the command line was wrong (argparse's convention);
* 3 — nothing could be done: no readable input, or a missing/corrupt model; for ``validate``, the
  annotation file has problems (each printed as ``file:line: what is wrong; what to do``); also a fault of
  the machine (a full disk, a folder that cannot be written, another run holding the output folder) and a
  bug in rolcov, each said in one line (:func:`pipeline.cli.main.main`).

Every line printed about a file goes through :func:`safe_text`: a file name is data from the folder, and a
newline or terminal escape in it must not forge an ``error:`` line or rewrite the screen.
"""

from __future__ import annotations

import argparse
import logging
import re
import sys
from collections.abc import Sequence

from pipeline.text.segment import DROPPED_FIELD

EXIT_OK, EXIT_PARTIAL, EXIT_USAGE, EXIT_FAILED = 0, 1, 2, 3
# Control characters (C0, DEL, C1), line and paragraph separators, and bidirectional overrides, which can
# make a file name print as something else.
_UNSAFE_CHARACTERS = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")


def safe_text(text: str) -> str:
    """``text`` with control characters written as escapes (a newline as ``\\n``), so it prints as one line."""
    return _UNSAFE_CHARACTERS.sub(lambda match: match.group().encode("unicode_escape").decode("ascii"), text)


def help_formatter(prog: str) -> argparse.HelpFormatter:
    return argparse.RawDescriptionHelpFormatter(prog, max_help_position=32)


def print_failures(failures: Sequence[str]) -> None:
    """One ``error:`` line per input that could not be used; the run goes on with the others."""
    for failure in failures:
        print(f"error: {safe_text(failure)}", file=sys.stderr)


class _WarningLines(logging.Handler):
    """Warnings of rolcov's loggers as ``warning: …`` lines on the stderr of the moment, names made safe;
    counts the paragraph-like lines that cleaners removed, for the run's summary (:func:`dropped_note`)."""

    dropped = 0

    def emit(self, record: logging.LogRecord) -> None:
        print(f"warning: {safe_text(record.getMessage())}", file=sys.stderr)
        _WarningLines.dropped += getattr(record, DROPPED_FIELD, 0)


def show_warnings() -> None:
    """Print warnings of the ``rolcov`` logger (every module's) as one safe line each; start a new count."""
    _WarningLines.dropped = 0
    logger = logging.getLogger("rolcov")
    if not any(isinstance(handler, _WarningLines) for handler in logger.handlers):
        logger.addHandler(_WarningLines(logging.WARNING))


def dropped_note() -> str:
    """``"; N line(s) that read like paragraphs removed (warnings above)"`` for a summary, or ``""``."""
    dropped = _WarningLines.dropped
    return f"; {dropped} line(s) that read like paragraphs were removed as chrome (warnings above)" if dropped else ""


def positive_int(text: str) -> int:
    """argparse type for counts (jobs, paragraphs): a whole number of at least 1."""
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be 1 or more, not {value}")
    return value
