"""Faults and hostile files: bounded memory and time, one line per problem, nothing lost, no formula in a cell.

One test per case of "What bad input gets" in docs/formats.md that a hostile world brings (files from many
sites, a full disk, two runs at once, crafted files), in the order of that table. Big files are generated
here and read in a forked process bounded in time and memory (:func:`hostile_files.run_bounded`).
"""

from __future__ import annotations

import errno
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
from pathlib import Path

import pandas as pd
import pytest
from conftest import ANNOTATIONS, ROOT
from hostile_files import (
    big_member_zip,
    deep_page,
    encrypted_pdf,
    long_pdf,
    page_of_blocks,
    run_bounded,
    seed_lines,
    zip_bomb_docx,
)
from report_files import write_pdf

from pipeline.cli.common import EXIT_FAILED, EXIT_OK, EXIT_PARTIAL
from pipeline.cli.main import BUG_REPORT_URL, main
from pipeline.errors import InputError
from pipeline.io.ingest import read_report
from pipeline.io.outdir import output_lock
from pipeline.io.tables import read_table, write_table
from pipeline.model.batch import TABLE_FILE
from pipeline.text.segment import segment_file


def _error_lines(capsys) -> list[str]:
    return capsys.readouterr().err.strip().splitlines()


def _message(work, *args) -> str:
    try:
        work(*args)
    except InputError as error:
        return str(error)
    return "read without error"


def test_docx_that_unpacks_to_gigabytes_is_refused_before_unpacking(seed_paths, tmp_path):
    bomb = zip_bomb_docx(seed_lines(seed_paths["003"]), tmp_path / "bomb.docx", unpacked_mb=600)
    assert bomb.stat().st_size < 5 * 2**20
    outcome = run_bounded(_message, segment_file, bomb, seconds=60, memory_mb=1500)
    assert outcome[0] == "returned", outcome
    assert (
        outcome[1].startswith(f"{bomb}: unpacks to 601 MB (word/document.xml: 600 MB; a zip bomb?), over the limit")
        and "ROLCOV_MAX_UNZIPPED_MB" in outcome[1]
    ), outcome


def test_encrypted_pdfs_owner_password_read_user_password_refused_with_advice(seed_paths, tmp_path, capsys):
    lines = seed_lines(seed_paths["003"])
    folder = tmp_path / "reports"
    folder.mkdir()
    plain = segment_file(write_pdf(lines, tmp_path / "plain.pdf"))
    no_copying = segment_file(encrypted_pdf(lines, folder / "no_copying.pdf", user_password=""))
    assert no_copying.text.tolist() == plain.text.tolist() and len(plain) >= 5
    locked = encrypted_pdf(lines, folder / "locked.pdf", user_password="open-secret")
    shutil.copy(seed_paths["000"], folder)
    out = tmp_path / "paragraphs.csv"
    assert main(["segment", str(folder), "-o", str(out)]) == EXIT_PARTIAL
    errors = _error_lines(capsys)
    assert errors == [
        f"error: {locked}: the PDF is protected by a password needed to open it; ask the publisher "
        "for an unprotected copy, or remove the password (e.g. qpdf --decrypt --password=PASSWORD "
        "in.pdf out.pdf)"
    ], errors
    assert read_table(out).report_id.nunique() == 2  # the seed and the "no copying" PDF


def test_pdf_over_the_page_or_size_limit_is_refused_and_the_limits_can_be_raised(seed_paths, tmp_path, monkeypatch):
    pdf = long_pdf(seed_lines(seed_paths["003"]), tmp_path / "gazette.pdf", pages=12)
    monkeypatch.setenv("ROLCOV_MAX_PDF_PAGES", "10")
    assert _message(segment_file, pdf) == (
        f"{pdf}: 12 pages, over the limit of 10 pages for a PDF report; if the "
        "file is genuine, raise the limit with the environment variable "
        "ROLCOV_MAX_PDF_PAGES"
    )
    monkeypatch.setenv("ROLCOV_MAX_PDF_PAGES", "20")
    assert _message(segment_file, pdf) == "read without error"
    with pdf.open("r+b") as stream:  # 2 MB (sparse): over a limit of 1 MB, refused before it is read
        stream.truncate(2 * 2**20)
    monkeypatch.setenv("ROLCOV_MAX_FILE_MB", "1")
    assert _message(segment_file, pdf).startswith(f"{pdf}: 2 MB, over the limit of 1 MB for a .docx/.pdf report")


def _block_count(path: Path) -> int:
    return len(read_report(path).lines)


def test_page_of_many_blocks_is_read_in_bounded_time(seed_paths, tmp_path):
    page = tmp_path / "long.html"
    page.write_text(page_of_blocks(seed_lines(seed_paths["004"]), 32_000), encoding="utf-8")
    outcome = run_bounded(_block_count, page, seconds=120, memory_mb=3000)  # quadratic: ~10 minutes
    assert outcome == ("returned", 32_000), outcome


def test_fifo_named_in_a_batch_is_refused_not_waited_on(seed_paths, saved_model_dir, tmp_path, capsys):
    fifo = tmp_path / "pipe.txt"
    os.mkfifo(fifo)
    run = {}
    worker = threading.Thread(
        target=lambda: run.update(
            code=main(
                [
                    "classify",
                    str(fifo),
                    str(seed_paths["003"]),
                    "--model",
                    str(saved_model_dir),
                    "-o",
                    str(tmp_path / "out"),
                ]
            )
        )
    )
    worker.start()
    worker.join(180)
    if worker.is_alive():  # hashing the pipe waits for a writer: give it one so the thread can end
        os.close(os.open(fifo, os.O_WRONLY | os.O_NONBLOCK))
        worker.join()
        pytest.fail("the batch run waited on a named pipe")
    assert run["code"] == EXIT_PARTIAL
    assert f"error: {fifo}: not a regular file (a folder, device, pipe or socket); name a report file" in _error_lines(
        capsys
    )
    assert read_table(tmp_path / "out" / TABLE_FILE).report_id.nunique() == 1


def _classify(reports: list[Path], model: Path, out: Path) -> int:
    return main(["classify", *map(str, reports), "--model", str(model), "-o", str(out)])


_KILLED_RUN = """
import os, signal, sys
from pathlib import Path
from pipeline.io.outdir import output_lock
out = Path(sys.argv[1])
with output_lock(out):
    (out / ".paragraphs.parquet.abc.tmp").write_bytes(b"half a table")
    (out / "parts" / "0123456789ab").mkdir(parents=True)
    (out / "parts" / "0123456789ab" / ".part.tmp").write_bytes(b"half a part")
    os.kill(os.getpid(), signal.SIGKILL)
"""


def test_one_run_per_output_folder_killed_runs_taken_over_finished_table_kept(
    seed_paths, saved_model_dir, tmp_path, capsys
):
    out, seed = tmp_path / "run", seed_paths["003"]
    with output_lock(out):  # another run is writing here
        assert _classify([seed], saved_model_dir, out) == EXIT_FAILED
    errors = _error_lines(capsys)
    assert len(errors) == 1 and errors[0].startswith(f"error: {out}: another rolcov run (pid {os.getpid()} on "), errors
    assert not (out / TABLE_FILE).exists()

    killed = subprocess.run([sys.executable, "-c", _KILLED_RUN, str(out)], cwd=ROOT)
    assert killed.returncode == -signal.SIGKILL
    assert _classify([seed], saved_model_dir, out) == EXIT_OK
    warnings = [line for line in _error_lines(capsys) if line.startswith("warning:")]
    assert len(warnings) == 1 and "was stopped before it finished; taking over its lock" in warnings[0], warnings
    assert not list(out.rglob("*.tmp")) and not (out / ".rolcov-run.json").exists()

    finished = (out / TABLE_FILE).read_bytes()
    assert _classify([tmp_path / "mistyped.txt"], saved_model_dir, out) == EXIT_FAILED
    assert "are left as they were" in capsys.readouterr().err
    assert (out / TABLE_FILE).read_bytes() == finished


def test_unreadable_file_is_one_line_and_the_good_files_are_written(
    seed_paths, saved_model_dir, tmp_path, capsys, monkeypatch
):
    locked = tmp_path / "locked.txt"
    shutil.copy(seed_paths["001"], locked)
    locked.chmod(0)
    real_open = Path.open

    def open_as_unprivileged(self, *args, **kwargs):  # root reads any file: refuse as the kernel would
        if self.name == locked.name:
            raise PermissionError(errno.EACCES, "Permission denied", str(self))
        return real_open(self, *args, **kwargs)

    monkeypatch.setattr(Path, "open", open_as_unprivileged)
    reason = f"error: {locked}: cannot be read (Permission denied); check that it exists and that you may read it"
    for command, out in (
        (["segment"], tmp_path / "segmented.csv"),
        (["classify", "--model", str(saved_model_dir)], tmp_path / "classified.csv"),
    ):
        assert main([*command, str(locked), str(seed_paths["003"]), "-o", str(out)]) == EXIT_PARTIAL
        assert [line for line in _error_lines(capsys) if line.startswith("error:")] == [reason]
        assert read_table(out).report_id.unique().tolist() == [seed_paths["003"].stem]


def test_full_disk_is_one_line_and_leaves_no_half_file(seed_paths, tmp_path, capsys, monkeypatch):
    real_to_csv = pd.DataFrame.to_csv

    def disk_fills_up(self, target, *args, **kwargs):
        real_to_csv(self.head(2), target, *args, **kwargs)  # some bytes reach the disk, then it is full
        raise OSError(errno.ENOSPC, "No space left on device", str(target))

    monkeypatch.setattr(pd.DataFrame, "to_csv", disk_fills_up)
    out = tmp_path / "out" / "paragraphs.csv"
    assert main(["segment", str(seed_paths["003"]), "-o", str(out)]) == EXIT_FAILED
    errors = _error_lines(capsys)
    assert len(errors) == 1 and "No space left on device; the disk is full" in errors[0], errors
    assert list(out.parent.iterdir()) == []  # neither the table nor its temporary file


def test_cells_that_spreadsheets_run_are_neutralised_and_read_back_unchanged(seed_paths, saved_model_dir, tmp_path):
    lines = seed_lines(seed_paths["003"])
    starts = ['=HYPERLINK("http://example.org","点此")', "+", "-", "@"]
    body = [index for index, line in enumerate(lines) if len(line) > 60][:4]
    for index, start in zip(body, starts):
        lines[index] = start + lines[index]
    reports = tmp_path / "reports"
    reports.mkdir()
    (reports / "=1+2.txt").write_text("\n".join(lines), encoding="utf-8")  # a file name is a cell too
    paragraphs = tmp_path / "paragraphs.csv"
    assert _classify([reports], saved_model_dir, paragraphs) == EXIT_OK
    assert main(["coverage", str(paragraphs), "-o", str(tmp_path / "coverage")]) == EXIT_OK
    written = [paragraphs, *sorted((tmp_path / "coverage").glob("*.csv"))]
    assert {"profile.csv", "tasks.csv", "task_gaps.csv"} <= {path.name for path in written}
    for path in written:
        cells = pd.read_csv(path, encoding="utf-8-sig", dtype=str, keep_default_na=False).to_numpy().ravel()
        assert not [cell for cell in cells if cell[:1] in ("=", "+", "-", "@", "\t", "\r")], path
    table = read_table(paragraphs)
    assert set(table.report_id) == {"=1+2"}
    assert sum(text.startswith(tuple(starts)) for text in table.text) == 4
    write_table(table, tmp_path / "again.csv")  # an edited file saved and read again: the same table
    pd.testing.assert_frame_equal(read_table(tmp_path / "again.csv"), table)


def test_deeply_nested_page_gives_every_paragraph(seed_paths, tmp_path):
    lines = seed_lines(seed_paths["003"])
    flat, deep = tmp_path / "flat.html", tmp_path / "deep.html"
    flat.write_text(deep_page(lines, 1), encoding="utf-8")
    deep.write_text(deep_page(lines, 400), encoding="utf-8")
    assert read_report(deep).lines == read_report(flat).lines
    assert len(read_report(flat).lines) == len(lines)


def test_body_paragraphs_with_angle_brackets_are_kept_and_removed_lines_are_counted(seed_paths, tmp_path, capsys):
    lines = seed_lines(seed_paths["004"])
    body = [index for index, line in enumerate(lines) if len(line) > 60]
    kept = [
        "政务服务满意度＞95%，办结率＞98%，群众评价持续向好。",
        "网页中写作x<b>y</b>的文字仍是正文的一部分，应当保留。",
    ]
    removed = "依法查处侵犯版权所有人合法权益的案件12件，维护了权利人的合法权益。"
    lines[body[3] : body[3]] = [*kept, removed]
    report = tmp_path / "report.txt"
    report.write_text("当前位置：政务公开 > 法治政府建设 > 工作报告\n" + "\n".join(lines), encoding="utf-8")
    table = segment_file(report)
    assert set(kept) <= set(table.text) and not table.text.str.contains("当前位置").any()
    assert main(["segment", str(report)]) == EXIT_OK
    captured = capsys.readouterr()
    assert captured.out.rstrip().endswith(
        "; 1 line(s) that read like paragraphs were removed as chrome (warnings above)"
    )
    assert captured.err.startswith(f"warning: {report}: removed 1 line(s) that read like paragraphs")


def _corrupt_cards(model: Path) -> dict[str, str]:
    card = json.loads((model / "model.json").read_text(encoding="utf-8"))
    return {
        "a list": "[]",
        "a number as model_file": json.dumps({**card, "model_file": 5}),
        "deep nesting": "[" * 100_000 + "]" * 100_000,
        "2 MB": json.dumps({**card, "notes": "说明" * 2**20}),
    }


def test_malformed_model_card_or_oversized_model_file_is_one_line(saved_model_dir, seed_paths, tmp_path, capsys):
    for name, text in _corrupt_cards(saved_model_dir).items():
        model = shutil.copytree(saved_model_dir, tmp_path / name.replace(" ", "_"))
        (model / "model.json").write_text(text, encoding="utf-8")
        assert _classify([seed_paths["003"]], model, tmp_path / "out.csv") == EXIT_FAILED, name
        errors = _error_lines(capsys)
        assert len(errors) == 1 and errors[0].startswith(f"error: {model / 'model.json'}: "), errors
        assert "model card" in errors[0] and ("rolcov train" in errors[0] or "ROLCOV_MAX_CARD_KB" in errors[0])
    model = shutil.copytree(saved_model_dir, tmp_path / "big")
    big_member_zip(model / "model.skops", "key.npy", unpacked_mb=600, first=b"\x93NUMPY")
    card = json.loads((model / "model.json").read_text(encoding="utf-8"))
    from pipeline.model.store import file_sha256

    card["model_file"]["sha256"] = file_sha256(model / "model.skops")
    (model / "model.json").write_text(json.dumps(card), encoding="utf-8")
    outcome = run_bounded(_classify, [seed_paths["003"]], model, tmp_path / "out.csv", seconds=120, memory_mb=1500)
    assert outcome == ("returned", EXIT_FAILED), outcome


def test_malformed_label_studio_export_is_one_line(tmp_path, capsys):
    tasks = {
        "deep nesting": "[" * 100_000 + "]" * 100_000,
        "annotations as text": json.dumps(
            [{"id": 1, "data": {"report_id": "r", "para_id": "r:0"}, "annotations": "x"}]
        ),
        "result items as text": json.dumps(
            [{"id": 1, "data": {"report_id": "r", "para_id": "r:0"}, "annotations": [{"result": ["labels"]}]}]
        ),
    }
    for name, text in tasks.items():
        export = tmp_path / f"{name.replace(' ', '_')}.json"
        export.write_text(text, encoding="utf-8")
        assert main(["import", str(export), "-o", str(tmp_path / "gold.csv")]) == EXIT_FAILED, name
        errors = _error_lines(capsys)
        assert len(errors) == 1 and errors[0].startswith(f"error: {export}: ") and "export" in errors[0], errors


def test_file_name_with_a_newline_cannot_forge_an_error_line(tmp_path, capsys):
    folder = tmp_path / "reports"
    folder.mkdir()
    (folder / "empty\nerror: all reports were lost.txt").write_bytes(b"")
    assert main(["segment", str(folder)]) == EXIT_FAILED
    errors = _error_lines(capsys)
    assert not any(line.startswith("error: all reports") for line in errors), errors
    assert any("empty\\nerror: all reports were lost.txt: the file is empty" in line for line in errors), errors


def test_validate_reads_no_report_outside_the_raw_folder(tmp_path, capsys):
    raw = tmp_path / "raw"
    raw.mkdir()
    (tmp_path / "outside.txt").write_text("不应被读取的文件", encoding="utf-8")
    gold = read_table(ANNOTATIONS).head(2)
    gold["report_id"] = ["../outside", str(tmp_path / "outside")]
    gold["para_id"] = gold.report_id + ":0"
    annotations = write_table(gold, tmp_path / "gold.csv")
    assert main(["validate", str(annotations), "--raw", str(raw)]) == EXIT_FAILED
    problems = capsys.readouterr().out.strip().splitlines()
    assert len(problems) == 2 and all("is a path, not a file name" in line for line in problems), problems


def test_a_bug_is_one_line_with_where_to_report_it(monkeypatch, tmp_path, capsys):
    import pipeline.cli.corpus as corpus

    monkeypatch.setattr(corpus, "segment_files", lambda *args, **kwargs: {}["part"])
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    assert main(["segment", "corpus/raw"]) == EXIT_FAILED
    errors = _error_lines(capsys)
    assert (
        len(errors) == 1 and "this is a bug in rolcov (KeyError: 'part')" in errors[0] and BUG_REPORT_URL in errors[0]
    )
    saved = Path(errors[0].rsplit("saved in ", 1)[1])
    assert "Traceback" in saved.read_text(encoding="utf-8")
