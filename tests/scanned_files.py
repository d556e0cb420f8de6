"""Build a seed report as the files people download besides text: a printed-and-scanned PDF, page images,
an old Word document.

Everything is made at test time from a seed's own lines, so a test can compare what rolcov reads from the
scan with the text it was printed from. The scan imitates a government printout: 公文 layout (a 16 pt
serif, 28 characters a line, two-character first-line indent), a page number ``— N —`` under every page, a
running header, rendered at 200 dpi, turned by a fraction of a degree, with scanner noise, and a red seal
stamped over the end of the last page.
"""

from __future__ import annotations

import math
import shutil
import subprocess
import tempfile
from pathlib import Path

from PIL import Image, ImageChops, ImageDraw, ImageFilter, ImageFont
from report_files import write_docx

DPI = 200
PAGE_MM = (210, 297)
MARGIN_MM = (28, 37, 26, 35)  # left, top, right, bottom: the 公文 page
FONT_PT = 16
LINE_SPACING = 1.55
SERIF = "/usr/share/fonts/opentype/noto/NotoSerifCJK-Regular.ttc"
SANS = "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc"
# NotoSerifCJK-Regular.ttc holds JP, KR, SC, TC, HK in that order: index 2 is Simplified Chinese
SC_INDEX = 2


def _px(mm: float) -> int:
    return round(mm / 25.4 * DPI)


# Punctuation that may not start a line (避头尾): typesetters hang it at the end of the line before.
_NO_LINE_START = "。，、；：？！）》」』”’,.;:?!)"


def _wrap(text: str, font: ImageFont.FreeTypeFont, width: int, indent: int) -> list[tuple[int, str]]:
    """(x offset, text) of the printed lines of one paragraph, the first indented by ``indent`` pixels."""
    lines, current, offset = [], "", indent
    for char in text:
        if current and char not in _NO_LINE_START and font.getlength(current + char) > width - offset:
            lines.append((offset, current))
            current, offset = "", 0
        current += char
    if current:
        lines.append((offset, current))
    return lines


def render_pages(lines: list[str], header: str = "") -> tuple[list[Image.Image], int]:
    """The report printed on A4 at 200 dpi (clean, upright pages; :func:`scan` makes them look scanned), and
    the middle of the last page's last text line."""
    font = ImageFont.truetype(SERIF, round(FONT_PT / 72 * DPI), index=SC_INDEX)
    small = ImageFont.truetype(SANS, round(10.5 / 72 * DPI), index=SC_INDEX)
    size = (_px(PAGE_MM[0]), _px(PAGE_MM[1]))
    left, top, right, bottom = (_px(mm) for mm in MARGIN_MM)
    width, step = size[0] - left - right, round(font.size * LINE_SPACING)
    printed = [row for line in lines for row in _wrap(line, font, width, round(font.getlength("一二")))]
    per_page = (size[1] - top - bottom) // step
    pages = []
    for number, start in enumerate(range(0, len(printed), per_page), start=1):
        page = Image.new("RGB", size, "white")
        draw = ImageDraw.Draw(page)
        for row, (offset, text) in enumerate(printed[start : start + per_page]):
            draw.text((left + offset, top + row * step), text, font=font, fill="black")
        if header:
            draw.text((left, _px(15)), header, font=small, fill="black")
            draw.line((left, _px(22), size[0] - right, _px(22)), fill="black", width=2)
        folio = f"— {number} —"
        draw.text(((size[0] - font.getlength(folio)) / 2, size[1] - _px(22)), folio, font=font, fill="black")
        pages.append(page)
    last_row = (len(printed) - 1) % per_page
    return pages, top + last_row * step + font.size // 2


def stamp_seal(page: Image.Image, text: str, last_line: int) -> Image.Image:
    """A red round seal (ring, star, text along the rim) stamped over the page's last text line (the date)."""
    ink = Image.new("RGB", page.size, "white")
    draw = ImageDraw.Draw(ink)
    radius = _px(21)
    centre = (page.size[0] - _px(30) - radius, last_line)
    red = (214, 32, 38)
    draw.ellipse(
        (centre[0] - radius, centre[1] - radius, centre[0] + radius, centre[1] + radius), outline=red, width=_px(1.2)
    )
    star = [
        (
            centre[0] + radius * 0.3 * math.sin(i * math.pi / 5) * (1 if i % 2 == 0 else 0.4),
            centre[1] - radius * 0.3 * math.cos(i * math.pi / 5) * (1 if i % 2 == 0 else 0.4),
        )
        for i in range(10)
    ]
    draw.polygon(star, fill=red)
    font = ImageFont.truetype(SANS, round(radius * 0.28), index=SC_INDEX)
    for index, char in enumerate(text):
        angle = math.radians(-150 + 300 * (index + 0.5) / len(text))
        glyph = Image.new("RGBA", (font.size * 2, font.size * 2), (0, 0, 0, 0))
        ImageDraw.Draw(glyph).text((font.size // 2, font.size // 2), char, font=font, fill=red)
        glyph = glyph.rotate(-math.degrees(angle), resample=Image.BICUBIC)
        where = (
            round(centre[0] + radius * 0.72 * math.sin(angle)) - font.size,
            round(centre[1] - radius * 0.72 * math.cos(angle)) - font.size,
        )
        ink.paste(glyph, where, glyph)
    return ImageChops.multiply(page, ink)  # ink over ink: the text under the seal stays dark


def scan(page: Image.Image, seed: int) -> Image.Image:
    """What an office scanner makes of a printed page: a slight turn, blur, grey paper, noise and specks."""
    import numpy as np

    rng = np.random.default_rng(seed)
    turned = page.rotate(rng.uniform(-0.8, 0.8), resample=Image.BICUBIC, fillcolor="white")
    pixels = np.asarray(turned.filter(ImageFilter.GaussianBlur(0.6)), dtype=np.float32) * 0.88  # grey paper
    pixels += rng.normal(0, 9, pixels.shape[:2])[..., None]
    specks = rng.random(pixels.shape[:2]) < 0.0001
    pixels[specks] = 90
    return Image.fromarray(np.clip(pixels, 0, 255).astype(np.uint8))


def scanned_pages(lines: list[str], seal_text: str = "专用章", seed: int = 0) -> list[Image.Image]:
    """The pages of :func:`render_pages`, the last one sealed, each run through :func:`scan`."""
    pages, last_line = render_pages(lines, header=lines[0][:16])
    pages[-1] = stamp_seal(pages[-1], seal_text, last_line)
    return [scan(page, seed + number) for number, page in enumerate(pages)]


def write_scanned_pdf(lines: list[str], path: Path, pages: int | None = None) -> Path:
    """A PDF of JPEG page images and no text layer, like a scanner's; ``pages`` keeps only the first few."""
    images = scanned_pages(lines)[:pages]
    images[0].save(path, "PDF", resolution=DPI, save_all=True, append_images=images[1:], quality=85)
    return path


def write_page_images(lines: list[str], directory: Path, stem: str, pages: int | None = None) -> list[Path]:
    """The scan as PNG page images ``<stem>_1.png``, ``<stem>_2.png`` … (greyscale, as scanners save text)."""
    directory.mkdir(parents=True, exist_ok=True)
    paths = []
    for number, image in enumerate(scanned_pages(lines)[:pages], start=1):
        paths.append(directory / f"{stem}_{number}.png")
        image.save(paths[-1], dpi=(DPI, DPI))
    return paths


def write_doc(lines: list[str], path: Path, target: str = "doc") -> Path:
    """An old Word (``doc``) or RTF (``rtf``) document, converted by LibreOffice from a .docx of the lines."""
    with tempfile.TemporaryDirectory() as work:
        source = write_docx(lines, Path(work) / f"{path.stem}.docx")
        profile = Path(work, "profile").as_uri()
        filters = {"doc": "doc:MS Word 97", "rtf": "rtf:Rich Text Format"}
        subprocess.run(
            [
                shutil.which("soffice") or "soffice",
                f"-env:UserInstallation={profile}",
                "--headless",
                "--convert-to",
                filters[target],
                "--outdir",
                work,
                str(source),
            ],
            check=True,
            capture_output=True,
            timeout=180,
        )
        shutil.move(Path(work, f"{path.stem}.{target}"), path)
    return path
