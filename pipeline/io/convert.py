"""Text of the files that need a converter — old Word/WPS/RTF, scans, page images, OFD — with a cache.

Converting a .doc takes LibreOffice seconds and reading a scan takes the OCR engine seconds per page; a
corpus of hundreds of such files is an hour of work that a resumed or repeated run must not do again. So the
text each conversion produces is kept in a cache folder, one JSON file per input named by the sha256 of its
content (all pages of a page-image series), and read from there the next time the same content comes by,
whatever the file is called or wherever it lies. A cache file is written atomically
(:func:`pipeline.io.tables.atomic_path`): it exists only when complete. Batch runs keep their cache in
``OUT/converted`` (:mod:`pipeline.model.batch`); ``--cache DIR`` names another one, shared by runs.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from pathlib import Path

from pypdf import PdfReader
from pypdf.errors import PdfReadError

from pipeline.errors import InputError
from pipeline.io.ocr import image_kind
from pipeline.io.pages import page_series
from pipeline.io.tables import atomic_path

#: Bumped when a converter's output changes, so that text from the old one is not reused.
CACHE_VERSION = 1
#: Below this mean OCR confidence a report gets a warning line. Clean scans of the seeds read at 0.985–0.99; a
#: blurred grey page at 100 dpi, of which the engine lost half the lines, at 0.94 (tests/test_scans.py).
LOW_CONFIDENCE = 0.95

_LOG = logging.getLogger("rolcov")


@dataclass(frozen=True)
class ConvertOptions:
    """How files that need a converter are read.

    Parameters
    ----------
    cache_dir : str or Path, optional
        Folder of converted text, keyed by content hash (default: none, every file is converted).
    timeout : float
        Seconds LibreOffice may take for one document.
    ocr_threads : int
        Threads of the OCR engine; 0 lets it use every core. Batch workers use 1.
    """

    cache_dir: str | Path | None = None
    timeout: float = 120
    ocr_threads: int = 0


@dataclass(frozen=True)
class Converted:
    """The text of a converted file, as cached.

    Attributes
    ----------
    lines : list of str
        The document's lines (paragraphs, headings), in reading order.
    ocr_confidence : float or None
        Mean OCR confidence over the characters kept (0–1); None when no OCR was needed.
    pages : int
        Pages read by OCR (0 without OCR).
    """

    lines: list[str]
    ocr_confidence: float | None = None
    pages: int = 0


def convert_file(path: Path, data: bytes, kind: str, content_key: str, options: ConvertOptions) -> Converted:
    """The text of ``path`` (its bytes ``data``) by the converter for ``kind``, from the cache when there.

    Parameters
    ----------
    path : Path
        The file, for messages and for the pages of a page-image series.
    data : bytes
        Its content.
    kind : {"doc", "rtf", "pdf", "image", "ofd"}
        What it is, as sniffed by :func:`pipeline.io.ingest.sniff_file_type`: ``pdf`` is a PDF without a
        text layer.
    content_key : str
        sha256 of the content (:func:`pipeline.io.pages.report_sha256`), the cache key.
    options : ConvertOptions

    Raises
    ------
    InputError
        If the converter is missing, fails, times out, or finds no text.
    """
    cached = _cache_file(options, content_key)
    if cached and cached.is_file():
        return Converted(**json.loads(cached.read_text(encoding="utf-8"))["converted"])
    converted = _convert(path, data, kind, options)
    if not any(line.strip() for line in converted.lines):
        what = f"the {converted.pages} scanned page(s)" if converted.pages else "the document"
        raise InputError(
            f"{path}: no text found in {what} (a photo, a blank page or an empty document?); "
            "check that it holds a report"
        )
    if cached:
        with atomic_path(cached) as temporary:
            record = {"version": CACHE_VERSION, "kind": kind, "converted": converted.__dict__}
            temporary.write_text(json.dumps(record, ensure_ascii=False), encoding="utf-8")
    return converted


def ocr_page_count(path: Path, content_key: str, options: ConvertOptions) -> int:
    """Pages that reading ``path`` will OCR: those of a scanned PDF or page images not yet in the cache; else 0.

    Cheap enough to ask of every input before a batch starts (the progress bar of pages needs the total): a
    PDF counts as scanned when none of its pages uses a font, which shows in the page resources without
    extracting any text, and the check stops at the first page that has one.
    """
    cached = _cache_file(options, content_key)
    if cached and cached.is_file():
        return 0
    with path.open("rb") as stream:
        head = stream.read(8)
    try:
        if image_kind(head):
            return sum(_frames(page) for page in page_series(path))
        if head.startswith(b"%PDF"):
            return _scanned_pdf_pages(path)
    except (ImportError, OSError, ValueError, KeyError, PdfReadError):  # the worker reports what is wrong
        return 0
    return 0


def _frames(image_file: Path) -> int:
    from PIL import Image

    with Image.open(image_file) as image:
        return getattr(image, "n_frames", 1)


def _scanned_pdf_pages(path: Path) -> int:
    reader = PdfReader(path)
    for page in reader.pages:
        if "/Font" in (page["/Resources"] if "/Resources" in page else {}):
            return 0
    return len(reader.pages)


def warn_if_unreliable(path: Path, converted: Converted) -> None:
    """One warning line naming the file when its OCR confidence is below :data:`LOW_CONFIDENCE`."""
    if converted.ocr_confidence is not None and converted.ocr_confidence < LOW_CONFIDENCE:
        _LOG.warning(
            "%s: OCR confidence %.2f is low (a faint, skewed or low-resolution scan?); check its "
            "paragraphs against the scan, or rescan it at 300 dpi",
            path,
            converted.ocr_confidence,
        )


def _cache_file(options: ConvertOptions, content_key: str) -> Path | None:
    if options.cache_dir is None:
        return None
    return Path(options.cache_dir) / f"v{CACHE_VERSION}" / f"{content_key}.json"


def _convert(path: Path, data: bytes, kind: str, options: ConvertOptions) -> Converted:
    if kind in ("doc", "rtf"):
        from pipeline.io.office import office_lines

        return Converted(office_lines(path, data, kind, timeout=options.timeout))
    if kind == "ofd":
        from pipeline.io.ofd import refuse_ofd

        refuse_ofd(path)
    if kind in ("pdf", "image"):
        from pipeline.io.ocr import read_scan

        scan = read_scan(path, data, kind, threads=options.ocr_threads)
        return Converted(scan.lines, scan.confidence, scan.pages)
    raise ValueError(f"no converter for {kind!r} files")  # the caller's dispatch is wrong: a bug
