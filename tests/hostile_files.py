"""Hostile and broken inputs built at test time from the seed reports, and a way to run code on them bounded.

Used by ``tests/test_hostile.py`` and ``bench/hostile.py``: zip bombs, big and deep web pages, encrypted and
long PDFs. Nothing here is a real hostile file; each is made from a seed's own lines, so what must come
back is known.
"""

from __future__ import annotations

import multiprocessing
import resource
import zipfile
from collections.abc import Callable
from html import escape
from pathlib import Path
from typing import Any

from report_files import write_docx, write_pdf


def seed_lines(seed: Path) -> list[str]:
    """The non-blank lines of a seed report."""
    return [line.strip() for line in seed.read_text(encoding="utf-8").splitlines() if line.strip()]


def zip_bomb_docx(lines: list[str], path: Path, unpacked_mb: int) -> Path:
    """A real .docx of ``lines`` whose ``word/document.xml`` then grows to ``unpacked_mb`` MB of empty
    paragraphs: a few MB on disk (deflate packs repetition about 700 to 1)."""
    write_docx(lines, path.with_suffix(".seed.docx"))
    with zipfile.ZipFile(path.with_suffix(".seed.docx")) as source, zipfile.ZipFile(path, "w") as bomb:
        for member in source.infolist():
            if member.filename != "word/document.xml":
                bomb.writestr(member, source.read(member))
        document = source.read("word/document.xml")
        head, tail = document.split(b"</w:body>")
        info = zipfile.ZipInfo("word/document.xml")
        info.compress_type = zipfile.ZIP_DEFLATED
        with bomb.open(info, "w", force_zip64=True) as stream:
            stream.write(head)
            filler = b"<w:p/>" * (2**20 // 6)
            for _ in range(unpacked_mb):
                stream.write(filler)
            stream.write(b"</w:body>" + tail)
    path.with_suffix(".seed.docx").unlink()
    return path


def big_member_zip(path: Path, member: str, unpacked_mb: int, first: bytes = b"") -> Path:
    """A zip whose one member unpacks to ``unpacked_mb`` MB of zeros (after ``first``)."""
    info = zipfile.ZipInfo(member)
    info.compress_type = zipfile.ZIP_DEFLATED
    with zipfile.ZipFile(path, "w", compresslevel=1) as archive, archive.open(info, "w", force_zip64=True) as stream:
        stream.write(first)
        zeros = bytes(2**20)
        for _ in range(unpacked_mb):
            stream.write(zeros)
    return path


def page_of_blocks(lines: list[str], blocks: int) -> str:
    """A government-style page (navigation, a layout table, a footer) whose article has ``blocks`` blocks.

    The seed's lines repeat, each copy numbered so that no two blocks are the same text.
    """
    body = "".join(
        f'<p style="text-indent:2em">{escape(lines[number % len(lines)])}（第{number}段）</p>'
        for number in range(blocks)
    )
    return (
        "<!DOCTYPE html><html><head><meta charset='utf-8'><title>法治政府建设年度报告_某某市人民政府</title>"
        "<script>var site = 1;</script></head><body>"
        "<div class='nav'><a href='/'>首页</a> &gt; <a href='/zwgk'>政务公开</a></div>"
        f"<table><tr><td class='article'>{body}</td></tr></table>"
        "<div class='footer'>【打印本页】【关闭窗口】</div></body></html>"
    )


def deep_page(lines: list[str], depth: int) -> str:
    """A page whose middle third of paragraphs sits ``depth`` unclosed-looking ``<font>`` levels deep,
    the way Word's "save as web page" nests them."""
    third = len(lines) // 3
    paragraphs = [f"<p>{escape(line)}</p>" for line in lines]
    nested = "<font>" * depth + "".join(paragraphs[third : 2 * third]) + "</font>" * depth
    return (
        "<html><head><meta charset='utf-8'></head><body><div class='content'>"
        f"{''.join(paragraphs[:third])}{nested}{''.join(paragraphs[2 * third :])}</div></body></html>"
    )


def encrypted_pdf(lines: list[str], path: Path, user_password: str) -> Path:
    """A typeset PDF of ``lines`` encrypted with AES-128 and an owner password (and ``user_password``:
    empty for the common "no copying" setting, where anyone may open it)."""
    from pypdf import PdfWriter

    plain = write_pdf(lines, path.with_suffix(".plain.pdf"))
    writer = PdfWriter(clone_from=plain)
    writer.encrypt(user_password=user_password, owner_password="owner-secret", algorithm="AES-128")
    writer.write(path)
    plain.unlink()
    return path


def long_pdf(lines: list[str], path: Path, pages: int) -> Path:
    """A PDF of ``pages`` pages: the seed's typeset pages repeated (pages shared, so it stays small)."""
    from pypdf import PdfWriter

    plain = write_pdf(lines, path.with_suffix(".plain.pdf"))
    writer = PdfWriter()
    while len(writer.pages) < pages:
        writer.append(plain)
    while len(writer.pages) > pages:
        writer.remove_page(len(writer.pages) - 1)
    writer.write(path)
    plain.unlink()
    return path


def _bounded_child(connection, memory_bytes: int, work: Callable[..., Any], args: tuple) -> None:
    resource.setrlimit(resource.RLIMIT_AS, (memory_bytes, memory_bytes))
    try:
        connection.send(("returned", work(*args)))
    except BaseException as error:  # noqa: BLE001 — the parent reports whatever happened
        connection.send(("raised", f"{type(error).__name__}: {error}"))


def run_bounded(work: Callable[..., Any], *args: Any, seconds: float, memory_mb: int) -> tuple[str, Any]:
    """``work(*args)`` in a forked process allowed ``memory_mb`` MB beyond what it starts with and
    ``seconds`` of wall time: ``("returned", value)``, ``("raised", "Type: message")``, ``("timeout", None)``
    or ``("died", exit code)``.
    """
    context = multiprocessing.get_context("fork")
    receiver, sender = context.Pipe(duplex=False)
    start_bytes = _address_space_bytes()
    child = context.Process(target=_bounded_child, args=(sender, start_bytes + memory_mb * 2**20, work, args))
    child.start()
    sender.close()
    if not receiver.poll(seconds):
        child.kill()
        child.join()
        return ("timeout", None) if child.exitcode in (None, -9) else ("died", child.exitcode)
    try:
        outcome = receiver.recv()
    except EOFError:
        outcome = ("died", None)
    child.join()
    return outcome


def _address_space_bytes() -> int:
    """This process's virtual memory (a forked child starts with it, and RLIMIT_AS counts it)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmSize:"):
            return int(line.split()[1]) * 1024
    return 0
