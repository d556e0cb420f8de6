"""Page images of one report: ``report_1.png``, ``report_2.png`` … are read as one report.

A report scanned to images arrives as one file per page. Read one by one, every page would be a report of
its own and every paragraph that runs over a page break would be cut in two. Images in one folder whose
names differ only in a page number at the end — after ``_``, ``-``, a space, ``p``/``page`` or as ``第N页`` /
``(N)`` — and that have the same extension form a *series*; it is read as one report, named after its first
page, whose content is all its pages (so a batch run redoes it when any page changes).
"""

from __future__ import annotations

import re
from pathlib import Path

from pipeline.io.checksum import files_sha256

#: Image files read as scanned pages (each frame of a multi-page TIFF is a page).
IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".tif", ".tiff")

# The page number at the end of a stem, and the name before it; 1–3 digits, so that a year (report2019)
# is not taken for a page number.
_PAGE = re.compile(
    r"^(?P<name>.*?)(?:[_\-\s.]+(?:p|page)?\s*|(?<=\D)p|第)(?P<number>\d{1,3})(?:页)?$|"
    r"^(?P<name2>.*?)\s*[(（](?P<number2>\d{1,3})[)）]$",
    re.IGNORECASE,
)


def _series_key(path: Path) -> tuple[str, int] | None:
    """(name before the page number, page number) of an image whose stem ends in one, else None."""
    if path.suffix.lower() not in IMAGE_SUFFIXES:
        return None
    match = _PAGE.match(path.stem)
    if not match:
        return None
    return (match.group("name") if match.group("number") else match.group("name2")).strip(), int(
        match.group("number") or match.group("number2")
    )


def page_series(path: Path) -> list[Path]:
    """The pages of the series ``path`` belongs to, in page order; ``[path]`` when it is not in one."""
    key = _series_key(path)
    if key is None or not path.parent.is_dir():
        return [path]
    pages = []
    for sibling in path.parent.iterdir():
        sibling_key = _series_key(sibling)
        if sibling_key and sibling_key[0] == key[0] and sibling.suffix.lower() == path.suffix.lower():
            pages.append((sibling_key[1], sibling))
    return [page for _, page in sorted(pages)] if len(pages) > 1 else [path]


def first_pages(files: list[Path]) -> list[Path]:
    """``files`` with each series of page images among them kept once, as its first page, in place.

    Grouped by name alone (no folder listing per file), so a folder of thousands of files costs one pass.
    """
    groups: dict[tuple[Path, str, str], list[tuple[int, Path]]] = {}
    for path in files:
        key = _series_key(path)
        if key:
            groups.setdefault((path.parent, key[0], path.suffix.lower()), []).append((key[1], path))
    later = {path for pages in groups.values() if len(pages) > 1 for _, path in sorted(pages)[1:]}
    first = {path: min(pages)[1] for pages in groups.values() if len(pages) > 1 for _, path in pages}
    return [first.get(path, path) for path in files if path not in later]


def report_sha256(path: Path) -> str:
    """Hex sha256 of a report's content: the file's bytes, or every page of its series in order."""
    return files_sha256(page_series(Path(path)))
