"""The document inside a saved web page: its main content as block lines, and what the page says about it.

A report saved from a government site arrives wrapped in the site: navigation, link lists, share widgets,
footers printed twice (PC and mobile). Finding the main content is what maintained extractors exist for;
rolcov hands the page to one (see :data:`EXTRACTOR`, chosen by ``bench/webpages.py``) and takes the HTML
of the body it returns, not its text: the block structure — one line per paragraph, heading and list item,
which :mod:`pipeline.text.segment` needs — is rebuilt here, because extractors' text output flattens or merges
blocks in ways that lose the headings. The page's own statements about the document (title, 信息公开
block, ``<meta>`` tags) are read here too, as :class:`PageInfo`.
"""

from __future__ import annotations

import copy
import logging
import re
import unicodedata
from dataclasses import dataclass

from bs4 import BeautifulSoup, NavigableString, PageElement, Tag
from bs4.builder import LXMLTreeBuilder

from pipeline.dates import iso_date
from pipeline.patterns import BODY_NAME_END

#: The main-content extractor (PyPI ``readability-lxml``), chosen by ``bench/webpages.py``.
EXTRACTOR = "readability-lxml"
_LOG = logging.getLogger("rolcov")

BLOCK_TAGS = (
    "p",
    "div",
    "br",
    "li",
    "tr",
    "td",
    "th",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "dt",
    "dd",
    "section",
    "article",
    "table",
    "ul",
    "ol",
    "dl",
    "blockquote",
    "pre",
    "center",
    "caption",
)
_NEVER_TEXT = ("script", "style", "noscript", "template", "iframe", "object", "svg", "canvas", "select", "button")
# A data table's cells are short values; a layout table has a cell that holds whole paragraphs.
_DATA_CELL_CHARS = 60
_SOURCE_BREAK = re.compile(r"[ \t]*[\r\n]\s*")
# Only a break between two Latin letters or digits stands for a space; Chinese text joins without one.
_LATIN = re.compile(r"[A-Za-z0-9]")
# Extracted content without a line this long is not a document (a link, a site name): fall back.
_MIN_CONTENT_CHARS = 20
_TITLE_SEARCH_LINES = 8

#: 信息公开 block label → (PageInfo field, rank); the lowest rank found wins (a document date beats the
#: date the page was generated).
DISCLOSURE_FIELDS = {
    "索引号": ("index_number", 0),
    "发布机构": ("issuer", 0),
    "发文机关": ("issuer", 1),
    "发文机构": ("issuer", 1),
    "发文日期": ("published", 0),
    "成文日期": ("published", 1),
    "生成日期": ("published", 2),
    "发布日期": ("published", 3),
    "文号": ("document_number", 0),
    "发文字号": ("document_number", 1),
    "名称": ("title", 0),
    "标题": ("title", 1),
}
_LABEL = re.compile(
    r"(?<![\u4e00-\u9fff])(?P<label>" + "|".join(r"\s*".join(label) for label in DISCLOSURE_FIELDS) + r")\s*[:：]\s*"
)
_MAX_FIELD_CHARS = 100
#: ``<meta>`` tags that say when a page went online, best first: the national site standard's ``PubDate``, then
#: what other CMSes write (``firstpublishedtime`` on gov.cn, ``publishdate``, Open Graph's published time).
POSTED_META = ("pubdate", "firstpublishedtime", "publishdate", "article:published_time")
# Between a title and the site or column name a CMS appends: __ _ | ｜ —— -- " - ", or "-" between CJK.
_TITLE_SEPARATOR = re.compile(r"\s*(?:——|--|__|_|\||｜|\s-\s|(?<=[\u4e00-\u9fff])-(?=[\u4e00-\u9fff]))\s*")
_SITE_NAME = re.compile(r"(网|网站)$")
_BODY_NAME = re.compile(BODY_NAME_END + "$")


#: Deepest element nesting kept when a page is parsed. libxml2, which readability-lxml parses with, stops at
#: 256 levels and drops everything after (unclosed ``<font>``/``<span>`` tags in Word-made pages nest that
#: deep); elements below this depth are left out, their text kept, a block among them read as a line break.
MAX_NESTING = 160


class _PageBuilder(LXMLTreeBuilder):
    """lxml's HTML tree builder, building neither never-text elements (scripts, styles…) nor nesting below
    :data:`MAX_NESTING`; both while parsing, in one pass, so a page of any size or depth costs linear time."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._built: list[bool] = []  # per open element: whether it is in the tree
        self._depth = self._never_text = 0

    def start(self, tag, attrib, nsmap={}):  # noqa: B006 (lxml's signature)
        built = not self._never_text and self._depth < MAX_NESTING and tag not in _NEVER_TEXT
        self._built.append(built)
        if built:
            self._depth += 1
            super().start(tag, attrib, nsmap)
        elif tag in _NEVER_TEXT or self._never_text:
            self._never_text += 1
        else:
            self._line_break(tag)

    def end(self, tag):
        if self._built.pop():
            self._depth -= 1
            super().end(tag)
        elif self._never_text:
            self._never_text -= 1
        else:
            self._line_break(tag)

    def _line_break(self, tag: str) -> None:
        if tag in BLOCK_TAGS:
            super().start("br", {})
            super().end("br")

    def data(self, content):
        if not self._never_text:
            super().data(content)

    def comment(self, text):
        if not self._never_text:
            super().comment(text)


def parse_page(markup: str) -> BeautifulSoup:
    """Parse a page the way browsers do, whatever its template did wrong, without its scripts and styles.

    Server-side includes leave a ``</html>`` or ``</body>`` in the middle of many government pages;
    lxml's tree builder stops at it and loses everything after, the body included. Only the last of each
    is kept. Nesting deeper than :data:`MAX_NESTING` is flattened (see :class:`_PageBuilder`).
    """
    for closing in ("</body>", "</html>"):
        pattern = re.compile(re.escape(closing), re.IGNORECASE)
        if len(pattern.findall(markup)) > 1:
            markup = pattern.sub("", markup) + closing
    return BeautifulSoup(markup, builder=_PageBuilder())


def block_lines(node: Tag, data_tables: bool = False) -> list[str]:
    """Text of an HTML element, one line per block element (paragraph, heading, list item, ``<br>``).

    Data tables (every cell a short value, no blocks inside) are left out: their cells are figures and
    units, not paragraphs, and split one per line they would each become a paragraph of their own.
    Layout tables — most older government pages are built of them — are read cell by cell like ``<div>``.
    ``data_tables=True`` keeps data tables too, one cell per line. ``node`` is not changed.

    A line break in the markup is not one on the page: Word's "save as web page" wraps the source of a
    long paragraph every ~80 characters. Breaks in the text are joined, with a space only between Latin
    letters or digits (Chinese is written without spaces).

    One walk over the tree, without changing it: inserting line breaks into the tree instead made a page
    of many blocks take quadratic time (each insertion searches its parent's children).
    """
    pieces: list[str] = []
    text_types = node.interesting_string_types
    pending: list[PageElement | str] = [node]
    in_pre = 0
    while pending:
        item = pending.pop()
        if isinstance(item, str) and not isinstance(item, NavigableString):  # the end of a block ("/p")
            pieces.append("\n")
            in_pre -= item == "/pre"
        elif isinstance(item, NavigableString):
            if type(item) in text_types:
                pieces.append(str(item) if in_pre else _SOURCE_BREAK.sub(_joined, str(item)))
        elif isinstance(item, Tag) and not (item.name == "table" and not data_tables and is_data_table(item)):
            if item.name in BLOCK_TAGS:
                pieces.append("\n")
                pending.append("/" + item.name)
                in_pre += item.name == "pre"
            pending.extend(reversed(item.contents))
    return "".join(pieces).splitlines()


def _joined(match: re.Match[str]) -> str:
    text, start, end = match.string, match.start(), match.end()
    between_words = start > 0 and end < len(text) and _LATIN.match(text[start - 1]) and _LATIN.match(text[end])
    return " " if between_words else ""


def is_data_table(table: Tag) -> bool:
    """True for a table of values: two or more rows of two or more short cells, no table inside."""
    rows = [row for row in table.find_all("tr") if row.find_parent("table") is table]
    if len(rows) < 2 or table.find("table"):
        return False
    cells = [cell for row in rows for cell in row.find_all(("td", "th"), recursive=False)]
    if len(cells) < 2 * len(rows):
        return False
    return all(len(cell.get_text(strip=True)) <= _DATA_CELL_CHARS for cell in cells)


@dataclass(frozen=True)
class PageInfo:
    """What a web page states about the document it carries, apart from the text.

    Attributes
    ----------
    title : str
        From the 信息公开 block's 名称, else the ``ArticleTitle`` meta tag, else ``<title>``, with the site
        and column names the CMS appends taken off; ``""`` if the page names none.
    issuer : str
        The 信息公开 block's 发布机构/发文机关.
    published : str
        The block's 发文日期/成文日期/生成日期 as ``YYYY-MM-DD``.
    source : str
        The ``ContentSource`` meta tag when it names a body (``保定市人民政府网`` → ``保定市人民政府``).
    posted : str
        The ``PubDate`` meta tag (or another of :data:`POSTED_META`) as ``YYYY-MM-DD``: when the page went
        online, often years after the document.
    index_number, document_number : str
        The block's 索引号 and 文号.
    """

    title: str = ""
    issuer: str = ""
    published: str = ""
    source: str = ""
    posted: str = ""
    index_number: str = ""
    document_number: str = ""


@dataclass(frozen=True)
class WebPage:
    """A page read: its document's lines and what the page states about it."""

    lines: list[str]
    info: PageInfo


def read_page(markup: str, name: str = "page") -> WebPage:
    """The document of a saved web page as block lines, plus the page's metadata.

    The main content is what :data:`EXTRACTOR` locates. When it finds nothing (no line of
    :data:`_MIN_CONTENT_CHARS` characters or more), every block of the page is returned instead and one
    warning naming ``name`` is logged, so a page the extractor cannot read still gives its text. The
    title's own lines (matched against the stated title) are metadata, not paragraphs: they are removed,
    together with anything above them in the extracted content (column labels, breadcrumbs).
    """
    soup = parse_page(markup)
    info = page_info(soup)
    lines = _clean_lines(_main_content(str(soup)))
    extracted = any(len(line) >= _MIN_CONTENT_CHARS for line in lines)
    if not extracted:
        _LOG.warning(
            "%s: no main content found by %s; reading every block of the page, so navigation "
            "and footers may come through as paragraphs",
            name,
            EXTRACTOR,
        )
        lines = _clean_lines(block_lines(soup.body or soup))
    return WebPage(_drop_title(lines, _title_candidates(soup, info)), info)


def _main_content(markup: str) -> list[str]:
    from readability import Document
    from readability.readability import Unparseable

    try:
        summary = Document(markup).summary(html_partial=True)
    except Unparseable:  # raised for a page without any element to score
        return []
    return block_lines(BeautifulSoup(summary, "lxml"))


def _clean_lines(lines: list[str]) -> list[str]:
    return [text for line in lines if (text := _squeeze(line))]


def _squeeze(text: str) -> str:
    return re.sub(r"[\s\u3000\u00a0]+", " ", text).strip()


def _key(text: str) -> str:
    """A title as compared: no blanks, no punctuation, half-width (a page may print it with line breaks)."""
    return re.sub(r"[\W_]+", "", unicodedata.normalize("NFKC", text))


def _drop_title(lines: list[str], titles: list[str]) -> list[str]:
    """Remove the title: the first run of up to four lines near the top that spells one of ``titles`` (and
    what is above it in the content: column labels, breadcrumbs), and any later line that repeats it."""
    keys = {_key(title) for title in titles if _key(title)}
    after = next(
        (
            end
            for start in range(min(_TITLE_SEARCH_LINES, len(lines)))
            for end in range(start + 1, min(start + 5, len(lines) + 1))
            if _key("".join(lines[start:end])) in keys
        ),
        0,
    )
    return [line for line in lines[after:] if _key(line) not in keys]


def page_info(soup: BeautifulSoup) -> PageInfo:
    """Title, issuer, dates and numbers the page states: 信息公开 block first, then ``<meta>``, then ``<title>``."""
    block = disclosure_block(block_lines(copy.copy(soup.body or soup), data_tables=True))
    meta = _meta_tags(soup)
    titles = _title_candidates(soup, PageInfo(title=block.get("title", "")))
    return PageInfo(
        title=titles[0] if titles else "",
        issuer=block.get("issuer", ""),
        published=block.get("published", ""),
        source=_body_name(meta.get("contentsource", "")),
        posted=next(filter(None, (iso_date(meta.get(name, "")) for name in POSTED_META)), ""),
        index_number=block.get("index_number", ""),
        document_number=block.get("document_number", ""),
    )


def disclosure_block(lines: list[str]) -> dict[str, str]:
    """Fields of a 信息公开 (government information disclosure) metadata block, by :data:`DISCLOSURE_FIELDS`.

    The block is a table or list of ``label：value`` pairs; a label and its value may share a line or the
    value may be the next line (the next table cell). Only the first value of each field counts, with the
    dates taken in :data:`DISCLOSURE_FIELDS` order (发文日期 before 生成日期).
    """
    found: dict[str, tuple[int, str]] = {}
    squeezed = [text for line in lines if (text := _squeeze(line))]
    for index, line in enumerate(squeezed):
        matches = list(_LABEL.finditer(line))
        for match, following in zip(matches, [*matches[1:], None]):
            value = line[match.end() : following.start() if following else len(line)].strip()
            if not value and following is None and index + 1 < len(squeezed) and not _LABEL.match(squeezed[index + 1]):
                value = squeezed[index + 1]
            label = _key(match.group("label"))
            field_name, rank = DISCLOSURE_FIELDS[label]
            if field_name == "published":
                value = iso_date(value)
            if value and len(value) <= _MAX_FIELD_CHARS and (field_name not in found or rank < found[field_name][0]):
                found[field_name] = (rank, value)
    # one "发布日期：" line is page chrome; a block states at least two things
    return {field_name: value for field_name, (_, value) in found.items()} if len(found) >= 2 else {}


def _meta_tags(soup: BeautifulSoup) -> dict[str, str]:
    """``<meta>`` contents by lower-cased ``name`` (or ``property``, as Open Graph tags are keyed); the first wins."""
    tags: dict[str, str] = {}
    for tag in soup.find_all("meta"):
        if key := tag.get("name") or tag.get("property"):
            tags.setdefault(str(key).lower(), _squeeze(str(tag.get("content") or "")))
    return tags


def _title_candidates(soup: BeautifulSoup, info: PageInfo) -> list[str]:
    """Titles the page states, best first, without the site and column names a CMS appends.

    ``…的决议__2007年第23号国务院公报_中国政府网`` gives ``…的决议``: the longest part that is not a site name.
    """
    meta = _meta_tags(soup)
    site_names = {_key(meta.get(name, "")) for name in ("sitename", "columnname")} - {""}
    stated = [info.title, meta.get("articletitle", ""), soup.title.get_text() if soup.title else ""]
    titles = []
    for title in filter(None, map(_squeeze, stated)):
        parts = [
            part
            for part in _TITLE_SEPARATOR.split(title)
            if _key(part) and _key(part) not in site_names and not _SITE_NAME.search(part)
        ]
        if parts:
            titles.append(max(parts, key=len))
    return list(dict.fromkeys(titles))


def _body_name(source: str) -> str:
    """``ContentSource`` as an issuing body: a site name loses its 网/网站; 本网, 新华社… give ``""``."""
    name = re.sub(r"(门户)?网站?$", "", source.strip())
    return name if _BODY_NAME.search(name) else ""
