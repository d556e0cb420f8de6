"""Batch runs: the same table however the work is spread, resumed after a kill, bad files listed and skipped."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest
from conftest import ROOT

from pipeline.cli.common import EXIT_PARTIAL
from pipeline.cli.main import main
from pipeline.io.tables import read_table
from pipeline.model.batch import CHUNK_REPORTS, FAILURES_FILE, PARTS_DIR, TABLE_FILE, classify_reports


def _copies(seed_paths: dict[str, Path], directory: Path, count: int) -> Path:
    """``count`` report files cycling through the seeds; each copy gets a line of its own, so its hash differs."""
    directory.mkdir(parents=True, exist_ok=True)
    seeds = list(seed_paths.values())
    for number in range(count):
        seed = seeds[number % len(seeds)]
        text = seed.read_text(encoding="utf-8").rstrip("\n") + f"\n本报告为第{number}份抄件，供批量测试使用。\n"
        (directory / f"{seed.stem}_copy{number:02d}.txt").write_text(text, encoding="utf-8")
    return directory


def _table(out: Path) -> pd.DataFrame:
    return read_table(out / TABLE_FILE)


def _parts(out: Path) -> list[Path]:
    return sorted((out / PARTS_DIR).glob("*/*.parquet"))


def test_dask_local_cluster_gives_the_table_of_one_job(seed_paths, saved_model_dir, tmp_path):
    reports = _copies(seed_paths, tmp_path / "reports", 8)
    one = classify_reports([reports], saved_model_dir, tmp_path / "one", jobs=1, progress=False)
    dask = classify_reports([reports], saved_model_dir, tmp_path / "dask", jobs=2, backend="dask", progress=False)
    assert one.classified == dask.classified == 8 and not dask.failures
    pd.testing.assert_frame_equal(_table(tmp_path / "dask"), _table(tmp_path / "one"))
    assert _table(tmp_path / "one").report_id.nunique() == 8


def _finished_tasks_plugin():
    """A scheduler plugin recording the key of every task that finished, nested ones included."""
    from distributed.diagnostics.plugin import SchedulerPlugin

    class FinishedTasks(SchedulerPlugin):
        def __init__(self):
            self.keys: list[str] = []

        def transition(self, key, start, finish, *args, **kwargs):
            if finish == "memory":
                self.keys.append(str(key))

    return FinishedTasks()


def test_dask_cluster_runs_one_task_per_chunk_of_reports_and_nothing_nested(seed_paths, saved_model_dir, tmp_path):
    distributed = pytest.importorskip("dask.distributed")
    reports = _copies(seed_paths, tmp_path / "reports", 2 * CHUNK_REPORTS + 3)
    classify_reports([reports], saved_model_dir, tmp_path / "one", jobs=1, progress=False)
    finished = _finished_tasks_plugin()
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, dashboard_address=None) as cluster:
        cluster.scheduler.add_plugin(finished)
        dask = classify_reports(
            [reports],
            saved_model_dir,
            tmp_path / "dask",
            backend="dask",
            scheduler=cluster.scheduler_address,
            progress=False,
        )
    assert dask.classified == 2 * CHUNK_REPORTS + 3 and not dask.failures
    pd.testing.assert_frame_equal(_table(tmp_path / "dask"), _table(tmp_path / "one"))
    # Three chunks, three tasks of one kind: no scikit-learn step of a report was sent back to the cluster as a
    # task of its own (dask names a task after its function and a token).
    assert len(finished.keys) == 3, finished.keys
    assert len({key.rsplit("-", 1)[0] for key in finished.keys}) == 1, finished.keys


def test_batch_table_is_the_single_table_classify_output(saved_model_dir, tmp_path):
    assert (
        main(
            [
                "classify",
                str(ROOT / "corpus" / "raw"),
                "--model",
                str(saved_model_dir),
                "-o",
                str(tmp_path / "single.parquet"),
            ]
        )
        == 0
    )
    assert (
        main(
            [
                "classify",
                str(ROOT / "corpus" / "raw"),
                "--model",
                str(saved_model_dir),
                "-o",
                str(tmp_path / "batch"),
                "--csv",
            ]
        )
        == 0
    )
    single = read_table(tmp_path / "single.parquet")
    pd.testing.assert_frame_equal(_table(tmp_path / "batch"), single)
    pd.testing.assert_frame_equal(read_table(tmp_path / "batch" / "paragraphs.csv"), single, check_dtype=False)


def test_killed_run_resumes_to_the_uninterrupted_table(seed_paths, saved_model_dir, tmp_path):
    reports = _copies(seed_paths, tmp_path / "reports", 10)
    out = tmp_path / "killed"
    command = [
        sys.executable,
        "-m",
        "pipeline.cli.main",
        "classify",
        str(reports),
        "--model",
        str(saved_model_dir),
        "-o",
        str(out),
        "--jobs",
        "1",
    ]
    process = subprocess.Popen(
        command, env={**os.environ, "PYTHONPATH": str(ROOT)}, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    while not _parts(out) and process.poll() is None:
        time.sleep(0.02)
    process.send_signal(signal.SIGKILL)
    process.wait()
    assert 1 <= len(_parts(out)) < 10 and not (out / TABLE_FILE).exists(), "the run was not killed midway"
    for part in _parts(out):  # whatever a kill leaves under a part's name is a complete table
        assert not read_table(part).empty
    stray = _parts(out)[0].parent / ".unfinished.parquet.tmp"
    stray.write_bytes(b"PAR1 half a table")

    resumed = classify_reports([reports], saved_model_dir, out, progress=False)
    uninterrupted = classify_reports([reports], saved_model_dir, tmp_path / "whole", progress=False)
    assert resumed.resumed >= 1 and resumed.resumed + resumed.classified == 10
    assert not stray.exists()
    pd.testing.assert_frame_equal(_table(out), _table(tmp_path / "whole"))
    assert uninterrupted.paragraphs == resumed.paragraphs


def _bad_reports(directory: Path) -> dict[str, str]:
    """One file of each kind a batch meets, and a word of the reason it must be listed with."""
    from reportlab.pdfgen import canvas

    (directory / "empty.txt").write_bytes(b"")
    (directory / "binary.txt").write_bytes(bytes(range(256)) * 40)
    (directory / "undecodable.txt").write_bytes(b"\x81\x30\x81" * 5 + bytes([0x80, 0xFF, 0xFE]) * 300)
    with (directory / "garbage.txt").open("wb") as stream:  # 200 MB, sparse: a text head, then a hole
        stream.write("法治政府建设情况报告\n".encode() * 1000)
        stream.truncate(200 * 2**20)
    scan = canvas.Canvas(str(directory / "scan.pdf"))
    scan.rect(100, 100, 300, 400, fill=1)
    scan.save()
    return {
        "empty.txt": "empty",
        "binary.txt": "binary",
        "undecodable.txt": "cannot decode",
        "garbage.txt": "too large",
        "scan.pdf": "no text found",
    }


def test_bad_files_are_listed_with_reasons_and_the_good_ones_classified(seed_paths, saved_model_dir, tmp_path, capsys):
    reports = _copies(seed_paths, tmp_path / "reports", 5)
    expected = _bad_reports(reports)
    out = tmp_path / "out"
    code = main(["classify", str(reports), "--model", str(saved_model_dir), "-o", str(out), "--jobs", "2"])
    assert code == EXIT_PARTIAL
    failures = read_table(out / FAILURES_FILE)
    assert sorted(Path(path).name for path in failures.path) == sorted(expected)
    for path, reason in zip(failures.path, failures.reason):
        assert path in reason and expected[Path(path).name] in reason, reason
    assert _table(out).report_id.nunique() == 5
    assert "5 failed" in capsys.readouterr().out


def test_rerun_skips_finished_reports_and_force_redoes_them(seed_paths, saved_model_dir, tmp_path):
    reports = _copies(seed_paths, tmp_path / "reports", 5)
    first = classify_reports([reports], saved_model_dir, tmp_path / "out", progress=False)
    again = classify_reports([reports], saved_model_dir, tmp_path / "out", progress=False)
    forced = classify_reports([reports], saved_model_dir, tmp_path / "out", force=True, progress=False)
    assert (first.classified, again.classified, again.resumed, forced.classified) == (5, 0, 5, 5)
    assert first.paragraphs == again.paragraphs == forced.paragraphs > 0


def test_renamed_report_reuses_its_part_under_the_new_name(seed_paths, saved_model_dir, tmp_path):
    reports = _copies(seed_paths, tmp_path / "reports", 2)
    classify_reports([reports], saved_model_dir, tmp_path / "out", progress=False)
    first, second = sorted(reports.iterdir())
    new = first.rename(reports / "renamed.txt")
    result = classify_reports([reports], saved_model_dir, tmp_path / "out", progress=False)
    table = _table(tmp_path / "out")
    assert result.resumed == 2
    assert table.report_id.unique().tolist() == [second.stem, "renamed"]
    renamed = table[table.report_id == "renamed"]
    assert renamed.para_id.str.startswith("renamed:").all() and (renamed.source == str(new)).all()


def test_table_outputs_refuse_batch_options(saved_model_dir, tmp_path, capsys):
    code = main(
        [
            "classify",
            str(ROOT / "corpus" / "raw"),
            "--model",
            str(saved_model_dir),
            "-o",
            str(tmp_path / "t.csv"),
            "--jobs",
            "2",
        ]
    )
    assert code == 2 and "--jobs" in capsys.readouterr().err


def test_relative_paths_work_from_any_directory_with_worker_processes(
    seed_paths, saved_model_dir, tmp_path, monkeypatch
):
    """Workers outlive a run (joblib reuses its pool) and keep the directory they started in, so a second
    run from elsewhere with relative paths must still find its reports, model and output folder."""
    for name in ("first", "second"):
        _copies(seed_paths, tmp_path / name / "reports", 3)
        shutil.copytree(saved_model_dir, tmp_path / name / "model")
    monkeypatch.chdir(tmp_path / "first")
    assert classify_reports(["reports"], "model", "out", jobs=2, progress=False).classified == 3
    monkeypatch.chdir(tmp_path / "second")
    result = classify_reports(["reports"], "model", "out", jobs=2, progress=False)
    assert result.classified == 3 and not result.failures
    assert set(_table(tmp_path / "second" / "out").source) == {
        f"reports/{p.name}" for p in (tmp_path / "second" / "reports").iterdir()
    }
