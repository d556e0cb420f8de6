"""OFD documents (GB/T 33190), the national format for e-government documents: recognised and refused.

An OFD is a zip package (``OFD.xml`` at its root) of XML pages. No maintained Python parser was found to
read one correctly (docs/formats.md, "OFD"), so rolcov recognises the format — instead of calling it a
damaged .docx — and says how to get a file it reads.
"""

from __future__ import annotations

import io
import zipfile
from pathlib import Path
from typing import NoReturn

from pipeline.errors import InputError


def is_ofd(data: bytes) -> bool:
    """Whether a zip archive is an OFD package (``OFD.xml`` at its root)."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            return "OFD.xml" in archive.namelist()
    except zipfile.BadZipFile:
        return False


def refuse_ofd(path: Path) -> NoReturn:
    """Refuse an OFD document, saying what to do instead."""
    raise InputError(
        f"{path}: an OFD document (GB/T 33190), which rolcov does not read; open it in an OFD "
        "reader and export or print it as PDF, then pass the PDF"
    )
