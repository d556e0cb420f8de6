"""Save a trained classifier with its model card, and load it back only if it is the model the card describes.

A model directory is data, not code. It holds four files:

* ``model.skops`` — the fitted :class:`~pipeline.model.classifier.ParagraphClassifier` (features included) in the
  :mod:`skops.io` format: a zip of a JSON schema and ``.npy`` arrays. Loading it rebuilds objects of known
  types only; nothing in the file is executed, unlike a pickle/joblib file, whose loading runs whatever code
  the file names;
* ``taxonomy.yaml`` — a byte copy of the taxonomy the model was trained with, so the model is used with its
  own label set wherever it is copied (another machine, a Dask worker, an installed rolcov);
* ``model.json`` — the machine-readable card: label set and taxonomy hash, training data hashes and counts,
  leave-one-report-out metrics, library versions, date, and the sha256 of ``model.skops``;
* ``README.md`` — the same card for people: intended use, data, metrics, limitations.

:func:`load_model` refuses (with :class:`~pipeline.errors.ModelError`, one line) a model file whose hash
differs from the card (tampered or half-copied), one that names a type outside :func:`trusted_types`, a
taxonomy copy that differs from the card or from a taxonomy the caller asks for, one saved by another
scikit-learn minor version (fitted attributes change between them), an old joblib (pickle) model directory,
and any file it cannot read. A card is read only up to :data:`pipeline.io.limits.MODEL_CARD` and only if it
has the shape :func:`save_model` writes; a model file only if it unpacks to at most
:data:`pipeline.io.limits.MODEL_UNZIPPED`, checked before anything in it is unpacked.
"""

from __future__ import annotations

import copy
import datetime as dt
import hashlib
import importlib
import inspect
import io
import json
import os
import platform
import zipfile
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pandas as pd
import sklearn
import skops.io
from sklearn.base import BaseEstimator
from skops.io.exceptions import UntrustedTypesFoundException

from pipeline import __version__
from pipeline.errors import ModelError
from pipeline.io.checksum import file_sha256
from pipeline.io.limits import MODEL_CARD, MODEL_UNZIPPED, check_zip_size
from pipeline.io.tables import atomic_path
from pipeline.model.classifier import ParagraphClassifier
from pipeline.taxonomy import TAXONOMY_ENV_VAR, Taxonomy, default_taxonomy, load_taxonomy

MODEL_FILE, TAXONOMY_FILE, CARD_FILE, README_FILE = "model.skops", "taxonomy.yaml", "model.json", "README.md"
LEGACY_MODEL_FILE = "model.joblib"  # rolcov <= 0.1 pickled the classifier; such directories are refused
RETRAIN = "retrain it with `rolcov train` (or `make run`)"
# Modules whose scikit-learn estimator classes a saved classifier may contain, the functions it may
# reference (the word n-grams' tokenizer is a CountVectorizer parameter) and the plain data classes it holds
# (its settings). skops itself trusts scikit-learn, numpy and scipy types; everything else in a file is refused.
TRUSTED_MODULES = ("pipeline.model.classifier", "pipeline.model.features")
TRUSTED_FUNCTIONS = ("pipeline.model.features._split_words",)
TRUSTED_DATA = ("pipeline.model.settings.ModelSettings",)


def library_versions() -> dict[str, str]:
    """Versions that decide whether a saved model can be loaded and behaves the same."""
    import spacy

    return {
        "python": platform.python_version(),
        "scikit-learn": sklearn.__version__,
        "numpy": np.__version__,
        "pandas": pd.__version__,
        "spacy": spacy.__version__,
        "skops": skops.__version__,
        "rolcov": __version__,
    }


def trusted_types() -> list[str]:
    """Fully qualified names of the rolcov types :func:`load_model` lets skops build, beyond skops' own list.

    These are the scikit-learn estimators defined in :data:`TRUSTED_MODULES` (a new feature block there is
    trusted without further ado), :data:`TRUSTED_FUNCTIONS` and :data:`TRUSTED_DATA`. Building an estimator
    or a settings object sets its attributes; it runs no code from the file.
    """
    names = [*TRUSTED_FUNCTIONS, *TRUSTED_DATA]
    for module_name in TRUSTED_MODULES:
        module = importlib.import_module(module_name)
        names += [
            f"{module_name}.{name}"
            for name, member in inspect.getmembers(module, inspect.isclass)
            if issubclass(member, BaseEstimator) and member.__module__ == module_name
        ]
    return sorted(names)


def save_model(
    classifier: ParagraphClassifier, directory: str | Path, card: dict, taxonomy: Taxonomy | None = None
) -> Path:
    """Write ``model.skops``, ``taxonomy.yaml``, ``model.json`` and ``README.md`` into ``directory``, each atomically.

    Parameters
    ----------
    classifier : ParagraphClassifier
        Fitted.
    directory : str or Path
        Created if missing; existing files are replaced.
    card : dict
        What the caller knows (``training_data``, ``evaluation``, ``params``); the model file hash, labels,
        thresholds, taxonomy, versions and date are added here.
    taxonomy : Taxonomy, optional
        The taxonomy the classifier was fitted with; default its ``taxonomy`` parameter, else
        :func:`default_taxonomy` (what a classifier without one is fitted with). Its file is copied into
        the directory.

    Returns
    -------
    Path
        The card file.
    """
    directory = Path(directory)
    taxonomy = taxonomy or classifier.taxonomy or default_taxonomy()
    taxonomy_bytes = taxonomy.path.read_bytes()
    if hashlib.sha256(taxonomy_bytes).hexdigest() != classifier.taxonomy_sha256_:
        raise ModelError(
            f"{taxonomy.path}: not the taxonomy the classifier was fitted with (or changed since); "
            "save the model with the taxonomy it was trained on"
        )
    with atomic_path(directory / MODEL_FILE) as temporary:
        temporary.write_bytes(skops.io.dumps(_without_taxonomy(classifier), compression=zipfile.ZIP_DEFLATED))
        digest = file_sha256(temporary)
    with atomic_path(directory / TAXONOMY_FILE) as temporary:
        temporary.write_bytes(taxonomy_bytes)
    card = {
        "name": directory.name,
        "created": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        "labels": [str(label) for label in classifier.classes_],
        "thresholds": {str(k): float(t) for k, t in zip(classifier.classes_, classifier.thresholds_)},
        **card,
        "taxonomy": {**taxonomy_summary(taxonomy), "file": TAXONOMY_FILE},
        "model_file": {
            "name": MODEL_FILE,
            "format": "skops",
            "sha256": digest,
            "bytes": (directory / MODEL_FILE).stat().st_size,
        },
        "versions": library_versions(),
    }
    with atomic_path(directory / CARD_FILE) as temporary:
        temporary.write_text(json.dumps(card, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    with atomic_path(directory / README_FILE) as temporary:
        temporary.write_text(card_readme(card), encoding="utf-8")
    (directory / LEGACY_MODEL_FILE).unlink(missing_ok=True)  # a retrained old directory keeps no pickle
    return directory / CARD_FILE


# What load_model and a batch run read from a card, and the type each must have: (key, type) paths.
CARD_FIELDS = (
    (("model_file", "sha256"), str),
    (("model_file", "name"), str),
    (("taxonomy", "sha256"), str),
    (("versions", "scikit-learn"), str),
)


def read_card(directory: str | Path) -> dict:
    """The parsed ``model.json`` of a model directory.

    Raises
    ------
    ModelError
        If the card is missing, larger than :data:`pipeline.io.limits.MODEL_CARD`, not JSON (or nested
        too deep to parse), or lacks a field of :data:`CARD_FIELDS` with its type.
    """
    path = Path(directory) / CARD_FILE
    if not path.is_file():
        raise ModelError(f"{path}: no model card here; train a model with `rolcov train ANNOTATIONS -o {directory}`")
    if path.stat().st_size > MODEL_CARD.bytes:
        raise ModelError(MODEL_CARD.refusal(path, f"{path.stat().st_size / 2**10:,.0f} KB"))
    try:
        card = json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise ModelError(f"{path}: model card is not valid JSON ({error}); {RETRAIN}") from None
    except RecursionError:
        raise ModelError(f"{path}: model card is nested too deep to be a model card; {RETRAIN}") from None
    _check_card_shape(card, path)
    return card


def _check_card_shape(card: object, path: Path) -> None:
    """Refuse a card without the fields, of the types, that loading a model reads (:data:`CARD_FIELDS`)."""
    if not isinstance(card, dict):
        raise ModelError(f"{path}: model card is a JSON {type(card).__name__}, not an object; {RETRAIN}")
    for keys, kind in CARD_FIELDS:
        value: object = card
        for key in keys:
            value = value.get(key) if isinstance(value, dict) else None
        if not isinstance(value, kind):
            raise ModelError(
                f"{path}: model card has no {kind.__name__} {'.'.join(keys)} (found {type(value).__name__}); {RETRAIN}"
            )


def load_model(directory: str | Path, taxonomy: Taxonomy | None = None) -> ParagraphClassifier:
    """Load a saved classifier after checking it against its card; it comes with the taxonomy it was trained on.

    Parameters
    ----------
    directory : str or Path
        A directory written by :func:`save_model`.
    taxonomy : Taxonomy, optional
        A taxonomy the caller insists on (as does a set ``$ROLCOV_TAXONOMY``); it must be the model's own.
        By default the model uses its ``taxonomy.yaml``, which becomes the ``taxonomy`` parameter of every
        estimator in it that has one.

    Raises
    ------
    ModelError
        Missing/corrupt/tampered/old-format file, untrusted type, other taxonomy, other scikit-learn minor
        version; the message names the file and what to do.
    """
    directory = Path(directory)
    card = read_card(directory)
    path = directory / MODEL_FILE
    _refuse_legacy(card, directory)
    if not path.is_file():
        raise ModelError(f"{path}: model file missing (model files are not in git); {RETRAIN}")
    data = path.read_bytes()  # hashed and loaded from the same bytes, so nothing can swap the file in between
    if hashlib.sha256(data).hexdigest() != card["model_file"]["sha256"]:
        raise ModelError(
            f"{path}: sha256 differs from {CARD_FILE} (file changed or damaged); {RETRAIN} "
            "or copy the model directory again"
        )
    _check_versions(card, path)
    own = _model_taxonomy(card, directory)
    _check_requested_taxonomy(own, taxonomy, directory / CARD_FILE)
    classifier = _load_skops(data, path)
    if not isinstance(classifier, ParagraphClassifier):
        raise ModelError(f"{path}: holds a {type(classifier).__name__}, not a ParagraphClassifier; {RETRAIN}")
    for estimator in _estimators(classifier):
        if "taxonomy" in vars(estimator) and estimator.taxonomy is None:
            estimator.taxonomy = own
    return classifier


def _refuse_legacy(card: dict, directory: Path) -> None:
    if card.get("model_file", {}).get("name") == LEGACY_MODEL_FILE or (
        (directory / LEGACY_MODEL_FILE).exists() and not (directory / MODEL_FILE).exists()
    ):
        raise ModelError(
            f"{directory / LEGACY_MODEL_FILE}: a pickle model from an older rolcov, refused because "
            f"loading a pickle runs code it holds; {RETRAIN}"
        )


def _load_skops(data: bytes, path: Path) -> object:
    """Build the classifier from skops bytes, refusing any type outside skops' list and :func:`trusted_types`."""
    trusted = trusted_types()
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            check_zip_size(archive, path, MODEL_UNZIPPED, ModelError)
        return skops.io.loads(data, trusted=trusted)
    except UntrustedTypesFoundException:
        refused = sorted(set(skops.io.get_untrusted_types(data=data)) - set(trusted))
        raise ModelError(
            f"{path}: refers to types rolcov does not trust ({', '.join(refused)}); loading would "
            f"build them, so it is refused; {RETRAIN}"
        ) from None
    except (
        zipfile.BadZipFile,
        OSError,
        EOFError,
        ValueError,
        TypeError,
        AttributeError,
        ImportError,
        KeyError,
    ) as error:
        raise ModelError(
            f"{path}: cannot be read as a skops model ({type(error).__name__}: {str(error)[:200]}); {RETRAIN}"
        ) from None


def _without_taxonomy(classifier: ParagraphClassifier) -> ParagraphClassifier:
    """A copy whose estimators hold no :class:`Taxonomy` (the directory's ``taxonomy.yaml`` replaces it)."""
    bare = copy.deepcopy(classifier)
    for estimator in _estimators(bare):
        for name, value in list(vars(estimator).items()):
            if isinstance(value, Taxonomy):
                setattr(estimator, name, None)
    return bare


def _estimators(node: object) -> Iterator[BaseEstimator]:
    """Every scikit-learn estimator in a tree of estimators, lists, tuples and dicts (attributes included)."""
    if isinstance(node, BaseEstimator):
        yield node
        children = vars(node).values()
    elif isinstance(node, (list, tuple)):
        children = node
    elif isinstance(node, dict):
        children = node.values()
    else:
        return
    for child in children:
        yield from _estimators(child)


def _model_taxonomy(card: dict, directory: Path) -> Taxonomy:
    path = directory / TAXONOMY_FILE
    if not path.is_file():
        raise ModelError(f"{path}: the model's taxonomy copy is missing; copy the whole model directory or {RETRAIN}")
    own = load_taxonomy(path)
    if own.sha256 != card.get("taxonomy", {}).get("sha256"):
        raise ModelError(
            f"{path}: differs from the taxonomy in {CARD_FILE} (file changed or damaged); copy the "
            f"model directory again or {RETRAIN}"
        )
    return own


def _check_requested_taxonomy(own: Taxonomy, requested: Taxonomy | None, card_path: Path) -> None:
    if requested is None and os.environ.get(TAXONOMY_ENV_VAR):
        requested = load_taxonomy()
    if requested is not None and requested.sha256 != own.sha256:
        raise ModelError(
            f"{card_path}: model was trained with taxonomy {own.name} {own.version} (sha256 {own.sha256[:12]}…, "
            f"copy in {TAXONOMY_FILE}) but {requested.path} ({requested.name} {requested.version}, sha256 "
            f"{requested.sha256[:12]}…) was asked for; drop that request (unset ${TAXONOMY_ENV_VAR}) to use the "
            "model's own, or retrain the model with the other taxonomy"
        )


def _check_versions(card: dict, path: Path) -> None:
    saved = str(card.get("versions", {}).get("scikit-learn", "?"))
    if saved.split(".")[:2] != sklearn.__version__.split(".")[:2]:
        raise ModelError(
            f"{path}: saved with scikit-learn {saved}, this environment has {sklearn.__version__}; "
            f"{RETRAIN} here, or install scikit-learn=={saved}"
        )


def taxonomy_summary(taxonomy: Taxonomy) -> dict:
    """How the card identifies a taxonomy."""
    return {"name": taxonomy.name, "version": taxonomy.version, "sha256": taxonomy.sha256, "file": taxonomy.path.name}


def card_readme(card: dict) -> str:
    """The human-readable model card (``README.md``) for a ``model.json`` dictionary."""
    data, evaluation = card.get("training_data", {}), card.get("evaluation", {})
    lines = [
        f"# rolcov paragraph classifier `{card['name']}`",
        "",
        f"Trained {card['created']} with rolcov {card['versions']['rolcov']}, scikit-learn "
        f"{card['versions']['scikit-learn']}; taxonomy {card['taxonomy']['name']} {card['taxonomy']['version']} "
        f"(sha256 `{card['taxonomy']['sha256'][:12]}…`).",
        "",
        "## Intended use",
        "",
        "Labels paragraphs of Chinese local-government annual rule-of-law reports (法治政府建设情况报告) with the "
        "taxonomy's themes, as input to per-report coverage profiles. It is a research aid: read the labels of "
        "any report you draw conclusions from. Not for other document genres.",
        "",
        "## Data",
        "",
        f"{data.get('rows', '?')} annotated rows from {data.get('reports', '?')} reports "
        f"({', '.join(f'{n} {s}' for s, n in data.get('per_source', {}).items())}); files:",
        "",
        *[f"- `{f['path']}` (sha256 `{f['sha256'][:12]}…`)" for f in data.get("files", [])],
        "",
        "| label | threshold | " + " | ".join(data.get("per_source", {})) + " |",
        "|---|---|" + "---|" * len(data.get("per_source", {})),
        *[
            f"| {label} | {card['thresholds'][label]:.3f} | "
            + " | ".join(str(data.get("per_label", {}).get(label, {}).get(s, 0)) for s in data.get("per_source", {}))
            + " |"
            for label in card["labels"]
        ],
        "",
        "## Leave-one-report-out metrics",
        "",
        *(
            _metric_lines(evaluation)
            if evaluation
            else [
                "Not evaluated (trained with `rolcov train --no-evaluate`); `rolcov evaluate` on the training files "
                "gives these figures."
            ]
        ),
        "",
        "## Limitations",
        "",
        *[f"- {line}" for line in card.get("limitations", [])],
        "",
    ]
    return "\n".join(lines)


def _metric_lines(evaluation: dict) -> list[str]:
    return [
        "| rows | macro-F1 | micro-F1 | top-1 |",
        "|---|---|---|---|",
        *[
            f"| {unit} ({m['rows']}) | {m['macro_f1']:.3f} | {m['micro_f1']:.3f} | {m['top1_accuracy']:.3f} |"
            for unit, m in evaluation.items()
            if isinstance(m, dict) and "macro_f1" in m
        ],
    ]
