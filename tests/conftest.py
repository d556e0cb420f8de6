"""Shared fixtures: the seed reports and the pkuseg pipeline (loaded once per test session)."""

from __future__ import annotations

from pathlib import Path

import pytest

from pipeline.ingest import read_report
from pipeline.segment import paragraphs_to_frame, segment_report

ROOT = Path(__file__).resolve().parent.parent
RAW = ROOT / "corpus" / "raw"
SEEDS = {path.name[:3]: path for path in sorted(RAW.glob("*.txt"))}


@pytest.fixture(scope="session")
def seed_paths() -> dict[str, Path]:
    """The five seed reports keyed by their number ('000' … '004')."""
    assert len(SEEDS) == 5, f"expected the five seed reports in {RAW}"
    return SEEDS


@pytest.fixture(scope="session")
def seed_tables(seed_paths):
    """Paragraph table of each seed report, keyed by number."""
    return {key: paragraphs_to_frame(segment_report(read_report(path))) for key, path in seed_paths.items()}


@pytest.fixture(scope="session")
def nlp():
    from pipeline.tokenize import load_tokenizer

    return load_tokenizer()


# Hand-made classified tables for the coverage tests, shared as fixtures.
from coverage_tables import names, report_a  # noqa: E402,F401
