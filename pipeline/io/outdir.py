"""One run at a time per output folder: the lock a batch run holds, and taking over after a killed run.

Two runs writing into one folder delete each other's temporary files and merge each other's parts, and a
killed run leaves temporary files behind. :func:`output_lock` prevents the first and cleans up the second.
"""

from __future__ import annotations

import json
import logging
import os
import socket
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from filelock import FileLock, Timeout

from pipeline.errors import RolcovError

LOCK_FILE, RUN_FILE = ".rolcov.lock", ".rolcov-run.json"
TEMPORARY = ".*.tmp"  # what pipeline.io.tables.atomic_path writes before renaming
_LOG = logging.getLogger("rolcov")


@contextmanager
def output_lock(out_dir: str | Path) -> Iterator[None]:
    """Hold ``out_dir`` for one run: refuse if another run holds it, take over what a killed run left.

    The lock is an OS file lock (``filelock``), which the kernel releases when its process dies, so it is
    never stale; ``RUN_FILE`` says who holds it and is removed when the run ends, so finding it at the start
    means the run before was killed: that is said in one warning, and its temporary files are removed.

    Parameters
    ----------
    out_dir : str or Path
        The output folder; created if missing.

    Raises
    ------
    RolcovError
        If another run holds the lock.
    """
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    lock, run_file = FileLock(out_dir / LOCK_FILE, thread_local=False), out_dir / RUN_FILE
    try:
        lock.acquire(timeout=0)
    except Timeout:
        raise RolcovError(
            f"{out_dir}: another rolcov run{_holder(run_file)} is writing into this folder; wait "
            "for it to end, or give another output folder"
        ) from None
    try:
        if run_file.exists():
            _LOG.warning(
                "%s: the run%s that wrote here last was stopped before it finished; taking over its "
                "lock and removing its temporary files (its finished reports are kept)",
                out_dir,
                _holder(run_file),
            )
        _remove_temporaries(out_dir)
        run_file.write_text(
            json.dumps(
                {"pid": os.getpid(), "host": socket.gethostname(), "started": time.strftime("%Y-%m-%d %H:%M:%S")}
            ),
            encoding="utf-8",
        )
        yield
    finally:
        run_file.unlink(missing_ok=True)
        lock.release()


def _holder(run_file: Path) -> str:
    """`` (pid 123 on host, started …)`` from ``RUN_FILE``, or ``""`` if it cannot be read."""
    try:
        run = json.loads(run_file.read_text(encoding="utf-8"))
        return f" (pid {int(run['pid'])} on {str(run['host'])[:64]}, started {str(run['started'])[:19]})"
    except (OSError, ValueError, TypeError, KeyError):
        return ""


def _remove_temporaries(out_dir: Path) -> None:
    """Temporary files of a killed run in ``out_dir`` and two levels below (never complete, so never a
    result; see :func:`pipeline.io.tables.atomic_path`)."""
    for stray in [*out_dir.glob(TEMPORARY), *out_dir.glob(f"*/*/{TEMPORARY}")]:
        stray.unlink(missing_ok=True)
