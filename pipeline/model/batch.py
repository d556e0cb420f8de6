"""Classify thousands of report files in parallel, resumably, with every report's rows on disk as soon as done.

An output directory looks like this::

    OUT/parts/<model sha256[:12]>/<file sha256>.parquet   labelled rows of one report, written by the worker
    OUT/paragraphs.parquet                                 every input's rows, in input order (merged at the end)
    OUT/paragraphs.csv                                     the same table for Excel/WPS (``csv=True``)
    OUT/failures.csv                                       path, reason: inputs that could not be classified
    OUT/converted/v1/<file sha256>.json                    text of a converted .doc/.rtf/OFD or OCR'd scan
    OUT/.rolcov.lock, OUT/.rolcov-run.json                 while a run writes here: its lock, and who holds it

Why it is built this way:

* **Bounded memory.** Workers write each report's rows to its own part and send back only counts; the
  parent never holds more than one part, because the merge streams them into a Parquet writer one by one.
* **Resume.** A part is named by the report's content hash and the model's hash and is written atomically
  (:func:`pipeline.io.tables.atomic_path`), so it exists only if complete. A rerun skips reports whose part
  exists; a run killed at any point leaves whole parts and stray temporary files, which the next run removes.
* **One run per output directory.** A run holds ``OUT/.rolcov.lock`` (an OS file lock, released by the
  kernel when the process dies, so a killed run's lock is free to the next one) from start to end; a second
  run into the same directory stops at once with one line. A run that finds nothing to classify leaves a
  finished ``paragraphs.parquet`` as it was instead of replacing it with an empty table.
* **One unit of work.** :func:`classify_report` is what every classify run does to a report, here and in
  the single-table ``rolcov classify -o FILE``.
* **Models load once per worker process** (:func:`_worker_model` is cached, keyed by the model's hash;
  pkuseg through the cached :func:`pipeline.text.tokenize.load_tokenizer`), never per report; a task carries
  only paths and hashes. Tasks are chunks of :data:`CHUNK_REPORTS` reports.
* **Same work on one machine or a cluster.** joblib runs the chunks on local processes (``loky``); with
  ``backend="dask"`` each chunk is one ``dask.distributed`` future on a Dask cluster, whose workers need
  the inputs, the model directory and ``OUT`` at the same paths (a shared file system). Nothing inside a
  task runs in parallel (:func:`_serial_inside`): the parallelism is the workers.
* **Scans are OCR'd in the workers**, one scan per task so that the progress bar of OCR pages moves, with
  their text cached by content (:mod:`pipeline.io.convert`), so a resumed run never converts a file twice.
"""

from __future__ import annotations

import logging
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from functools import lru_cache, partial
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
from joblib import Parallel, delayed, parallel_config
from threadpoolctl import threadpool_limits
from tqdm import tqdm

from pipeline.errors import InputError, ModelError, RolcovError
from pipeline.io.convert import ConvertOptions, ocr_page_count
from pipeline.io.ingest import check_regular_file, find_report_files
from pipeline.io.outdir import output_lock
from pipeline.io.pages import report_sha256
from pipeline.io.tables import READ_SUFFIXES, atomic_path, write_csv, write_table
from pipeline.model.classifier import ParagraphClassifier
from pipeline.model.store import RETRAIN, load_model, read_card
from pipeline.schema import renamed_para_ids, report_ids
from pipeline.text.segment import DROPPED_FIELD, paragraphs_to_frame, segment_file

BACKENDS = ("loky", "dask")
PARTS_DIR, TABLE_FILE, CSV_FILE, FAILURES_FILE = "parts", "paragraphs.parquet", "paragraphs.csv", "failures.csv"
CONVERTED_DIR = "converted"
_LOG = logging.getLogger("rolcov")
# Reports per task: large enough that scheduling costs nothing next to the work (~0.1 s per report), small
# enough that the progress bar moves and a killed run loses little.
CHUNK_REPORTS = 8


@dataclass(frozen=True)
class BatchResult:
    """What :func:`classify_reports` did.

    Attributes
    ----------
    table : Path
        ``OUT/paragraphs.parquet``.
    reports : int
        Report files found in the inputs.
    classified : int
        Reports classified in this run.
    resumed : int
        Reports whose part was already there (same file content, same model) and were not redone.
    failures : tuple of (str, str)
        ``(path, reason)`` of each input that could not be classified, as written to ``failures.csv``.
    paragraphs : int
        Rows in the merged table.
    seconds : float
        Wall-clock time of the run.
    written : bool
        False when nothing was classified or resumed and ``table`` (with ``paragraphs.csv`` and
        ``failures.csv``) from an earlier run was left as it was.
    """

    table: Path
    reports: int
    classified: int
    resumed: int
    failures: tuple[tuple[str, str], ...]
    paragraphs: int
    seconds: float
    written: bool = True


@dataclass(frozen=True)
class _Outcome:
    path: str
    paragraphs: int
    error: str  # empty when the part was written
    warnings: tuple[tuple[str, int], ...] = ()  # (message, paragraph-like lines removed) logged reading it


def classify_report(
    path: str | Path, model: ParagraphClassifier, report_id: str | None = None, convert: ConvertOptions | None = None
) -> pd.DataFrame:
    """Read, segment and label one report file: the unit of work of every ``rolcov classify`` run.

    ``report_id`` is the file's id in its run (:func:`pipeline.schema.report_ids`); default its stem.
    ``convert``: cache, timeout and OCR threads for files that need a converter
    (:class:`pipeline.io.convert.ConvertOptions`).

    Returns
    -------
    pandas.DataFrame
        :data:`pipeline.schema.FRAME_COLUMNS` plus ``labels``, ``primary`` and ``p_<label>``.

    Raises
    ------
    InputError
        If the file cannot be read or holds no paragraph.
    """
    return model.classify(segment_file(path, report_id=report_id, convert=convert))


def classify_reports(
    paths: Sequence[str | Path],
    model_dir: str | Path,
    out_dir: str | Path,
    jobs: int = 1,
    backend: str = "loky",
    scheduler: str | None = None,
    force: bool = False,
    csv: bool = False,
    progress: bool = True,
    cache_dir: str | Path | None = None,
) -> BatchResult:
    """Classify every report file under ``paths`` into ``out_dir``, in parallel, skipping finished reports.

    Parameters
    ----------
    paths : sequence of str or Path
        Report files and folders (searched recursively, as by :func:`pipeline.io.ingest.find_report_files`).
    model_dir : str or Path
        Model directory written by ``rolcov train``; checked here before any work starts.
    out_dir : str or Path
        Output directory (layout in the module docstring); created if missing.
    jobs : int
        Worker processes for ``loky``, or workers of the local Dask cluster started when ``backend="dask"``
        and no ``scheduler`` is given. Each worker holds pkuseg (~900 MB).
    backend : {"loky", "dask"}
        Local processes, or a Dask distributed cluster through joblib's dask backend.
    scheduler : str, optional
        Address of a running Dask scheduler (``tcp://host:8786``); only with ``backend="dask"``.
    force : bool
        Classify every report again even if its part exists.
    csv : bool
        Also write ``paragraphs.csv``.
    progress : bool
        Show a progress bar on stderr (reports, paragraphs/s, failures), and one of pages when scans are OCR'd.
    cache_dir : str or Path, optional
        Where converted and OCR'd text is kept by content hash (default ``OUT/converted``); ``force`` does not
        clear it.

    Returns
    -------
    BatchResult

    Raises
    ------
    InputError
        If an input is a table (classify tables with ``rolcov classify TABLE -o FILE``) or the backend is unknown.
    ModelError
        If the model directory is missing, damaged or was trained for another taxonomy.
    RolcovError
        If another run is writing into ``out_dir``.
    """
    _check_options(paths, backend, scheduler)
    model = load_model(model_dir)  # fail before any work, not once per worker
    # Workers may run in another directory (a reused loky pool, a Dask worker): they get absolute paths.
    convert = ConvertOptions(cache_dir=Path(cache_dir or Path(out_dir) / CONVERTED_DIR).resolve(), ocr_threads=1)
    with output_lock(out_dir):
        return _classify_locked(
            paths, model, model_dir, Path(out_dir), jobs, backend, scheduler, force, csv, progress, convert
        )


def _classify_locked(
    paths: Sequence[str | Path],
    model: ParagraphClassifier,
    model_dir: str | Path,
    out_dir: Path,
    jobs: int,
    backend: str,
    scheduler: str | None,
    force: bool,
    csv: bool,
    progress: bool,
    convert: ConvertOptions,
) -> BatchResult:
    """:func:`classify_reports` once it holds ``out_dir``'s lock."""
    started = time.perf_counter()
    model_sha256 = read_card(model_dir)["model_file"]["sha256"]
    parts = _parts_dir(out_dir, model_sha256)
    files, skipped = find_report_files(list(paths))
    inputs, unreadable = _content_keys(files)
    todo = [(str(path), key) for path, key in inputs if force or not _part(parts, key).is_file()]
    scan_pages = {path: pages for path, key in todo if (pages := ocr_page_count(Path(path), key, convert))}
    tasks = _tasks(todo, scan_pages)
    work = partial(
        _classify_chunk,
        model_dir=str(Path(model_dir).resolve()),
        model_sha256=model_sha256,
        parts=str(parts.resolve()),
        cwd=str(Path.cwd()),
        convert=convert,
    )
    with _progress_bars(len(inputs), len(inputs) - len(todo), sum(scan_pages.values()), progress) as bars:
        failed = _follow(_run_tasks(work, tasks, jobs, backend, scheduler), bars, scan_pages)
    order = {str(path): number for number, path in enumerate(files)}
    failures = skipped + sorted(unreadable + failed, key=lambda failure: order[failure[0]])
    failed_paths = {path for path, _ in failed}
    ids = report_ids(files)
    done = [(path, ids[path], _part(parts, key)) for path, key in inputs if str(path) not in failed_paths]
    counts = (len(inputs) + len(unreadable), len(todo) - len(failed), len(inputs) - len(todo), tuple(failures))
    if not done and (out_dir / TABLE_FILE).exists():  # a mistyped path must not wipe a finished run
        return BatchResult(out_dir / TABLE_FILE, *counts, 0, time.perf_counter() - started, written=False)
    rows = _merge_parts(done, out_dir / TABLE_FILE, model.classify(paragraphs_to_frame([])))
    if csv:
        _parquet_to_csv(out_dir / TABLE_FILE, out_dir / CSV_FILE)
    write_table(pd.DataFrame(failures, columns=["path", "reason"]), out_dir / FAILURES_FILE)
    return BatchResult(out_dir / TABLE_FILE, *counts, rows, time.perf_counter() - started)


def _check_options(paths: Sequence[str | Path], backend: str, scheduler: str | None) -> None:
    tables = [str(path) for path in paths if Path(path).suffix.lower() in READ_SUFFIXES]
    if tables:
        raise InputError(
            f"{tables[0]}: a batch run reads report files and folders, not tables; "
            "classify a paragraph table with `rolcov classify TABLE -o FILE`"
        )
    if backend not in BACKENDS:
        raise InputError(f"unknown backend {backend!r}; use one of {', '.join(BACKENDS)}")
    if scheduler and backend != "dask":
        raise InputError(f"a scheduler address ({scheduler}) needs backend 'dask'; add --backend dask")


def _parts_dir(out_dir: Path, model_sha256: str) -> Path:
    """``OUT/parts/<model12>``, created."""
    parts = out_dir / PARTS_DIR / model_sha256[:12]
    parts.mkdir(parents=True, exist_ok=True)
    return parts


def _part(parts: Path, key: str) -> Path:
    return parts / f"{key}.parquet"


def _content_keys(files: list[Path]) -> tuple[list[tuple[Path, str]], list[tuple[str, str]]]:
    """(file, sha256 of its content) for each readable file, and (file, reason) for the others.

    The content of a page-image series is all its pages (:func:`pipeline.io.pages.report_sha256`).
    """
    keyed, unreadable = [], []
    for path in files:
        try:
            check_regular_file(path)  # hashing a named pipe would wait for a writer forever
            keyed.append((path, report_sha256(path)))
        except InputError as error:
            unreadable.append((str(path), str(error)))
        except OSError as error:
            unreadable.append(
                (str(path), f"{path}: cannot be read ({error.strerror}); check that it exists and is readable")
            )
    return keyed, unreadable


def _tasks(todo: list[tuple[str, str]], scan_pages: dict[str, int]) -> list[list[tuple[str, str]]]:
    """Scans one per task, longest first (the progress of pages moves, and no worker is left with the
    longest scan at the end); the other reports in chunks of :data:`CHUNK_REPORTS`."""
    scans = sorted((item for item in todo if item[0] in scan_pages), key=lambda item: -scan_pages[item[0]])
    rest = [item for item in todo if item[0] not in scan_pages]
    return [[scan] for scan in scans] + [
        rest[start : start + CHUNK_REPORTS] for start in range(0, len(rest), CHUNK_REPORTS)
    ]


def _classify_chunk(
    chunk: list[tuple[str, str]], model_dir: str, model_sha256: str, parts: str, cwd: str, convert: ConvertOptions
) -> list[_Outcome]:
    """Worker task: classify a few reports and write each one's part; return only counts and errors.

    Report paths are as the user gave them (so outcomes match the inputs), read relative to ``cwd``.
    """
    model = _worker_model(model_dir, model_sha256)
    outcomes = []
    with _serial_inside():
        for path, key in chunk:
            with _kept_warnings() as warnings:
                try:
                    frame = classify_report(Path(cwd, path), model, convert=convert)
                except RolcovError as error:
                    outcomes.append(_Outcome(path, 0, str(error), tuple(warnings)))
                    continue
            write_table(frame, _part(Path(parts), key))
            outcomes.append(_Outcome(path, len(frame), "", tuple(warnings)))
    return outcomes


class _KeptWarnings(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.kept: list[tuple[str, int]] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.kept.append((record.getMessage(), getattr(record, DROPPED_FIELD, 0)))


@contextmanager
def _kept_warnings() -> Iterator[list[tuple[str, int]]]:
    """Warnings logged while a report is read, kept for the parent process to say (:func:`_follow`).

    A worker's stderr is not where the user looks, and the run's summary counts the paragraph-like lines
    that were removed (:data:`pipeline.text.segment.DROPPED_FIELD`), wherever the report was read.
    """
    loggers = [logging.getLogger("rolcov")]
    saved = [(logger.handlers, logger.propagate) for logger in loggers]
    keeper = _KeptWarnings()
    for logger in loggers:
        logger.handlers, logger.propagate = [keeper], False
    try:
        yield keeper.kept
    finally:
        for logger, (handlers, propagate) in zip(loggers, saved):
            logger.handlers, logger.propagate = handlers, propagate


@contextmanager
def _serial_inside() -> Iterator[None]:
    """No parallelism inside a task: one BLAS/OpenMP thread and joblib run sequentially.

    The parallelism is the workers; more threads only contend. The joblib half matters under Dask: joblib's
    dask backend runs each task inside ``parallel_config(backend="dask")``, so scikit-learn's
    ``FeatureUnion.transform`` (``Parallel(n_jobs=None)``) sent every report's feature pieces back to the
    cluster as nested tasks (five per report), the paragraphs scattered to whichever worker was free, whose
    word cache had not seen them: the workers used ~1.5× and the client ~4× the CPU of loky for the same
    reports (docs/benchmarks.md, "Throughput"). Plain futures (:func:`_run_tasks`) do not set it; this keeps it so.
    """
    with threadpool_limits(limits=1), parallel_config(backend="sequential"):
        yield


@lru_cache(maxsize=2)
def _worker_model(model_dir: str, model_sha256: str) -> ParagraphClassifier:
    """The model, loaded once per worker process; refused if it changed since the run started."""
    if read_card(model_dir)["model_file"]["sha256"] != model_sha256:
        raise ModelError(f"{model_dir}: the model changed while the batch ran; rerun it ({RETRAIN} only between runs)")
    return load_model(model_dir)


def _run_tasks(
    work: Callable[[list[tuple[str, str]]], list[_Outcome]],
    tasks: list[list[tuple[str, str]]],
    jobs: int,
    backend: str,
    scheduler: str | None,
) -> Iterator[list[_Outcome]]:
    """``work(task)`` for every task, results in the order they finish, on local processes or a Dask cluster.

    Dask gets plain futures, one per task, not joblib's dask backend: that backend runs every task under
    ``parallel_config(backend="dask")`` (scikit-learn's joblib calls inside it become cluster tasks) and its
    client polls for results every 10 ms; a future per chunk of reports costs the scheduler next to nothing.
    """
    if backend != "dask":
        yield from Parallel(n_jobs=jobs, backend=backend, return_as="generator_unordered")(
            delayed(work)(task) for task in tasks
        )
        return
    with _dask_client(jobs, scheduler) as client:
        from dask.distributed import as_completed  # importable: _dask_client checked it

        for future in as_completed(client.map(work, tasks, pure=False)):
            yield future.result()


@contextmanager
def _dask_client(jobs: int, scheduler: str | None) -> Iterator[object]:
    """A client of the cluster at ``scheduler``, or of a local cluster of ``jobs`` one-thread processes."""
    try:
        from dask.distributed import Client, LocalCluster
    except ImportError:
        raise RolcovError("--backend dask needs Dask: pip install 'rolcov[dask]' (or use --backend loky)") from None
    if scheduler:
        with Client(scheduler) as client:
            yield client
        return
    with LocalCluster(n_workers=jobs, threads_per_worker=1, processes=True, dashboard_address=None) as cluster:
        with Client(cluster) as client:
            yield client


@contextmanager
def _progress_bars(reports: int, done: int, pages: int, progress: bool) -> Iterator[tuple[tqdm, tqdm | None]]:
    """The bar of reports, and below it one of OCR pages when there are scans to read."""
    with tqdm(
        total=reports, initial=done, desc="classify", unit="report", file=sys.stderr, disable=not progress
    ) as bar:
        if not pages:
            yield bar, None
            return
        with tqdm(total=pages, desc="OCR", unit="page", file=sys.stderr, disable=not progress) as page_bar:
            yield bar, page_bar


def _follow(
    results: Iterator[list[_Outcome]], bars: tuple[tqdm, tqdm | None], scan_pages: dict[str, int]
) -> list[tuple[str, str]]:
    """Advance the progress bars as tasks finish; return (path, reason) of the reports that failed."""
    bar, page_bar = bars
    failures: list[tuple[str, str]] = []
    paragraphs, started = 0, time.perf_counter()
    for outcomes in results:
        for message, dropped in (warning for outcome in outcomes for warning in outcome.warnings):
            _LOG.warning("%s", message, extra={DROPPED_FIELD: dropped})
        paragraphs += sum(outcome.paragraphs for outcome in outcomes)
        failures += [(outcome.path, outcome.error) for outcome in outcomes if outcome.error]
        if page_bar is not None:
            page_bar.update(sum(scan_pages.get(outcome.path, 0) for outcome in outcomes))
        bar.update(len(outcomes))
        bar.set_postfix(
            {"paragraphs/s": f"{paragraphs / (time.perf_counter() - started):.0f}", "failed": len(failures)},
            refresh=False,
        )
    return failures


def _merge_parts(done: list[tuple[Path, str, Path]], target: Path, empty: pd.DataFrame) -> int:
    """Stream (path, report_id, part) into one Parquet file in input order, one part in memory at a time.

    Returns the number of rows written.
    """
    # The first part's types; the empty table's would type columns without values as null.
    schema = pq.read_schema(done[0][2]) if done else pa.Table.from_pandas(empty, preserve_index=False).schema
    rows = 0
    with atomic_path(target) as temporary, pq.ParquetWriter(temporary, schema) as writer:
        for path, report_id, part in done:
            table = _as_given(pq.read_table(part), path, report_id)
            writer.write_table(table.select(schema.names).cast(schema))
            rows += table.num_rows
    return rows


def _as_given(table: pa.Table, path: Path, report_id: str) -> pa.Table:
    """Rows of a part under the name and id the report has in this run.

    Parts are keyed by content, so a renamed or moved file (or a second copy of one) reuses a part written
    under another name; and workers name a report by its file alone, while same-named files of one run need
    distinct ids (:func:`pipeline.schema.report_ids`). Both are rewritten here to what this run gives the path.
    """
    if not table.num_rows:
        return table
    old_id = table.column("report_id")[0].as_py()
    if (table.column("source")[0].as_py(), old_id) == (str(path), report_id):
        return table
    frame = table.to_pandas()
    frame["para_id"] = renamed_para_ids(frame["para_id"], old_id, report_id)
    frame["report_id"], frame["source"] = report_id, str(path)
    return pa.Table.from_pandas(frame, preserve_index=False)


def _parquet_to_csv(table: Path, target: Path) -> None:
    """The merged table as CSV (as :func:`pipeline.io.tables.write_csv` writes it), batch by batch."""
    parquet = pq.ParquetFile(table)
    with atomic_path(target) as temporary, temporary.open("w", encoding="utf-8-sig", newline="") as stream:
        write_csv(pd.DataFrame(columns=parquet.schema_arrow.names), stream)
        for batch in parquet.iter_batches():
            write_csv(batch.to_pandas(), stream, header=False)
