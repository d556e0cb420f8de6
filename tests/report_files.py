"""Build the same report in other file formats at test time (GB18030/Big5 .txt, .html, .docx, .pdf).

The variants are made from a seed's own lines, so a test can check that every reader gives the same
paragraphs and headings as the UTF-8 original.
"""

from __future__ import annotations

from html import escape
from pathlib import Path


def write_encoded_text(lines: list[str], path: Path, encoding: str) -> Path:
    path.write_bytes("\r\n".join(lines).encode(encoding))
    return path


def write_html(lines: list[str], path: Path, encoding: str = "utf-8") -> Path:
    """A page like a government site's: navigation, indented paragraphs with inline spans, a footer."""
    body = "\n".join(
        f'<p style="text-indent:2em">&nbsp;&nbsp;<span>{escape(line[:10])}</span>{escape(line[10:])}</p>'
        for line in lines
    )
    page = (
        f'<!DOCTYPE html><html><head><meta charset="{encoding}"><title>法治政府建设</title>'
        "<script>var nav = '首页';</script><style>p {margin: 0}</style></head>"
        f'<body><div class="nav">首页 &gt; 政务公开 &gt; 法治政府建设</div><div class="content">{body}</div>'
        "<div>【打印本页】【关闭窗口】</div></body></html>"
    )
    path.write_bytes(page.encode(encoding))
    return path


def write_docx(lines: list[str], path: Path) -> Path:
    import docx

    document = docx.Document()
    for line in lines:
        document.add_paragraph(line)
    document.save(str(path))
    return path


def write_pdf(lines: list[str], path: Path) -> Path:
    """A typeset PDF with a text layer: CJK line wrapping and the 公文 two-character first-line indent."""
    from xml.sax.saxutils import escape as xml_escape

    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.platypus import Paragraph, SimpleDocTemplate

    pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
    style = ParagraphStyle("zh", fontName="STSong-Light", fontSize=12, leading=18, wordWrap="CJK", firstLineIndent=24)
    SimpleDocTemplate(str(path), pagesize=A4).build([Paragraph(xml_escape(line), style) for line in lines])
    return path
