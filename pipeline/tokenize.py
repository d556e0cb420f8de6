"""Chinese word segmentation: ``spacy.blank("zh")`` with the pkuseg segmenter and its pretrained model.

The pkuseg "mixed" model (features.pkl + weights.npz, 180 MB) is not on PyPI by itself: it ships inside the
``pkuseg==0.0.25`` wheel, so :func:`fetch_pkuseg_model` downloads that wheel with pip, extracts the two files
into a cache directory and checks their SHA-256. The model's training data is licensed for research use;
another pkuseg model directory can be used by setting ``ROLCOV_PKUSEG_MODEL`` or passing ``model_dir``.

Loading the model takes seconds and close to 1 GB of memory, so the pipeline is built once per process
(:func:`load_tokenizer` is cached) and texts are segmented in batches with ``nlp.pipe``.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import os
import shutil
import subprocess
import sys
import tempfile
import zipfile
from collections.abc import Iterable
from functools import lru_cache
from pathlib import Path

import spacy
from spacy.language import Language

from pipeline.errors import ModelError

PKUSEG_WHEEL = "pkuseg==0.0.25"
PKUSEG_FILES = {
    "features.pkl": "265dcf5534a11d6429776f7e7450a9eef8e075b1a4bedb82ef996994d9c721ac",
    "weights.npz": "95d1632a1fed45993b5006d8ba85939cb110fae71313987673582d24669811dd",
}
FETCH_COMMAND = "rolcov fetch-model   (or: make setup)"


def default_model_dir() -> Path:
    """Where the pkuseg model lives: ``$ROLCOV_PKUSEG_MODEL``, else ``~/.cache/rolcov/pkuseg-mixed``."""
    configured = os.environ.get("ROLCOV_PKUSEG_MODEL")
    if configured:
        return Path(configured)
    cache = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache"))
    return cache / "rolcov" / "pkuseg-mixed"


def model_is_present(model_dir: Path) -> bool:
    """True if both model files are there (the cheap check; :func:`verify_model` hashes them)."""
    return all((model_dir / name).is_file() for name in PKUSEG_FILES)


def verify_model(model_dir: Path) -> None:
    """Raise :class:`ModelError` unless both files exist and match their published SHA-256."""
    for name, expected in PKUSEG_FILES.items():
        path = model_dir / name
        if not path.is_file():
            raise ModelError(f"{path}: pkuseg model file missing; run `{FETCH_COMMAND}`")
        if _sha256(path) != expected:
            raise ModelError(f"{path}: pkuseg model file is corrupt (checksum mismatch); delete it and run `{FETCH_COMMAND}`")


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        for block in iter(lambda: stream.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def fetch_pkuseg_model(model_dir: Path | None = None, force: bool = False) -> Path:
    """Download the pkuseg mixed model once into ``model_dir`` and verify it.

    The wheel is for CPython 3.7 on Linux, but only its data files are used, so pip is told to fetch it for
    that platform without installing it; this works on any machine that reaches PyPI.
    """
    model_dir = model_dir or default_model_dir()
    if model_is_present(model_dir) and not force:
        verify_model(model_dir)
        return model_dir
    with tempfile.TemporaryDirectory() as download:
        command = [
            sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:",
            "--platform", "manylinux1_x86_64", "--python-version", "3.7", PKUSEG_WHEEL, "-d", download, "-q",
        ]
        result = subprocess.run(command, capture_output=True, text=True)
        wheels = list(Path(download).glob("pkuseg-*.whl"))
        if result.returncode != 0 or not wheels:
            raise ModelError(f"pip could not download {PKUSEG_WHEEL}: {result.stderr.strip()[-300:]}")
        staging = Path(tempfile.mkdtemp(prefix=".pkuseg-", dir=_ensure_parent(model_dir)))
        with zipfile.ZipFile(wheels[0]) as wheel:
            for name in PKUSEG_FILES:
                with wheel.open(f"pkuseg/models/default/{name}") as source, (staging / name).open("wb") as target:
                    shutil.copyfileobj(source, target)
        verify_model(staging)
        if model_dir.exists():
            shutil.rmtree(model_dir)
        staging.rename(model_dir)
    return model_dir


def _ensure_parent(model_dir: Path) -> Path:
    model_dir.parent.mkdir(parents=True, exist_ok=True)
    return model_dir.parent


@lru_cache(maxsize=2)
def load_tokenizer(model_dir: str | None = None) -> Language:
    """A blank Chinese spaCy pipeline whose tokenizer is pkuseg with the given model (cached per process).

    Raises
    ------
    ModelError
        If the model directory has not been fetched, naming the command that fetches it.
    """
    directory = Path(model_dir) if model_dir else default_model_dir()
    if not model_is_present(directory):
        raise ModelError(f"{directory}: pkuseg model not found; run `{FETCH_COMMAND}` once to download it")
    nlp = spacy.blank("zh", config={"nlp": {"tokenizer": {"segmenter": "pkuseg"}}})
    # spacy-pkuseg prints a warning when it falls back from features.msgpack to the features.pkl the wheel
    # ships; that fallback is the expected path here, so the line is kept out of the user's output.
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        nlp.tokenizer.initialize(pkuseg_model=str(directory))
    return nlp


def tokenize_texts(texts: Iterable[str], nlp: Language | None = None, batch_size: int = 64) -> list[list[str]]:
    """Segment texts into words with ``nlp.pipe``; whitespace tokens are dropped."""
    nlp = nlp or load_tokenizer()
    return [
        [token.text for token in doc if not token.is_space]
        for doc in nlp.pipe(texts, batch_size=batch_size)
    ]
