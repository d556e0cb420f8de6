"""Batch throughput: `rolcov classify DIR -o OUT` on a synthetic corpus of the seed reports, jobs 1/2 and Dask.

One command: `.venv/bin/python bench/throughput.py` (about 15 minutes on 2 cores) writes
bench/results/throughput.md; `--sizes 2000 --modes jobs1,dask2` reruns only that comparison. It

1. trains a model from corpus/annotations.csv into a temporary directory (or uses --model);
2. writes N report files (default 1,000 and 2,000) by repeating the five seeds; every line of 60+
   characters of copy k gets a "（第k份）" tag and a last line names the copy, so that no two files and no
   two paragraphs are identical (pkuseg's per-process word cache would otherwise make copies free);
3. runs the real command line in a subprocess for each size and mode (--jobs 1, --jobs 2, --backend dask
   --jobs 2), timing it, sampling the summed RSS of its process tree (workers included) every 0.1 s and
   splitting its CPU time between the client process (for Dask also the scheduler and the nannies, which a
   LocalCluster runs in the client) and the workers;
4. times the stages in this process on a sample of reports: ingest+segment, pkuseg, features, model.

Figures are from one run on a shared machine: compare ratios, not absolutes.
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results" / "throughput.md"
# --modes name: (label in the table, command-line options)
MODES = {
    "jobs1": ("jobs 1", ["--jobs", "1"]),
    "jobs2": ("jobs 2", ["--jobs", "2"]),
    "dask2": ("dask LocalCluster, 2 workers", ["--backend", "dask", "--jobs", "2"]),
}
STAGE_SAMPLE = 100


def write_corpus(directory: Path, count: int) -> Path:
    """``count`` varied copies of the seed reports in ``directory``."""
    seeds = sorted((ROOT / "corpus" / "raw").glob("*.txt"))
    directory.mkdir(parents=True)
    for number in range(count):
        seed = seeds[number % len(seeds)]
        lines = [
            line[:-1] + f"（第{number}份）" + line[-1] if len(line) >= 60 else line
            for line in seed.read_text(encoding="utf-8").splitlines()
        ]
        lines.append(f"本报告为第{number}份抄件，用于吞吐量测试。")
        (directory / f"{number:05d}_{seed.name}").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return directory


class TreeMemory(threading.Thread):
    """Peak of the summed resident memory of a process and all its descendants, sampled every 0.1 s.

    Also keeps the last CPU time seen of the root process alone (the client; its children are the workers).
    """

    def __init__(self, pid: int):
        super().__init__(daemon=True)
        self.root, self.peak_bytes, self.done = psutil.Process(pid), 0, threading.Event()
        self.root_cpu_seconds = 0.0

    def run(self) -> None:
        while not self.done.is_set():
            total = 0
            try:
                processes = [self.root, *self.root.children(recursive=True)]
                times = self.root.cpu_times()
            except psutil.NoSuchProcess:
                return
            self.root_cpu_seconds = times.user + times.system
            for process in processes:
                try:
                    total += process.memory_info().rss
                except psutil.NoSuchProcess:
                    pass  # a worker that exited between listing and reading holds no memory
            self.peak_bytes = max(self.peak_bytes, total)
            self.done.wait(0.1)


def run_classify(reports: Path, model: Path, out: Path, options: list[str]) -> dict:
    """Run the command line once; wall time, paragraphs, peak tree RSS, CPU of the tree and of the client."""
    command = [
        sys.executable,
        "-m",
        "pipeline.cli.main",
        "classify",
        str(reports),
        "--model",
        str(model),
        "-o",
        str(out),
        *options,
    ]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    load = os.getloadavg()[0]  # other work on the machine shares its cores with this run
    cpu_before = _children_cpu_seconds()
    started = time.perf_counter()
    process = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    memory = TreeMemory(process.pid)
    memory.start()
    output, _ = process.communicate()
    seconds = time.perf_counter() - started
    memory.done.set()
    memory.join()
    if process.returncode != 0:
        raise SystemExit(f"{' '.join(command)} exited with {process.returncode}: {output}")
    import pyarrow.parquet as pq

    paragraphs = pq.ParquetFile(out / "paragraphs.parquet").metadata.num_rows
    cpu_seconds = _children_cpu_seconds() - cpu_before
    return {
        "seconds": seconds,
        "paragraphs": paragraphs,
        "rate": paragraphs / seconds,
        "peak_mb": memory.peak_bytes / 2**20,
        "cpu_seconds": cpu_seconds,
        "client_cpu_seconds": memory.root_cpu_seconds,
        "load_before": load,
    }


def _children_cpu_seconds() -> float:
    """CPU time of finished descendants (the run and the workers it waited for), user + system."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def stage_seconds(reports: list[Path], model_dir: Path) -> dict[str, float]:
    """Seconds per stage over ``reports`` in this process (pkuseg loaded before timing)."""
    from pipeline.model.features import with_normalized_columns
    from pipeline.model.store import load_model
    from pipeline.text.segment import segment_file
    from pipeline.text.tokenize import load_tokenizer

    model = load_model(model_dir)
    load_tokenizer()  # once per worker in a batch; its cost is in bench/results/segment.md
    clock = {"ingest + segment": 0.0, "pkuseg tokenization": 0.0, "features (n-grams, cues)": 0.0, "model": 0.0}
    for path in reports:
        tick = time.perf_counter()
        frame = segment_file(path)
        tock = time.perf_counter()
        frame = with_normalized_columns(frame)  # the normalized text and its words, carried for the features
        words = time.perf_counter()
        model.features_.transform(frame)
        features = time.perf_counter()
        model.classify(frame)  # features again, from the carried words, plus the model
        done = time.perf_counter()
        clock["ingest + segment"] += tock - tick
        clock["pkuseg tokenization"] += words - tock
        clock["features (n-grams, cues)"] += features - words
        clock["model"] += max(done - features - (features - words), 0.0)
    return clock


def train_model(directory: Path) -> Path:
    from pipeline.model.train import train_model as train

    train([ROOT / "corpus" / "annotations.csv"], directory)
    return directory


def report(
    runs: dict[tuple[int, str], dict], stages: dict[str, float], sample_reports: int, sample_paragraphs: int
) -> str:
    """The Markdown results page."""
    lines = [
        "# Batch throughput",
        "",
        f"`bench/throughput.py` on {os.cpu_count()} cores: `rolcov classify DIR -o OUT` in a subprocess, "
        "wall-clock time including start-up (imports, pkuseg load in every worker) and the final merge; "
        "peak memory = summed RSS of the process tree (parent, workers, Dask nannies/scheduler).",
        "",
        "CPU s = user+system time of the run's processes, workers included; client = the share of it spent "
        "in the `rolcov` process itself (for Dask also the scheduler and the nannies, which a LocalCluster "
        "runs there); same table = `paragraphs.parquet` equal to the jobs 1 run's; load = 1-minute load "
        "average just before the run (0 = idle; other work on the machine shares its cores).",
        "",
        *_runs_table(runs),
        "",
        *_stages_table(stages, sample_reports, sample_paragraphs),
    ]
    largest = max(size for size, _ in runs)
    if (largest, "jobs1") in runs:
        lines[-1] += f" At {largest:,} reports jobs 1 reached {runs[(largest, 'jobs1')]['rate']:.0f}."
    return "\n".join(lines + [""])


def _runs_table(runs: dict[tuple[int, str], dict]) -> list[str]:
    lines = [
        "| reports | mode | paragraphs | seconds | paragraphs/s | vs jobs 1 | same table | peak RSS (MB) "
        "| CPU s | CPU ms/paragraph | client CPU | load |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for (size, mode), run in sorted(runs.items(), key=lambda item: (item[0][0], list(MODES).index(item[0][1]))):
        base = runs.get((size, "jobs1"))
        ratio = f"{run['rate'] / base['rate']:.2f}×" if base else "–"
        lines.append(
            f"| {size:,} | {MODES[mode][0]} | {run['paragraphs']:,} | {run['seconds']:.0f} "
            f"| {run['rate']:.0f} | {ratio} | {run.get('same_table', '–')} | {run['peak_mb']:,.0f} "
            f"| {run['cpu_seconds']:.0f} | {1000 * run['cpu_seconds'] / run['paragraphs']:.1f} "
            f"| {run['client_cpu_seconds']:.0f} s ({run['client_cpu_seconds'] / run['cpu_seconds']:.0%}) "
            f"| {run['load_before']:.1f} |"
        )
    return lines


def _stages_table(stages: dict[str, float], sample_reports: int, sample_paragraphs: int) -> list[str]:
    total = sum(stages.values())
    lines = [
        f"Stage shares, in one process over {sample_reports} reports ({sample_paragraphs:,} paragraphs), "
        "pkuseg already loaded (once per worker; see segment.md for its cost):",
        "",
        "| stage | seconds | share | paragraphs/s if only this stage ran |",
        "|---|---|---|---|",
    ]
    for name, value in stages.items():
        lines.append(f"| {name} | {value:.2f} | {value / total:.0%} | {sample_paragraphs / value:,.0f} |")
    ceiling = sample_paragraphs / total
    return lines + [
        "",
        f"One core does at most {ceiling:,.0f} paragraphs/s end to end, so {os.cpu_count()} cores "
        f"cap the run at about {ceiling * (os.cpu_count() or 1):,.0f} paragraphs/s.",
    ]


def _modes(text: str) -> list[str]:
    names = [name.strip() for name in text.split(",") if name.strip()]
    unknown = [name for name in names if name not in MODES]
    if unknown or not names:
        raise argparse.ArgumentTypeError(f"unknown mode {', '.join(unknown) or text!r}; use {','.join(MODES)}")
    return names


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 2000], help="corpus sizes (reports)")
    parser.add_argument(
        "--modes",
        type=_modes,
        default=list(MODES),
        help=f"comma-separated modes to run, of {','.join(MODES)} (default: all)",
    )
    parser.add_argument("--model", type=Path, help="model directory (default: train one from the gold seeds)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="rolcov-throughput-") as scratch:
        scratch = Path(scratch)
        model = args.model or train_model(scratch / "model")
        runs = {}
        for size in sorted(args.sizes):
            corpus = write_corpus(scratch / f"reports-{size}", size)
            for mode in sorted(args.modes, key=list(MODES).index):  # jobs 1 first: the others are compared to it
                out = scratch / f"out-{size}-{mode}"
                runs[(size, mode)] = run_classify(corpus, model, out, MODES[mode][1])
                if mode != "jobs1" and (size, "jobs1") in runs:
                    runs[(size, mode)]["same_table"] = _same_table(out, scratch / f"out-{size}-jobs1")
                print(size, mode, runs[(size, mode)], flush=True)
        sample = sorted(corpus.iterdir())[:STAGE_SAMPLE]
        stages = stage_seconds(sample, model)
        from pipeline.text.segment import segment_file

        sample_paragraphs = sum(len(segment_file(path)) for path in sample)
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(report(runs, stages, len(sample), sample_paragraphs), encoding="utf-8")
    print(RESULTS.read_text(encoding="utf-8"))


def _same_table(out: Path, reference: Path) -> str:
    import pandas as pd

    same = pd.read_parquet(out / "paragraphs.parquet").equals(pd.read_parquet(reference / "paragraphs.parquet"))
    return "yes" if same else "**no**"


if __name__ == "__main__":
    main()
