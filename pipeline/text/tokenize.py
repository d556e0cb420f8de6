"""Chinese word segmentation: ``spacy.blank("zh")`` with the pkuseg segmenter and its pretrained model.

The pkuseg "mixed" model (features.pkl + weights.npz, 180 MB) is not on PyPI by itself: it ships inside the
``pkuseg==0.0.25`` wheel, so :func:`fetch_pkuseg_model` downloads that wheel with pip, extracts the two files
into a staging directory beside the cache directory, checks their SHA-256 and only then swaps them in. The
model's training data is licensed for research use. ``ROLCOV_PKUSEG_MODEL`` (or ``model_dir``) says where the
model is kept, e.g. a shared read-only copy.

``features.pkl`` is a pickle, and unpickling runs whatever code the file names, so :func:`load_tokenizer`
checks both files against the published SHA-256 every time it loads them (once per process), before
spacy-pkuseg opens them; a different pkuseg model cannot be pinned and is refused.

Loading the model takes seconds and close to 1 GB of memory, so the pipeline is built once per process
(:func:`load_tokenizer` is cached) and texts are segmented in batches with ``nlp.pipe``.
"""

from __future__ import annotations

import contextlib
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
from pipeline.io.checksum import file_sha256

PKUSEG_WHEEL = "pkuseg==0.0.25"
PKUSEG_FILES = {
    "features.pkl": "265dcf5534a11d6429776f7e7450a9eef8e075b1a4bedb82ef996994d9c721ac",
    "weights.npz": "95d1632a1fed45993b5006d8ba85939cb110fae71313987673582d24669811dd",
}
SHADOWING_FILE = "features.msgpack"  # spacy-pkuseg reads this before features.pkl when it exists
FETCH_COMMAND = "rolcov fetch-model"


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
    """Raise :class:`ModelError` unless the directory holds exactly the published model for pkuseg to read.

    Both files must match their published SHA-256, and no ``features.msgpack`` may sit beside them: pkuseg
    would read that instead of the checked ``features.pkl``.
    """
    for name, expected in PKUSEG_FILES.items():
        path = model_dir / name
        if not path.is_file():
            raise ModelError(f"{path}: pkuseg model file missing; run `{FETCH_COMMAND}`")
        if file_sha256(path) != expected:
            raise ModelError(
                f"{path}: not the published pkuseg model file (checksum mismatch; corrupt or replaced, "
                f"and it is a pickle, so it is not loaded); run `{FETCH_COMMAND} --force`"
            )
    if (model_dir / SHADOWING_FILE).exists():
        raise ModelError(
            f"{model_dir / SHADOWING_FILE}: pkuseg would read this unchecked file instead of the "
            f"checked features.pkl; remove it or run `{FETCH_COMMAND} --force`"
        )


def fetch_pkuseg_model(model_dir: Path | None = None, force: bool = False) -> Path:
    """Download the pkuseg mixed model once into ``model_dir``, verify it, and swap it in.

    Everything happens in a staging directory beside ``model_dir`` (same file system, so the swap is a
    rename): download, extract, verify. Only a verified model replaces the old one, which stays usable until
    then; the swap is two renames (old aside, new in), undone if the second fails. On any failure the
    staging directory is removed and the old model is left as it was.
    """
    model_dir = model_dir or default_model_dir()
    if model_is_present(model_dir) and not force:
        verify_model(model_dir)
        return model_dir
    model_dir.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{model_dir.name}.staging-", dir=model_dir.parent))
    try:
        wheel = download_wheel(staging)
        with zipfile.ZipFile(wheel) as archive:
            for name in PKUSEG_FILES:
                with archive.open(f"pkuseg/models/default/{name}") as source, (staging / name).open("wb") as target:
                    shutil.copyfileobj(source, target)
        wheel.unlink()
        try:
            verify_model(staging)
        except ModelError as error:
            raise ModelError(
                f"{PKUSEG_WHEEL} as downloaded does not hold the published model ({error}); {model_dir} was not changed"
            ) from None
        _swap_in(staging, model_dir)
    except (OSError, KeyError, zipfile.BadZipFile) as error:
        raise ModelError(
            f"{model_dir}: could not install the pkuseg model ({type(error).__name__}: {error}); "
            f"the previous model, if any, is unchanged; run `{FETCH_COMMAND}` again"
        ) from None
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return model_dir


def download_wheel(directory: Path) -> Path:
    """Download the ``pkuseg`` wheel into ``directory`` with pip and return its path.

    The wheel is for CPython 3.7 on Linux, but only its data files are used, so pip is told to fetch it for
    that platform without installing it; this works on any machine that reaches PyPI.
    """
    command = [
        sys.executable,
        "-m",
        "pip",
        "download",
        "--no-deps",
        "--only-binary=:all:",
        "--platform",
        "manylinux1_x86_64",
        "--python-version",
        "3.7",
        PKUSEG_WHEEL,
        "-d",
        str(directory),
        "-q",
    ]
    result = subprocess.run(command, capture_output=True, text=True)
    wheels = list(directory.glob("pkuseg-*.whl"))
    if result.returncode != 0 or not wheels:
        raise ModelError(f"pip could not download {PKUSEG_WHEEL}: {' '.join(result.stderr.split())[-300:]}")
    return wheels[0]


def _swap_in(staging: Path, model_dir: Path) -> None:
    if not model_dir.exists():
        staging.rename(model_dir)
        return
    retired = staging.with_name(staging.name.replace(".staging-", ".old-"))
    model_dir.rename(retired)
    try:
        staging.rename(model_dir)
    except OSError:
        retired.rename(model_dir)
        raise
    shutil.rmtree(retired, ignore_errors=True)


def load_tokenizer(model_dir: str | None = None) -> Language:
    """A blank Chinese spaCy pipeline whose tokenizer is pkuseg with the given model (cached per process).

    The default directory is resolved on every call, so a changed ``$ROLCOV_PKUSEG_MODEL`` is followed.

    Raises
    ------
    ModelError
        If the model directory has not been fetched, naming the command that fetches it, or if its files are
        not the published ones (checked before spacy-pkuseg unpickles ``features.pkl``).
    """
    return _load_tokenizer(str(Path(model_dir) if model_dir else default_model_dir()))


@lru_cache(maxsize=2)
def _load_tokenizer(model_dir: str) -> Language:
    directory = Path(model_dir)
    if not model_is_present(directory):
        raise ModelError(
            f"{directory}: pkuseg model not found; run `{FETCH_COMMAND}` (or `make setup`) once to download it"
        )
    verify_model(directory)
    nlp = spacy.blank("zh", config={"nlp": {"tokenizer": {"segmenter": "pkuseg"}}})
    # spacy-pkuseg prints a warning when it falls back from features.msgpack to the features.pkl the wheel
    # ships; that fallback is the expected path here, so the line is kept out of the user's output.
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        nlp.tokenizer.initialize(pkuseg_model=str(directory))
    return nlp


def tokenize_texts(texts: Iterable[str], nlp: Language | None = None, batch_size: int = 64) -> list[list[str]]:
    """Segment texts into words with ``nlp.pipe``; whitespace tokens are dropped."""
    nlp = nlp or load_tokenizer()
    return [[token.text for token in doc if not token.is_space] for doc in nlp.pipe(texts, batch_size=batch_size)]
