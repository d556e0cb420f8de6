"""Save a trained classifier with its model card, and load it back only if it is the model the card describes.

A model directory holds three files:

* ``model.joblib`` — the fitted :class:`~pipeline.model.ParagraphClassifier` (features included);
* ``model.json`` — the machine-readable card: label set and taxonomy hash, training data hashes and counts,
  leave-one-report-out metrics, library versions, date, and the sha256 of ``model.joblib``;
* ``README.md`` — the same card for people: intended use, data, metrics, limitations.

:func:`load_model` refuses (with :class:`~pipeline.errors.ModelError`) a joblib file whose hash differs from
the card (tampered or half-copied), a model built for another taxonomy, one pickled by another scikit-learn
minor version (pickles are not portable across them), and any file it cannot read.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import pickle
import platform
from pathlib import Path

import joblib
import numpy as np
import pandas as pd
import sklearn

from pipeline import __version__
from pipeline.errors import ModelError
from pipeline.model import ParagraphClassifier
from pipeline.tables import atomic_path
from pipeline.taxonomy import Taxonomy, load_taxonomy

MODEL_FILE, CARD_FILE, README_FILE = "model.joblib", "model.json", "README.md"
RETRAIN = "retrain it with `rolcov train` (or `make run`)"


def file_sha256(path: str | Path) -> str:
    """Hex sha256 of a file's bytes."""
    digest = hashlib.sha256()
    with Path(path).open("rb") as stream:
        for block in iter(lambda: stream.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def library_versions() -> dict[str, str]:
    """Versions that decide whether a pickled model can be loaded and behaves the same."""
    import spacy

    return {"python": platform.python_version(), "scikit-learn": sklearn.__version__, "numpy": np.__version__,
            "pandas": pd.__version__, "spacy": spacy.__version__, "rolcov": __version__}


def save_model(classifier: ParagraphClassifier, directory: str | Path, card: dict) -> Path:
    """Write ``model.joblib``, ``model.json`` and ``README.md`` into ``directory``, each atomically.

    Parameters
    ----------
    classifier : ParagraphClassifier
        Fitted.
    directory : str or Path
        Created if missing; existing files are replaced.
    card : dict
        What the caller knows (``taxonomy``, ``training_data``, ``evaluation``, ``params``); the model file
        hash, labels, thresholds, versions and date are added here.

    Returns
    -------
    Path
        The card file.
    """
    directory = Path(directory)
    with atomic_path(directory / MODEL_FILE) as temporary:
        joblib.dump(classifier, temporary, compress=3)
        digest = file_sha256(temporary)
    card = {
        "name": directory.name,
        "created": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        "labels": [str(label) for label in classifier.classes_],
        "thresholds": {str(k): float(t) for k, t in zip(classifier.classes_, classifier.thresholds_)},
        **card,
        "model_file": {"name": MODEL_FILE, "sha256": digest, "bytes": (directory / MODEL_FILE).stat().st_size},
        "versions": library_versions(),
    }
    with atomic_path(directory / CARD_FILE) as temporary:
        temporary.write_text(json.dumps(card, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    with atomic_path(directory / README_FILE) as temporary:
        temporary.write_text(card_readme(card), encoding="utf-8")
    return directory / CARD_FILE


def read_card(directory: str | Path) -> dict:
    """The parsed ``model.json`` of a model directory; :class:`ModelError` if missing or unreadable."""
    path = Path(directory) / CARD_FILE
    if not path.is_file():
        raise ModelError(f"{path}: no model card here; train a model with `rolcov train ANNOTATIONS -o {directory}`")
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise ModelError(f"{path}: model card is not valid JSON ({error}); {RETRAIN}") from None


def load_model(directory: str | Path, taxonomy: Taxonomy | None = None) -> ParagraphClassifier:
    """Load a saved classifier after checking it against its card and the taxonomy in use.

    Parameters
    ----------
    directory : str or Path
        A directory written by :func:`save_model`.
    taxonomy : Taxonomy, optional
        The taxonomy the caller will interpret labels with; default :func:`load_taxonomy`.

    Raises
    ------
    ModelError
        Missing/corrupt/tampered file, other taxonomy, other scikit-learn minor version; the message names
        the file and what to do.
    """
    directory = Path(directory)
    card = read_card(directory)
    path = directory / MODEL_FILE
    if not path.is_file():
        raise ModelError(f"{path}: model file missing (model files are not in git); {RETRAIN}")
    if file_sha256(path) != card.get("model_file", {}).get("sha256"):
        raise ModelError(f"{path}: sha256 differs from {CARD_FILE} (file changed or damaged); {RETRAIN} "
                         "or copy the model directory again")
    _check_versions(card, path)
    _check_taxonomy(card, taxonomy or load_taxonomy(), directory / CARD_FILE)
    try:
        classifier = joblib.load(path)
    except (OSError, EOFError, ValueError, TypeError, AttributeError, ImportError, KeyError,
            pickle.UnpicklingError) as error:
        raise ModelError(f"{path}: cannot be read ({type(error).__name__}: {error}); {RETRAIN}") from None
    if not isinstance(classifier, ParagraphClassifier):
        raise ModelError(f"{path}: holds a {type(classifier).__name__}, not a ParagraphClassifier; {RETRAIN}")
    return classifier


def _check_versions(card: dict, path: Path) -> None:
    saved = str(card.get("versions", {}).get("scikit-learn", "?"))
    if saved.split(".")[:2] != sklearn.__version__.split(".")[:2]:
        raise ModelError(f"{path}: pickled with scikit-learn {saved}, this environment has {sklearn.__version__}; "
                         f"{RETRAIN} here, or install scikit-learn=={saved}")


def _check_taxonomy(card: dict, taxonomy: Taxonomy, card_path: Path) -> None:
    trained = card.get("taxonomy", {})
    if trained.get("sha256") != taxonomy.sha256:
        raise ModelError(
            f"{card_path}: model was trained with taxonomy {trained.get('name')} {trained.get('version')} "
            f"(sha256 {str(trained.get('sha256'))[:12]}…) but the taxonomy in use is {taxonomy.path} "
            f"({taxonomy.name} {taxonomy.version}, sha256 {taxonomy.sha256[:12]}…); retrain the model with this "
            "taxonomy, or set ROLCOV_TAXONOMY to the one it was trained with")


def taxonomy_summary(taxonomy: Taxonomy) -> dict:
    """How the card identifies a taxonomy."""
    return {"name": taxonomy.name, "version": taxonomy.version, "sha256": taxonomy.sha256, "file": taxonomy.path.name}


def card_readme(card: dict) -> str:
    """The human-readable model card (``README.md``) for a ``model.json`` dictionary."""
    data, evaluation = card.get("training_data", {}), card.get("evaluation", {})
    lines = [
        f"# rolcov paragraph classifier `{card['name']}`", "",
        f"Trained {card['created']} with rolcov {card['versions']['rolcov']}, scikit-learn "
        f"{card['versions']['scikit-learn']}; taxonomy {card['taxonomy']['name']} {card['taxonomy']['version']} "
        f"(sha256 `{card['taxonomy']['sha256'][:12]}…`).", "",
        "## Intended use", "",
        "Labels paragraphs of Chinese local-government annual rule-of-law reports (法治政府建设情况报告) with the "
        "taxonomy's themes, as input to per-report coverage profiles. It is a research aid: read the labels of "
        "any report you draw conclusions from. Not for other document genres.", "",
        "## Data", "",
        f"{data.get('rows', '?')} annotated rows from {data.get('reports', '?')} reports "
        f"({', '.join(f'{n} {s}' for s, n in data.get('per_source', {}).items())}); files:", "",
        *[f"- `{f['path']}` (sha256 `{f['sha256'][:12]}…`)" for f in data.get("files", [])], "",
        "| label | threshold | " + " | ".join(data.get("per_source", {})) + " |",
        "|---|---|" + "---|" * len(data.get("per_source", {})),
        *[f"| {label} | {card['thresholds'][label]:.3f} | "
          + " | ".join(str(data.get("per_label", {}).get(label, {}).get(s, 0)) for s in data.get("per_source", {}))
          + " |" for label in card["labels"]], "",
        "## Leave-one-report-out metrics", "",
        "| rows | macro-F1 | micro-F1 | top-1 |", "|---|---|---|---|",
        *[f"| {unit} ({m['rows']}) | {m['macro_f1']:.3f} | {m['micro_f1']:.3f} | {m['top1_accuracy']:.3f} |"
          for unit, m in evaluation.items() if isinstance(m, dict) and "macro_f1" in m], "",
        "## Limitations", "",
        "- Trained and evaluated on five seed reports only; expect lower accuracy on reports whose wording, "
        "region or year differs, and treat per-label numbers (12–26 examples each) as rough.",
        "- `leadership` is the least reliable label: it depends on the codebook's distinction between "
        "substantive leadership content and slogans.",
        "- Probabilities are calibrated on out-of-report predictions of the same five reports.", "",
    ]
    return "\n".join(lines)
