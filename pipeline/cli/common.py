"""What every ``rolcov`` subcommand shares: exit codes, help layout, failure lines, count arguments.

Exit codes mean the same for every subcommand:

* 0 — everything succeeded;
* 1 — some inputs failed (each named on stderr) but the others were processed and written;
* 2 — the command line was wrong (argparse's convention);
* 3 — nothing could be done: no readable input, or a missing/corrupt model; for ``validate``, the
  annotation file has problems (each printed as ``file:line: what is wrong; what to do``).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

EXIT_OK, EXIT_PARTIAL, EXIT_USAGE, EXIT_FAILED = 0, 1, 2, 3


def help_formatter(prog: str) -> argparse.HelpFormatter:
    return argparse.RawDescriptionHelpFormatter(prog, max_help_position=32)


def print_failures(failures: Sequence[str]) -> None:
    """One ``error:`` line per input that could not be used; the run goes on with the others."""
    for failure in failures:
        print(f"error: {failure}", file=sys.stderr)


def positive_int(text: str) -> int:
    """argparse type for counts (jobs, paragraphs): a whole number of at least 1."""
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be 1 or more, not {value}")
    return value
