"""Read scanned reports — PDFs without a text layer and page images — with a Chinese OCR engine.

The signed copy of a report, with its red seal, is often published only as a scan. The engine is RapidOCR
(PP-OCR detection and recognition models run by onnxruntime): its wheel ships the models, so it works
offline from what ``pip install 'rolcov[ocr]'`` installs and downloads nothing at run time. It was chosen
over Tesseract's ``chi_sim`` on character error rate and speed (``bench/scans.py``, docs/formats.md).

What happens to a page: PDF pages are rendered at :data:`RENDER_DPI` (pypdfium2), image files are read with
all their frames (multi-page TIFF); red seal ink is turned white, so a seal's text is not read and the black
text under it is; the engine finds the text lines with a confidence each. Turning the lines into paragraphs
(reading order, running headers, page numbers) is :mod:`pipeline.io.ocr_layout`'s job.
"""

from __future__ import annotations

from collections.abc import Iterator
from functools import lru_cache
from pathlib import Path

from pipeline.errors import InputError
from pipeline.io.ocr_layout import ScanText, TextBox, read_layout
from pipeline.io.pages import page_series

#: Resolution scanned PDF pages are rendered at: 16 pt 公文 text is then ~44 px high, ample for the models,
#: and an A4 page (1654 × 2339 px) is near the 2,000 px the detector works at.
RENDER_DPI = 200
#: Red seal ink: red well above both green and blue (grey text and paper have the three about equal). Black
#: text under the seal is dark in every channel and stays; the seal's ring, star and text go, and so do the
#: light pinkish pixels at the edges of its strokes (:data:`_SEAL_EDGE`), which would still read as characters.
_SEAL_RED_MARGIN = 30
_SEAL_EDGE = 5
_DARK = 100
_OCR_EXTRA = "pip install 'rolcov[ocr]'"


def image_kind(head: bytes) -> str:
    """``image`` when the first bytes are a PNG, JPEG or TIFF header, else ``""``."""
    magic = (b"\x89PNG\r\n\x1a\n", b"\xff\xd8\xff", b"II*\x00", b"MM\x00*")
    return "image" if head.startswith(magic) else ""


def read_scan(path: Path, data: bytes, kind: str, threads: int = 0) -> ScanText:
    """OCR every page of a scanned PDF (``kind="pdf"``) or of an image file and its series (``"image"``).

    Pages are read one at a time, so memory holds one page image, however long the report.
    """
    check_engine(path)
    if kind == "pdf":
        pages = pdf_pages(path, data)
    else:
        pages = (page for image_file in page_series(path) for page in image_pages(image_file))
    return read_layout([recognise_page(page, number, threads) for number, page in enumerate(pages, start=1)])


def pdf_pages(path: Path, data: bytes) -> Iterator[object]:
    """The pages of a PDF rendered at :data:`RENDER_DPI`, as PIL images, one at a time."""
    import pypdfium2

    try:
        document = pypdfium2.PdfDocument(data)
    except pypdfium2.PdfiumError as error:
        raise InputError(f"{path}: a damaged PDF ({error}); re-download it") from None
    try:
        for index in range(len(document)):
            yield document[index].render(scale=RENDER_DPI / 72).to_pil()
    finally:
        document.close()


def image_pages(path: Path) -> Iterator[object]:
    """Every frame of an image file (one for PNG/JPEG, each page of a TIFF), upright per its EXIF tag."""
    from PIL import Image, ImageOps, UnidentifiedImageError

    try:
        with Image.open(path) as image:
            for frame in range(getattr(image, "n_frames", 1)):
                image.seek(frame)
                yield ImageOps.exif_transpose(image).convert("RGB")
    except (UnidentifiedImageError, OSError, SyntaxError) as error:  # PIL's damaged-file errors
        raise InputError(f"{path}: a damaged image ({error}); re-download or rescan it") from None


def without_seal_ink(image: object) -> object:
    """``image`` with red ink turned white (see :data:`_SEAL_RED_MARGIN`)."""
    import numpy as np
    from PIL import Image, ImageFilter

    pixels = np.asarray(image.convert("RGB"))
    red, green, blue = (pixels[..., channel].astype(np.int16) for channel in range(3))
    ink = Image.fromarray(((red - np.maximum(green, blue)) > _SEAL_RED_MARGIN).astype(np.uint8) * 255)
    near_ink = np.asarray(ink.filter(ImageFilter.MaxFilter(_SEAL_EDGE))) > 0
    cleaned = pixels.copy()
    cleaned[near_ink & (np.minimum(red, np.minimum(green, blue)) > _DARK)] = 255
    cleaned[np.asarray(ink) > 0] = 255
    return Image.fromarray(cleaned)


def recognise_page(image: object, page: int, threads: int = 0) -> list[TextBox]:
    """The text lines the engine finds on one page image, seal ink removed first.

    Parameters
    ----------
    image : PIL.Image.Image
        A page.
    page : int
        Its number in the report (1-based), carried into every box.
    threads : int
        Threads of the engine (0: onnxruntime's default, every core). Batch workers use 1: the workers are
        the parallelism.
    """
    import numpy as np

    result = _engine(threads)(np.asarray(without_seal_ink(image)))
    if result.boxes is None:
        return []
    return [
        TextBox.from_corners(page, corners, text, float(score))
        for corners, text, score in zip(result.boxes.tolist(), result.txts, result.scores)
    ]


def check_engine(path: Path) -> None:
    """Refuse a scan at once, naming the install command, when the OCR engine is not installed."""
    try:
        import rapidocr  # noqa: F401
    except ImportError:
        raise InputError(f"{path}: a scan, and reading scans needs the OCR engine; {_OCR_EXTRA}") from None


@lru_cache(maxsize=2)
def _engine(threads: int) -> object:
    """The RapidOCR engine with its bundled models, built once per process and thread count."""
    from rapidocr import RapidOCR

    # No line-direction classifier: scanned report pages are upright, and it turned lines with “” upside down
    # (read as two garbage characters) on the seeds' scans. Every line read is returned, however uncertain:
    # pipeline.io.ocr_layout keeps the text of the confident ones and counts all in the confidence.
    settings = {"Global.log_level": "error", "Global.use_cls": False, "Global.text_score": 0.0}
    if threads:
        settings |= {
            "EngineConfig.onnxruntime.intra_op_num_threads": threads,
            "EngineConfig.onnxruntime.inter_op_num_threads": threads,
        }
    return RapidOCR(params=settings)
