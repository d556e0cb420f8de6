"""Read old Word (.doc), WPS (.wps) and RTF documents by converting them with LibreOffice.

County and department sites publish many reports as .doc or WPS files. LibreOffice reads all three formats
(a Kingsoft .wps is Word's binary format under another name), with their tables, and it is maintained; the
lighter antiword and catdoc read the same .doc files as well but no RTF (``bench/converters.py``,
docs/formats.md). It is started headless, once per document, with a user profile of its own in a temporary
folder — two workers sharing a profile would block each other — and killed with everything it started when
it runs longer than the timeout. It writes the document as UTF-8 text, one paragraph per line (list numbers
included), which :func:`pipeline.io.ingest.read_report` then reads like a .txt.
"""

from __future__ import annotations

import io
import os
import shutil
import signal
import subprocess
import tempfile
from pathlib import Path

from pipeline.errors import InputError

OFFICE_SUFFIXES = (".doc", ".wps", ".rtf")
#: Seconds a conversion may take: a long report converts in ~3 s, most of it LibreOffice starting up.
CONVERT_TIMEOUT = 120
_OLE_MAGIC = b"\xd0\xcf\x11\xe0"
_INSTALL = "apt-get install libreoffice-writer-nogui (Debian/Ubuntu) or LibreOffice from libreoffice.org"


def office_kind(path: Path, head: bytes) -> str:
    """``doc`` for a Word/WPS binary (OLE) file, ``rtf`` for RTF, ``""`` for anything else.

    A name ending in .doc/.wps/.rtf that is neither is left to the other readers (a web page saved as
    .doc is common).
    """
    if head.startswith(_OLE_MAGIC):
        return "doc"
    if head.lstrip().startswith(b"{\\rtf"):
        return "rtf"
    return ""


def office_lines(path: Path, data: bytes, kind: str, timeout: float = CONVERT_TIMEOUT) -> list[str]:
    """The paragraphs of a .doc/.wps (``kind="doc"``) or .rtf (``"rtf"``) document, converted by LibreOffice.

    Raises
    ------
    InputError
        If the document is password-protected, LibreOffice is not installed, it runs longer than
        ``timeout`` seconds, or it cannot convert the file (damaged, or not a document).
    """
    if kind == "doc" and _is_encrypted(data):
        raise InputError(
            f"{path}: the document is password-protected; open it, save a copy without the password and try again"
        )
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    if soffice is None:
        raise InputError(
            f"{path}: reading old Word/WPS/RTF files needs LibreOffice, which is not installed; "
            f"{_INSTALL}, or save the file as .docx"
        )
    with tempfile.TemporaryDirectory(prefix="rolcov-office-") as work:
        source = Path(work, f"report.{kind}")  # LibreOffice then reads a Kingsoft .wps as the Word file it is
        source.write_bytes(data)
        command = [
            soffice,
            f"-env:UserInstallation={Path(work, 'profile').as_uri()}",
            "--headless",
            "--norestore",
            "--convert-to",
            "txt:Text (encoded):UTF8",
            "--outdir",
            work,
            str(source),
        ]
        _run(command, path, timeout)
        converted = Path(work, "report.txt")
        if not converted.is_file():
            raise InputError(
                f"{path}: LibreOffice could not convert it (a damaged file, or not a Word/WPS/RTF "
                "document); open it and save it as .docx"
            )
        return converted.read_text(encoding="utf-8-sig").splitlines()


def _run(command: list[str], path: Path, timeout: float) -> None:
    """Run LibreOffice in a session of its own, so that a timeout kills it and every process it started."""
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()
        raise InputError(
            f"{path}: LibreOffice did not finish converting it within {timeout:g} s; open it and "
            "save it as .docx, or allow more time"
        ) from None


def _is_encrypted(data: bytes) -> bool:
    """Whether an OLE file is a password-protected Word/WPS document or an encrypted .docx."""
    import msoffcrypto
    from msoffcrypto.exceptions import FileFormatError

    try:
        return msoffcrypto.OfficeFile(io.BytesIO(data)).is_encrypted()
    except (FileFormatError, OSError, ValueError, AssertionError):
        return False  # not an Office document msoffcrypto knows: LibreOffice decides
