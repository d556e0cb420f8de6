"""A model directory is data: loading it builds known types only, never runs code it holds, and the model
travels with the taxonomy it was trained on."""

from __future__ import annotations

import hashlib
import json
import pickle
import shutil
import zipfile
from pathlib import Path

import numpy as np
import pytest
import skops.io

from pipeline.errors import ModelError
from pipeline.model.store import CARD_FILE, LEGACY_MODEL_FILE, MODEL_FILE, TAXONOMY_FILE, load_model, trusted_types
from pipeline.taxonomy import load_taxonomy


class CreatesFile:
    """Loading this object (from a pickle, or building it from a skops file) creates ``marker``."""

    def __init__(self, marker: Path):
        self.marker = str(marker)

    def __reduce__(self):
        return open, (self.marker, "w")

    def __setstate__(self, state):
        Path(state["marker"]).touch()


def planted(saved_model_dir: Path, destination: Path, name: str, payload: bytes) -> Path:
    """A copy of a real model directory whose model file ``name`` is ``payload``, with a card that matches it."""
    directory = shutil.copytree(saved_model_dir, destination)
    (directory / MODEL_FILE).unlink()
    (directory / name).write_bytes(payload)
    card = json.loads((directory / CARD_FILE).read_text(encoding="utf-8"))
    card["model_file"] = {"name": name, "sha256": hashlib.sha256(payload).hexdigest(), "bytes": len(payload)}
    (directory / CARD_FILE).write_text(json.dumps(card), encoding="utf-8")
    return directory


def refusal(directory: Path) -> str:
    with pytest.raises(ModelError) as raised:
        load_model(directory)
    message = str(raised.value)
    assert "\n" not in message
    return message


@pytest.mark.parametrize("name", [MODEL_FILE, LEGACY_MODEL_FILE])
def test_pickle_with_a_matching_card_is_refused_and_never_run(saved_model_dir, tmp_path, name):
    control = tmp_path / "control"
    pickle.loads(pickle.dumps(CreatesFile(control)))
    assert control.exists(), "the payload must be one that runs when unpickled"
    marker = tmp_path / "marker"
    directory = planted(saved_model_dir, tmp_path / "model", name, pickle.dumps(CreatesFile(marker)))
    message = refusal(directory)
    assert str(directory / name) in message and "retrain" in message
    assert not marker.exists()


def test_skops_file_with_an_untrusted_type_is_refused_and_never_built(saved_model_dir, tmp_path):
    smuggled = skops.io.load(saved_model_dir / MODEL_FILE, trusted=trusted_types())
    control = tmp_path / "control"
    smuggled.extra_ = CreatesFile(control)
    payload = skops.io.dumps(smuggled)
    skops.io.loads(payload, trusted=skops.io.get_untrusted_types(data=payload))
    assert control.exists(), "building the smuggled object must be what creates the file"
    control.unlink()
    directory = planted(saved_model_dir, tmp_path / "model", MODEL_FILE, payload)
    message = refusal(directory)
    assert "does not trust (test_model_store.CreatesFile)" in message
    assert not control.exists()


def test_trusted_types_are_exactly_what_a_trained_model_needs(saved_model_dir):
    with zipfile.ZipFile(saved_model_dir / MODEL_FILE) as archive:
        assert "schema.json" in archive.namelist()
    untrusted = skops.io.get_untrusted_types(file=saved_model_dir / MODEL_FILE)
    assert set(untrusted) <= set(trusted_types())
    assert {
        "pipeline.model.classifier.ParagraphClassifier",
        "pipeline.model.features.NgramFeatures",
        "pipeline.model.features.CueFeatures",
    } <= set(untrusted)


def test_old_joblib_model_directory_asks_for_retraining(saved_model_dir, four_report_model, tmp_path):
    import joblib

    directory = tmp_path / "old"
    shutil.copytree(saved_model_dir, directory)
    (directory / MODEL_FILE).unlink()
    joblib.dump(four_report_model, directory / LEGACY_MODEL_FILE)
    message = refusal(directory)
    assert message.startswith(f"{directory / LEGACY_MODEL_FILE}: a pickle model from an older rolcov")
    assert "rolcov train" in message


def test_model_is_used_with_its_own_taxonomy_copy(saved_model_dir, gold_table, tmp_path, monkeypatch):
    two = tmp_path / "two.yaml"
    two.write_text(
        "name: two\nversion: '1'\nlabels:\n"
        "  - {id: a, name_zh: 甲, name_en: A, definition: x, cues: [执法]}\n"
        "  - {id: b, name_zh: 乙, name_en: B, definition: y, cues: [监督]}\n",
        encoding="utf-8",
    )
    monkeypatch.setenv("ROLCOV_TAXONOMY", str(two))
    with pytest.raises(ModelError, match=r"trained with taxonomy .* but .*two\.yaml \(two 1, .* was asked for"):
        load_model(saved_model_dir)
    monkeypatch.delenv("ROLCOV_TAXONOMY")
    copied = shutil.copytree(saved_model_dir, tmp_path / "copy")
    model = load_model(copied)
    assert model.taxonomy.path == (copied / TAXONOMY_FILE).resolve()
    assert model.taxonomy.sha256 == load_taxonomy().sha256
    reloaded = load_model(saved_model_dir)
    assert np.array_equal(model.predict_proba(gold_table), reloaded.predict_proba(gold_table))
    with (copied / TAXONOMY_FILE).open("a", encoding="utf-8") as stream:
        stream.write("# edited\n")
    assert f"{copied / TAXONOMY_FILE}: differs from the taxonomy in model.json" in refusal(copied)
    (copied / TAXONOMY_FILE).unlink()
    assert "taxonomy copy is missing" in refusal(copied)
