"""Read a report file as people actually have it and return its text lines.

Reports arrive as scraped web pages, .docx files from government sites, PDFs with a text layer and .txt files
in GBK or Big5. The file type is decided by the bytes (magic numbers, markup) as well as by the extension,
because downloaded files are often misnamed. The encoding is detected by ``charset-normalizer`` rather than
guessed by hand. Nothing here interprets the report: cleaning, de-duplication and structure belong to
:mod:`pipeline.text.segment`.
"""

from __future__ import annotations

import codecs
import io
import logging
import unicodedata
import zipfile
from dataclasses import dataclass
from pathlib import Path

import charset_normalizer

from pipeline.errors import InputError
from pipeline.io.convert import ConvertOptions, convert_file, warn_if_unreliable
from pipeline.io.limits import DOCUMENT_FILE, PDF_PAGES, TEXT_FILE, check_zip_size
from pipeline.io.linebreaks import is_lineless, restore_line_breaks
from pipeline.io.ocr import image_kind
from pipeline.io.ofd import is_ofd
from pipeline.io.office import OFFICE_SUFFIXES, office_kind
from pipeline.io.pages import IMAGE_SUFFIXES, first_pages, report_sha256
from pipeline.io.webpage import PageInfo, read_page
from pipeline.schema import report_ids

SUPPORTED_SUFFIXES = (".txt", ".text", ".html", ".htm", ".docx", ".pdf", *OFFICE_SUFFIXES, *IMAGE_SUFFIXES, ".ofd")
# File types whose text comes from a converter (pipeline.io.convert); "pdf" only when it has no text layer.
CONVERTED_TYPES = ("doc", "rtf", "image", "ofd")

# Enough bytes to tell the file type and binary content apart without reading the whole file.
SNIFF_BYTES = 4096

# Encodings Chinese reports are published in. Restricting detection to them keeps charset-normalizer from
# mistaking a short GB18030 file for a Western code page.
CANDIDATE_ENCODINGS = ("utf_8", "gb18030", "big5", "utf_16", "utf_32")
# Longest tail of a cut character that is dropped to decode a truncated file (a GB18030/UTF-8 character has
# at most 4 bytes, so at most 3 are left of it).
_MAX_CHAR_BYTES = 4

_LOG = logging.getLogger("rolcov")


@dataclass(frozen=True)
class Report:
    """One report file, read but not yet interpreted.

    Attributes
    ----------
    report_id : str
        The file name without extension, made distinct where names repeat in a run (see
        :func:`pipeline.schema.report_ids`); stable, so paragraph ids built on it are stable.
    path : str
        Where the report was read from.
    file_type : str
        ``txt``, ``html``, ``docx``, ``pdf``, ``doc`` (Word/WPS), ``rtf``, ``image`` or ``ofd``, as decided
        from the content.
    encoding : str
        The detected text encoding (``""`` for the other types, which carry their own).
    lines : tuple[str, ...]
        The original text, one entry per line/paragraph of the file, stripped of surrounding blanks; for a
        web page, the main content only (see :mod:`pipeline.io.webpage`).
    page : PageInfo or None
        What a web page states about its document besides the text (``<title>``, ``<meta>``, the 信息公开
        block); None for other file types.
    ocr_confidence : float or None
        For a scan read by OCR, the engine's mean confidence in its characters (0–1); None otherwise.
    """

    report_id: str
    path: str
    file_type: str
    encoding: str
    lines: tuple[str, ...]
    page: PageInfo | None = None
    ocr_confidence: float | None = None

    @property
    def text(self) -> str:
        """The original text, lines joined by newlines."""
        return "\n".join(self.lines)


def read_report(
    path: str | Path,
    max_text_bytes: int | None = None,
    report_id: str | None = None,
    convert: ConvertOptions | None = None,
) -> Report:
    """Read one report file of any supported type.

    The type, binary content and size are checked on the file's first :data:`SNIFF_BYTES` and its size
    before the whole file is read, so a 200 MB binary or text dump is refused at once instead of being
    loaded and decoded.

    Parameters
    ----------
    path : str or Path
        A report file of a type in :data:`SUPPORTED_SUFFIXES`. The content decides the reader; the extension
        is only a hint. A page image whose name ends in a page number is read with the rest of its series
        (:mod:`pipeline.io.pages`).
    max_text_bytes : int, optional
        Largest .txt/.html file accepted (default :data:`pipeline.io.limits.TEXT_FILE`: 50 MB, or
        ``$ROLCOV_MAX_TEXT_MB``). A .docx/.pdf is limited by its size, what it unpacks to and its pages (same module).
    report_id : str, optional
        The id from :func:`pipeline.schema.report_ids` when the file is one of a run; default the file's stem.
    convert : ConvertOptions, optional
        Cache folder, timeout and OCR threads for the files that need a converter (old Word/WPS/RTF, scans,
        page images, OFD; :mod:`pipeline.io.convert`); default :class:`ConvertOptions()`, no cache.

    Returns
    -------
    Report

    Raises
    ------
    InputError
        For a missing, unreadable, empty, binary, oversized, undecodable or unsupported file, or a device or
        pipe, with a one-line message naming it.
    """
    path = Path(path)
    check_regular_file(path)
    try:
        size = path.stat().st_size
        with path.open("rb") as stream:
            head = stream.read(SNIFF_BYTES)
            if not head.strip() and size <= SNIFF_BYTES:
                raise InputError(f"{path}: the file is empty; remove it or re-download the report")
            file_type = sniff_file_type(path, head)
            _check_size(path, file_type, size, max_text_bytes)
            data = head + stream.read()
    except OSError as error:  # permission denied, an I/O error, a file removed while being read
        raise InputError(
            f"{path}: cannot be read ({error.strerror or error}); check that it exists and that you may read it"
        ) from None
    encoding, page, ocr_confidence = "", None, None
    if file_type == "docx" and is_ofd(data):
        file_type = "ofd"
    if file_type == "docx":
        lines = _docx_lines(path, data)
    elif file_type == "pdf" and (text_layer := _pdf_lines(path, data)):
        lines = text_layer
    elif file_type in (*CONVERTED_TYPES, "pdf"):
        converted = convert_file(path, data, file_type, report_sha256(path), convert or ConvertOptions())
        warn_if_unreliable(path, converted)
        lines, ocr_confidence = converted.lines, converted.ocr_confidence
    else:
        text, encoding = decode_bytes(path, data)
        web_page = read_page(text, str(path)) if file_type == "html" else None
        lines, page = (web_page.lines, web_page.info) if web_page else (text.splitlines(), None)
    lines = [clean for line in lines if (clean := _strip_line(line))]
    lines = tuple(restore_line_breaks(lines) if is_lineless(lines) else lines)
    if not lines:
        raise InputError(f"{path}: no text found in this {file_type} file; check that it holds a report")
    return Report(report_id or report_ids([path])[path], str(path), file_type, encoding, lines, page, ocr_confidence)


def check_regular_file(path: Path) -> None:
    """Refuse what is not a regular file before opening it: opening a named pipe waits for a writer forever."""
    if path.is_file():
        return
    if path.exists():
        raise InputError(f"{path}: not a regular file (a folder, device, pipe or socket); name a report file")
    raise InputError(f"{path}: no such file; check the path")


def _check_size(path: Path, file_type: str, size: int, max_text_bytes: int | None) -> None:
    """Refuse a file over its type's size limit before it is read (it is read into memory whole)."""
    if file_type in ("docx", "pdf") and size > DOCUMENT_FILE.bytes:
        raise InputError(DOCUMENT_FILE.refusal(path, f"{size / 2**20:,.0f} MB"))
    limit = TEXT_FILE.bytes if max_text_bytes is None else max_text_bytes
    if file_type in ("txt", "html") and size > limit:
        raise InputError(
            f"{path}: {size / 2**20:.0f} MB is too large for a text report (limit "
            f"{limit / 2**20:.0f} MB); check that it is a report, or split it (or raise the limit "
            f"with the environment variable {TEXT_FILE.variable})"
        )


def sniff_file_type(path: Path, head: bytes) -> str:
    """Decide the reader from the first bytes of the file first and the extension second.

    A zip header is taken as .docx here; :func:`read_report` tells an OFD apart and :func:`_docx_lines`
    refuses a zip that is neither, since telling them apart needs the archive's directory at the end of the
    file.
    """
    head = head[:SNIFF_BYTES]
    if head.startswith(b"%PDF"):
        return "pdf"
    if head.startswith(b"PK\x03\x04"):
        return "docx"
    converted = office_kind(path, head) or image_kind(head)
    if converted:
        return converted
    if _looks_binary(head):
        raise InputError(f"{path}: binary data, not a report; supported types are {', '.join(SUPPORTED_SUFFIXES)}")
    suffix = path.suffix.lower()
    lowered = head.lower()
    if suffix in (".html", ".htm") or any(tag in lowered for tag in (b"<html", b"<body", b"<!doctype html", b"<p>")):
        return "html"
    if suffix in (".docx", ".pdf"):
        raise InputError(f"{path}: named {suffix} but the content is plain text; rename it to .txt")
    return "txt"


def _is_docx(path: Path, data: bytes) -> bool:
    """True for a zip holding ``word/document.xml``; refused if it unpacks to more than the limit."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            check_zip_size(archive, path)
            return "word/document.xml" in archive.namelist()
    except zipfile.BadZipFile:
        return False


def _looks_binary(head: bytes) -> bool:
    """NUL bytes mean binary unless the file is UTF-16/32 (which has a BOM or NULs in a regular pattern)."""
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return False
    if b"\x00" not in head:
        control = sum(byte < 9 or 13 < byte < 32 for byte in head)
        return control > len(head) * 0.05
    return not _looks_utf16(head)


def _looks_utf16(head: bytes) -> bool:
    even_nuls = head[0::2].count(0)
    odd_nuls = head[1::2].count(0)
    half = max(len(head) // 2, 1)
    return (even_nuls > half * 0.3) != (odd_nuls > half * 0.3)


def decode_bytes(path: Path, data: bytes) -> tuple[str, str]:
    """Decode text bytes with the encoding charset-normalizer finds among :data:`CANDIDATE_ENCODINGS`.

    A download that stopped early can cut the last character in half (UTF-8 uses up to 4 bytes per
    character, GB18030 2 or 4), which would make the whole file undecodable. If the file decodes once its
    last 1–3 bytes are dropped, they are dropped with a one-line warning naming the file: the report loses
    one character, not all its paragraphs.
    """
    for cut in range(_MAX_CHAR_BYTES):
        decoded = _decode(data[: len(data) - cut])
        if decoded is not None:
            if cut:
                _LOG.warning(
                    "%s: the last %d byte(s) are an incomplete character (an interrupted download?); "
                    "dropped them, re-download the file for the full text",
                    path,
                    cut,
                )
            return decoded
    raise InputError(f"{path}: cannot decode the text as UTF-8, GB18030/GBK, Big5 or UTF-16; re-save the file as UTF-8")


def _decode(data: bytes) -> tuple[str, str] | None:
    encoding = "utf_8_sig" if data.startswith(codecs.BOM_UTF8) else "utf_8"
    try:
        return data.decode(encoding), encoding
    except UnicodeDecodeError:
        pass
    match = charset_normalizer.from_bytes(data, cp_isolation=list(CANDIDATE_ENCODINGS)).best()
    return None if match is None else (str(match), match.encoding)


def _strip_line(line: str) -> str:
    # U+3000 (ideographic space) and NBSP indent scraped pages; they are layout, not content.
    return line.replace("\u00a0", " ").replace("\u3000", " ").replace("\ufeff", "").strip()


def _docx_lines(path: Path, data: bytes) -> list[str]:
    """Paragraphs of a .docx in document order, table cells included."""
    import docx
    import docx.table

    if not _is_docx(path, data):
        raise InputError(f"{path}: a zip archive that is not a .docx; unpack it and pass the report inside")
    try:
        document = docx.Document(io.BytesIO(data))
    except Exception as error:  # python-docx raises several unrelated types for a damaged package
        raise InputError(
            f"{path}: a damaged .docx ({error.__class__.__name__}); open and re-save it in Word/WPS"
        ) from None
    lines = []
    for block in document.iter_inner_content():  # paragraphs and tables as they follow each other
        if isinstance(block, docx.table.Table):
            lines.extend(cell.text for row in block.rows for cell in row.cells)
        else:
            lines.append(block.text)
    return lines


def _pdf_lines(path: Path, data: bytes) -> list[str]:
    """Text layer of a PDF with visual line breaks joined back into paragraphs."""
    from pypdf import PdfReader
    from pypdf.errors import DependencyError, FileNotDecryptedError, PyPdfError

    try:
        reader = PdfReader(io.BytesIO(data))  # opens an owner-password-only ("no copying") file by itself
        _check_pages(path, reader)
        pages = [page.extract_text(extraction_mode="layout") or "" for page in reader.pages]
    except FileNotDecryptedError:
        raise InputError(
            f"{path}: the PDF is protected by a password needed to open it; ask the publisher for "
            "an unprotected copy, or remove the password (e.g. qpdf --decrypt "
            "--password=PASSWORD in.pdf out.pdf)"
        ) from None
    except DependencyError as error:  # an AES-encrypted file read without the 'cryptography' package
        raise InputError(f"{path}: an encrypted PDF ({error}); install the package: pip install cryptography") from None
    except (PyPdfError, ValueError, KeyError) as error:
        raise InputError(f"{path}: a damaged or truncated PDF ({error}); re-download it") from None
    lines = [line for page in pages for line in page.splitlines()]
    return reflow_lines(lines)  # empty for a scan: read_report sends it to OCR


def _check_pages(path: Path, reader: object) -> None:
    """Refuse a PDF of more than :data:`pipeline.io.limits.PDF_PAGES` pages from its page count alone."""
    pages = len(reader.pages)
    if pages > PDF_PAGES.value:
        raise InputError(PDF_PAGES.refusal(path, f"{pages:,} pages"))


def reflow_lines(lines: list[str]) -> list[str]:
    """Join lines that a PDF broke at the page margin back into paragraphs.

    ``lines`` come from pypdf's layout mode, which keeps each line's indentation. A new paragraph starts
    at an indented line (公文 paragraphs are indented two characters) or after a line that stops well short
    of the column width; any other line continues the paragraph before it.
    """
    rows = [(len(line) - len(line.lstrip()), _strip_line(line)) for line in lines]
    rows = [(indent, text) for indent, text in rows if text]
    if not rows:
        return []
    margin = min(indent for indent, _ in rows)
    measure = max(_display_width(text) for _, text in rows)
    paragraphs: list[str] = []
    previous_full = False
    for indent, text in rows:
        if paragraphs and previous_full and indent <= margin:
            paragraphs[-1] += text
        else:
            paragraphs.append(text)
        previous_full = _display_width(text) >= measure * 0.85
    return paragraphs


def _display_width(text: str) -> int:
    """Width in half-width cells; CJK and ambiguous-width punctuation (“”) take two."""
    return sum(2 if unicodedata.east_asian_width(char) in "WFA" else 1 for char in text)


def find_report_files(paths: list[str | Path]) -> tuple[list[Path], list[tuple[str, str]]]:
    """Expand files and directories into the report files to read, in a stable order, and what was skipped.

    Directories are searched recursively (hidden files and folders left out). A file of a type rolcov does
    not read (.xlsx, .zip, .jpg…) or a link to nothing is *skipped* and named with the reason, so that a
    folder's unread files are never silently missing from the results. A file named explicitly is always
    returned, so that a misnamed report still gets its content sniffed.

    Returns
    -------
    files : list of Path
        Report files, each directory's sorted by path.
    skipped : list of (str, str)
        ``(path, one-line reason)`` of every other file found in the directories.
    """
    files: list[Path] = []
    skipped: list[tuple[str, str]] = []
    for entry in map(Path, paths):
        if not entry.is_dir():
            files.append(entry)
            continue
        for path in sorted(entry.rglob("*")):
            if any(part.startswith(".") for part in path.relative_to(entry).parts) or path.is_dir():
                continue
            reason = _skip_reason(path)
            if reason:
                skipped.append((str(path), f"{path}: skipped, {reason}"))
            else:
                files.append(path)
    return first_pages(files), skipped


def _skip_reason(path: Path) -> str:
    if not path.exists():
        return "a link to a file that does not exist; fix or remove the link"
    if not path.is_file():
        return "not a regular file (a device, pipe or socket); remove it from the folder"
    if path.suffix.lower() not in SUPPORTED_SUFFIXES:
        return (
            f"{path.suffix or 'a file without extension'} is not a report type rolcov reads "
            f"({', '.join(SUPPORTED_SUFFIXES)}); convert it, or name it explicitly if it is one"
        )
    return ""
