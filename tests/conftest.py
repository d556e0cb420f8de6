"""Shared fixtures: the seed reports and the pkuseg pipeline (loaded once per test session)."""

from __future__ import annotations

from pathlib import Path

import pytest

from pipeline.io.ingest import read_report
from pipeline.text.segment import paragraphs_to_frame, segment_report

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
    from pipeline.text.tokenize import load_tokenizer

    return load_tokenizer()


ANNOTATIONS = ROOT / "corpus" / "annotations.csv"
HELD_OUT = "004"  # the largest seed report by paragraphs: the most stable single-report score


@pytest.fixture(scope="session")
def gold_table():
    """The gold annotations as the training table (``weight`` column included)."""
    from pipeline.model.train import training_table

    return training_table([ANNOTATIONS])


@pytest.fixture(scope="session")
def four_report_model(gold_table):
    """The shipped classifier, ``ParagraphClassifier()``, fitted on every seed report except :data:`HELD_OUT`.

    The one model of the session for tests that need *a* fitted model (and for those that score it on the
    held-out report): one fit, no leave-one-report-out.
    """
    from pipeline.annotate.annotations import label_matrix
    from pipeline.model.classifier import ParagraphClassifier
    from pipeline.taxonomy import load_taxonomy

    training = gold_table[~gold_table.report_id.str.startswith(HELD_OUT)]
    return ParagraphClassifier().fit(
        training, label_matrix(training, load_taxonomy().ids), groups=training["report_id"]
    )


@pytest.fixture(scope="session")
def saved_model_dir(four_report_model, tmp_path_factory) -> Path:
    """:func:`four_report_model` saved as a model directory, as `rolcov classify --model` and `load_model` read
    one (its card has no scores: the tests of `rolcov train` itself train their own, smaller models)."""
    from pipeline.model.store import save_model, taxonomy_summary
    from pipeline.taxonomy import load_taxonomy

    directory = tmp_path_factory.mktemp("models") / "seeds"
    save_model(four_report_model, directory, {"taxonomy": taxonomy_summary(load_taxonomy())})
    return directory


# Hand-made classified tables for the coverage tests, shared as fixtures.
from coverage_tables import names, report_a  # noqa: E402,F401
