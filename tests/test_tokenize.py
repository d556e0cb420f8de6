"""pkuseg word segmentation through spaCy, on real report text."""

from __future__ import annotations

import pytest

from pipeline.errors import ModelError
from pipeline.tokenize import default_model_dir, load_tokenizer, tokenize_texts, verify_model


def test_pkuseg_segments_report_text_into_words(nlp, seed_tables):
    text = seed_tables["000"].text.iloc[0]
    words = tokenize_texts([text], nlp)[0]
    assert "".join(words) == text.replace(" ", "")
    assert {"清河县", "人民政府", "法治"} <= set(words)
    assert len(words) < len(text) / 1.4, "pkuseg should give words, not single characters"


def test_batched_pipe_equals_one_by_one(nlp, seed_tables):
    texts = seed_tables["004"].text.tolist()[:12]
    assert tokenize_texts(texts, nlp, batch_size=5) == [tokenize_texts([t], nlp)[0] for t in texts]


def test_fetched_model_is_verified():
    verify_model(default_model_dir())


def test_missing_model_names_the_fetch_command(tmp_path):
    with pytest.raises(ModelError, match="rolcov fetch-model"):
        load_tokenizer(str(tmp_path / "nowhere"))


def test_corrupt_model_is_refused(tmp_path):
    for name in ("features.pkl", "weights.npz"):
        (tmp_path / name).write_bytes(b"not a model")
    with pytest.raises(ModelError, match="corrupt"):
        verify_model(tmp_path)
