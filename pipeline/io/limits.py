"""Limits on what one input may cost, checked before the work: a hostile or broken file is refused in one line.

A 7 MB .docx can unpack to 2 GB, a PDF can claim a million pages, a model card or an export can be a
gigabyte of nested brackets. Each limit here is far above what a real report, workbook, model or card
needs, and each can be raised by an environment variable, which reaches every process of a run (batch
workers, Dask workers) and Python callers alike. The message of a refusal names the file, what was found,
the limit and the variable to raise it with.

Zip archives (.docx, .xlsx, skops models) are checked on their central directory: Python's :mod:`zipfile`
never unpacks more than the size a member declares, so a member that lies about its size fails its CRC
check instead of filling memory.
"""

from __future__ import annotations

import os
import zipfile
from dataclasses import dataclass
from pathlib import Path

from pipeline.errors import InputError, RolcovError


@dataclass(frozen=True)
class Limit:
    """One limit: its environment variable, default, unit and what it bounds.

    Attributes
    ----------
    variable : str
        Environment variable that raises (or lowers) it, e.g. ``ROLCOV_MAX_UNZIPPED_MB=2048``.
    default : int
        The value without the variable.
    unit : str
        ``MB``, ``KB`` or ``pages``; the value is in this unit.
    what : str
        What it bounds, as the refusal says it.
    """

    variable: str
    default: int
    unit: str
    what: str

    @property
    def value(self) -> int:
        """The limit in force: the variable if set to a positive whole number, else :attr:`default`."""
        text = os.environ.get(self.variable, "").strip()
        return int(text) if text.isdigit() and int(text) > 0 else self.default

    @property
    def bytes(self) -> int:
        """The limit in bytes (for ``MB`` and ``KB`` limits)."""
        return self.value * {"MB": 2**20, "KB": 2**10}[self.unit]

    def refusal(self, path: str | Path, found: str) -> str:
        """The one-line message of a refusal: file, what was found, the limit and how to raise it."""
        return (
            f"{path}: {found}, over the limit of {self.value:,} {self.unit} {self.what}; if the file is "
            f"genuine, raise the limit with the environment variable {self.variable}"
        )


TEXT_FILE = Limit("ROLCOV_MAX_TEXT_MB", 50, "MB", "for a .txt/.html report")
DOCUMENT_FILE = Limit("ROLCOV_MAX_FILE_MB", 512, "MB", "for a .docx/.pdf report")
UNZIPPED = Limit("ROLCOV_MAX_UNZIPPED_MB", 512, "MB", "unpacked for a .docx/.xlsx file")
MODEL_UNZIPPED = Limit("ROLCOV_MAX_MODEL_MB", 512, "MB", "unpacked for a model file")
PDF_PAGES = Limit("ROLCOV_MAX_PDF_PAGES", 5000, "pages", "for a PDF report")
MODEL_CARD = Limit("ROLCOV_MAX_CARD_KB", 1024, "KB", "for a model card")
#: Every limit, for the documentation and ``--help``.
LIMITS = (TEXT_FILE, DOCUMENT_FILE, UNZIPPED, MODEL_UNZIPPED, PDF_PAGES, MODEL_CARD)


def check_zip_size(
    archive: zipfile.ZipFile, path: str | Path, limit: Limit = UNZIPPED, error: type[RolcovError] = InputError
) -> None:
    """Refuse an archive whose members declare more than ``limit`` unpacked, before anything is unpacked.

    Parameters
    ----------
    archive : zipfile.ZipFile
        Opened, not yet read.
    path : str or Path
        The file named in the message.
    limit : Limit
        :data:`UNZIPPED` for documents, :data:`MODEL_UNZIPPED` for models.
    error : type of RolcovError
        What to raise (``InputError`` for a report, ``ModelError`` for a model).
    """
    members = archive.infolist()
    total = sum(member.file_size for member in members)
    if total > limit.bytes:
        largest = max(members, key=lambda member: member.file_size)
        raise error(
            limit.refusal(
                path,
                f"unpacks to {total / 2**20:,.0f} MB ({largest.filename}: "
                f"{largest.file_size / 2**20:,.0f} MB; a zip bomb?)",
            )
        )
